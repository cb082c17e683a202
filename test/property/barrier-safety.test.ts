/**
 * The barrier safety property: over random sequences of car arrivals and clears, allow and deny
 * decisions, faults (stuck arm, dead relays, a silent board), fire alarms on the board's input
 * and from the site, and time steps from 0 ms to seconds, the arm is never commanded down while
 * the loop is occupied. Checked on the board's own record (RelayBoardModel logs every coil write
 * with the loop state when it arrived) by SafetyRecorder (test/helpers/barrier-scenario.ts):
 * every CLOSE closure follows a read that saw the loop clear and no fire, and a car on the loop
 * at the closure can only be one that drove on after that read, i.e. within the command's own
 * time on the line, which no reading can see.
 *
 * Part 1 binds the adapter straight to the board model (ModelBoardIo, SteppingClock): thousands
 * of scenarios in seconds; with no line latency the property is strict (no closure ever reaches
 * an occupied loop). Part 2 runs fewer scenarios through the whole stack: session, HalfDuplexLine,
 * MemoryBus and the Modbus board simulator, on fake timers.
 */
import { fc } from '@fast-check/vitest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BarrierTiming } from '../../drivers/barrier/barrier-config.js';
import { barrierOnRig, modbusRig } from '../helpers/barrier-rig.js';
import {
  apply,
  type LaneStep,
  QUIET_MS,
  quiet,
  runOnModel,
  SafetyRecorder,
  scenarioArb,
} from '../helpers/barrier-scenario.js';

const timingArb: fc.Arbitrary<BarrierTiming> = fc.record({
  pulseMs: fc.integer({ min: 100, max: 1000 }),
  settleMs: fc.integer({ min: 0, max: 2000 }),
  travelTimeoutMs: fc.integer({ min: 3000, max: 9000 }),
  passTimeoutMs: fc.integer({ min: 1000, max: 12_000 }),
});

const armArb = fc.record({
  riseMs: fc.integer({ min: 300, max: 4000 }),
  fallMs: fc.integer({ min: 300, max: 5000 }),
});

const NUM_RUNS = Number(process.env.BARRIER_SAFETY_RUNS ?? 3000);

describe('barrier safety: never commanded down on an occupied loop', () => {
  it(`holds over ${NUM_RUNS} random scenarios against the board model`, async () => {
    const totals = { closes: 0, runsWithCloses: 0, tailgates: 0, stuck: 0, relay: 0, offline: 0 };
    await fc.assert(
      fc.asyncProperty(
        scenarioArb(40),
        timingArb,
        armArb,
        fc.constantFrom(0, 4, 15),
        async (steps: LaneStep[], timing, arm, latencyMs) => {
          const {
            board,
            recorder,
            alarms: codes,
            downAtEnd,
          } = await runOnModel(steps, timing, arm, latencyMs);
          expect(recorder.violations()).toEqual([]);
          expect(downAtEnd, 'arm down after the quiet phase').toBe(true);
          if (latencyMs === 0) {
            expect(board.coilLog.filter((w) => w.role === 'close' && w.value && w.loopOccupied)).toEqual([]);
          }
          totals.closes += recorder.closes;
          if (recorder.closes > 0) totals.runsWithCloses++;
          totals.tailgates += codes.filter((c) => c === 'TAILGATING').length;
          totals.stuck += codes.filter((c) => c === 'BARRIER_STUCK').length;
          totals.relay += codes.filter((c) => c === 'RELAY_FAILURE').length;
          totals.offline += codes.filter((c) => c === 'DEVICE_OFFLINE').length;
        },
      ),
      { numRuns: NUM_RUNS },
    );
    // Not vacuous: the scenarios lower the arm often, and reach every alarm.
    expect(totals.runsWithCloses).toBeGreaterThan(NUM_RUNS / 4);
    expect(totals.closes).toBeGreaterThan(NUM_RUNS / 2);
    for (const count of [totals.tailgates, totals.stuck, totals.relay, totals.offline])
      expect(count).toBeGreaterThan(0);
  }, 120_000);

  describe('through the Modbus stack', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('holds over random scenarios with the session, the line and the board simulator', async () => {
      vi.useFakeTimers();
      let closes = 0;
      await fc.assert(
        fc.asyncProperty(
          scenarioArb(25),
          timingArb,
          armArb,
          fc.integer({ min: 1, max: 1000 }),
          async (steps, timing, arm, seed) => {
            const rig = modbusRig({ ...arm, seed, timing: { pollIntervalMs: 60, offlineAfterMs: 600 } });
            const board = rig.model(1);
            const recorder = new SafetyRecorder(board);
            rig.sim.on('request', ({ unit, request, at }) => {
              if (unit === 1 && request.startsWith('read-discrete-inputs')) recorder.read(board, at);
            });
            const { adapter } = barrierOnRig(rig, 1, { timing });
            adapter.start();
            await rig.start();
            await vi.advanceTimersByTimeAsync(250);
            for (const { action, dt } of steps) {
              if (action.kind === 'site-fire') recorder.siteFireChanged(action.on, Date.now());
              apply(action, board, adapter);
              await vi.advanceTimersByTimeAsync(dt);
            }
            quiet(board, adapter, recorder, Date.now());
            await vi.advanceTimersByTimeAsync(QUIET_MS);
            expect(board.arm.downLimit, 'arm down after the quiet phase').toBe(true);
            const stopped = Promise.all([adapter.stop(), rig.stop()]);
            await vi.advanceTimersByTimeAsync(5000);
            await stopped;
            expect(recorder.violations()).toEqual([]);
            closes += recorder.closes;
          },
        ),
        { numRuns: Number(process.env.BARRIER_STACK_RUNS ?? 100) },
      );
      expect(closes).toBeGreaterThan(20);
    }, 120_000);
  });
});
