import { type RandomSource, randomInt, seededRandom } from '../shared/random.js';
import type { Community, SimPerson } from '../site/community.js';
import { LANES } from '../site/site-plan.js';

/**
 * The crowd scenario's plan: a compressed day of the simulated site as timed actions, each a
 * console command of the site (site-console.ts) with the outcome the pass rules must give.
 *
 * Pure and seeded: the same community and seed give the same plan. Every expectation is known
 * by construction from a small model of the day (who has entered, which household used its
 * supply trip, when the escort last showed a card), never by asking the gateway's rules; the
 * runner compares it with what the gateway journaled. Assumes the site of `gatewarden-sim site`
 * in closed mode with a fresh journal: nobody has passed yet, so anyone's first entry is allowed.
 *
 * Ids only (person, vehicle, household ids): the plan never holds a name or an ID number, so
 * it may be printed and written anywhere.
 */
export type ActionKind = 'card' | 'idcard' | 'qr' | 'fever' | 'plate';

export interface Expectation {
  allow: boolean;
  /** Grant codes when allowed, every failing deny code when refused (notices are not compared). */
  codes: readonly string[];
}

export interface PlannedAction {
  /** Milliseconds since the start of the scenario day (06:00). */
  at: number;
  kind: ActionKind;
  lane: string;
  /** A person id, a vehicle id, or 'unknown' (a card nobody registered). */
  who: string;
  /** What the action stands for, in a few words (English; ids only). */
  story: string;
  expect: Expectation;
}

export interface ScenarioPlan {
  seed: number;
  actions: readonly PlannedAction[];
}

export interface PlanOptions {
  seed: number;
  /** Households whose designated shopper makes the supply trip (default 6, at most those available). */
  shoppers?: number;
  /** Residents coming home in the morning rush (default 6). */
  arrivals?: number;
}

const MINUTE_MS = 60_000;
/** The community's work vehicle (community.ts): disinfected two hours before the site starts. */
const WORK_VEHICLE = 'v-work';
/** The escort window of the rules is 30 s of the gateway's clock: an escort's card counts that long. */
const ESCORT_GAP_MS = 10_000;

const allow = (...codes: string[]): Expectation => ({ allow: true, codes });
const deny = (...codes: string[]): Expectation => ({ allow: false, codes: [...codes].sort() });

export function planScenario(community: Community, options: PlanOptions): ScenarioPlan {
  const random = seededRandom(options.seed);
  const day = new Day();
  const residents = community.persons.filter((p) => p.kind === 'resident');
  const free = residents.filter((p) => p.householdId !== community.quarantinedHouseholdId);
  const escort = person(community, community.escortId);
  const byHousehold = groupBy(free, (p) => p.householdId ?? '');

  // Shoppers: designated members of free households other than the host's (its shopper is the
  // escort, who has a part of their own). Households with a second member first, for the quota case.
  const households = shuffle(
    random,
    [...byHousehold.keys()].filter((h) => h !== escort.householdId),
  );
  households.sort(
    (a, b) => Number((byHousehold.get(b)?.length ?? 0) > 1) - Number((byHousehold.get(a)?.length ?? 0) > 1),
  );
  const shopperCount = Math.min(options.shoppers ?? 6, households.length - 1);
  if (shopperCount < 1) throw new RangeError('the community has too few households for a scenario');
  const shopperHouseholds = households.slice(0, shopperCount);
  const idleHousehold = households[shopperCount];
  const shoppers = shopperHouseholds.map((h) => designatedOf(byHousehold.get(h) ?? [], h));
  const others = free.filter((p) => !p.designated && p.householdId !== idleHousehold);
  const arrivals = shuffle(random, others).slice(0, options.arrivals ?? 6);

  // Early: the registered visitor arrives before the escort has shown a card: refused.
  day.at(
    30,
    'idcard',
    LANES.northPedIn,
    community.visitorId,
    'visitor without escort',
    deny('ESCORT_REQUIRED'),
  );

  // Morning rush: night-shift residents come home (a first entry is always allowed).
  for (const p of arrivals) day.enter(randomInt(random, 0, 2) === 0 ? 'idcard' : 'card', p, 'coming home');
  const car = community.vehicles.find((v) => v.permitted && v.id !== WORK_VEHICLE)?.id;
  if (car !== undefined) day.vehicle('in', car, 'resident car comes home');
  if (community.vehicles.some((v) => v.id === WORK_VEHICLE))
    day.vehicle('in', WORK_VEHICLE, 'work vehicle, disinfected today');
  for (const v of community.vehicles.filter((x) => !x.permitted))
    day.vehicle('in', v.id, 'outside vehicle, no permit', false);

  // Staff change shift: out and back in.
  const staff = community.persons.find((p) => p.kind === 'staff');
  if (staff !== undefined) {
    day.leave('card', staff, 'staff going off shift');
    day.enter('card', staff, 'staff coming on shift');
  }

  // Supply trips: each household's designated shopper goes out (card or QR).
  day.gap(60);
  for (const s of shoppers) day.leave(randomInt(random, 0, 1) === 0 ? 'card' : 'qr', s, 'supply trip');
  day.leave('card', escort, 'supply trip (the escort)');

  // A second member of a household whose shopper is out: not designated, and the quota is used.
  const secondOf = shopperHouseholds
    .map((h) => (byHousehold.get(h) ?? []).find((p) => !p.designated))
    .find((p) => p !== undefined);
  if (secondOf !== undefined) day.leave('card', secondOf, 'second member of a household that went out');
  const idleOther = (byHousehold.get(idleHousehold ?? '') ?? []).find((p) => !p.designated);
  if (idleOther !== undefined) day.leave('card', idleOther, 'member who is not the designated shopper');

  // Things that go wrong at the gate.
  const quarantined = residents.find((p) => p.householdId === community.quarantinedHouseholdId);
  if (quarantined !== undefined)
    day.leave('card', quarantined, 'home-quarantined resident tries to go out', true);
  day.at(10, 'card', LANES.northPedIn, 'unknown', 'a card nobody registered', deny('UNKNOWN_CREDENTIAL'));
  const feverish = free.find((p) => p.designated && !day.hasPassed(p.id) && p.householdId !== idleHousehold);
  if (feverish !== undefined)
    day.at(
      10,
      'fever',
      LANES.northPedIn,
      feverish.id,
      'fever at the entrance, handheld re-measure',
      deny('FEVER'),
    );

  // Shoppers come home; one of them tries to come in a second time.
  day.gap(90);
  for (const s of shoppers)
    day.enter(randomInt(random, 0, 1) === 0 ? 'card' : 'idcard', s, 'back from shopping');
  const [first] = shoppers;
  if (first !== undefined) {
    day.enter('card', first, 'card passed back over the fence');
    day.leave('card', first, 'second supply trip the same day');
  }

  // The escort comes home leading the visitor in.
  day.gap(120);
  day.enter('card', escort, 'escort comes home with the visitor');
  day.at(
    ESCORT_GAP_MS / MINUTE_MS,
    'idcard',
    LANES.northPedIn,
    community.visitorId,
    'visitor with escort',
    allow('VISITOR_ESCORTED'),
  );

  // The resident car goes out and comes back.
  day.gap(180);
  if (car !== undefined) {
    day.vehicle('out', car, 'resident car goes out');
    day.vehicle('in', car, 'resident car comes back');
    day.vehicle('in', car, 'the same plate entering twice');
  }

  return { seed: options.seed, actions: day.actions };
}

/** The day being written, with what the rules remember (whose last pass was in or out, household exits). */
class Day {
  readonly actions: PlannedAction[] = [];
  private clock = 0;
  private readonly last = new Map<string, 'in' | 'out'>();
  private readonly householdsOut = new Set<string>();

  hasPassed(id: string): boolean {
    return this.last.has(id);
  }

  gap(minutes: number): void {
    this.clock += minutes * MINUTE_MS;
  }

  at(
    afterMinutes: number,
    kind: ActionKind,
    lane: string,
    who: string,
    story: string,
    expect: Expectation,
  ): void {
    this.clock += Math.round(afterMinutes * MINUTE_MS);
    this.actions.push({ at: this.clock, kind, lane, who, story, expect });
  }

  enter(kind: 'card' | 'idcard', p: SimPerson, story: string): void {
    const grant = p.kind === 'staff' ? 'STAFF' : 'RESIDENT';
    const expect = this.last.get(p.id) === 'in' ? deny('ANTI_PASSBACK') : allow(grant);
    this.at(3, kind, LANES.northPedIn, p.id, story, expect);
    if (expect.allow) this.last.set(p.id, 'in');
  }

  leave(kind: 'card' | 'qr', p: SimPerson, story: string, quarantined = false): void {
    const codes: string[] = quarantined ? ['QUARANTINED'] : [];
    if (p.kind === 'resident') {
      if (p.householdId !== undefined && this.householdsOut.has(p.householdId))
        codes.push('HOUSEHOLD_QUOTA_EXCEEDED');
      if (!p.designated) codes.push('NOT_DESIGNATED_MEMBER');
    }
    const expect = codes.length > 0 ? deny(...codes) : allow(p.kind === 'staff' ? 'STAFF' : 'RESIDENT');
    this.at(3, kind, LANES.northPedOut, p.id, story, expect);
    if (!expect.allow) return;
    this.last.set(p.id, 'out');
    if (p.kind === 'resident' && p.householdId !== undefined) this.householdsOut.add(p.householdId);
  }

  vehicle(direction: 'in' | 'out', id: string, story: string, permitted = true): void {
    const lane = direction === 'in' ? LANES.northVehicleIn : LANES.northVehicleOut;
    const expect = !permitted
      ? deny('VEHICLE_NO_PERMIT')
      : direction === 'in' && this.last.get(id) === 'in'
        ? deny('ANTI_PASSBACK')
        : allow('VEHICLE_PERMIT');
    this.at(4, 'plate', lane, id, story, expect);
    if (expect.allow) this.last.set(id, direction);
  }
}

function person(community: Community, id: string): SimPerson {
  const p = community.persons.find((x) => x.id === id);
  if (p === undefined) throw new RangeError(`the community has no person ${id}`);
  return p;
}

function designatedOf(members: readonly SimPerson[], household: string): SimPerson {
  const p = members.find((m) => m.designated);
  if (p === undefined) throw new RangeError(`household ${household} has no designated shopper`);
  return p;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function shuffle<T>(random: RandomSource, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(random, 0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The console line of the simulated site that performs the action. */
export function consoleLine(action: PlannedAction): string {
  return `${action.kind} ${action.lane} ${action.who}`;
}
