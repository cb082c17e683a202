import { TEST_DECK, type TestIdentity } from '../idcard/deck.js';
import type { Community, SimPerson } from './community.js';

/**
 * The simulated ID-card reader's deck: one card per person of the community (in the order of
 * `community.persons`, so person i is deck card i), then the test deck's own cards (a visitor
 * nobody registered, a bad check digit, an expired card, …) for refusals. Labels are person ids.
 */
export function communityDeck(community: Community): TestIdentity[] {
  return [...community.persons.map((p, i) => identityOf(p, i)), ...TEST_DECK];
}

/** Deck index of a test-deck card whose label mentions `word` (e.g. "nobody", "check"). */
export function testDeckIndex(community: Community, word: string): number | undefined {
  const i = TEST_DECK.findIndex((card) => card.label.includes(word));
  return i < 0 ? undefined : community.persons.length + i;
}

function identityOf(person: SimPerson, index: number): TestIdentity {
  const serial = Buffer.alloc(8);
  serial.writeUInt32BE(0x2000 + index, 4);
  return {
    label: person.id,
    fields: {
      name: person.name,
      sexCode: person.sexCode,
      nationCode: '01',
      birthDate: person.birthDate,
      address: '测试省测试市幸福里小区',
      idNumber: person.idNumber,
      authority: '测试市公安局测试分局',
      validFrom: '20200101',
      validUntil: '20400101',
      reserved: '',
    },
    serial,
  };
}
