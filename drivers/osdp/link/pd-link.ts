import { randomBytes } from 'node:crypto';
import { macInput } from '../framing/codec.js';
import type { OsdpFrame, SecurityBlock, Sequence } from '../framing/frame.js';
import { COMMAND, NAK } from '../messages/codes.js';
import { decodeCommand, type OsdpCommand } from '../messages/commands.js';
import type { OsdpReply } from '../messages/replies.js';
import { isHandshake, isSecured, mayBePlain, RMAC_I_ACCEPTED } from '../secure/blocks.js';
import { SecureChannel } from '../secure/channel.js';
import { SecureChannelError } from '../secure/errors.js';
import { nextSequence } from './timing.js';

/** Where a PD is in the CP's connection sequence (libosdp `osdp_cp.c` states, named plainly). */
export type PdPhase =
  | 'reset'
  | 'identify'
  | 'capabilities'
  | 'challenge'
  | 'cryptogram'
  | 'install-key'
  | 'online';

export type SecureMode = 'off' | 'required';

export interface PdConfig {
  address: number;
  /** A name for logs and alarms: the device id from the configuration. */
  name: string;
  /**
   * `required`: the PD is operated only under a Secure Channel; a PD that does not offer one,
   * or fails the handshake, is refused with an alarm and never silently used in plain text.
   */
  secure: SecureMode;
  /** The PD's SCBK, when it was provisioned by another system. */
  scbk?: Buffer;
  /** Site master key: the PD's SCBK is derived from it and the PD's cUID (protocols.md §1.9). */
  masterKey?: Buffer;
  /**
   * The site master key before the last rotation. A PD that refuses the current key is tried
   * with the key derived from this one and, when it takes it, sent KEYSET with its new key in
   * that session, then reconnected: a PD offline during the rotation moves at its next connection.
   */
  previousMasterKey?: Buffer;
  /** A PD that refuses our key may be provisioned: connect with SCBK-D, then KEYSET its own key. */
  installKey?: boolean;
}

/** One PDCAP entry (SIA OSDP 2.2 table 4): a function code, its compliance level, how many. */
export interface PdCapability {
  func: number;
  compliance: number;
  items: number;
}

export interface PdIdentity {
  vendor: number;
  model: number;
  version: number;
  serial: number;
  firmware: string;
}

/** What the link wants the CP to do after a reply during connection. */
export type LinkStep =
  | { kind: 'continue' }
  | { kind: 'online' }
  | { kind: 'reset'; reason: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'key-installed' };

export interface ConnectionCommand {
  command: OsdpCommand;
  securityBlock?: SecurityBlock;
}

/**
 * One PD as the CP sees it: the connection phase, the sequence number and the Secure Channel.
 * `connectionCommand` says what to send while connecting; `accept` digests the reply. No I/O:
 * the control panel owns the line and the timers.
 */
export class PdLink {
  phase: PdPhase = 'reset';
  sequence: Sequence = 0;
  identity: PdIdentity | undefined;
  capabilities: PdCapability[] = [];
  readonly channel: SecureChannel;
  /** This connection attempt uses the install key SCBK-D. */
  private installing = false;
  /** This connection attempt uses the key derived from the previous master key (rotation). */
  private rekeying = false;
  private scrypt: ConnectionCommand | undefined;
  private lastCommandCode = 0;
  private beforeTake: { sequence: Sequence; code: number } = { sequence: 0, code: 0 };

  constructor(readonly config: PdConfig) {
    this.channel = new SecureChannel({
      role: 'cp',
      macInput,
      ...(config.scbk ? { scbk: config.scbk } : {}),
      ...(config.masterKey ? { masterKey: config.masterKey } : {}),
      ...(config.previousMasterKey ? { previousMasterKey: config.previousMasterKey } : {}),
    });
  }

  /** A rotated site master key (and the one before it): used from the next connection on. */
  setMasterKeys(masterKey: Buffer, previousMasterKey: Buffer | undefined): void {
    this.channel.setMasterKeys(masterKey, previousMasterKey);
    this.config.masterKey = masterKey;
    if (previousMasterKey) this.config.previousMasterKey = previousMasterKey;
    else delete this.config.previousMasterKey;
  }

  get secureActive(): boolean {
    return this.channel.established;
  }

  /** Back to the start: the next command goes out with sequence 0, which resets the PD too. */
  reset(): void {
    this.phase = 'reset';
    this.installing = false;
    this.rekeying = false;
    this.channel.reset();
  }

  /** The sequence number for the next new command (a retry re-sends the old bytes instead). */
  takeSequence(code: number): Sequence {
    this.beforeTake = { sequence: this.sequence, code: this.lastCommandCode };
    this.sequence = this.phase === 'reset' ? 0 : nextSequence(this.sequence);
    if (this.phase === 'reset') this.phase = 'identify';
    this.lastCommandCode = code;
    return this.sequence;
  }

  /**
   * The command just numbered never reached the PD whole (a withdrawn commit-gated command,
   * sent only while online): the next command takes its sequence number again.
   */
  withdraw(): void {
    this.sequence = this.beforeTake.sequence;
    this.lastCommandCode = this.beforeTake.code;
  }

  /** The command for the current connection phase; undefined once online (then POLL or queued). */
  connectionCommand(): ConnectionCommand | undefined {
    switch (this.phase) {
      case 'reset':
      case 'identify':
        return { command: { type: 'ID' } };
      case 'capabilities':
        return { command: { type: 'CAP' } };
      case 'challenge': {
        const rndA = randomBytes(8);
        const message = this.channel.beginCp(rndA, this.installing, this.rekeying);
        return { command: { type: 'CHLNG', rndA }, securityBlock: message.securityBlock };
      }
      case 'cryptogram':
        return this.scrypt;
      case 'install-key':
        return { command: decodeCommand(COMMAND.KEYSET, this.channel.keysetCommand(this.config.scbk)) };
      case 'online':
        return undefined;
    }
  }

  /** Wraps an outgoing command in the Secure Channel when one is up. */
  seal(frame: OsdpFrame): OsdpFrame {
    return this.channel.established && frame.securityBlock === undefined ? this.channel.seal(frame) : frame;
  }

  /**
   * Unwraps a reply. Handshake replies pass through to `accept`; NAK, BUSY and the ACK to
   * KEYSET may come plain; anything else plain while a session is up is refused (that would be
   * a downgrade). Throws SecureChannelError when a reply does not verify.
   */
  open(frame: OsdpFrame, packet: Buffer): OsdpFrame {
    if (isHandshake(frame)) return frame;
    if (!isSecured(frame) && mayBePlain(frame, this.lastCommandCode)) return frame;
    return this.channel.open(frame, packet);
  }

  /** Digests the reply to a connection command (`frame` for its security block). */
  accept(reply: OsdpReply, frame: OsdpFrame): LinkStep {
    if (reply.type === 'NAK') return this.onNak(reply.code);
    try {
      return this.acceptInPhase(reply, frame);
    } catch (error) {
      if (!(error instanceof SecureChannelError)) throw error;
      if (error.reason === 'cryptogram-mismatch' || error.reason === 'key-unavailable')
        return this.keyRejected(error.message);
      return { kind: 'refused', reason: error.message };
    }
  }

  private acceptInPhase(reply: OsdpReply, frame: OsdpFrame): LinkStep {
    switch (this.phase) {
      case 'reset':
      case 'identify':
        if (reply.type !== 'PDID') return { kind: 'reset', reason: `expected PDID, got ${reply.type}` };
        this.identity = {
          vendor: reply.vendor,
          model: reply.model,
          version: reply.version,
          serial: reply.serial,
          firmware: `${reply.firmware.major}.${reply.firmware.minor}.${reply.firmware.build}`,
        };
        this.phase = 'capabilities';
        return { kind: 'continue' };
      case 'capabilities':
        if (reply.type !== 'PDCAP') return { kind: 'reset', reason: `expected PDCAP, got ${reply.type}` };
        this.capabilities = reply.capabilities;
        if (this.config.secure === 'off') return this.goOnline();
        if (!this.offersSecureChannel())
          return { kind: 'refused', reason: 'the PD does not offer a Secure Channel' };
        this.installing = this.config.scbk === undefined && this.config.masterKey === undefined;
        if (this.installing && !this.config.installKey)
          return { kind: 'refused', reason: 'no key for this PD' };
        this.phase = 'challenge';
        return { kind: 'continue' };
      case 'challenge': {
        if (reply.type !== 'CCRYPT') return { kind: 'reset', reason: `expected CCRYPT, got ${reply.type}` };
        const message = this.channel.onCcrypt(reply.cuid, reply.rndB, reply.cryptogram);
        this.scrypt = {
          command: { type: 'SCRYPT', cryptogram: message.data },
          securityBlock: message.securityBlock,
        };
        this.phase = 'cryptogram';
        return { kind: 'continue' };
      }
      case 'cryptogram':
        if (reply.type !== 'RMAC_I' || frame.securityBlock?.data[0] !== RMAC_I_ACCEPTED) {
          return { kind: 'refused', reason: 'the PD rejected our cryptogram' };
        }
        this.channel.onRmacI(reply.rmac);
        if (this.installing || this.rekeying) {
          this.phase = 'install-key';
          return { kind: 'continue' };
        }
        return this.goOnline();
      case 'install-key':
        if (reply.type !== 'ACK') return { kind: 'reset', reason: `KEYSET answered with ${reply.type}` };
        this.installing = false;
        this.rekeying = false;
        this.channel.reset();
        this.phase = 'challenge';
        return { kind: 'key-installed' };
      case 'online':
        return { kind: 'reset', reason: 'connection reply while online' };
    }
  }

  private onNak(code: number): LinkStep {
    if (code === NAK.SECURITY_BLOCK_UNSUPPORTED || code === NAK.SECURITY_CONDITIONS) {
      if (this.phase === 'challenge' || this.phase === 'cryptogram')
        return this.keyRejected(`NAK 0x0${code}`);
      return { kind: 'refused', reason: `the PD answered NAK 0x0${code} during ${this.phase}` };
    }
    return { kind: 'reset', reason: `NAK 0x${code.toString(16).padStart(2, '0')} during ${this.phase}` };
  }

  /**
   * The PD did not take our key: try the previous site key (then KEYSET the new one), then
   * provision it with SCBK-D when allowed, otherwise refuse.
   */
  private keyRejected(why: string): LinkStep {
    this.channel.reset();
    if (!this.installing && !this.rekeying && this.channel.hasPreviousMasterKey) {
      this.rekeying = true;
      this.phase = 'challenge';
      return { kind: 'continue' };
    }
    this.rekeying = false;
    if (!this.installing && this.config.installKey) {
      this.installing = true;
      this.phase = 'challenge';
      return { kind: 'continue' };
    }
    return { kind: 'refused', reason: `the PD does not accept our key (${why})` };
  }

  private goOnline(): LinkStep {
    this.phase = 'online';
    return { kind: 'online' };
  }

  /** PDCAP function 9 (communication security), compliance bit 0: AES-128 Secure Channel. */
  private offersSecureChannel(): boolean {
    return this.capabilities.some((c) => c.func === 9 && (c.compliance & 0x01) === 1);
  }
}
