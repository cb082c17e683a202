import type { FaultSettings, NoiseSettings } from '../osdp/faults.js';
import type { CardInput } from '../osdp/pd-model.js';

/**
 * The technician's command language of `gatewarden-sim osdp`, parsed into actions (see
 * osdp-help.ts for the list). Parsing is pure; a line that does not parse throws ScriptError
 * naming the word that is wrong, and the console prints it and goes on.
 */

export class ScriptError extends Error {
  override name = 'ScriptError';
}

export type FaultName = 'silent' | 'busy' | 'late' | 'drop' | 'corrupt';

export type OsdpAction =
  | { kind: 'card'; address: number; card: CardInput; reader: number; badParity: boolean }
  | { kind: 'keys'; address: number; keys: string; reader: number }
  | { kind: 'door'; address: number; open: boolean }
  | { kind: 'exit'; address: number }
  | { kind: 'fire'; active: boolean; address?: number }
  | { kind: 'tamper'; address: number; active: boolean }
  | { kind: 'power'; address: number; failure: boolean }
  | { kind: 'input'; address: number; index: number; active: boolean }
  | { kind: 'fault'; target: number | 'bus'; name: FaultName; on: boolean; settings: Partial<FaultSettings> }
  | { kind: 'noise'; noise: NoiseSettings | undefined }
  | { kind: 'status' }
  | { kind: 'wait'; ms: number }
  | { kind: 'help' }
  | { kind: 'quit' };

/** The action for one line; undefined for a blank line or a `#` comment. */
export function parseLine(line: string): OsdpAction | undefined {
  const words = line.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
  const [verb, ...args] = words;
  if (verb === undefined) return undefined;
  const a = new Args(verb, args);
  switch (verb.toLowerCase()) {
    case 'card':
      return parseCard(a);
    case 'keys': {
      const address = a.address();
      const keys = a.word('keys');
      return { kind: 'keys', address, keys, reader: a.option('reader', 0, 255, 0), ...a.end() };
    }
    case 'door': {
      const address = a.address();
      const state = a.choice('state', ['open', 'close']);
      return { kind: 'door', address, open: state === 'open', ...a.end() };
    }
    case 'exit':
      return { kind: 'exit', address: a.address(), ...a.end() };
    case 'fire': {
      const active = a.onOff();
      const address = a.rest() ? a.address() : undefined;
      return address === undefined
        ? { kind: 'fire', active, ...a.end() }
        : { kind: 'fire', active, address, ...a.end() };
    }
    case 'tamper':
      return { kind: 'tamper', address: a.address(), active: a.onOff(), ...a.end() };
    case 'power': {
      const address = a.address();
      const state = a.choice('state', ['fail', 'ok']);
      return { kind: 'power', address, failure: state === 'fail', ...a.end() };
    }
    case 'input': {
      const address = a.address();
      const index = a.int('input', 0, 255);
      return { kind: 'input', address, index, active: a.onOff(), ...a.end() };
    }
    case 'fault':
      return parseFault(a);
    case 'noise':
      return parseNoise(a);
    case 'status':
      return { kind: 'status', ...a.end() };
    case 'wait':
      return { kind: 'wait', ms: a.int('milliseconds', 0, 3_600_000), ...a.end() };
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'quit':
      return { kind: 'quit', ...a.end() };
    default:
      throw new ScriptError(`unknown command "${verb}" (try: help)`);
  }
}

function parseCard(a: Args): OsdpAction {
  const address = a.address();
  const format = a.choice('format', ['w26', 'w34', 'raw']);
  let card: CardInput;
  if (format === 'raw') {
    const bitCount = a.int('bit count', 1, 1024);
    const hex = a.word('hex data');
    if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new ScriptError(`card raw: "${hex}" is not hex bytes`);
    const data = Buffer.from(hex, 'hex');
    if (data.length < Math.ceil(bitCount / 8)) {
      throw new ScriptError(
        `card raw: ${bitCount} bits need ${Math.ceil(bitCount / 8)} bytes, "${hex}" has ${data.length}`,
      );
    }
    card = { format: 'raw', bitCount, data };
  } else {
    const w26 = format === 'w26';
    const facility = a.int('facility', 0, w26 ? 0xff : 0xffff);
    card = { format: w26 ? 'wiegand26' : 'wiegand34', facility, card: a.int('card', 0, 0xffff) };
  }
  const badParity = a.flag('bad-parity');
  return { kind: 'card', address, card, reader: a.option('reader', 0, 255, 0), badParity, ...a.end() };
}

function parseFault(a: Args): OsdpAction {
  const targetWord = a.word('PD address or "bus"');
  const target = targetWord === 'bus' ? 'bus' : toInt(targetWord, 'fault: PD address', 0, 126);
  const name = a.choice('fault', ['silent', 'busy', 'late', 'drop', 'corrupt'] as const);
  const on = a.onOff();
  const value = a.rest() ? a.number('value') : undefined;
  a.end();
  if (!on && value !== undefined) throw new ScriptError(`fault ${name} off takes no value`);
  const probability = (v: number | undefined): number => {
    if (v === undefined) return 1;
    if (v < 0 || v > 1) throw new ScriptError(`fault ${name}: ${v} is not a probability in 0..1`);
    return v;
  };
  let settings: Partial<FaultSettings>;
  switch (name) {
    case 'silent':
      settings = { silent: on };
      break;
    case 'busy':
      settings = !on
        ? { busyNext: 0, busyProbability: 0 }
        : value !== undefined && value >= 1
          ? { busyNext: toInt(String(value), 'fault busy: count', 1, 1_000_000) }
          : { busyProbability: probability(value) };
      break;
    case 'late':
      if (value !== undefined && value < 0) throw new ScriptError(`fault late: ${value} ms is negative`);
      settings = { lateReplyMs: on ? (value ?? 300) : 0 };
      break;
    case 'drop':
      settings = { dropReplies: on ? probability(value) : 0 };
      break;
    case 'corrupt':
      settings = { corruptCheck: on ? probability(value) : 0 };
      break;
  }
  return { kind: 'fault', target, name, on, settings };
}

function parseNoise(a: Args): OsdpAction {
  const on = a.onOff();
  if (!on) return { kind: 'noise', noise: undefined, ...a.end() };
  const rate = a.rest() ? a.number('rate') : 5;
  if (!(rate > 0)) throw new ScriptError(`noise: rate ${rate} is not a positive number of bursts per second`);
  const maxBytes = a.rest() ? a.int('max bytes', 1, 1024) : 8;
  return { kind: 'noise', noise: { ratePerSecond: rate, maxBytes }, ...a.end() };
}

function toInt(word: string, what: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(word) ? Number(word) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ScriptError(`${what}: "${word}" is not an integer in ${min}..${max}`);
  }
  return n;
}

/** The words after the verb, consumed left to right; every error names the verb and the field. */
class Args {
  private at = 0;

  constructor(
    private readonly verb: string,
    private readonly words: string[],
  ) {}

  rest(): boolean {
    return this.at < this.words.length;
  }
  word(what: string): string {
    const w = this.words[this.at++];
    if (w === undefined) throw new ScriptError(`${this.verb}: missing ${what}`);
    return w;
  }
  int(what: string, min: number, max: number): number {
    return toInt(this.word(what), `${this.verb}: ${what}`, min, max);
  }
  number(what: string): number {
    const w = this.word(what);
    const n = Number(w);
    if (w.trim() === '' || !Number.isFinite(n))
      throw new ScriptError(`${this.verb}: ${what} "${w}" is not a number`);
    return n;
  }
  address(): number {
    return this.int('PD address', 0, 126);
  }
  choice<T extends string>(what: string, options: readonly T[]): T {
    const w = this.word(what).toLowerCase();
    const hit = options.find((o) => o === w);
    if (hit === undefined)
      throw new ScriptError(`${this.verb}: ${what} "${w}" is not one of ${options.join('|')}`);
    return hit;
  }
  onOff(): boolean {
    return this.choice('on|off', ['on', 'off']) === 'on';
  }
  /** An optional bare flag at the current position. */
  flag(name: string): boolean {
    if (this.words[this.at]?.toLowerCase() !== name) return false;
    this.at++;
    return true;
  }
  /** An optional `name <int>` pair at the current position. */
  option(name: string, min: number, max: number, fallback: number): number {
    if (this.words[this.at]?.toLowerCase() !== name) return fallback;
    this.at++;
    return this.int(name, min, max);
  }
  /** Fails on leftover words; returns {} so callers can spread it into the action. */
  end(): Record<string, never> {
    const extra = this.words.slice(this.at);
    if (extra.length > 0) throw new ScriptError(`${this.verb}: unexpected "${extra.join(' ')}"`);
    return {};
  }
}
