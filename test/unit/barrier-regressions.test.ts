/**
 * Scenarios the safety property test (test/property/barrier-safety.test.ts) once shrank to, kept
 * as fixed cases against the board model so that the bugs they found stay found. Each must end,
 * after the quiet phase, with the arm down and no CLOSE closure on an occupied loop.
 */
import { describe, expect, it } from 'vitest';
import type { LaneStep } from '../helpers/barrier-scenario.js';
import { runOnModel } from '../helpers/barrier-scenario.js';

const ARM = { riseMs: 300, fallMs: 300 };

describe('barrier regressions found by the safety property', () => {
  it('waits again for a pass granted before an outage (its loop edges were missed)', async () => {
    // The pass timer was cleared when the car drove on; the board fell silent before the car left,
    // so no clear edge ever came: the pass stayed pending and the arm up for good.
    const steps: LaneStep[] = [
      { action: { kind: 'allow', vehicle: 1 }, dt: 2113 },
      { action: { kind: 'deny' }, dt: 412 },
      { action: { kind: 'arrive' }, dt: 25 },
      { action: { kind: 'silent', on: true }, dt: 0 },
      { action: { kind: 'arrive' }, dt: 895 },
      { action: { kind: 'arrive' }, dt: 5 },
      { action: { kind: 'clear' }, dt: 0 },
    ];
    const timing = { pulseMs: 100, settleMs: 0, travelTimeoutMs: 3000, passTimeoutMs: 2551 };
    const run = await runOnModel(steps, timing, ARM, 0);
    expect(run.recorder.violations()).toEqual([]);
    expect(run.downAtEnd).toBe(true);
  });

  it('drops a raise queued for a pass that was used before its turn came', async () => {
    // A raise queued behind a lowering ran after the lowering, for a pass already used: the arm
    // went up again while the adapter believed it had commanded it down, and stayed up.
    const steps: LaneStep[] = [
      { action: { kind: 'arrive' }, dt: 0 },
      { action: { kind: 'arrive' }, dt: 0 },
      { action: { kind: 'clear' }, dt: 2312 },
      { action: { kind: 'allow', vehicle: 1 }, dt: 1 },
      { action: { kind: 'silent', on: false }, dt: 3 },
      { action: { kind: 'clear' }, dt: 39 },
      { action: { kind: 'allow', vehicle: 2 }, dt: 0 },
      { action: { kind: 'arrive' }, dt: 95 },
      { action: { kind: 'clear' }, dt: 0 },
    ];
    const timing = { pulseMs: 179, settleMs: 0, travelTimeoutMs: 3000, passTimeoutMs: 1000 };
    const run = await runOnModel(steps, timing, ARM, 15);
    expect(run.recorder.violations()).toEqual([]);
    expect(run.downAtEnd).toBe(true);
  });
});
