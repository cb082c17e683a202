import { computeIdCheckChar } from '../gateway/registry/id-number.js';
import { seededRandom } from '../simulators/shared/random.js';
import type { Community, SimCard, SimPerson } from '../simulators/site/community.js';
import { syntheticName } from '../simulators/site/names.js';

/**
 * A community of the simulated site grown to a city estate's size for the footprint and soak
 * benchmarks: the launcher's community (its households, staff, visitor, quarantine order and
 * vehicles, which the scenario's plan and the console's actions need) plus `extra` residents
 * in households of three, each with a card, a QR pass and a synthetic ID number, as the site's
 * own residents have them. Pure: the same community, count and seed give the same people.
 *
 * The extra cards use facility codes 89 and up (the site's own cards are facility 88), 60,000
 * card numbers each, so no Wiegand 26 value repeats. ID numbers are made up (area code 110105,
 * birth dates from 1950, order codes counted) with a computed check character.
 */
const MEMBERS = 3;
const CARDS_PER_FACILITY = 60_000;
const FIRST_FACILITY = 89;
const DAY_MS = 86_400_000;

export function withExtraResidents(base: Community, extra: number, seed: number): Community {
  if (!Number.isInteger(extra) || extra < 0) throw new RangeError(`residents: ${extra} is not a count`);
  const random = seededRandom(seed);
  const persons: SimPerson[] = [];
  const households: { id: string; building: string; unit: string; room: string; designated: string }[] = [];
  for (let i = 0; i < extra; i++) {
    const h = Math.floor(i / MEMBERS);
    const householdId = `x-${h}`;
    const id = `x-${h}-${(i % MEMBERS) + 1}`;
    if (i % MEMBERS === 0)
      households.push({
        id: householdId,
        // Buildings of 2 units × 30 floors × 4 rooms, numbered after the site's own (1..100).
        building: String(101 + Math.floor(h / 240)),
        unit: String((Math.floor(h / 120) % 2) + 1),
        room: `${(Math.floor(h / 4) % 30) + 1}0${(h % 4) + 1}`,
        designated: id,
      });
    const sexCode = random() < 0.5 ? '1' : '2';
    const birth = new Date(Date.UTC(1950, 0, 1) + Math.floor(i / 500) * DAY_MS);
    const birthDate = birth.toISOString().slice(0, 10).replaceAll('-', '');
    const order = (i % 500) * 2 + (sexCode === '1' ? 1 : 0);
    const first17 = `110105${birthDate}${String(order).padStart(3, '0')}`;
    persons.push({
      id,
      kind: 'resident',
      householdId,
      name: syntheticName(random, sexCode),
      sexCode,
      birthDate,
      idNumber: first17 + computeIdCheckChar(first17),
      card: extraCard(i),
      qr: `SIMQR-${id}`,
      designated: i % MEMBERS === 0,
    });
  }
  const document = base.document;
  return {
    ...base,
    persons: [...base.persons, ...persons],
    document: {
      ...document,
      households: [
        ...(document.households ?? []),
        ...households.map(({ designated, ...h }) => ({ ...h, designatedMembers: [designated] })),
      ],
      persons: [
        ...(document.persons ?? []),
        ...persons.map((p) => ({
          id: p.id,
          kind: p.kind,
          householdId: p.householdId,
          name: p.name,
          idNumber: p.idNumber,
        })),
      ],
      credentials: [
        ...(document.credentials ?? []),
        ...persons.flatMap((p) => [
          { kind: 'card' as const, value: p.card?.value ?? '', holder: p.id },
          { kind: 'qr' as const, value: p.qr ?? '', holder: p.id },
        ]),
      ],
    },
  };
}

function extraCard(i: number): SimCard {
  const facility = FIRST_FACILITY + Math.floor(i / CARDS_PER_FACILITY);
  const number = 1 + (i % CARDS_PER_FACILITY);
  const value = ((facility << 16) | number).toString(16).toUpperCase().padStart(6, '0');
  return { facility, number, value };
}
