import { EventEmitter } from 'node:events';
import type { SamResponse } from '../../drivers/idcard/framing/frame.js';
import { SAM_ID_LENGTH, type SamCommand } from '../../drivers/idcard/messages.js';
import { SW3, statusInfo } from '../../drivers/idcard/status-words.js';
import { writeTextFields } from '../../drivers/idcard/text-block.js';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import { TEST_DECK, type TestIdentity } from './deck.js';

/**
 * Faults a technician or a test can switch on:
 * - `no-card`: the antenna is dead: find card answers 0x80 even with a card on the reader.
 * - `read-error`: the next `remaining` reads answer `status` (default 0x41 read failed;
 *   0x31/0x32/0x33/0x47 for authentication failures, 0x40 for an unknown card type).
 * - `silence`: the SAM answers nothing (hung, unpowered).
 * - `noise`: each reply is preceded by line noise, and damaged (bad check), each with `probability`.
 * - `sam-fault`: every command answers `status` (0x60 self-test failed, 0x66 not authorised).
 * - `slow`: the next `remaining` replies (to `command` only, when given) come `extraMs` late: a
 *   SAM busy with the card's radio, or a host too loaded to read its port in time. The command
 *   still takes effect at once, as on a real SAM; only its answer is late.
 */
export type SamFault =
  | { kind: 'none' }
  | { kind: 'no-card' }
  | { kind: 'read-error'; status: number; remaining: number }
  | { kind: 'silence' }
  | { kind: 'noise'; probability: number }
  | { kind: 'sam-fault'; status: number }
  | { kind: 'slow'; extraMs: number; remaining: number; command?: SamCommand['type'] };

export interface SamModelEvents {
  /** A card was placed (deck index) or taken away (undefined). */
  card: [{ index: number | undefined; at: number }];
  fault: [SamFault];
  /** A card's base message went out to the host. */
  read: [{ index: number; at: number }];
}

/** The SAM's own identity (management information): a fixed synthetic value. */
export const SIMULATED_SAM_ID = Buffer.from('0501201011100000000012345678abcd', 'hex').subarray(
  0,
  SAM_ID_LENGTH,
);
const PHOTO_LENGTH = 1024;
/**
 * Stand-in for the WLT photo. Nobody decodes it; it repeats the frame preamble and a plausible
 * LEN on purpose, so that a parser delimiting by anything but LEN would trip over it.
 */
const PHOTO = Buffer.alloc(PHOTO_LENGTH, Buffer.from('aaaaaa9669050857', 'hex'));
const FIND_DATA = Buffer.alloc(4);

/**
 * A SAM reader without the protocol: the card on it, the card's state (found, selected), the
 * deck and the faults. The responder turns requests into `answer()` calls. Card state follows
 * §2.3: find, then select, then one read; another read needs find and select again.
 */
export class SamModel extends EventEmitter<SamModelEvents> {
  readonly deck: readonly TestIdentity[];
  readonly counters = { commands: 0, reads: 0 };
  private readonly clock: Clock;
  private card: number | undefined;
  private stage: 'idle' | 'found' | 'selected' = 'idle';
  private faultState: SamFault = { kind: 'none' };

  constructor(options: { deck?: readonly TestIdentity[]; clock?: Clock } = {}) {
    super();
    this.deck = options.deck ?? TEST_DECK;
    this.clock = options.clock ?? systemClock;
  }

  get placed(): number | undefined {
    return this.card;
  }

  get fault(): SamFault {
    return this.faultState;
  }

  /** Puts deck card `index` on the reader (replacing any other). Throws RangeError for a bad index. */
  place(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.deck.length) {
      throw new RangeError(`deck index ${index} is not 0–${this.deck.length - 1}`);
    }
    this.card = index;
    this.stage = 'idle';
    this.emit('card', { index, at: this.clock.now() });
  }

  remove(): void {
    this.card = undefined;
    this.stage = 'idle';
    this.emit('card', { index: undefined, at: this.clock.now() });
  }

  setFault(fault: SamFault): void {
    this.faultState = fault;
    this.emit('fault', fault);
  }

  /** The answer to a decoded request (undefined: not a command of §2.3), or undefined for silence. */
  answer(command: SamCommand | undefined): SamResponse | undefined {
    this.counters.commands++;
    const fault = this.faultState;
    if (fault.kind === 'silence') return undefined;
    if (fault.kind === 'sam-fault') return status(fault.status);
    if (command === undefined) return status(SW3.COMMAND_ERROR);
    switch (command.type) {
      case 'reset-sam':
        this.stage = 'idle';
        return status(SW3.SUCCESS);
      case 'sam-status':
      case 'set-baud':
        return status(SW3.SUCCESS);
      case 'read-sam-id':
        return status(SW3.SUCCESS, SIMULATED_SAM_ID);
      case 'find-card':
        return this.find();
      case 'select-card':
        return this.select();
      case 'read-base':
      case 'read-base-fingerprint':
        return this.read(command.type === 'read-base-fingerprint');
      case 'read-appended-address':
        return this.stage === 'selected' ? status(SW3.NO_CONTENT) : status(SW3.UNAUTHORISED_OPERATION);
    }
  }

  /** How much later than usual the reply to `command` goes out under the `slow` fault (counts it down). */
  extraDelayMs(command: SamCommand | undefined): number {
    const fault = this.faultState;
    if (fault.kind !== 'slow' || fault.remaining <= 0) return 0;
    if (fault.command !== undefined && fault.command !== command?.type) return 0;
    fault.remaining--;
    return fault.extraMs;
  }

  /** The answer to a request that arrived with a wrong check byte. */
  answerDamaged(): SamResponse | undefined {
    this.counters.commands++;
    return this.faultState.kind === 'silence' ? undefined : status(SW3.CHECKSUM_ERROR);
  }

  private find(): SamResponse {
    if (this.card === undefined || this.faultState.kind === 'no-card') {
      this.stage = 'idle';
      return status(SW3.FIND_FAILED);
    }
    this.stage = 'found';
    return status(SW3.FIND_OK, FIND_DATA);
  }

  private select(): SamResponse {
    const identity = this.card === undefined ? undefined : this.deck[this.card];
    if (this.stage !== 'found' || identity === undefined) {
      this.stage = 'idle';
      return status(SW3.SELECT_FAILED);
    }
    this.stage = 'selected';
    return status(SW3.SUCCESS, identity.serial);
  }

  private read(withFingerprint: boolean): SamResponse {
    const fault = this.faultState;
    if (fault.kind === 'read-error' && fault.remaining > 0) {
      fault.remaining--;
      // A SAM that rejects the frame itself (0x10, 0x11) has not touched the card.
      if (statusInfo(fault.status).class !== 'frame-error') this.stage = 'idle';
      return status(fault.status);
    }
    const selected = this.stage === 'selected';
    this.stage = 'idle';
    if (!selected) return status(SW3.UNAUTHORISED_OPERATION);
    const index = this.card;
    const identity = index === undefined ? undefined : this.deck[index];
    if (index === undefined || identity === undefined) return status(SW3.READ_FAILED);
    const text = writeTextFields(identity.fields);
    const lengths = Buffer.alloc(withFingerprint ? 6 : 4);
    lengths.writeUInt16BE(text.length, 0);
    lengths.writeUInt16BE(PHOTO_LENGTH, 2);
    // With fingerprint: fpLen 0, this card holds no templates (1297 bytes on the wire).
    this.counters.reads++;
    this.emit('read', { index, at: this.clock.now() });
    return status(SW3.SUCCESS, Buffer.concat([lengths, text, PHOTO]));
  }
}

function status(sw3: number, data: Buffer = Buffer.alloc(0)): SamResponse {
  return { sw1: 0x00, sw2: 0x00, sw3, data };
}
