import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { encodeFrame } from '../../drivers/osdp/framing/codec.js';
import { BROADCAST_ADDRESS } from '../../drivers/osdp/framing/constants.js';
import type { OsdpFrame, Sequence } from '../../drivers/osdp/framing/frame.js';
import type { ParseEvent } from '../../drivers/osdp/framing/parser.js';
import { commandName, NAK, OsdpPayloadError, REPLY } from '../../drivers/osdp/messages/codes.js';
import { decodeCommand, type OsdpCommand } from '../../drivers/osdp/messages/commands.js';
import { encodeReply, type OsdpReply } from '../../drivers/osdp/messages/replies.js';
import { executeCommand } from './pd-commands.js';
import { PdModel, type PdModelOptions } from './pd-model.js';
import { PdSecurity } from './pd-security.js';

/**
 * One PD's protocol behaviour (protocols.md §1.3, §1.9; after libosdp src/osdp_pd.c and
 * src/osdp_phy.c): given what the parser made of a CP packet, the reply bytes, or nothing.
 * No I/O and no timing of its own; the bus simulator owns the line. Replies always use CRC-16
 * and carry a mark byte exactly when the command did (libosdp mirrors the CP).
 *
 * Sequence rules, checked before any secure-channel work:
 * - SQN 0 resets the link: sequence state, reply cache and secure session.
 * - The previous command's SQN again (a CP retry) ⇒ the cached reply bytes, verbatim — also
 *   under Secure Channel, where rebuilding would break the MAC chain. POLL does not drain a
 *   second report.
 * - Any other SQN than the next in 1,2,3,1… (and anything but 0 on a fresh PD) ⇒ NAK 0x04.
 * Bad check ⇒ NAK 0x01; bad payload length ⇒ 0x02; unknown command ⇒ 0x03; see pd-security.ts
 * for 0x05/0x06 and pd-commands.ts for 0x09. NAK 0x01 and 0x04 are neither cached nor advance
 * the sequence: the CP's retry of the same bytes must be answered afresh. Packets the parser
 * found malformed (reserved CTRL bits, inconsistent SCB) get no reply, like libosdp's format
 * errors. Replies are sealed when the command came sealed and the session is still up; NAKs
 * for failed security and BUSY go out plain (allowed by blocks.ts mayBePlain).
 */

export interface SimulatedPdOptions {
  address: number;
  /** The device model, or options to build one. */
  model?: PdModel | PdModelOptions;
  /** Line speed the PD believes in; COMSET changes it and the COM reply reports it. */
  baud?: number;
  /** Secure Channel settings; `scbk` absent ⇒ install mode (as libosdp without a key). */
  secure?: { scbk?: Buffer; installMode?: boolean; required?: boolean; timeoutMs?: number };
  /** Source of RND.B (default node:crypto). */
  randomBytes?: (count: number) => Buffer;
  /** 8-byte cUID for CCRYPT (default: vendor OUI, model, serial). */
  cuid?: Buffer;
}

/** A reply ready for the wire. */
export interface PdResponse {
  /** The packet, mark byte included when the command had one. */
  bytes: Buffer;
  /** The reply in plaintext, for events and logs. */
  reply: OsdpReply;
  /** The command's name (`POLL`, `0x7A`, `bad-check`). */
  command: string;
  /** The cached bytes of the previous reply, resent for a repeated SQN. */
  retry: boolean;
  /** Commits what follows a sent reply (COMSET's new address and speed, KEYSET's key). Idempotent. */
  sent(): void;
}

export interface SimulatedPdEvents {
  keyChanged: [{ scbk: Buffer; at: number }];
  /** Emitted once the PD has switched: `address`/`baud` are the new settings. */
  comset: [{ address: number; baud: number; previousAddress: number; at: number }];
  secure: [{ state: 'established' | 'closed'; reason: string; at: number }];
  nak: [{ code: number; command: string; reason: string; at: number }];
}

export const SUPPORTED_BAUDS = [9600, 19200, 38400, 57600, 115200, 230400] as const;

export class SimulatedPd extends EventEmitter<SimulatedPdEvents> {
  readonly model: PdModel;
  address: number;
  baud: number;
  private readonly security: PdSecurity;
  private lastSequence: Sequence | undefined;
  private cached: PdResponse | undefined;
  private lastMark = true;

  constructor(options: SimulatedPdOptions) {
    super();
    if (!Number.isInteger(options.address) || options.address < 0 || options.address >= BROADCAST_ADDRESS) {
      throw new RangeError(`PD address ${options.address} is not an integer in 0..126`);
    }
    this.address = options.address;
    this.baud = options.baud ?? 9600;
    const m = options.model;
    this.model =
      m instanceof PdModel ? m : new PdModel({ ...m, secureChannel: m?.secureChannel ?? !!options.secure });
    const s = options.secure;
    if (s && !this.model.hardware.secureChannel) {
      throw new RangeError(
        'secure options given, but the PD model does not offer Secure Channel (secureChannel)',
      );
    }
    this.security = new PdSecurity(
      {
        enabled: this.model.hardware.secureChannel,
        ...(s?.scbk ? { scbk: s.scbk } : {}),
        installMode: s?.installMode ?? s?.scbk === undefined,
        required: s?.required ?? false,
        timeoutMs: s?.timeoutMs ?? 8000,
        clock: this.model.clock,
        randomBytes: options.randomBytes ?? cryptoRandomBytes,
        cuid: options.cuid ?? defaultCuid(this.model),
      },
      (state, reason) => this.emit('secure', { state, reason, at: this.model.clock.now() }),
    );
  }

  get secureChannelEstablished(): boolean {
    return this.security.established;
  }

  /** Whether a packet to `address` is for this PD (its own address or broadcast). */
  accepts(address: number): boolean {
    return address === this.address || address === BROADCAST_ADDRESS;
  }

  /** The reply to one parser event, or undefined when this PD stays silent. */
  respond(event: ParseEvent): PdResponse | undefined {
    if (event.kind === 'bad-check') {
      if (event.reply || !this.accepts(event.address)) return undefined;
      const target = { address: event.address, sequence: event.sequence, mark: this.lastMark };
      return this.nak(target, 'bad-check', NAK.CHECK_CHARACTER, 'bad CRC/checksum');
    }
    if (event.kind !== 'frame' || event.frame.reply || !this.accepts(event.frame.address)) return undefined;
    const { frame, packet, mark } = event;
    this.lastMark = mark;
    this.security.expire();
    const target = { address: frame.address, sequence: frame.sequence, mark };
    const name = commandName(frame.code);
    if (frame.sequence === 0) {
      this.lastSequence = undefined;
      this.cached = undefined;
      this.security.reset('sequence 0');
    } else if (this.cached && frame.sequence === this.lastSequence) {
      this.model.noteCommand(this.cached.command, true);
      return { ...this.cached, retry: true };
    } else if (this.lastSequence === undefined || frame.sequence !== nextSequence(this.lastSequence)) {
      const expected = this.lastSequence === undefined ? 0 : nextSequence(this.lastSequence);
      return this.nak(target, name, NAK.UNEXPECTED_SEQUENCE, `SQN ${frame.sequence}, expected ${expected}`);
    }
    const response = this.process(frame, packet, target);
    this.lastSequence = frame.sequence;
    this.cached = response;
    return response;
  }

  /** BUSY for a command to this PD, without processing it: SQN 0, plain, like libosdp. */
  busy(event: ParseEvent): PdResponse | undefined {
    if (event.kind !== 'frame' || event.frame.reply || !this.accepts(event.frame.address)) return undefined;
    const target = { address: event.frame.address, sequence: 0 as Sequence, mark: event.mark };
    return this.build(target, commandName(event.frame.code), { type: 'BUSY' }, false);
  }

  /** Cancels the model's timers. */
  dispose(): void {
    this.model.dispose();
  }

  private process(frame: OsdpFrame, packet: Buffer, target: Target): PdResponse {
    const name = commandName(frame.code);
    if (this.security.isHandshake(frame)) {
      const hs = this.security.handshake(frame);
      if (!hs.ok) return this.nak(target, name, hs.nak, hs.reason);
      this.model.noteCommand(name, false);
      const bytes = this.encode(target, { code: hs.code, data: hs.data, securityBlock: hs.securityBlock });
      return respond(bytes, hs.reply, name);
    }
    const opened = this.security.unwrap(frame, packet);
    if (!opened.ok) return this.nak(target, name, opened.nak, opened.reason);
    let cmd: OsdpCommand;
    try {
      cmd = decodeCommand(opened.frame.code, opened.frame.data);
    } catch (error) {
      if (!(error instanceof OsdpPayloadError)) throw error;
      return this.nak(target, name, NAK.COMMAND_LENGTH, error.message, opened.sealed);
    }
    this.model.noteCommand(name, false);
    if (cmd.type === 'COMSET') return this.comset(cmd, target, opened.sealed);
    if (cmd.type === 'KEYSET') return this.keyset(opened.frame.data, target, opened.sealed);
    if (cmd.type === 'CHLNG' || cmd.type === 'SCRYPT') {
      return this.nak(
        target,
        name,
        NAK.SECURITY_CONDITIONS,
        'handshake without its security block',
        opened.sealed,
      );
    }
    const result = executeCommand(this.model, cmd);
    if (result.reply.type === 'NAK') {
      const reason = result.refused ?? 'not implemented';
      return this.nak(target, name, result.reply.code, reason, opened.sealed);
    }
    return this.build(target, name, result.reply, opened.sealed);
  }

  /** COM carries the new settings; the PD switches once the reply has gone out (sent()). */
  private comset(cmd: { address: number; baud: number }, target: Target, sealed: boolean): PdResponse {
    if (cmd.address >= BROADCAST_ADDRESS || !(SUPPORTED_BAUDS as readonly number[]).includes(cmd.baud)) {
      const reason = `address ${cmd.address} / ${cmd.baud} baud not supported`;
      return this.nak(target, 'COMSET', NAK.UNABLE_TO_PROCESS, reason, sealed);
    }
    const response = this.build(
      target,
      'COMSET',
      { type: 'COM', address: cmd.address, baud: cmd.baud },
      sealed,
    );
    return withAfterSend(response, () => {
      const previousAddress = this.address;
      this.address = cmd.address;
      this.baud = cmd.baud;
      this.emit('comset', {
        address: cmd.address,
        baud: cmd.baud,
        previousAddress,
        at: this.model.clock.now(),
      });
    });
  }

  /** ACK under the old session; the new key takes over once the ACK has gone out. */
  private keyset(data: Buffer, target: Target, sealed: boolean): PdResponse {
    const key = this.security.keyset(data);
    if (!key.ok) return this.nak(target, 'KEYSET', key.nak, key.reason, sealed);
    const response = this.build(target, 'KEYSET', { type: 'ACK' }, true);
    return withAfterSend(response, () => {
      this.security.commitKey(key.scbk);
      this.emit('keyChanged', { scbk: Buffer.from(key.scbk), at: this.model.clock.now() });
    });
  }

  private nak(target: Target, command: string, code: number, reason: string, sealed = false): PdResponse {
    this.emit('nak', { code, command, reason, at: this.model.clock.now() });
    return this.build(target, command, { type: 'NAK', code }, sealed);
  }

  private build(target: Target, command: string, reply: OsdpReply, sealed: boolean): PdResponse {
    const { code, data } = encodeReply(reply);
    const seal = sealed && this.security.established && code !== REPLY.BUSY;
    return respond(this.encode(target, { code, data }, seal), reply, command);
  }

  private encode(
    target: Target,
    body: Pick<OsdpFrame, 'code' | 'data' | 'securityBlock'>,
    seal = false,
  ): Buffer {
    let frame: OsdpFrame = {
      address: target.address,
      reply: true,
      sequence: target.sequence,
      useCrc: true,
      ...body,
    };
    if (seal) frame = this.security.seal(frame);
    return encodeFrame(frame, { mark: target.mark });
  }
}

interface Target {
  address: number;
  sequence: Sequence;
  mark: boolean;
}

/** After SQN s the CP sends 1, 2, 3, 1, … (0 only to reset). */
function nextSequence(sequence: Sequence): Sequence {
  return sequence === 3 ? 1 : ((sequence + 1) as Sequence);
}

function respond(bytes: Buffer, reply: OsdpReply, command: string): PdResponse {
  return { bytes, reply, command, retry: false, sent: () => {} };
}

function withAfterSend(response: PdResponse, commit: () => void): PdResponse {
  let done = false;
  return {
    ...response,
    sent: () => {
      if (done) return;
      done = true;
      commit();
    },
  };
}

/** cUID: vendor OUI (3 bytes LE), model, serial (u32 LE). */
function defaultCuid(model: PdModel): Buffer {
  const id = model.identity;
  const out = Buffer.alloc(8);
  out.writeUIntLE(id.vendor & 0xffffff, 0, 3);
  out[3] = id.model & 0xff;
  out.writeUInt32LE(id.serial >>> 0, 4);
  return out;
}
