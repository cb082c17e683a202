import type { QrSerialSimulator } from './serial-scanner-sim.js';

/** What one console line did: text to print, and whether the console should end. */
export interface QrControlResult {
  output: string;
  quit?: boolean;
  /** `wait <ms>`: the console pauses this long before the next line. */
  waitMs?: number;
}

/** One entry per console command, English and Chinese side by side so they cannot drift apart. */
const COMMANDS: readonly [usage: string, en: string, zh: string][] = [
  [
    'scan <text>',
    'send a code (the rest of the line, UTF-8) and the terminator',
    '发送一个码（本行其余内容）和结束符',
  ],
  ['split <parts> <text>', 'send a code in that many separate writes', '分几次写入发送一个码'],
  [
    'garbage <n>',
    'send n random bytes that are no valid code, then the terminator',
    '发送 n 个随机字节（无效码）',
  ],
  ['overlong <n>', 'send a line of n bytes (over the driver maximum if n is)', '发送 n 字节的超长行'],
  ['status', 'link state and counters', '状态：链路和计数'],
  ['wait <ms>', 'pause a script', '脚本暂停'],
  ['quit', 'stop the simulator', '退出'],
];

export const QR_CONTROL_HELP = COMMANDS.map(([usage, en, zh]) => `${usage.padEnd(24)} ${en} / ${zh}`).join(
  '\n',
);

const MAX_COUNT = 1_000_000;

/**
 * The serial scanner simulator's console: one line in, text out. Kept apart from commander and
 * readline so the CLI and tests share it. `scan` takes the rest of the line verbatim (inner
 * spaces kept, the outer ones trimmed), so a code may hold spaces. Answers: `sent <n> bytes`,
 * `error: …` (also when the port is down: a scanner with no cable sends nothing).
 */
export async function runQrControl(sim: QrSerialSimulator, line: string): Promise<QrControlResult> {
  const trimmed = line.trim();
  const [verb = ''] = trimmed.split(/\s+/, 1);
  const rest = trimmed.slice(verb.length).trim();
  try {
    switch (verb) {
      case '':
        return { output: '' };
      case 'scan':
        if (rest === '') throw new RangeError('scan needs the text of a code');
        return sent(await sim.scan(rest));
      case 'split': {
        const [partsText = '', ...words] = rest.split(/\s+/);
        const text = rest.slice(partsText.length).trim();
        const parts = count(partsText, 'parts');
        if (text === '' || words.length === 0) throw new RangeError('split needs parts and a text');
        return sent(await sim.split(text, parts));
      }
      case 'garbage':
        return sent(await sim.garbage(count(rest, 'garbage')));
      case 'overlong':
        return sent(await sim.overlong(count(rest, 'overlong')));
      case 'status':
        return {
          output: [
            `port:       ${sim.transportName} ${sim.isUp ? 'up' : 'down'}`,
            `terminator: ${sim.terminator}`,
            `sent:       ${sim.counters.scans} codes, ${sim.counters.garbage} garbage, ${sim.counters.bytes} bytes`,
          ].join('\n'),
        };
      case 'help':
        return { output: QR_CONTROL_HELP };
      case 'wait': {
        const ms = Number(rest);
        if (!/^\d+$/.test(rest) || !Number.isSafeInteger(ms))
          throw new RangeError(`wait needs milliseconds, not "${rest}"`);
        return { output: '', waitMs: ms };
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

function sent(bytes: number): QrControlResult {
  return { output: `sent ${bytes} bytes` };
}

function count(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_COUNT)
    throw new RangeError(`${what} needs a count in 1..${MAX_COUNT}`);
  return n;
}
