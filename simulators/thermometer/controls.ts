import { READING_FORMATS, type ReadingFormat } from './reading-formats.js';
import type { ThermometerSerialSimulator } from './serial-thermometer-sim.js';

/** What one console line did: text to print, and whether the console should end. */
export interface ThermometerControlResult {
  output: string;
  quit?: boolean;
  /** `wait <ms>`: the console pauses this long before the next line. */
  waitMs?: number;
}

/** One entry per console command, English and Chinese side by side so they cannot drift apart. */
const COMMANDS: readonly [usage: string, en: string, zh: string][] = [
  [
    'measure <celsius> [format]',
    'a body reading (°C), printed in the format (default: --format)',
    '发送一次体温读数（摄氏度）',
  ],
  ['surface <celsius>', 'a surface-mode reading: the gateway must refuse it', '发送表面温度读数（应被拒绝）'],
  ['lo | hi | error', 'the device shows Lo, Hi or Err', '设备显示 Lo、Hi 或 Err'],
  ['garbage [n]', 'a line of n random bytes (default 12), never a reading', '发送 n 个随机字节（噪声行）'],
  ['raw <text>', 'send the rest of the line as one line, verbatim', '原样发送一行文本'],
  ['format <name>', `print readings as ${READING_FORMATS.join(', ')}`, '切换读数格式'],
  ['status', 'link state and counters', '状态：链路和计数'],
  ['wait <ms>', 'pause a script', '脚本暂停'],
  ['quit', 'stop the simulator', '退出'],
];

export const THERMOMETER_CONTROL_HELP = COMMANDS.map(
  ([usage, en, zh]) => `${usage.padEnd(28)} ${en} / ${zh}`,
).join('\n');

const MAX_GARBAGE = 4096;

/**
 * The thermometer simulator's console: one line in, text out. Kept apart from commander and
 * readline so the CLI and tests share it. Answers: `sent <n> bytes`, `format <name>`, `error: …`
 * (also when the port is down: a thermometer with no cable sends nothing).
 */
export async function runThermometerControl(
  sim: ThermometerSerialSimulator,
  line: string,
): Promise<ThermometerControlResult> {
  const trimmed = line.trim();
  const [verb = '', ...args] = trimmed.split(/\s+/);
  try {
    switch (verb) {
      case '':
        return { output: '' };
      case 'measure': {
        const format = args[1] === undefined ? undefined : formatNamed(args[1]);
        return sent(await sim.measure(celsiusOf(args[0]), format === undefined ? {} : { format }));
      }
      case 'surface':
        return sent(await sim.surface(celsiusOf(args[0])));
      case 'lo':
      case 'hi':
      case 'error':
        return sent(await sim.status(verb));
      case 'garbage':
        return sent(await sim.garbage(args[0] === undefined ? 12 : count(args[0])));
      case 'raw': {
        const text = trimmed.slice(verb.length).trim();
        if (text === '') throw new RangeError('raw needs the text of a line');
        return sent(await sim.line(text));
      }
      case 'format':
        if (args[0] === undefined) return { output: `format ${sim.format}` };
        sim.format = formatNamed(args[0]);
        return { output: `format ${sim.format}` };
      case 'status': {
        const c = sim.counters;
        return {
          output: [
            `port:   ${sim.transportName} ${sim.isUp ? 'up' : 'down'}`,
            `format: ${sim.format}, line end ${sim.lineEnd}`,
            `sent:   ${c.readings} readings, ${c.surface} surface, ${c.status} Lo/Hi/Err, ${c.garbage} garbage, ${c.bytes} bytes`,
          ].join('\n'),
        };
      }
      case 'help':
        return { output: THERMOMETER_CONTROL_HELP };
      case 'wait': {
        const text = args[0] ?? '';
        if (!/^\d{1,9}$/.test(text)) throw new RangeError(`wait needs milliseconds, not "${text}"`);
        return { output: '', waitMs: Number(text) };
      }
      case 'quit':
      case 'exit':
        return { output: 'bye', quit: true };
      default:
        return { output: `error: unknown command "${verb}"; type help` };
    }
  } catch (error) {
    return { output: `error: ${(error as Error).message}` };
  }
}

function sent(bytes: number): ThermometerControlResult {
  return { output: `sent ${bytes} bytes` };
}

/** Any temperature a device could print, out-of-range ones included (the gateway refuses those). */
function celsiusOf(text: string | undefined): number {
  if (text === undefined || !/^-?\d{1,3}(?:\.\d{1,3})?$/.test(text))
    throw new RangeError(`needs a temperature in °C such as 36.6, not "${text ?? ''}"`);
  return Number(text);
}

export function formatNamed(name: string): ReadingFormat {
  const format = READING_FORMATS.find((f) => f === name);
  if (format === undefined)
    throw new RangeError(`format must be one of ${READING_FORMATS.join(', ')}, not "${name}"`);
  return format;
}

function count(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_GARBAGE)
    throw new RangeError(`garbage needs a count in 1..${MAX_GARBAGE}`);
  return n;
}
