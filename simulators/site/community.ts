import type { VehicleKind } from '../../gateway/domain/model.js';
import type { RegistryDocument } from '../../gateway/registry/document.js';
import { computeIdCheckChar } from '../../gateway/registry/id-number.js';
import { type RandomSource, randomInt, seededRandom } from '../shared/random.js';
import { syntheticName } from './names.js';

/**
 * The simulated community: households with residents and their cards, ID cards and QR codes,
 * staff, vehicles, couriers of the delivery companies that serve the site (registered by their
 * ID cards; they never enter in closed mode, residents collect at the gate), one visitor
 * registration and one home-quarantine order, as a registry
 * document for `RegistryStore.import`, plus what the simulators need to present those
 * credentials (Wiegand numbers, raw ID numbers for the simulated ID-card reader).
 *
 * Pure: the same seed gives the same people, cards and plates. Only the validity of the visitor
 * registration and of the quarantine order follows `now`, so that they are in force whenever
 * the site is started. Names and ID numbers are synthetic (made-up order codes, computed check
 * characters); they go to the registry and the simulated reader only, never to a log or a file.
 */

/** Facility code of every card of the site (Wiegand 26: 8-bit facility, 16-bit card number). */
export const SITE_FACILITY = 88;

export interface SimCard {
  facility: number;
  number: number;
  /** The registry value: facility and number as 6 hex digits (docs/osdp.md). */
  value: string;
}

export interface SimPerson {
  id: string;
  kind: 'resident' | 'staff' | 'visitor' | 'courier';
  householdId?: string;
  /** Synthetic; for the registry and the simulated ID card only. */
  name: string;
  sexCode: '1' | '2';
  birthDate: string;
  /** Synthetic GB 11643 number; for the registry and the simulated ID card only. */
  idNumber: string;
  card?: SimCard;
  qr?: string;
  designated: boolean;
}

export interface SimVehicle {
  id: string;
  plate: string;
  /** Whether it has a pass permit (an outside vehicle has none: VEHICLE_NO_PERMIT). */
  permitted: boolean;
}

export interface Community {
  document: RegistryDocument;
  persons: readonly SimPerson[];
  vehicles: readonly SimVehicle[];
  visitorId: string;
  /** The visitor's escort (a resident of the host household). */
  escortId: string;
  quarantinedHouseholdId: string;
  /** Registered couriers (ID card only): DELIVERY_NOT_ALLOWED at the gate in closed mode. */
  courierIds: readonly string[];
}

export interface CommunityOptions {
  seed: number;
  now: number;
  /** Households (default 36: three buildings, two units, six floors). */
  households?: number;
}

const AREA_CODES = ['110105', '310104', '440305', '420106', '510107', '320502', '330106', '370102'];
const PLATE_PREFIXES = ['京A', '京N', '沪B', '粤B', '鄂A'];
const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

export function generateCommunity(options: CommunityOptions): Community {
  const random = seededRandom(options.seed);
  const ids = new IdNumbers(random, options.now);
  let nextCard = 1001;
  const card = (): SimCard => {
    const number = nextCard++;
    const value = ((SITE_FACILITY << 16) | number).toString(16).toUpperCase().padStart(6, '0');
    return { facility: SITE_FACILITY, number, value };
  };
  const person = (id: string, kind: SimPerson['kind'], householdId?: string): SimPerson => {
    const sexCode = random() < 0.5 ? '1' : '2';
    const { idNumber, birthDate } = ids.next(sexCode, kind === 'resident' ? 1940 : 1960, 2012);
    return {
      id,
      kind,
      ...(householdId === undefined ? {} : { householdId }),
      name: syntheticName(random, sexCode),
      sexCode,
      birthDate,
      idNumber,
      designated: false,
    };
  };

  const households = householdPlaces(options.households ?? 36);
  const persons: SimPerson[] = [];
  for (const h of households) {
    const members = randomInt(random, 1, 4);
    for (let m = 1; m <= members; m++) {
      const p = person(`r-${h.id}-${m}`, 'resident', h.id);
      persons.push({ ...p, card: card(), qr: `SIMQR-${h.id}-${m}`, designated: m === 1 });
    }
  }
  for (let s = 1; s <= 4; s++) persons.push({ ...person(`staff-${s}`, 'staff'), card: card() });
  const last = households[households.length - 1];
  const host = households[0];
  if (last === undefined || host === undefined) throw new RangeError('a community needs households');
  const escort = persons.find((p) => p.householdId === host.id);
  if (escort === undefined) throw new Error('the host household has no resident');
  const visitor = person('visitor-1', 'visitor');
  persons.push(visitor);

  const residentsWithCars = persons.filter((p) => p.kind === 'resident' && p.designated).slice(2, 5);
  const plates = new Plates(random);
  const vehicles: (SimVehicle & { kind: VehicleKind; householdId?: string; ownerId?: string })[] =
    residentsWithCars.map((p, i) => ({
      id: `v-${i + 1}`,
      plate: plates.next(),
      permitted: true,
      kind: 'resident',
      ...(p.householdId === undefined ? {} : { householdId: p.householdId }),
      ownerId: p.id,
    }));
  vehicles.push({ id: 'v-work', plate: plates.next(), permitted: true, kind: 'work' });
  vehicles.push({ id: 'v-outside', plate: plates.next(), permitted: false, kind: 'outside' });
  // Drawn last, so that adding them left every earlier person, card and plate of a seed as it was.
  const couriers = [1, 2].map((c) => person(`courier-${c}`, 'courier'));
  persons.push(...couriers);

  const iso = (ms: number) => new Date(ms).toISOString();
  // By household, in one pass: a filter per household is quadratic (minutes at 10,000 households).
  const designatedOf = new Map<string, string[]>();
  for (const p of persons)
    if (p.designated && p.householdId !== undefined)
      designatedOf.set(p.householdId, [...(designatedOf.get(p.householdId) ?? []), p.id]);
  const document: RegistryDocument = {
    version: 1,
    households: households.map((h) => ({
      id: h.id,
      building: h.building,
      unit: h.unit,
      room: h.room,
      designatedMembers: designatedOf.get(h.id) ?? [],
    })),
    persons: persons.map((p) => ({
      id: p.id,
      kind: p.kind,
      ...(p.householdId === undefined ? {} : { householdId: p.householdId }),
      name: p.name,
      idNumber: p.idNumber,
      ...(p.kind === 'staff' ? { shifts: ['day' as const, 'evening' as const, 'night' as const] } : {}),
    })),
    credentials: persons.flatMap((p) => [
      ...(p.card ? [{ kind: 'card' as const, value: p.card.value, holder: p.id }] : []),
      ...(p.qr ? [{ kind: 'qr' as const, value: p.qr, holder: p.id }] : []),
      ...(p.kind === 'staff' ? [{ kind: 'workcert' as const, value: `WC-${p.id}`, holder: p.id }] : []),
    ]),
    visitors: [
      {
        id: 'reg-visitor-1',
        personId: visitor.id,
        escorts: [escort.id],
        hostHouseholdId: host.id,
        purpose: 'elderly care / 照护老人',
        validFrom: iso(options.now - HOUR_MS),
        validUntil: iso(options.now + 12 * HOUR_MS),
      },
    ],
    quarantineOrders: [
      {
        id: 'q-home-1',
        kind: 'home',
        target: { household: last.id },
        from: iso(options.now - 3 * DAY_MS),
        until: iso(options.now + 11 * DAY_MS),
      },
    ],
    vehicles: vehicles.map(({ permitted, kind, ...v }) => ({
      ...v,
      kind,
      ...(permitted ? { permit: {} } : {}),
      ...(kind === 'work' ? { disinfectedAt: iso(options.now - 2 * HOUR_MS) } : {}),
    })),
  };
  return {
    document,
    persons,
    vehicles: vehicles.map(({ id, plate, permitted }) => ({ id, plate, permitted })),
    visitorId: visitor.id,
    escortId: escort.id,
    quarantinedHouseholdId: last.id,
    courierIds: couriers.map((c) => c.id),
  };
}

interface Place {
  id: string;
  building: string;
  unit: string;
  room: string;
}

/** Buildings of two units and six floors, two rooms a floor, filled in order. */
function householdPlaces(count: number): Place[] {
  // At most 4 members each: 16,000 households keep every card number (from 1001) within Wiegand 26's 16 bits.
  if (!Number.isInteger(count) || count < 2 || count > 16_000)
    throw new RangeError(`households: ${count} is not an integer in 2..16000`);
  const places: Place[] = [];
  for (let i = 0; i < count; i++) {
    const building = String(Math.floor(i / 24) + 1);
    const unit = String((Math.floor(i / 12) % 2) + 1);
    const room = `${(Math.floor(i / 2) % 6) + 1}0${(i % 2) + 1}`;
    places.push({ id: `${building}-${unit}-${room}`, building, unit, room });
  }
  return places;
}

/** Distinct made-up plates: a province and city prefix, a letter, four digits. */
class Plates {
  private readonly seen = new Set<string>();

  constructor(private readonly random: RandomSource) {}

  next(): string {
    const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
    for (;;) {
      const prefix = PLATE_PREFIXES[randomInt(this.random, 0, PLATE_PREFIXES.length - 1)] ?? '京A';
      const letter = letters[randomInt(this.random, 0, letters.length - 1)] ?? 'D';
      const plate = `${prefix}${letter}${String(randomInt(this.random, 0, 9999)).padStart(4, '0')}`;
      if (this.seen.has(plate)) continue;
      this.seen.add(plate);
      return plate;
    }
  }
}

/** Distinct synthetic ID numbers: real area codes, birth dates in a range, made-up order codes. */
class IdNumbers {
  private readonly seen = new Set<string>();
  private readonly lastYear: number;

  constructor(
    private readonly random: RandomSource,
    now: number,
  ) {
    this.lastYear = new Date(now).getUTCFullYear() - 1;
  }

  next(sexCode: '1' | '2', fromYear: number, toYear: number): { idNumber: string; birthDate: string } {
    for (;;) {
      const area = AREA_CODES[randomInt(this.random, 0, AREA_CODES.length - 1)] ?? '110105';
      const year = randomInt(this.random, fromYear, Math.min(toYear, this.lastYear));
      const month = String(randomInt(this.random, 1, 12)).padStart(2, '0');
      const day = String(randomInt(this.random, 1, 28)).padStart(2, '0');
      // The order code's last digit is odd for men, even for women (GB 11643).
      const order = randomInt(this.random, 0, 499) * 2 + (sexCode === '1' ? 1 : 0);
      const first17 = `${area}${year}${month}${day}${String(order).padStart(3, '0')}`;
      const idNumber = first17 + computeIdCheckChar(first17);
      if (this.seen.has(idNumber)) continue;
      this.seen.add(idNumber);
      return { idNumber, birthDate: `${year}${month}${day}` };
    }
  }
}
