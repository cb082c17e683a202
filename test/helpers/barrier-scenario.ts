import { fc } from '@fast-check/vitest';
import { BarrierAdapter } from '../../drivers/barrier/barrier-adapter.js';
import type { BarrierTiming } from '../../drivers/barrier/barrier-config.js';
import { RelayBoardModel } from '../../simulators/barrier/board-model.js';
import { ModelBoardIo, SteppingClock } from './barrier-model-io.js';
import { allowFor, barrierLanePort, DENY, silentLog, standardBarrier } from './barrier-rig.js';

/** One thing that happens at a lane: a car, a decision, a fault switched, a fire alarm. */
export type LaneAction =
  | { kind: 'arrive' }
  | { kind: 'clear' }
  | { kind: 'allow'; vehicle: number }
  | { kind: 'deny' }
  | { kind: 'stuck'; on: boolean }
  | { kind: 'dead'; mode: 'off' | 'ack' | 'exception' }
  | { kind: 'silent'; on: boolean }
  | { kind: 'fire-input'; on: boolean }
  | { kind: 'site-fire'; on: boolean };

/** An action, then `dt` ms of time passing. */
export interface LaneStep {
  action: LaneAction;
  dt: number;
}

const actionArb: fc.Arbitrary<LaneAction> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'arrive' as const }) },
  { weight: 6, arbitrary: fc.constant({ kind: 'clear' as const }) },
  // Three vehicles: the same one twice is a camera repeating itself, not a second pass.
  {
    weight: 6,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((vehicle) => ({ kind: 'allow' as const, vehicle })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'deny' as const }) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'stuck' as const, on })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('off', 'ack', 'exception').map((mode) => ({ kind: 'dead' as const, mode })),
  },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'silent' as const, on })) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'fire-input' as const, on })) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'site-fire' as const, on })) },
);

/** Time steps from "at once" (a car arriving inside a command's time on the line) to seconds. */
const dtArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 1500 }),
  fc.integer({ min: 0, max: 6000 }),
);

export const scenarioArb = (maxSteps: number) =>
  fc.array(fc.record({ action: actionArb, dt: dtArb }), { minLength: 1, maxLength: maxSteps });

export function apply(action: LaneAction, board: RelayBoardModel, adapter: BarrierAdapter): void {
  switch (action.kind) {
    case 'arrive':
      board.carArrive();
      break;
    case 'clear':
      board.carClear();
      break;
    case 'allow':
      adapter.onDecision(allowFor(`v-${action.vehicle}`));
      break;
    case 'deny':
      adapter.onDecision(DENY);
      break;
    case 'stuck':
      board.setFaults({ stuck: action.on });
      break;
    case 'dead':
      board.setFaults({ dead: action.mode });
      break;
    case 'silent':
      board.setFaults({ silent: action.on });
      break;
    case 'fire-input':
      board.setFire(action.on);
      break;
    case 'site-fire':
      adapter.setFire(action.on);
      break;
  }
}

/**
 * The order of everything the safety property looks at, across the board and the adapter: loop
 * changes, every read of the inputs that reached the board (with the loop state it saw), the site's
 * fire alarm, and every CLOSE closure (with the loop state when it reached the board).
 */
export type Recorded =
  | { kind: 'loop'; occupied: boolean; at: number }
  | { kind: 'read'; loop: boolean; fire: boolean; at: number }
  | { kind: 'site-fire'; on: boolean; at: number }
  | { kind: 'close'; loopOccupied: boolean; at: number };

export class SafetyRecorder {
  readonly log: Recorded[] = [];
  private siteFire = false;

  constructor(board: RelayBoardModel) {
    board.on('loop', ({ occupied, at }) => this.log.push({ kind: 'loop', occupied, at }));
    board.on('coil', (w) => {
      if (w.role === 'close' && w.value)
        this.log.push({ kind: 'close', loopOccupied: w.loopOccupied, at: w.at });
    });
  }

  /** A read of the inputs reached the board (call it where the board samples them). */
  read(board: RelayBoardModel, at: number): void {
    this.log.push({ kind: 'read', loop: board.loopOccupied, fire: board.fireActive, at });
  }

  siteFireChanged(on: boolean, at: number): void {
    if (on !== this.siteFire) this.log.push({ kind: 'site-fire', on, at });
    this.siteFire = on;
  }

  get closes(): number {
    return this.log.filter((r) => r.kind === 'close').length;
  }

  /**
   * The safety property, checked on the record; returns the violations (empty = safe). For every
   * closure of the CLOSE contact, the read of the inputs that reached the board last before it —
   * the adapter's fresh read — must have seen the loop clear, no fire input and no site fire
   * alarm; and if a car was on the loop when the closure reached the board, it must have driven
   * on after that read (inside the command's time on the line, which no reading can see).
   */
  violations(): string[] {
    const problems: string[] = [];
    let lastRead: { loop: boolean; fire: boolean; at: number; index: number } | undefined;
    let siteFire = false;
    let siteFireAtRead = false;
    let arrivedSinceRead = false;
    for (const [index, r] of this.log.entries()) {
      switch (r.kind) {
        case 'read':
          lastRead = { ...r, index };
          siteFireAtRead = siteFire;
          arrivedSinceRead = false;
          break;
        case 'loop':
          if (r.occupied) arrivedSinceRead = true;
          break;
        case 'site-fire':
          siteFire = r.on;
          break;
        case 'close':
          if (!lastRead) problems.push(`close at ${r.at} ms with no read of the inputs before it`);
          else if (lastRead.loop)
            problems.push(`close at ${r.at} ms after a read at ${lastRead.at} ms that saw the loop occupied`);
          else if (lastRead.fire || siteFireAtRead) problems.push(`close at ${r.at} ms during a fire alarm`);
          else if (r.loopOccupied && !arrivedSinceRead)
            problems.push(
              `close at ${r.at} ms reached the board with a car on the loop since before the read`,
            );
          break;
      }
    }
    return problems;
  }
}

/**
 * Long enough after the quiet begins for every timer to play out: recovery from offline, a pass
 * timeout, the settle time, a lowering retry after a stuck arm, and the fall itself.
 */
export const QUIET_MS = 40_000;

/** Every car gone, every fault and fire alarm over: the lane must end closed. */
export function quiet(
  board: RelayBoardModel,
  adapter: BarrierAdapter,
  recorder: SafetyRecorder,
  now: number,
): void {
  while (board.loopOccupied) board.carClear();
  board.setFaults({ stuck: false, dead: 'off', silent: false });
  board.setFire(false);
  recorder.siteFireChanged(false, now);
  adapter.setFire(false);
}

export interface ModelRun {
  board: RelayBoardModel;
  recorder: SafetyRecorder;
  alarms: string[];
  /** Whether the arm was down at the end of the quiet phase. */
  downAtEnd: boolean;
}

/**
 * One scenario against the board model through ModelBoardIo on a SteppingClock (no bytes): the
 * adapter started, the steps applied, then the quiet phase, then everything stopped.
 */
export async function runOnModel(
  steps: readonly LaneStep[],
  timing: BarrierTiming,
  arm: { riseMs: number; fallMs: number },
  latencyMs: number,
): Promise<ModelRun> {
  const clock = new SteppingClock();
  const board = new RelayBoardModel({ unit: 1, clock, ...arm });
  const recorder = new SafetyRecorder(board);
  const io = new ModelBoardIo('board-1', board, clock, {
    pollMs: 100,
    latencyMs,
    offlineAfterMs: 800,
    timeoutMs: 150,
    onRead: (fresh) => {
      if (fresh) recorder.read(board, clock.now());
    },
  });
  const lane = barrierLanePort();
  const adapter = new BarrierAdapter(
    { ...standardBarrier('barrier-1'), timing },
    io,
    lane.port,
    silentLog,
    clock,
  );
  adapter.start();
  io.start();
  await clock.advance(250);
  for (const { action, dt } of steps) {
    if (action.kind === 'site-fire') recorder.siteFireChanged(action.on, clock.now());
    apply(action, board, adapter);
    await clock.advance(dt);
  }
  quiet(board, adapter, recorder, clock.now());
  await clock.advance(QUIET_MS);
  const downAtEnd = board.arm.downLimit;
  const stopped = adapter.stop();
  io.stop();
  await clock.advance(5000);
  await stopped;
  board.dispose();
  return { board, recorder, alarms: lane.codes(), downAtEnd };
}
