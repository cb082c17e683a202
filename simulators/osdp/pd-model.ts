import { EventEmitter } from 'node:events';
import { encodeWiegand26, encodeWiegand34 } from '../../drivers/osdp/messages/card-data.js';
import { RAW_FORMAT } from '../../drivers/osdp/messages/codes.js';
import type { BuzzerRecord, LedRecord, OutputRecord } from '../../drivers/osdp/messages/commands.js';
import { KEYPAD_CHARS, type OsdpReply, type PdCapability } from '../../drivers/osdp/messages/replies.js';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import {
  Buzzers,
  type BuzzerView,
  type TextCommand,
  TextDisplays,
  type TextView,
} from './pd-annunciators.js';
import {
  capabilities,
  DEFAULT_HARDWARE,
  type DoorWiring,
  type PdHardware,
  type PdIdentity,
  STANDARD_DOOR,
  validateHardware,
} from './pd-config.js';
import { LedBank, type LedView } from './pd-leds.js';
import { OutputBank } from './pd-outputs.js';

/**
 * The device behind one simulated PD, with no protocol in it: identity and capabilities,
 * outputs, reader LEDs, buzzer and text, inputs, tamper and power, and the queue of reports
 * that POLL drains one at a time, oldest first. A technician or a test changes the world with
 * presentCard/enterKeys/setInput/…; the responder applies CP commands with apply*().
 * Every timer runs on the injected clock. Events carry the clock's time (`at`).
 */

export interface PdModelOptions extends Partial<Omit<PdHardware, 'identity' | 'door'>> {
  identity?: Partial<PdIdentity>;
  /** `true` = STANDARD_DOOR (contact 0, exit 1, fire 2). */
  door?: DoorWiring | boolean;
  clock?: Clock;
  /** Queue an OSTATR when an output changes (default false: the CP gets OSTATR in reply to OUT). */
  reportOutputChanges?: boolean;
  /** Reports kept for POLL; beyond this the oldest is dropped and counted (default 64). */
  maxQueuedReports?: number;
  /** How long pressExit() holds the button down (default 300 ms). */
  exitPressMs?: number;
}

export type CardInput =
  | { format: 'wiegand26' | 'wiegand34'; facility: number; card: number }
  /** Bits as a reader saw them, first bit in the MSB of byte 0; `wiegand` false sends format 0x00. */
  | { format: 'raw'; bitCount: number; data: Buffer; wiegand?: boolean };

export interface Stamped {
  at: number;
}

export interface PdModelEvents {
  /** A command the responder accepted (after sequence and security checks); `retry` = cached reply resent. */
  command: [{ type: string; receivedAt: number; retry: boolean }];
  output: [{ index: number; active: boolean } & Stamped];
  led: [LedView & Stamped];
  buzzer: [BuzzerView & Stamped];
  text: [TextView & Stamped];
  input: [{ index: number; active: boolean } & Stamped];
  status: [{ tamper: boolean; powerFailure: boolean } & Stamped];
  reportQueued: [{ type: OsdpReply['type'] } & Stamped];
  /** A reply occupied the wire from startedAt to finishedAt (bus simulator's line model). */
  reportSent: [{ type: OsdpReply['type']; command: string; startedAt: number; finishedAt: number }];
}

export class PdModel extends EventEmitter<PdModelEvents> {
  readonly hardware: PdHardware;
  readonly clock: Clock;
  /** Reports dropped because the queue was full. */
  droppedReports = 0;
  private readonly outputBank: OutputBank;
  private readonly ledBank: LedBank;
  private readonly buzzerBank: Buzzers;
  private readonly textBank: TextDisplays;
  private readonly inputStates: boolean[];
  private readonly queue: OsdpReply[] = [];
  private readonly maxQueued: number;
  private readonly exitPressMs: number;
  private readonly reportOutputChanges: boolean;
  private exitRelease: unknown;
  private tamperState = false;
  private powerFailureState = false;

  constructor(options: PdModelOptions = {}) {
    super();
    const { identity, door, clock, reportOutputChanges, maxQueuedReports, exitPressMs, ...hw } = options;
    this.hardware = {
      ...DEFAULT_HARDWARE,
      ...stripUndefined(hw),
      identity: { ...DEFAULT_HARDWARE.identity, ...identity },
      door: door === true ? STANDARD_DOOR : door === false || door === undefined ? {} : door,
    };
    validateHardware(this.hardware);
    this.clock = clock ?? systemClock;
    this.maxQueued = maxQueuedReports ?? 64;
    this.exitPressMs = exitPressMs ?? 300;
    this.reportOutputChanges = reportOutputChanges ?? false;
    const h = this.hardware;
    this.inputStates = Array.from({ length: h.inputs }, () => false);
    this.outputBank = new OutputBank(h.outputs, this.clock, (index, active) => this.onOutput(index, active));
    this.ledBank = new LedBank(h.readers, h.ledsPerReader, this.clock, (v) =>
      this.emit('led', { ...v, at: this.now() }),
    );
    this.buzzerBank = new Buzzers(h.buzzer ? h.readers : 0, this.clock, (v) =>
      this.emit('buzzer', { ...v, at: this.now() }),
    );
    this.textBank = new TextDisplays(h.text ? h.readers : 0, this.clock, (v) =>
      this.emit('text', { ...v, at: this.now() }),
    );
  }

  // ---- state, for replies and for `status` ---------------------------------------------------

  get identity(): PdIdentity {
    return this.hardware.identity;
  }
  capabilities(): PdCapability[] {
    return capabilities(this.hardware);
  }
  outputs(): boolean[] {
    return this.outputBank.states();
  }
  inputs(): boolean[] {
    return [...this.inputStates];
  }
  leds(): LedView[] {
    return this.ledBank.views();
  }
  buzzers(): BuzzerView[] {
    return this.buzzerBank.views();
  }
  texts(): TextView[] {
    return this.textBank.views();
  }
  get tamper(): boolean {
    return this.tamperState;
  }
  get powerFailure(): boolean {
    return this.powerFailureState;
  }
  get queuedReports(): number {
    return this.queue.length;
  }

  /** The oldest queued report, removed from the queue; undefined when there is none (POLL ⇒ ACK). */
  takeReport(): OsdpReply | undefined {
    return this.queue.shift();
  }

  // ---- CP commands: each returns why it cannot be applied (⇒ NAK 0x09) or applies all records -----

  applyOutputs(records: readonly OutputRecord[]): string | undefined {
    return applyAll(
      records,
      (r) => this.outputBank.problem(r),
      (r) => this.outputBank.apply(r),
    );
  }
  applyLeds(records: readonly LedRecord[]): string | undefined {
    return applyAll(
      records,
      (r) => this.ledBank.problem(r),
      (r) => this.ledBank.apply(r),
    );
  }
  applyBuzzers(records: readonly BuzzerRecord[]): string | undefined {
    return applyAll(
      records,
      (r) => this.buzzerBank.problem(r),
      (r) => this.buzzerBank.apply(r),
    );
  }
  applyText(cmd: TextCommand): string | undefined {
    return applyAll(
      [cmd],
      (c) => this.textBank.problem(c),
      (c) => this.textBank.apply(c),
    );
  }

  /** Called by the responder and the bus, so every observer listens in one place. */
  noteCommand(type: string, retry: boolean): void {
    this.emit('command', { type, receivedAt: this.now(), retry });
  }
  noteReplySent(event: PdModelEvents['reportSent'][0]): void {
    this.emit('reportSent', event);
  }

  // ---- the world: what a technician or a test does --------------------------------------------

  /** Queues a RAW card read; `badParity` flips the first (even parity) bit. Returns the report. */
  presentCard(card: CardInput, options: { reader?: number; badParity?: boolean } = {}): OsdpReply {
    const reader = this.requireReader(options.reader ?? 0);
    const bits = cardBits(card);
    const data = Buffer.from(bits.data);
    if (options.badParity && bits.bitCount > 0) data[0] = (data[0] ?? 0) ^ 0x80;
    const format =
      card.format === 'raw' && card.wiegand === false ? RAW_FORMAT.UNSPECIFIED : RAW_FORMAT.WIEGAND;
    return this.enqueue({ type: 'RAW', reader, format, bitCount: bits.bitCount, data });
  }

  /** Queues one KEYPAD report: digits, '*', '#', and 'A'–'H' for the function keys. */
  enterKeys(keys: string, reader = 0): OsdpReply {
    this.requireReader(reader);
    if (keys.length === 0 || keys.length > 255) throw new RangeError('between 1 and 255 keys at a time');
    const chars = new Set(KEYPAD_CHARS.values());
    const bad = [...keys].find((k) => !chars.has(k));
    if (bad !== undefined) throw new RangeError(`'${bad}' is not a keypad key (0-9 * # A-H)`);
    return this.enqueue({ type: 'KEYPAD', reader, keys });
  }

  /** Sets an input; a change queues ISTATR with every input's state at that moment. */
  setInput(index: number, active: boolean): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.inputStates.length) {
      throw new RangeError(`input ${index} does not exist (${this.inputStates.length} inputs)`);
    }
    if (this.inputStates[index] === active) return;
    this.inputStates[index] = active;
    this.emit('input', { index, active, at: this.now() });
    this.enqueue({ type: 'ISTATR', inputs: this.inputStates.map(Number) });
  }

  openDoor(): void {
    this.setInput(this.wired('contactInput'), true);
  }
  closeDoor(): void {
    this.setInput(this.wired('contactInput'), false);
  }
  /** Presses the exit button and releases it `exitPressMs` later (two ISTATR reports). */
  pressExit(): void {
    const input = this.wired('exitInput');
    if (this.exitRelease !== undefined) this.clock.clearTimeout(this.exitRelease);
    this.setInput(input, true);
    this.exitRelease = this.clock.setTimeout(() => {
      this.exitRelease = undefined;
      this.setInput(input, false);
    }, this.exitPressMs);
  }
  setFire(active: boolean): void {
    this.setInput(this.wired('fireInput'), active);
  }
  /** A change queues LSTATR. */
  setTamper(active: boolean): void {
    if (this.tamperState === active) return;
    this.tamperState = active;
    this.onLocalStatus();
  }
  setPowerFailure(active: boolean): void {
    if (this.powerFailureState === active) return;
    this.powerFailureState = active;
    this.onLocalStatus();
  }

  /** Cancels every timer (timed outputs, LEDs, buzzer, text, exit button). State stays as it is. */
  dispose(): void {
    this.outputBank.dispose();
    this.ledBank.dispose();
    this.buzzerBank.dispose();
    this.textBank.dispose();
    if (this.exitRelease !== undefined) this.clock.clearTimeout(this.exitRelease);
    this.exitRelease = undefined;
  }

  // ---- internals --------------------------------------------------------------------------------

  private now(): number {
    return this.clock.now();
  }

  private enqueue(report: OsdpReply): OsdpReply {
    this.queue.push(report);
    if (this.queue.length > this.maxQueued) {
      this.queue.shift();
      this.droppedReports++;
    }
    this.emit('reportQueued', { type: report.type, at: this.now() });
    return report;
  }

  private onOutput(index: number, active: boolean): void {
    this.emit('output', { index, active, at: this.now() });
    if (this.reportOutputChanges) this.enqueue({ type: 'OSTATR', outputs: this.outputs().map(Number) });
  }

  private onLocalStatus(): void {
    this.emit('status', { tamper: this.tamperState, powerFailure: this.powerFailureState, at: this.now() });
    this.enqueue({ type: 'LSTATR', tamper: Number(this.tamperState), power: Number(this.powerFailureState) });
  }

  private wired(which: keyof DoorWiring): number {
    const input = this.hardware.door[which];
    if (input === undefined) throw new RangeError(`no ${DOOR_NAMES[which]} is wired on this PD`);
    return input;
  }

  private requireReader(reader: number): number {
    if (!Number.isInteger(reader) || reader < 0 || reader >= this.hardware.readers) {
      throw new RangeError(`reader ${reader} does not exist (${this.hardware.readers} readers)`);
    }
    return reader;
  }
}

const DOOR_NAMES: Record<keyof DoorWiring, string> = {
  contactInput: 'door contact',
  exitInput: 'exit button',
  fireInput: 'fire input',
};

/** Validates every record first, so a bad record leaves the device untouched. */
function applyAll<R>(records: readonly R[], problem: (r: R) => string | undefined, apply: (r: R) => void) {
  for (const r of records) {
    const p = problem(r);
    if (p !== undefined) return p;
  }
  for (const r of records) apply(r);
  return undefined;
}

function cardBits(card: CardInput): { bitCount: number; data: Buffer } {
  switch (card.format) {
    case 'wiegand26':
      return encodeWiegand26(card.facility, card.card);
    case 'wiegand34':
      return encodeWiegand34(card.facility, card.card);
    case 'raw':
      return rawBits(card.bitCount, card.data);
  }
}

/** The first ceil(bits/8) bytes with the unused low bits of the last byte cleared. */
function rawBits(bitCount: number, data: Buffer): { bitCount: number; data: Buffer } {
  const size = Math.ceil(bitCount / 8);
  if (!Number.isInteger(bitCount) || bitCount < 1 || bitCount > 0xffff) {
    throw new RangeError(`bit count ${bitCount} is not an integer in 1..65535`);
  }
  if (data.length < size) throw new RangeError(`${bitCount} bits need ${size} bytes, got ${data.length}`);
  const out = Buffer.from(data.subarray(0, size));
  const unused = size * 8 - bitCount;
  out[size - 1] = (out[size - 1] ?? 0) & (0xff << unused) & 0xff;
  return { bitCount, data: out };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
