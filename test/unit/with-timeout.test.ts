import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../drivers/shared/clock.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('withTimeout', () => {
  it('passes on what settles in time, and leaves no timer behind', async () => {
    const clock = new ManualClock(0);
    await expect(withTimeout(Promise.resolve(7), 100, clock)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('refused')), 100, clock)).rejects.toThrow('refused');
    expect(clock.pending).toBe(0);
  });

  it('rejects with its message when nothing settles in time', async () => {
    const clock = new ManualClock(0);
    const never = new Promise<number>(() => {});
    const waited = withTimeout(never, 100, clock, 'the broker never answered');
    clock.advance(99);
    const early = await Promise.race([waited.then(() => 'settled'), Promise.resolve('pending')]);
    expect(early).toBe('pending');
    clock.advance(1);
    await expect(waited).rejects.toThrow('the broker never answered');
  });
});
