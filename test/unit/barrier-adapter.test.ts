/**
 * BarrierAdapter → ModbusBoardSession → HalfDuplexLine → MemoryBus → BarrierBusSimulator →
 * RelayBoardModel, on fake timers: the adapter's behaviour as the board (and the arm) sees it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BarrierAdapter } from '../../drivers/barrier/barrier-adapter.js';
import type { BarrierTiming } from '../../drivers/barrier/barrier-config.js';
import type { CoilWrite, RelayBoardModel } from '../../simulators/barrier/board-model.js';
import { ALLOW, allowFor, barrierOnRig, DENY, modbusRig } from '../helpers/barrier-rig.js';

const TIMING: BarrierTiming = { pulseMs: 300, settleMs: 800, travelTimeoutMs: 5000, passTimeoutMs: 8000 };

/** Closures (coil turned on) of one role, in order. */
const closures = (model: RelayBoardModel, role: CoilWrite['role']) =>
  model.coilLog.filter((w) => w.value && w.role === role);

describe('BarrierAdapter on a simulated relay board', () => {
  let rig: ReturnType<typeof modbusRig>;
  let adapter: BarrierAdapter;
  let lane: ReturnType<typeof barrierOnRig>['lane'];
  let board: RelayBoardModel;

  beforeEach(async () => {
    vi.useFakeTimers();
    rig = modbusRig({ riseMs: 2000, fallMs: 2500 });
    ({ adapter, lane } = barrierOnRig(rig, 1, { timing: TIMING }));
    board = rig.model(1);
    adapter.start();
    await rig.start();
    await vi.advanceTimersByTimeAsync(300);
  });

  afterEach(async () => {
    const stopped = Promise.all([adapter.stop(), rig.stop()]);
    await vi.advanceTimersByTimeAsync(3000);
    await stopped;
    vi.useRealTimers();
  });

  it('raises on allow, waits for the car to cross the loop, and lowers only after it cleared and settled', async () => {
    expect(lane.states).toEqual(['barrier-1 online']);
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(2500);
    expect(board.arm.upLimit).toBe(true);
    expect(closures(board, 'open')).toHaveLength(1);
    board.carArrive();
    await vi.advanceTimersByTimeAsync(6000); // the car sits on the loop well past the settle time
    expect(closures(board, 'close')).toHaveLength(0);
    board.carClear();
    const clearedAt = Date.now();
    await vi.advanceTimersByTimeAsync(4000);
    const [close] = closures(board, 'close');
    expect(close).toMatchObject({ loopOccupied: false, acted: true });
    expect(close?.at).toBeGreaterThanOrEqual(clearedAt + TIMING.settleMs);
    expect(close?.at).toBeLessThan(clearedAt + TIMING.settleMs + 200);
    expect(board.arm.downLimit).toBe(true);
    expect(lane.alarms).toEqual([]);
    expect(board.counters.hazards).toBe(0);
    // Every closure is followed by its opening after the pulse length.
    const open = board.coilLog.find((w) => w.role === 'close' && !w.value && w.at > (close?.at ?? 0));
    expect((open?.at ?? 0) - (close?.at ?? 0)).toBeGreaterThanOrEqual(TIMING.pulseMs);
  });

  it('keeps the barrier down for a refused vehicle', async () => {
    adapter.onDecision(DENY);
    await vi.advanceTimersByTimeAsync(3000);
    expect(board.coilLog.filter((w) => w.value)).toEqual([]);
    expect(board.arm.downLimit).toBe(true);
  });

  it('lowers a raise nobody drove through after the pass timeout', async () => {
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(TIMING.passTimeoutMs - 500);
    expect(closures(board, 'close')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(4000);
    expect(closures(board, 'close')).toHaveLength(1);
    expect(board.arm.downLimit).toBe(true);
  });

  it('raises BARRIER_STUCK when the arm does not reach the up limit', async () => {
    board.setFaults({ stuck: true });
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(TIMING.travelTimeoutMs + 500);
    expect(lane.alarms).toEqual([
      expect.objectContaining({
        code: 'BARRIER_STUCK',
        severity: 'critical',
        deviceId: 'barrier-1',
        detail: expect.objectContaining({ expected: 'up', arm: 'down' }),
      }),
    ]);
    await vi.advanceTimersByTimeAsync(TIMING.travelTimeoutMs * 2);
    expect(lane.alarms).toHaveLength(1); // once, not at every poll
  });

  it('raises BARRIER_STUCK when the arm does not come down', async () => {
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(2500);
    board.carArrive();
    await vi.advanceTimersByTimeAsync(500);
    board.setFaults({ stuck: true });
    board.carClear();
    await vi.advanceTimersByTimeAsync(TIMING.settleMs + TIMING.travelTimeoutMs + 500);
    expect(closures(board, 'close')).toHaveLength(1);
    expect(lane.codes()).toEqual(['BARRIER_STUCK']);
    expect(lane.alarms[0]?.detail).toMatchObject({ expected: 'down', arm: 'up' });
  });

  it('raises TAILGATING for a car following through before the arm came down, and lowers after it', async () => {
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(2500);
    board.carArrive();
    await vi.advanceTimersByTimeAsync(1000);
    board.carClear();
    await vi.advanceTimersByTimeAsync(300); // within the settle time
    board.carArrive();
    await vi.advanceTimersByTimeAsync(3000);
    expect(lane.codes()).toEqual(['TAILGATING']);
    expect(closures(board, 'close')).toHaveLength(0);
    board.carClear();
    await vi.advanceTimersByTimeAsync(4000);
    expect(closures(board, 'close')).toEqual([expect.objectContaining({ loopOccupied: false })]);
    expect(board.arm.downLimit).toBe(true);
  });

  it('counts a plate reported twice as one pass, and two vehicles as two', async () => {
    adapter.onDecision(allowFor('v-1'));
    adapter.onDecision(allowFor('v-1')); // the camera read the same car again
    await vi.advanceTimersByTimeAsync(2500);
    expect(adapter.status().passes).toBe(1);
    board.carArrive();
    await vi.advanceTimersByTimeAsync(500);
    board.carClear();
    await vi.advanceTimersByTimeAsync(200);
    board.carArrive(); // a second car follows before the arm comes down
    await vi.advanceTimersByTimeAsync(500);
    expect(lane.codes()).toEqual(['TAILGATING']);
    board.carClear();
    await vi.advanceTimersByTimeAsync(4000);
    expect(board.arm.downLimit).toBe(true);

    adapter.onDecision(allowFor('v-2'));
    adapter.onDecision(allowFor('v-3'));
    await vi.advanceTimersByTimeAsync(2500);
    for (let car = 0; car < 2; car++) {
      board.carArrive();
      await vi.advanceTimersByTimeAsync(500);
      board.carClear();
      await vi.advanceTimersByTimeAsync(200);
    }
    await vi.advanceTimersByTimeAsync(4000);
    expect(lane.codes()).toEqual(['TAILGATING']); // no new alarm: both were permitted
    expect(closures(board, 'close')).toHaveLength(2);
    expect(board.arm.downLimit).toBe(true);
  });

  it('reverses the arm when a car drives under it on the way down', async () => {
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(2500);
    board.carArrive();
    await vi.advanceTimersByTimeAsync(500);
    board.carClear();
    await vi.advanceTimersByTimeAsync(TIMING.settleMs + 1000); // lowering: 1 s into a 2.5 s fall
    expect(board.arm.motion).toBe('falling');
    board.carArrive();
    await vi.advanceTimersByTimeAsync(1000);
    expect(lane.codes()).toEqual(['TAILGATING']);
    expect(closures(board, 'stop')).toHaveLength(1);
    expect(closures(board, 'open')).toHaveLength(2);
    expect(board.arm.motion).toBe('rising');
    // Stop and open followed the car's arrival within a poll, a stop pulse and two writes.
    const reversal = closures(board, 'open')[1]?.at ?? 0;
    expect(reversal - (closures(board, 'stop')[0]?.at ?? 0)).toBeLessThan(TIMING.pulseMs + 100);
    board.carClear();
    await vi.advanceTimersByTimeAsync(6000);
    expect(board.arm.downLimit).toBe(true);
    expect(board.coilLog.filter((w) => w.role === 'close' && w.value && w.loopOccupied)).toEqual([]);
  });

  it('raises TAILGATING for a car on the loop under a lowered arm, and never raises for it', async () => {
    board.carArrive();
    await vi.advanceTimersByTimeAsync(1000);
    expect(lane.codes()).toEqual(['TAILGATING']);
    expect(board.coilLog.filter((w) => w.value)).toEqual([]);
  });

  it('raises RELAY_FAILURE when the board refuses the coil write', async () => {
    board.setFaults({ dead: 'exception' });
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(1000);
    expect(lane.alarms).toEqual([
      expect.objectContaining({
        code: 'RELAY_FAILURE',
        detail: expect.objectContaining({ coil: 0, failure: 'exception' }),
      }),
    ]);
  });

  it('sees a dead relay that acknowledges as a stuck arm', async () => {
    board.setFaults({ dead: 'ack' });
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(TIMING.travelTimeoutMs + 500);
    expect(closures(board, 'open')).toEqual([expect.objectContaining({ acted: false })]);
    expect(lane.codes()).toEqual(['BARRIER_STUCK']);
  });

  it('raises DEVICE_OFFLINE when the board falls silent and lowers a stranded arm once it is back', async () => {
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(2500);
    board.setFaults({ silent: true });
    await vi.advanceTimersByTimeAsync(TIMING.passTimeoutMs + 1000); // the pass times out meanwhile
    expect(lane.codes()).toEqual(['DEVICE_OFFLINE']);
    expect(lane.states.at(-1)).toMatch(/^barrier-1 offline/);
    expect(closures(board, 'close')).toHaveLength(0);
    board.setFaults({ silent: false });
    await vi.advanceTimersByTimeAsync(5000);
    expect(lane.states.at(-1)).toBe('barrier-1 online');
    expect(closures(board, 'close')).toHaveLength(1);
    expect(board.arm.downLimit).toBe(true);
  });

  it('raises and holds the arm while the board’s fire input is active', async () => {
    board.setFire(true);
    await vi.advanceTimersByTimeAsync(2500);
    expect(lane.fires).toEqual([true]);
    expect(board.arm.upLimit).toBe(true);
    board.carArrive();
    await vi.advanceTimersByTimeAsync(500);
    board.carClear();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(closures(board, 'close')).toHaveLength(0);
    expect(lane.alarms).toEqual([]); // cars passing under a fire-raised arm are not tailgating
    board.setFire(false);
    await vi.advanceTimersByTimeAsync(4000);
    expect(lane.fires).toEqual([true, false]);
    expect(board.arm.downLimit).toBe(true);
  });

  it('raises for the site’s fire alarm and lowers when it is over', async () => {
    adapter.setFire(true);
    await vi.advanceTimersByTimeAsync(2500);
    expect(board.arm.upLimit).toBe(true);
    adapter.onDecision(ALLOW); // a decision during the fire alarm changes nothing
    await vi.advanceTimersByTimeAsync(TIMING.passTimeoutMs + 1000);
    expect(closures(board, 'close')).toHaveLength(0);
    adapter.setFire(false);
    await vi.advanceTimersByTimeAsync(TIMING.settleMs + 3000);
    expect(closures(board, 'close')).toHaveLength(1);
    expect(adapter.status()).toMatchObject({ passes: 0, fire: false, commanded: 'down' });
  });

  it('raises at once when the site already shows the fire alarm it is told of (as SiteLanePort does)', async () => {
    // SiteLanePort records the fire in the checkpoint, then tells every module: by then the
    // port's fireActive() is already true, and the adapter must still act on the change.
    lane.setSiteFire(true);
    adapter.setFire(true);
    await vi.advanceTimersByTimeAsync(2500);
    expect(board.arm.upLimit).toBe(true);
    lane.setSiteFire(false);
    adapter.setFire(false);
    await vi.advanceTimersByTimeAsync(TIMING.settleMs + 3000);
    expect(closures(board, 'close')).toHaveLength(1);
  });

  it('does not lower at the end of a fire alarm while a car is on the loop', async () => {
    adapter.setFire(true);
    await vi.advanceTimersByTimeAsync(2500);
    board.carArrive();
    await vi.advanceTimersByTimeAsync(500);
    const guards: string[] = [];
    adapter.on('guard', ({ reason }) => guards.push(reason));
    adapter.setFire(false);
    await vi.advanceTimersByTimeAsync(TIMING.settleMs + 5000);
    expect(guards).toEqual(['loop occupied']);
    expect(closures(board, 'close')).toHaveLength(0);
    board.carClear();
    await vi.advanceTimersByTimeAsync(TIMING.settleMs + 3000);
    expect(closures(board, 'close')).toEqual([expect.objectContaining({ loopOccupied: false })]);
  });

  it('does nothing after stop()', async () => {
    const stopped = adapter.stop();
    await vi.advanceTimersByTimeAsync(10);
    await stopped;
    adapter.onDecision(ALLOW);
    board.carArrive();
    await vi.advanceTimersByTimeAsync(3000);
    expect(board.coilLog.filter((w) => w.value)).toEqual([]);
    expect(lane.alarms).toEqual([]);
  });
});

describe('BarrierAdapter with slow input polls', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the loop afresh before lowering: a car the last poll missed stops the lowering', async () => {
    vi.useFakeTimers();
    // One poll every 3 s: what the adapter last heard about the loop is up to 3 s old.
    const rig = modbusRig({
      riseMs: 2000,
      fallMs: 2500,
      timing: { pollIntervalMs: 3000, offlineAfterMs: 10_000 },
    });
    const { adapter, lane } = barrierOnRig(rig, 1, { timing: TIMING });
    const board = rig.model(1);
    adapter.start();
    await rig.start();
    await vi.advanceTimersByTimeAsync(300);
    const guards: string[] = [];
    adapter.on('guard', ({ reason }) => guards.push(reason));
    adapter.onDecision(ALLOW);
    await vi.advanceTimersByTimeAsync(TIMING.passTimeoutMs - 100); // arm up, the pass about to time out …
    board.carArrive(); // … but a car rolled onto the loop since the last poll
    await vi.advanceTimersByTimeAsync(TIMING.passTimeoutMs);
    expect(guards).toContain('loop occupied');
    expect(closures(board, 'close')).toHaveLength(0);
    expect(lane.codes()).toEqual(['TAILGATING']);
    const stopped = Promise.all([adapter.stop(), rig.stop()]);
    await vi.advanceTimersByTimeAsync(5000);
    await stopped;
  });
});
