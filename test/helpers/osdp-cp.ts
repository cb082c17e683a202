/**
 * A minimal OSDP control panel for simulator tests (not the gateway's CP): builds commands with
 * the real codec, keeps the sequence number, runs the Secure Channel handshake with a CP-side
 * SecureChannel, and waits for the reply to each command; with a ManualClock
 * (test/helpers/manual-clock.ts) it steps through the simulator's line model.
 */
import { encodeFrame, macInput } from '../../drivers/osdp/framing/codec.js';
import type { OsdpFrame, SecurityBlock, Sequence } from '../../drivers/osdp/framing/frame.js';
import { OsdpParser, type ParseEvent } from '../../drivers/osdp/framing/parser.js';
import { REPLY } from '../../drivers/osdp/messages/codes.js';
import { encodeCommand, type OsdpCommand } from '../../drivers/osdp/messages/commands.js';
import { decodeReply, type OsdpReply } from '../../drivers/osdp/messages/replies.js';
import { SecureChannel } from '../../drivers/osdp/secure/channel.js';
import { keysetData } from '../../drivers/osdp/secure/keys.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import type { ManualClock } from './manual-clock.js';

export type CpResult =
  | { kind: 'reply'; reply: OsdpReply; frame: OsdpFrame; packet: Buffer }
  | { kind: 'corrupt'; packet: Buffer }
  | { kind: 'timeout' };

export interface CommandOptions {
  /** Default: the CP's next sequence number (0 first, then 1, 2, 3, 1 …). */
  sequence?: Sequence;
  securityBlock?: SecurityBlock;
  /** Default: seal when a session is established. */
  seal?: boolean;
  /** Default: the CP's PD address. */
  address?: number;
}

export interface MiniCpOptions {
  address: number;
  /** Send the 0xFF mark byte (default true). */
  mark?: boolean;
  /** Line speed, only for the reply deadline with a ManualClock. */
  baud?: number;
  /** With a ManualClock the CP steps time itself; without one it waits in real time. */
  clock?: ManualClock;
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class MiniCp {
  readonly heard: ParseEvent[] = [];
  channel: SecureChannel | undefined;
  private readonly parser = new OsdpParser();
  private next: Sequence = 0;
  private lastBytes: Buffer | undefined;
  private lastSequence: Sequence = 0;
  private wake: (() => void) | undefined;

  constructor(
    readonly transport: ByteTransport,
    readonly options: MiniCpOptions,
  ) {
    transport.onData((bytes) => {
      this.heard.push(...this.parser.push(bytes));
      this.wake?.();
    });
  }

  get nextSequence(): Sequence {
    return this.next;
  }

  /** The packet for a command; advances the sequence unless one is given. */
  build(command: OsdpCommand, opts: CommandOptions = {}): Buffer {
    const { code, data } = encodeCommand(command);
    const sequence = opts.sequence ?? this.next;
    if (opts.sequence === undefined) this.next = sequence === 3 ? 1 : ((sequence + 1) as Sequence);
    let frame: OsdpFrame = {
      address: opts.address ?? this.options.address,
      reply: false,
      sequence,
      useCrc: true,
      code,
      data,
    };
    if (opts.securityBlock) frame = { ...frame, securityBlock: opts.securityBlock };
    if ((opts.seal ?? true) && !opts.securityBlock && this.channel?.established)
      frame = this.channel.seal(frame);
    this.lastSequence = sequence;
    return encodeFrame(frame, { mark: this.options.mark ?? true });
  }

  /** Sends a command and waits (up to `timeoutMs` after it left the wire) for its reply. */
  async exchange(
    command: OsdpCommand,
    opts: CommandOptions & { timeoutMs?: number } = {},
  ): Promise<CpResult> {
    return this.sendRaw(this.build(command, opts), opts.timeoutMs);
  }

  /** Sends the previous command's bytes again (a retry with the same SQN). */
  async retry(timeoutMs?: number): Promise<CpResult> {
    if (!this.lastBytes) throw new Error('nothing sent yet');
    return this.sendRaw(this.lastBytes, timeoutMs);
  }

  /** Sends any bytes as the current command and waits for a reply with its SQN (or BUSY). */
  async sendRaw(bytes: Buffer, timeoutMs = 200): Promise<CpResult> {
    this.heard.length = 0;
    this.lastBytes = bytes;
    const sentAt = this.options.clock?.now() ?? 0;
    await this.transport.write(bytes);
    const wire = ((bytes.length * 10) / (this.options.baud ?? 9600)) * 1000;
    return this.waitFor(() => this.collect(), sentAt + wire + timeoutMs, timeoutMs + wire);
  }

  /** Keeps waiting for the current command's reply (e.g. a late one), up to `timeoutMs` more. */
  async listen(timeoutMs: number): Promise<CpResult> {
    const now = this.options.clock?.now() ?? 0;
    return this.waitFor(() => this.collect(), now + timeoutMs, timeoutMs);
  }

  /** Runs the handshake (CHLNG/CCRYPT, SCRYPT/RMAC_I) with `scbk`, or SCBK-D when it is 'default'. */
  async handshake(
    scbk: Buffer | 'default',
    rndA = Buffer.from('b0b1b2b3b4b5b6b7', 'hex'),
  ): Promise<CpResult> {
    const cp = new SecureChannel({ role: 'cp', macInput, ...(scbk === 'default' ? {} : { scbk }) });
    this.channel = cp;
    const chlng = cp.beginCp(rndA, scbk === 'default');
    const ccrypt = await this.exchange({ type: 'CHLNG', rndA }, { securityBlock: chlng.securityBlock });
    if (ccrypt.kind !== 'reply' || ccrypt.reply.type !== 'CCRYPT') return ccrypt;
    const scrypt = cp.onCcrypt(ccrypt.reply.cuid, ccrypt.reply.rndB, ccrypt.reply.cryptogram);
    const rmac = await this.exchange(
      { type: 'SCRYPT', cryptogram: scrypt.data },
      { securityBlock: scrypt.securityBlock },
    );
    if (rmac.kind === 'reply' && rmac.reply.type === 'RMAC_I') cp.onRmacI(rmac.reply.rmac);
    return rmac;
  }

  /** KEYSET data for a new SCBK (encrypted by build() under the session). */
  static keyset(scbk: Buffer): OsdpCommand {
    const data = keysetData(scbk);
    return { type: 'KEYSET', keyType: data[0] ?? 1, key: Buffer.from(data.subarray(2)) };
  }

  /** Waits until `check` returns a value; with a ManualClock, steps timers up to `deadline`. */
  async waitFor<T>(
    check: () => T | undefined,
    deadline: number,
    realTimeoutMs: number,
  ): Promise<T | { kind: 'timeout' }> {
    const clock = this.options.clock;
    if (clock) {
      for (let idle = 0; idle < 50; ) {
        await immediate();
        await immediate();
        const found = check();
        if (found !== undefined) return found;
        const due = clock.nextDue();
        if (due !== undefined && due <= deadline) {
          clock.runNext();
          idle = 0;
        } else idle++;
      }
      return { kind: 'timeout' };
    }
    const found = check();
    if (found !== undefined) return found;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve({ kind: 'timeout' });
      }, realTimeoutMs);
      this.wake = () => {
        const hit = check();
        if (hit === undefined) return;
        clearTimeout(timer);
        this.wake = undefined;
        resolve(hit);
      };
    });
  }

  /** The reply to the current command among what was heard, opened under the session if any. */
  private collect(): CpResult | undefined {
    for (const event of this.heard) {
      if (event.kind === 'bad-check' && event.reply) return { kind: 'corrupt', packet: event.packet };
      if (event.kind !== 'frame' || !event.frame.reply) continue;
      const f = event.frame;
      const busy = f.code === REPLY.BUSY && f.sequence === 0;
      if (f.sequence !== this.lastSequence && !busy) continue;
      const plain = this.open(f, event.packet);
      return { kind: 'reply', reply: decodeReply(plain.code, plain.data), frame: f, packet: event.packet };
    }
    return undefined;
  }

  /** Handshake replies and plain NAK/BUSY pass as they are; sealed replies are checked and decrypted. */
  private open(frame: OsdpFrame, packet: Buffer): OsdpFrame {
    const ch = this.channel;
    if (!ch?.established || !frame.securityBlock) return frame;
    return ch.open(frame, packet);
  }
}
