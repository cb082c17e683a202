import { macInput } from '../../drivers/osdp/framing/codec.js';
import type { OsdpFrame, SecurityBlock } from '../../drivers/osdp/framing/frame.js';
import { COMMAND, NAK, OsdpPayloadError, REPLY } from '../../drivers/osdp/messages/codes.js';
import { decodeCommand } from '../../drivers/osdp/messages/commands.js';
import type { OsdpReply } from '../../drivers/osdp/messages/replies.js';
import { KEY_BYTE_SCBK, SCB } from '../../drivers/osdp/secure/blocks.js';
import { SecureChannel } from '../../drivers/osdp/secure/channel.js';
import { SecureChannelError } from '../../drivers/osdp/secure/errors.js';
import type { Clock } from '../../drivers/shared/clock.js';

/**
 * The PD's side of the Secure Channel (protocols.md §1.9), after libosdp's osdp_phy.c and
 * osdp_pd.c: which incoming frames are acceptable, the CHLNG/SCRYPT handshake, sealing replies,
 * KEYSET, and the session timeout. The responder checks the sequence number *before* calling
 * unwrap(), so a retried command never reaches SecureChannel.open() (see channel.ts).
 *
 * Refusals, each a NAK code and a reason for logs:
 * - any SCB on a PD without Secure Channel ⇒ 0x05;
 * - a secured frame outside a session, a MAC or padding failure (the session is dropped, as
 *   libosdp's "discarding SC"), a plain command while a session is up, a reply-direction or
 *   unknown SCB type, a handshake step out of order or with a key the PD cannot use ⇒ 0x06;
 * - when `required`, any plain command but ID and CAP before a session exists ⇒ 0x06
 *   (libosdp OSDP_FLAG_ENFORCE_SECURE).
 * A rejected SCRYPT is answered NAK 0x06 rather than RMAC_I with SCB data 0xFF: the RMAC_I
 * payload has no defined content for a rejection, and libosdp's CP treats both as a refusal.
 */

export interface PdSecurityOptions {
  /** Offers Secure Channel (PDCAP 9); without it every SCB is refused with NAK 0x05. */
  enabled: boolean;
  scbk?: Buffer;
  /** Accept a CHLNG asking for SCBK-D. Cleared once KEYSET installs a key (libosdp). */
  installMode?: boolean;
  required?: boolean;
  /** Session dropped after this long without a secured command (libosdp 8 s). */
  timeoutMs: number;
  clock: Clock;
  randomBytes: (count: number) => Buffer;
  /** 8 bytes, sent in CCRYPT. */
  cuid: Buffer;
}

export type Refusal = { ok: false; nak: number; reason: string };
export type Unwrapped = { ok: true; frame: OsdpFrame; sealed: boolean } | Refusal;
export type HandshakeReply =
  | { ok: true; code: number; data: Buffer; securityBlock: SecurityBlock; reply: OsdpReply }
  | Refusal;

type StateListener = (state: 'established' | 'closed', reason: string) => void;

export class PdSecurity {
  private channel: SecureChannel;
  private installMode: boolean;
  private lastSecureAt = 0;

  constructor(
    private readonly options: PdSecurityOptions,
    private readonly onState: StateListener,
  ) {
    this.installMode = options.installMode ?? false;
    this.channel = this.newChannel(options.scbk);
  }

  get established(): boolean {
    return this.channel.established;
  }

  /** Drops the session (SQN 0, failures); tells the listener when one was up. */
  reset(reason: string): void {
    const was = this.channel.established;
    this.channel.reset();
    if (was) this.onState('closed', reason);
  }

  /** Call before each command: drops a session idle for longer than the timeout. */
  expire(): void {
    if (this.established && this.options.clock.now() - this.lastSecureAt > this.options.timeoutMs) {
      this.reset('timeout');
    }
  }

  /** The plain command inside `frame`, or why it is refused. Handshake frames go to handshake(). */
  unwrap(frame: OsdpFrame, packet: Buffer): Unwrapped {
    const scb = frame.securityBlock;
    if (scb === undefined) {
      if (this.established) return refuse('plain command while a secure session is up');
      const bootstrap = frame.code === COMMAND.ID || frame.code === COMMAND.CAP;
      if (this.options.required && !bootstrap) return refuse('secure channel required');
      return { ok: true, frame, sealed: false };
    }
    if (!this.options.enabled) return refuse('no secure channel on this PD', NAK.SECURITY_BLOCK_UNSUPPORTED);
    if (scb.type !== SCB.CMD_MAC && scb.type !== SCB.CMD_ENC)
      return refuse(`SCB type 0x${hex(scb.type)} here`);
    if (!this.established) return refuse('secured command outside a session');
    try {
      const plain = this.channel.open(frame, packet);
      this.lastSecureAt = this.options.clock.now();
      return { ok: true, frame: plain, sealed: true };
    } catch (error) {
      if (!(error instanceof SecureChannelError)) throw error;
      this.reset(error.reason);
      return refuse(error.message);
    }
  }

  /** True for CHLNG/SCRYPT frames (SCB 0x11/0x13), which handshake() answers. */
  isHandshake(frame: OsdpFrame): boolean {
    const t = frame.securityBlock?.type;
    return this.options.enabled && (t === SCB.CHLNG || t === SCB.SCRYPT);
  }

  handshake(frame: OsdpFrame): HandshakeReply {
    const t = frame.securityBlock?.type;
    const expected = t === SCB.CHLNG ? COMMAND.CHLNG : COMMAND.SCRYPT;
    if (frame.code !== expected) return refuse(`SCB type 0x${hex(t ?? 0)} on command 0x${hex(frame.code)}`);
    const was = this.established;
    try {
      const cmd = decodeCommand(frame.code, frame.data);
      if (cmd.type === 'CHLNG') {
        const keyByte = frame.securityBlock?.data[0] ?? KEY_BYTE_SCBK;
        const rndB = this.options.randomBytes(8);
        const hs = this.channel.onChlng(cmd.rndA, keyByte, rndB, this.options.cuid);
        const cryptogram = hs.data.subarray(16);
        const reply: OsdpReply = { type: 'CCRYPT', cuid: this.options.cuid, rndB, cryptogram };
        return { ok: true, code: REPLY.CCRYPT, ...hs, reply };
      }
      if (cmd.type !== 'SCRYPT') return refuse('not a handshake command');
      const hs = this.channel.onScrypt(cmd.cryptogram);
      this.lastSecureAt = this.options.clock.now();
      this.onState('established', this.channel.usingDefaultKey ? 'SCBK-D' : 'SCBK');
      return { ok: true, code: REPLY.RMAC_I, ...hs, reply: { type: 'RMAC_I', rmac: hs.data } };
    } catch (error) {
      if (error instanceof OsdpPayloadError) return refuse(error.message, NAK.COMMAND_LENGTH);
      if (error instanceof SecureChannelError) return refuse(error.message);
      throw error;
    } finally {
      // CHLNG always restarts the handshake, so a running session ends whatever the outcome.
      if (was && !this.established) this.onState('closed', 'new handshake');
    }
  }

  /** Seals a plain reply under the running session. */
  seal(reply: OsdpFrame): OsdpFrame {
    return this.channel.seal(reply);
  }

  /** Checks KEYSET data (only inside a session) and returns the new SCBK; commitKey() installs it. */
  keyset(data: Buffer): { ok: true; scbk: Buffer } | Refusal {
    if (!this.established) return refuse('KEYSET outside a secure session');
    try {
      return { ok: true, scbk: this.channel.onKeyset(data) };
    } catch (error) {
      if (error instanceof SecureChannelError) return refuse(error.message, NAK.COMMAND_LENGTH);
      throw error;
    }
  }

  /**
   * After the KEYSET ACK has gone out: the session ends, the new key is used from the next
   * CHLNG, and install mode is over (libosdp clears OSDP_FLAG_INSTALL_MODE).
   */
  commitKey(scbk: Buffer): void {
    this.reset('new key');
    this.installMode = false;
    this.channel = this.newChannel(scbk);
  }

  private newChannel(scbk: Buffer | undefined): SecureChannel {
    return new SecureChannel({
      role: 'pd',
      macInput,
      installMode: this.installMode,
      ...(scbk ? { scbk } : {}),
    });
  }
}

function refuse(reason: string, nak: number = NAK.SECURITY_CONDITIONS): Refusal {
  return { ok: false, nak, reason };
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
