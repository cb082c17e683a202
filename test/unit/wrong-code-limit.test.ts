import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WrongCodeLimit } from '../../drivers/shared/wrong-code-limit.js';

const policy = { maxWrong: 3, windowMs: 60_000, lockMs: 30_000 };

describe('WrongCodeLimit', () => {
  it('locks at the limit within the window, says so once, and unlocks after the lock time', () => {
    const limit = new WrongCodeLimit(policy);
    expect(limit.refused(0)).toBe(false);
    expect(limit.refused(10_000)).toBe(false);
    expect(limit.locked(10_001)).toBe(false);
    expect(limit.refused(20_000)).toBe(true);
    expect(limit.locked(20_000)).toBe(true);
    expect(limit.locked(49_999)).toBe(true);
    expect(limit.locked(50_000)).toBe(false);
    // The count started again at the lock.
    expect(limit.refused(50_000)).toBe(false);
  });

  it('forgets wrong codes older than the window, and all of them after an accepted code', () => {
    const limit = new WrongCodeLimit(policy);
    limit.refused(0);
    limit.refused(1_000);
    expect(limit.refused(61_000)).toBe(false); // the first has left the window
    limit.accepted();
    expect(limit.refused(62_000)).toBe(false);
    expect(limit.refused(63_000)).toBe(false);
    expect(limit.refused(64_000)).toBe(true);
  });

  it('never lets more than maxWrong refusals fall within one window without a lock (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 60 }), (gaps) => {
        const limit = new WrongCodeLimit(policy);
        let now = 0;
        const counted: number[] = [];
        for (const gap of gaps) {
          now += gap;
          if (limit.locked(now)) continue;
          counted.push(now);
          if (limit.refused(now)) counted.length = 0;
          const inWindow = counted.filter((t) => now - t < policy.windowMs);
          expect(inWindow.length).toBeLessThan(policy.maxWrong);
        }
      }),
    );
  });
});
