import type { RelayBoardModel } from './board-model.js';
import type { BarrierBusSimulator } from './bus-simulator.js';

/** What one console line did: text to print, a pause, or the end of the session. */
export interface ConsoleResult {
  output: string;
  /** True when `output` is an error message (for the error stream). */
  error?: boolean;
  waitMs?: number;
  quit?: boolean;
}

/** One entry per command, English and Chinese side by side so they cannot drift apart. */
const COMMANDS: readonly [usage: string, en: string, zh: string][] = [
  ['car arrive <unit>', 'a car drives onto the loop of board <unit>', '车辆驶入地感线圈'],
  ['car clear <unit>', 'a car leaves the loop', '车辆驶离地感线圈'],
  ['fault <unit> stuck on|off', 'the arm is jammed where it is', '道闸卡住'],
  [
    'fault <unit> dead on|off',
    'relays acknowledge writes but never close a contact',
    '继电器失效（应答但不动作）',
  ],
  ['fault <unit> dead exception', 'coil writes answer exception 0x04', '写线圈返回异常 0x04'],
  ['fault <unit> silent on|off', 'the board answers nothing', '板卡不应答'],
  [
    'noise on [bursts/s] | noise off',
    'random bytes on the bus, 5% of replies damaged',
    '总线噪声，5% 应答损坏',
  ],
  ['fire on|off [unit]', 'the fire-alarm input of one board or of all', '消防信号'],
  ['status', 'arm, loop, coils, faults, counters', '状态'],
  ['wait <ms>', 'pause a script', '脚本暂停'],
  ['quit', 'stop the simulator', '退出'],
];

export const CONSOLE_HELP = COMMANDS.map(([usage, en, zh]) => `${usage.padEnd(34)} ${en} / ${zh}`).join('\n');

/**
 * The barrier simulator console: one line in, text out, apart from commander and readline so the
 * same commands serve the CLI, scripts and tests. Never throws for a bad line: it answers
 * `error: …` and the session goes on.
 */
export function runConsoleLine(bus: BarrierBusSimulator, line: string): ConsoleResult {
  const [verb = '', ...args] = line.trim().split(/\s+/);
  try {
    switch (verb) {
      case '':
        return { output: '' };
      case 'car':
        return car(bus, args);
      case 'fault':
        return fault(bus, args);
      case 'noise':
        return noise(bus, args);
      case 'fire': {
        const on = onOff(args[0]);
        const boards = args[1] === undefined ? bus.boards : [board(bus, args[1])];
        for (const b of boards) b.setFire(on);
        return { output: `fire ${on ? 'on' : 'off'} ${boards.map((b) => b.unit).join(',')}` };
      }
      case 'status':
        return { output: bus.boards.map(describeBoard).concat(describeBus(bus)).join('\n') };
      case 'wait': {
        const ms = Number(args[0]);
        if (!Number.isInteger(ms) || ms < 0)
          throw new RangeError(`wait needs milliseconds, not "${args[0] ?? ''}"`);
        return { output: '', waitMs: ms };
      }
      case 'help':
        return { output: CONSOLE_HELP };
      case 'quit':
      case 'exit':
        return { output: 'bye', quit: true };
      default:
        throw new RangeError(`unknown command "${verb}"; type help`);
    }
  } catch (error) {
    return { output: `error: ${(error as Error).message}`, error: true };
  }
}

function car(bus: BarrierBusSimulator, args: readonly string[]): ConsoleResult {
  const [what, unit] = args;
  const b = board(bus, unit);
  if (what === 'arrive') b.carArrive();
  else if (what === 'clear') b.carClear();
  else throw new RangeError('car arrive|clear <unit>');
  return { output: `loop ${b.unit} ${b.loopOccupied ? 'occupied' : 'clear'}` };
}

function fault(bus: BarrierBusSimulator, args: readonly string[]): ConsoleResult {
  const [unit, kind, state] = args;
  const b = board(bus, unit);
  switch (kind) {
    case 'stuck':
      b.setFaults({ stuck: onOff(state) });
      break;
    case 'dead':
      b.setFaults({ dead: state === 'exception' ? 'exception' : onOff(state) ? 'ack' : 'off' });
      break;
    case 'silent':
      b.setFaults({ silent: onOff(state) });
      break;
    default:
      throw new RangeError(`unknown fault "${kind ?? ''}"; one of stuck, dead, silent`);
  }
  return { output: `board ${b.unit} faults: ${describeFaults(b)}` };
}

function noise(bus: BarrierBusSimulator, args: readonly string[]): ConsoleResult {
  if (!onOff(args[0])) {
    bus.setNoise(undefined);
    return { output: 'bus noise off' };
  }
  const rate = args[1] === undefined ? 2 : Number(args[1]);
  if (!(rate > 0 && rate <= 1000)) throw new RangeError('noise rate must be 0–1000 bursts per second');
  bus.setNoise({ ratePerSecond: rate, corruptReplies: 0.05 });
  return { output: `bus noise on ${rate}/s` };
}

function board(bus: BarrierBusSimulator, unit: string | undefined): RelayBoardModel {
  const found = bus.board(Number(unit));
  if (found) return found;
  const hosted = bus.boards.map((b) => b.unit).join(', ');
  throw new RangeError(`no board "${unit ?? ''}" (hosted units: ${hosted})`);
}

function onOff(value: string | undefined): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new RangeError(`expected on or off, not "${value ?? ''}"`);
}

export function describeFaults(b: RelayBoardModel): string {
  const f = b.faults;
  const list = [f.stuck ? 'stuck' : '', f.dead !== 'off' ? `dead(${f.dead})` : '', f.silent ? 'silent' : ''];
  return list.filter((s) => s !== '').join(' ') || 'none';
}

export function describeBoard(b: RelayBoardModel): string {
  const arm = b.arm;
  const position = `${Math.round(arm.position() * 100)}%`;
  const where = arm.upLimit ? 'up' : arm.downLimit ? 'down' : `${arm.motion} at ${position}`;
  const coils = b
    .coilStates()
    .map((on) => (on ? '1' : '0'))
    .join('');
  return (
    `board ${b.unit}: arm ${where}, loop ${b.loopOccupied ? 'occupied' : 'clear'}, fire ${b.fireActive ? 'on' : 'off'}, ` +
    `coils ${coils}, faults ${describeFaults(b)}, writes ${b.counters.coilWrites}, hazards ${b.counters.hazards}`
  );
}

function describeBus(bus: BarrierBusSimulator): string {
  const c = bus.counters;
  return `bus: ${bus.baud} baud, requests ${c.requests}, replies ${c.replies}, exceptions ${c.exceptions}, rejected ${c.rejected}, noise ${c.noiseBytes} B`;
}
