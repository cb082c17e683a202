import type { SiteMode } from '../../gateway/domain/model.js';
import { type RandomSource, randomInt, seededRandom } from '../shared/random.js';
import type { Community, SimPerson } from '../site/community.js';
import { BUILDING_GATE, LANES, LANES_WITH, PRIMARY_LANES } from '../site/site-plan.js';
import { allow, deny, Model, QUOTA_PERIOD_HOURS } from './model.js';

/**
 * The crowd scenario's plan: three compressed days of the simulated site as timed actions, each
 * a console command of the site (site-console.ts) with the outcome the pass rules must give.
 *
 * Pure and seeded: the same community and seed give the same plan. Every expectation is known
 * by construction from a small model of the days (model.ts: who has entered, which household
 * went out when, when the escort last showed a card), never by asking the gateway's rules; the
 * runner compares it with what the gateway journaled. Assumes the site of `gatewarden-sim site`
 * in closed mode with a fresh journal: nobody has passed yet, so anyone's first entry is allowed.
 *
 * Days: the household quota ("one member out every two days") needs more than one. The site's
 * quota period is compressed with the scenario clock (`scenarioPolicy`), so 48 scenario hours
 * are 48 h / speed of the gateway's. An expectation that depends on when it is decided (a
 * quota refusal, an exit that a later allowed exit must be 48 h away from) carries `slackMs`:
 * how late it may be decided and still hold; the runner checks it (schedule.ts). Hence the
 * order: day 1 is the supply trips and what follows from them, early, when the runner is on
 * time; day 2 opens with the refused second trips and then has the crowd, whose actions may
 * run behind the compressed clock without harm; day 3 is the trips allowed again (late is
 * never wrong for them).
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
  /** Milliseconds since 06:00 of the scenario's first day. */
  at: number;
  kind: ActionKind;
  lane: string;
  /** A person id, a vehicle id, or 'unknown' (a card nobody registered). */
  who: string;
  /** What the action stands for, in a few words (English; ids only). */
  story: string;
  expect: Expectation;
  /** Played in this mode: the console switches to it first and back to closed after. Absent: closed. */
  mode?: SiteMode;
  /**
   * Scenario milliseconds after `at` by which the gateway must have decided, for this
   * expectation and those that count this pass (a household's exits) to hold. Absent: any time.
   */
  slackMs?: number;
}

export interface ScenarioPlan {
  seed: number;
  actions: readonly PlannedAction[];
}

export interface PlanOptions {
  seed: number;
  /** Households whose designated shopper makes the supply trips (default 3, at most those available). */
  shoppers?: number;
  /** Residents coming home in the morning rush (default 4). */
  arrivals?: number;
}

/** The community's work vehicle (community.ts): disinfected two hours before the site starts. */
const WORK_VEHICLE = 'v-work';

/**
 * The policy the scenario's site runs with: the household quota's period compressed like the
 * scenario's days (at speed 3600 a scenario hour is a second, and 48 h are 48 s). Everything
 * else keeps the gateway's clock (the escort window, temperature windows, registrations).
 */
export function scenarioPolicy(speed: number): { householdQuota: { periodHours: number } } {
  return { householdQuota: { periodHours: QUOTA_PERIOD_HOURS / speed } };
}

export function planScenario(community: Community, options: PlanOptions): ScenarioPlan {
  const random = seededRandom(options.seed);
  const day = new Model(community, PRIMARY_LANES, LANES_WITH.thermal, BUILDING_GATE);
  const residents = community.persons.filter((p) => p.kind === 'resident');
  const free = residents.filter((p) => p.householdId !== community.quarantinedHouseholdId);
  const escort = person(community, community.escortId);
  const byHousehold = groupBy(free, (p) => p.householdId ?? '');

  // Households: shoppers' (those with a second member first, for the quota case), then an idle
  // one (its second member is refused as not designated), then the one that collects a parcel.
  // The host household's shopper is the escort, who has a part of their own.
  const households = shuffle(
    random,
    [...byHousehold.keys()].filter((h) => h !== escort.householdId),
  );
  households.sort(
    (a, b) => Number((byHousehold.get(b)?.length ?? 0) > 1) - Number((byHousehold.get(a)?.length ?? 0) > 1),
  );
  const shopperCount = Math.min(options.shoppers ?? 3, households.length - 1);
  if (shopperCount < 1) throw new RangeError('the community has too few households for a scenario');
  const shopperHouseholds = households.slice(0, shopperCount);
  const idleHousehold = households[shopperCount];
  const parcelHousehold = households[shopperCount + 1];
  const shoppers = shopperHouseholds.map((h) => designatedOf(byHousehold.get(h) ?? [], h));
  const others = free.filter((p) => !p.designated && p.householdId !== idleHousehold);
  const [eastComer, ...rest] = shuffle(random, others);
  const arrivals = rest.slice(0, options.arrivals ?? 4);

  // Day 1, first thing: the supply trips, half an hour apart (card or QR). A second member of a
  // shopper's household is refused twice over (not designated, and the trip is used); the
  // shoppers come home, one card is passed back over the fence, one tries a second trip.
  day.moveTo(1, '07:00');
  for (const s of shoppers) {
    day.pass(randomInt(random, 0, 1) === 0 ? 'card' : 'qr', LANES.northPedOut, s, 'supply trip, day 1');
    day.gap(27);
  }
  const secondOf = shopperHouseholds
    .map((h) => (byHousehold.get(h) ?? []).find((p) => !p.designated))
    .find((p) => p !== undefined);
  if (secondOf !== undefined)
    day.pass('card', LANES.northPedOut, secondOf, 'second member of a household that went out');
  day.moveTo(1, '10:00');
  for (const s of shoppers)
    day.pass(randomInt(random, 0, 1) === 0 ? 'card' : 'idcard', LANES.northPedIn, s, 'back from shopping');
  const [first] = shoppers;
  if (first !== undefined) {
    day.pass('card', LANES.northPedIn, first, 'card passed back over the fence');
    day.pass('card', LANES.northPedOut, first, 'second supply trip the same day');
  }

  // Day 2: the shoppers try again (their trip was yesterday), then the day's crowd.
  day.moveTo(2, '07:00');
  for (const s of shoppers) day.pass('card', LANES.northPedOut, s, 'supply trip again, day 2');

  // The registered visitor arrives before the escort has shown a card: refused.
  day.at(
    5,
    'idcard',
    LANES.northPedIn,
    community.visitorId,
    'visitor without escort',
    deny('ESCORT_REQUIRED'),
  );

  // Morning rush: night-shift residents come home (a first entry is always allowed).
  for (const p of arrivals)
    day.pass(randomInt(random, 0, 2) === 0 ? 'idcard' : 'card', LANES.northPedIn, p, 'coming home');
  const car = community.vehicles.find((v) => v.permitted && v.id !== WORK_VEHICLE)?.id;
  if (car !== undefined) day.vehicle('in', car, 'resident car comes home');
  if (community.vehicles.some((v) => v.id === WORK_VEHICLE))
    day.vehicle('in', WORK_VEHICLE, 'work vehicle, disinfected today');
  for (const v of community.vehicles.filter((x) => !x.permitted))
    day.vehicle('in', v.id, 'outside vehicle, no permit', false);

  // Staff change shift: out and back in.
  const staff = community.persons.find((p) => p.kind === 'staff');
  if (staff !== undefined) {
    day.pass('card', LANES.northPedOut, staff, 'staff going off shift');
    day.pass('card', LANES.northPedIn, staff, 'staff coming on shift');
  }

  // Couriers stay outside; the household's shopper collects the parcel outside the gate (an exit
  // like any other: it is the household's trip) and comes back in.
  const [courier, foodCourier] = community.courierIds.map((id) => person(community, id));
  if (courier !== undefined) day.pass('idcard', LANES.northPedIn, courier, 'courier at the gate');
  const collector =
    parcelHousehold === undefined
      ? undefined
      : designatedOf(byHousehold.get(parcelHousehold) ?? [], parcelHousehold);
  if (collector !== undefined) {
    day.pass('card', LANES.northPedOut, collector, 'collects the parcel outside the gate');
    day.pass('card', LANES.northPedIn, collector, 'back in with the parcel');
  }

  // The east gate is not primary: closed in closed mode (and it has no thermal camera).
  if (eastComer !== undefined) day.pass('qr', LANES.eastPedIn, eastComer, 'at the east gate, closed mode');

  // Building 1's entrance: its residents in (the MQTT lock opens), others go to their own building.
  const building = BUILDING_GATE.building;
  const inside = free.find(
    (p) => placeOf(community, p) === building && p.designated && !day.hasPassed(p.id) && p.id !== escort.id,
  );
  const outside = free.find((p) => placeOf(community, p) !== building && !day.hasPassed(p.id));
  if (inside !== undefined) day.pass('qr', LANES.building1In, inside, 'home to building 1');
  if (outside !== undefined) day.pass('qr', LANES.building1In, outside, 'at another building’s door');

  // Things that go wrong at the gate.
  const quarantined = residents.find((p) => p.householdId === community.quarantinedHouseholdId);
  if (quarantined !== undefined)
    day.pass('card', LANES.northPedOut, quarantined, 'home-quarantined resident tries to go out');
  const idleOther = (byHousehold.get(idleHousehold ?? '') ?? []).find((p) => !p.designated);
  if (idleOther !== undefined)
    day.pass('card', LANES.northPedOut, idleOther, 'member who is not the designated shopper');
  day.at(5, 'card', LANES.northPedIn, 'unknown', 'a card nobody registered', deny('UNKNOWN_CREDENTIAL'));
  const feverish = free.find(
    (p) =>
      p.designated &&
      !day.hasPassed(p.id) &&
      p.householdId !== idleHousehold &&
      p.id !== inside?.id &&
      p.id !== escort.id,
  );
  if (feverish !== undefined)
    day.at(
      5,
      'fever',
      LANES.northPedIn,
      feverish.id,
      'fever at the entrance, handheld re-measure',
      deny('FEVER'),
    );

  // The escort goes out, and comes home leading the visitor.
  day.moveTo(2, '11:00');
  day.pass('card', LANES.northPedOut, escort, 'supply trip (the escort)');
  day.moveTo(2, '12:30');
  day.pass('card', LANES.northPedIn, escort, 'escort comes home with the visitor');
  day.at(
    10 / 60,
    'idcard',
    LANES.northPedIn,
    community.visitorId,
    'visitor with escort',
    allow('VISITOR_ESCORTED'),
  );

  // The food delivery stays outside; the resident car goes out, comes back, is read in again.
  if (foodCourier !== undefined)
    day.pass('idcard', LANES.northPedIn, foodCourier, 'food delivery at the gate');
  day.moveTo(2, '14:00');
  if (car !== undefined) {
    day.vehicle('out', car, 'resident car goes out');
    day.vehicle('in', car, 'resident car comes back');
    day.vehicle('in', car, 'the same plate entering twice');
  }

  // For a while the site is open: the east gate lets a resident in.
  day.moveTo(2, '16:00');
  if (eastComer !== undefined)
    day.pass('qr', LANES.eastPedIn, eastComer, 'at the east gate, open mode', 'open');

  // Day 3: two days on, each shopper goes out again (allowed) and comes home.
  day.moveTo(3, '15:00');
  for (const s of shoppers) {
    day.pass(randomInt(random, 0, 1) === 0 ? 'card' : 'qr', LANES.northPedOut, s, 'supply trip, day 3');
    day.gap(27);
  }
  for (const s of shoppers) day.pass('card', LANES.northPedIn, s, 'back from shopping, day 3');

  return { seed: options.seed, actions: day.finish() };
}

function placeOf(community: Community, p: SimPerson): string | undefined {
  return (community.document.households ?? []).find((h) => h.id === p.householdId)?.building;
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

/**
 * The console lines of the simulated site that perform the action: the action itself, or, for
 * one played in another mode, the switch there, the action and the switch back to closed.
 */
export function consoleLine(action: PlannedAction): string {
  const line = `${action.kind} ${action.lane} ${action.who}`;
  return action.mode === undefined ? line : `mode ${action.mode}\n${line}\nmode closed`;
}

/** Scenario time as `d<day> HH:MM`: day 1 starts at 06:00. */
export function scenarioClock(atMs: number): string {
  const minutes = 6 * 60 + Math.floor(atMs / 60_000);
  const dayNumber = Math.floor(minutes / (24 * 60)) + 1;
  const hh = String(Math.floor(minutes / 60) % 24).padStart(2, '0');
  return `d${dayNumber} ${hh}:${String(minutes % 60).padStart(2, '0')}`;
}
