import { COMMAND_CODES, type SamCommandType } from '../../drivers/idcard/messages.js';
import { statusInfo } from '../../drivers/idcard/status-words.js';
import { maskIdNumber } from '../../gateway/registry/id-number.js';
import type { SamFault, SamModel } from './sam-model.js';

/** What one console line did: text to print, and whether the console should end. */
export interface ControlResult {
  output: string;
  quit?: boolean;
  /** `wait <ms>`: the console pauses this long before the next line. */
  waitMs?: number;
}

/** One entry per console command, English and Chinese side by side so they cannot drift apart. */
const COMMANDS: readonly [usage: string, en: string, zh: string][] = [
  ['place <deck-index>', 'put a test card on the reader (see `deck`)', '放卡（编号见 deck）'],
  ['remove', 'take the card off the reader', '取走卡'],
  ['fault none', 'clear every fault', '清除故障'],
  ['fault no-card', 'find card fails even with a card on the reader (0x80)', '寻卡总是失败（0x80）'],
  [
    'fault read-error [sw3] [count]',
    'the next reads answer sw3 (hex, default 41), count times (default: until cleared)',
    '读卡返回指定状态字（默认 41），可指定次数',
  ],
  ['fault silence', 'the SAM answers nothing', 'SAM 不应答'],
  [
    'fault noise [probability]',
    'line noise before replies and damaged replies (default 0.3)',
    '应答前加线路噪声并损坏应答（默认概率 0.3）',
  ],
  [
    'fault sam-fault [60|66]',
    'every command answers 0x60 (self-test failed) or 0x66 (not authorised)',
    '所有命令返回 0x60（自检失败）或 0x66（未授权）',
  ],
  [
    'fault slow <ms> [count] [command]',
    'the next replies (to command only, e.g. select-card) come ms late, count times (default 1)',
    '后续应答延迟指定毫秒（可只对某命令，如 select-card），可指定次数（默认 1）',
  ],
  ['status', 'card on the reader, fault, counters', '状态：卡、故障、计数'],
  ['deck', 'the test identities', '测试身份列表'],
  ['wait <ms>', 'pause a script', '脚本暂停'],
  ['quit', 'stop the simulator', '退出'],
];

export const CONTROL_HELP = COMMANDS.map(([usage, en, zh]) => `${usage.padEnd(32)} ${en} / ${zh}`).join('\n');

/**
 * The simulator console: one line in, text out. Kept apart from commander and readline so the
 * same controls serve the CLI and tests. Numbers are shown masked even though they are synthetic.
 */
export function runControl(model: SamModel, line: string): ControlResult {
  const [verb = '', ...args] = line.trim().split(/\s+/);
  try {
    switch (verb) {
      case '':
        return { output: '' };
      case 'place': {
        const index = Number(args[0]);
        model.place(index);
        return { output: `placed ${index}: ${describeCard(model, index)}` };
      }
      case 'remove':
        model.remove();
        return { output: 'card removed' };
      case 'fault': {
        const fault = parseFault(args);
        model.setFault(fault);
        return { output: `fault: ${describeFault(fault)}` };
      }
      case 'status':
        return { output: status(model) };
      case 'deck':
        return { output: model.deck.map((_, i) => `${i}  ${describeCard(model, i)}`).join('\n') };
      case 'help':
        return { output: CONTROL_HELP };
      case 'wait': {
        const ms = Number(args[0]);
        if (!Number.isInteger(ms) || ms < 0)
          throw new RangeError(`wait needs milliseconds, not "${args[0] ?? ''}"`);
        return { output: '', waitMs: ms };
      }
      case 'quit':
      case 'exit':
        return { output: 'bye', quit: true };
      default:
        return { output: `unknown command "${verb}"; type help` };
    }
  } catch (error) {
    return { output: `error: ${(error as Error).message}` };
  }
}

export function parseFault(args: readonly string[]): SamFault {
  const [kind, a, b] = args;
  switch (kind) {
    case 'none':
      return { kind: 'none' };
    case 'no-card':
      return { kind: 'no-card' };
    case 'silence':
      return { kind: 'silence' };
    case 'read-error': {
      const status = a === undefined ? 0x41 : hexByte(a);
      const remaining = b === undefined ? Number.POSITIVE_INFINITY : Number(b);
      if (!Number.isInteger(remaining) && remaining !== Number.POSITIVE_INFINITY) {
        throw new RangeError(`count "${b}" is not a whole number`);
      }
      return { kind: 'read-error', status, remaining };
    }
    case 'noise': {
      const probability = a === undefined ? 0.3 : Number(a);
      if (!(probability >= 0 && probability <= 1)) throw new RangeError('probability must be 0–1');
      return { kind: 'noise', probability };
    }
    case 'sam-fault': {
      const status = a === undefined ? 0x60 : hexByte(a);
      if (status !== 0x60 && status !== 0x66) throw new RangeError('sam-fault status is 60 or 66');
      return { kind: 'sam-fault', status };
    }
    case 'slow':
      return parseSlow(a, b, args[3]);
    default:
      throw new RangeError(
        `unknown fault "${kind ?? ''}"; one of none, no-card, read-error, silence, noise, sam-fault, slow`,
      );
  }
}

const COMMAND_TYPES = Object.keys(COMMAND_CODES) as SamCommandType[];

function parseSlow(ms: string | undefined, count: string | undefined, command: string | undefined): SamFault {
  const extraMs = Number(ms);
  if (ms === undefined || !Number.isInteger(extraMs) || extraMs < 0) {
    throw new RangeError(`slow needs a delay in whole milliseconds, not "${ms ?? ''}"`);
  }
  const remaining = count === undefined ? 1 : Number(count);
  if (!Number.isInteger(remaining) || remaining < 1) {
    throw new RangeError(`count "${count}" is not a whole number above 0`);
  }
  if (command === undefined) return { kind: 'slow', extraMs, remaining };
  const type = COMMAND_TYPES.find((t) => t === command);
  if (!type) throw new RangeError(`unknown command "${command}"; one of ${COMMAND_TYPES.join(', ')}`);
  return { kind: 'slow', extraMs, remaining, command: type };
}

export function describeFault(fault: SamFault): string {
  switch (fault.kind) {
    case 'slow':
      return `slow +${fault.extraMs} ms, ${fault.remaining} more replies${fault.command ? ` to ${fault.command}` : ''}`;
    case 'read-error': {
      const left = Number.isFinite(fault.remaining) ? `${fault.remaining} more` : 'until cleared';
      return `read-error 0x${hex(fault.status)} (${statusInfo(fault.status).en}), ${left}`;
    }
    case 'noise':
      return `noise p=${fault.probability}`;
    case 'sam-fault':
      return `sam-fault 0x${hex(fault.status)} (${statusInfo(fault.status).en})`;
    case 'none':
    case 'no-card':
    case 'silence':
      return fault.kind;
  }
}

function describeCard(model: SamModel, index: number): string {
  const identity = model.deck[index];
  if (!identity) return '?';
  return `${identity.label} [${maskIdNumber(identity.fields.idNumber)}]`;
}

function status(model: SamModel): string {
  const placed = model.placed;
  const card = placed === undefined ? 'none' : `${placed}: ${describeCard(model, placed)}`;
  return [
    `card:     ${card}`,
    `fault:    ${describeFault(model.fault)}`,
    `commands: ${model.counters.commands}, reads: ${model.counters.reads}`,
  ].join('\n');
}

function hexByte(s: string): number {
  const value = Number.parseInt(s.replace(/^0x/i, ''), 16);
  if (!/^(0x)?[0-9a-f]{1,2}$/i.test(s) || Number.isNaN(value))
    throw new RangeError(`"${s}" is not a hex byte`);
  return value;
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}
