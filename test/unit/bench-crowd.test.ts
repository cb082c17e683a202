/**
 * The benchmarks' grown community (bench/crowd.ts): the registry takes it as the site's own
 * community is taken, and every extra resident's card and QR pass leads to that resident.
 */
import { describe, expect, it } from 'vitest';
import { withExtraResidents } from '../../bench/crowd.js';
import { openDatabase } from '../../gateway/db.js';
import { RegistryStore } from '../../gateway/registry/store.js';
import { generateCommunity } from '../../simulators/site/community.js';

const NOW = Date.UTC(2026, 10, 29, 2);

describe('withExtraResidents', () => {
  it('adds residents whose cards and QR passes the registry imports and finds', () => {
    const base = generateCommunity({ seed: 3, now: NOW });
    const grown = withExtraResidents(base, 2000, 3);
    expect(grown.persons.length).toBe(base.persons.length + 2000);
    const store = new RegistryStore(openDatabase(':memory:'), { key: Buffer.alloc(32, 5), now: () => NOW });
    const counts = store.import(grown.document, { mode: 'replace' });
    expect(counts.persons).toBe(base.persons.length + 2000);
    const snapshot = store.loadSnapshot();
    for (const p of grown.persons.filter((x) => x.id.startsWith('x-'))) {
      expect(snapshot.holder('card', p.card?.value ?? '')?.person?.id).toBe(p.id);
      expect(snapshot.holder('qr', p.qr ?? '')?.person?.id).toBe(p.id);
    }
  });

  it('is the same for the same seed and refuses a count that is not one', () => {
    const base = generateCommunity({ seed: 1, now: NOW });
    expect(withExtraResidents(base, 30, 9).document).toEqual(withExtraResidents(base, 30, 9).document);
    expect(() => withExtraResidents(base, -1, 1)).toThrow(/residents: -1/);
  });
});
