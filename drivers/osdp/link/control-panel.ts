import { EventEmitter } from 'node:events';
import type { ExchangeResult, HalfDuplexLine } from '../../line/half-duplex-line.js';
import { type Clock, InterruptibleSleep, systemClock } from '../../shared/clock.js';
import { encodeFrame } from '../framing/codec.js';
import type { OsdpFrame } from '../framing/frame.js';
import { encodeCommand, type OsdpCommand } from '../messages/commands.js';
import { decodeReply, type OsdpReply } from '../messages/replies.js';
import { CommitGate } from './commit-gate.js';
import { describePd, type Job, newPd, type Pd, type SendOptions } from './panel-pd.js';
import type { LinkStep, PdConfig } from './pd-link.js';
import { type ControlPanelEvents, OsdpCommandError, type PdStatus, type ReportTiming } from './pd-status.js';
import { type CollectedReply, OsdpReplyCollector } from './reply-collector.js';
import { DEFAULT_OSDP_TIMING, type OsdpTiming } from './timing.js';

export type { SendOptions } from './panel-pd.js';
export {
  type ControlPanelEvents,
  OsdpCommandError,
  type PdCounters,
  type PdStatus,
  type ReportTiming,
} from './pd-status.js';

export interface ControlPanelOptions {
  line: HalfDuplexLine;
  pds: PdConfig[];
  timing?: Partial<OsdpTiming>;
  clock?: Clock;
  /** Send the 0xFF mark byte before each packet (libosdp and OSDP.Net do). */
  markByte?: boolean;
}

/**
 * The OSDP control panel for one RS-485 line: polls its PDs round-robin, sends their queued
 * commands first, retries a lost command byte-identically, finds PDs that went offline and
 * brings them back. One instance per line; the line is shared with other protocols through
 * HalfDuplexLine, which serialises every exchange.
 */
export class OsdpControlPanel extends EventEmitter<ControlPanelEvents> {
  private readonly pds: Pd[];
  private readonly timing: OsdpTiming;
  private readonly clock: Clock;
  private running = false;
  private cursor = -1;
  private readonly nap: InterruptibleSleep;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(private readonly options: ControlPanelOptions) {
    super();
    this.timing = { ...DEFAULT_OSDP_TIMING, ...options.timing };
    this.clock = options.clock ?? systemClock;
    this.nap = new InterruptibleSleep(this.clock);
    const seen = new Set<number>();
    this.pds = options.pds.map((config) => {
      if (config.address < 0 || config.address > 0x7e || seen.has(config.address)) {
        throw new RangeError(`PD address ${config.address} is out of range 0–126 or used twice on this line`);
      }
      seen.add(config.address);
      return newPd(config);
    });
    options.line.onState((state) => {
      if (state === 'down') for (const pd of this.pds) this.goOffline(pd, 'line down', 'retry-poll');
      this.nap.wake();
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nap.wake();
    await this.loopDone;
    for (const pd of this.pds) this.failJobs(pd, 'stopped', 'control panel stopped');
  }

  status(address: number): PdStatus {
    return describePd(this.pd(address));
  }

  statuses(): PdStatus[] {
    return this.pds.map((pd) => describePd(pd));
  }

  /**
   * Queues a command for a PD; it goes out ahead of polls, at the next free slot on the line.
   * Resolves with the PD's reply (ACK, OSTATR, …); rejects with OsdpCommandError when the PD
   * is offline, answers NAK, or does not answer after `commandAttempts` sends.
   */
  send(address: number, command: OsdpCommand, options: SendOptions = {}): Promise<OsdpReply> {
    const pd = this.pd(address);
    const gate = options.commit && new CommitGate(options.commit);
    if (!pd.online) {
      gate?.abandon();
      return Promise.reject(new OsdpCommandError(`PD ${pd.link.config.name} is offline`, 'offline'));
    }
    return new Promise((resolve, reject) => {
      if (!gate) pd.queue.push({ command, resolve, reject });
      else {
        // Ahead of ungated commands, behind gated ones queued before it (passes in card order).
        const at = pd.queue.findIndex((job) => job.gate === undefined);
        pd.queue.splice(at < 0 ? pd.queue.length : at, 0, { command, resolve, reject, gate });
      }
      this.nap.wake();
    });
  }

  /**
   * The site master key was rotated: every PD reconnects, with the new key or, when it refuses
   * that, with the previous one and a KEYSET that moves it to the new key (pd-link.ts). A PD
   * reconnects through offline and online; one that is unreachable moves when it comes back.
   */
  rekey(masterKey: Buffer, previousMasterKey: Buffer | undefined): void {
    for (const pd of this.pds) {
      if (pd.link.config.scbk !== undefined) continue; // a key provisioned elsewhere is not the site's
      pd.link.setMasterKeys(masterKey, previousMasterKey);
      this.restart(pd, 'the site key was rotated');
    }
  }

  private pd(address: number): Pd {
    const pd = this.pds.find((p) => p.link.config.address === address);
    if (!pd) throw new RangeError(`no PD with address ${address} on ${this.options.line.transport.name}`);
    return pd;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const now = this.clock.now();
      for (const pd of this.pds) this.checkSilence(pd, now);
      const pd = this.options.line.isUp ? this.pickNext(now) : undefined;
      if (pd) await this.serve(pd);
      else await this.nap.sleep(this.options.line.isUp ? this.untilDue(now) : 100);
    }
  }

  /**
   * Round-robin; a PD with a queued command (or one to retry) goes before plain polls. A lost
   * POLL is retried at the PD's normal turn, so a silent PD costs the others one reply
   * timeout per round and never starves them.
   */
  private pickNext(now: number): Pd | undefined {
    const gated = this.pds.find(
      (pd) => pd.online && !pd.inFlight && pd.queue[0]?.gate && pd.busyUntil <= now,
    );
    if (gated) return gated;
    const n = this.pds.length;
    let due: Pd | undefined;
    for (let i = 1; i <= n; i++) {
      const index = (this.cursor + i) % n;
      const pd = this.pds[index] as Pd;
      const urgent = pd.inFlight ? pd.inFlight.job !== undefined : pd.queue.length > 0;
      if (pd.online && urgent && pd.busyUntil <= now) {
        this.cursor = index;
        return pd;
      }
      if (!due && this.dueAt(pd) <= now) due = pd;
    }
    if (due) this.cursor = this.pds.indexOf(due);
    return due;
  }

  private dueAt(pd: Pd): number {
    if (pd.online) return pd.nextPollAt;
    if (pd.link.phase !== 'reset') return pd.nextPollAt;
    return pd.lastTryAt + this.timing.reconnectIntervalMs;
  }

  private untilDue(now: number): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const pd of this.pds) earliest = Math.min(earliest, this.dueAt(pd));
    return Math.max(1, Math.min(earliest - now, 100));
  }

  /** One exchange with one PD: a retry, a queued command, a connection step or a POLL. */
  private async serve(pd: Pd): Promise<void> {
    if (!pd.inFlight) {
      const job = pd.online ? pd.queue.shift() : undefined;
      try {
        pd.inFlight = this.nextCommand(pd, job);
      } catch (error) {
        const why = (error as Error).message;
        if (job) {
          // A queued command that cannot be encoded fails alone; the PD is fine.
          job.gate?.abandon();
          job.reject(new OsdpCommandError(`${job.command.type} cannot be sent: ${why}`, 'invalid'));
          return;
        }
        // A connection step that cannot be built (e.g. no key to install) refuses the PD.
        this.step(pd, { kind: 'refused', reason: why });
        return;
      }
    } else {
      pd.counters.retries++;
    }
    const inFlight = pd.inFlight;
    inFlight.attempts++;
    pd.counters.commands++;
    const gate = inFlight.job?.gate;
    const result = await this.options.line.exchange({
      bytes: inFlight.bytes,
      collector: new OsdpReplyCollector(pd.link.config.address, pd.link.sequence),
      replyTimeoutMs: this.timing.replyTimeoutMs,
      ...(gate?.pending ? { commit: () => gate.onWire() } : {}),
    });
    this.handle(pd, result);
  }

  /** A queued command when online, the next connection step otherwise, or a POLL. */
  private nextCommand(pd: Pd, job: Job | undefined): NonNullable<Pd['inFlight']> {
    const link = pd.link;
    if (!pd.online && link.phase === 'reset') pd.lastTryAt = this.clock.now();
    const connection = pd.online ? undefined : link.connectionCommand();
    const command: OsdpCommand = job?.command ?? connection?.command ?? { type: 'POLL' };
    const { code, data } = encodeCommand(command);
    const sequence = link.takeSequence(code);
    let frame: OsdpFrame = { address: link.config.address, reply: false, sequence, useCrc: true, code, data };
    if (connection?.securityBlock) frame = { ...frame, securityBlock: connection.securityBlock };
    const bytes = encodeFrame(link.seal(frame), { mark: this.options.markByte ?? true });
    return job ? { bytes, command, attempts: 0, job } : { bytes, command, attempts: 0 };
  }

  private handle(pd: Pd, result: ExchangeResult<CollectedReply>): void {
    const now = this.clock.now();
    const inFlight = pd.inFlight;
    if (!inFlight) return;
    if (result.status === 'line-down' || result.status === 'sent') return;
    if (result.status === 'withdrawn') {
      // The PD discarded the spoiled packet: the command never happened, so its sequence number
      // is used again (and the MAC chain never moved: it follows the PD's replies).
      pd.counters.withdrawn++;
      pd.inFlight = undefined;
      pd.link.withdraw();
      inFlight.job?.reject(new OsdpCommandError('withdrawn: its commit refused', 'withdrawn'));
      return;
    }
    if (result.status === 'timeout' || result.reply.kind === 'corrupt') {
      if (result.status === 'timeout') pd.counters.timeouts++;
      else pd.counters.corrupt++;
      this.lost(pd, inFlight, now);
      return;
    }
    const { frame, packet } = result.reply;
    let reply: OsdpReply;
    try {
      const plain = pd.link.open(frame, packet);
      reply = decodeReply(plain.code, plain.data);
    } catch (error) {
      // A reply that does not verify under the Secure Channel (or does not decode) is never
      // acted on: the session is torn down and rebuilt from sequence 0.
      pd.counters.secureFailures++;
      this.restart(pd, `reply rejected: ${(error as Error).message}`);
      return;
    }
    pd.counters.replies++;
    pd.lastReplyAt = now;
    pd.lastRoundTripMs = result.repliedAt - result.sentAt;
    pd.nextPollAt = now + this.timing.pollIntervalMs;
    if (reply.type === 'BUSY') {
      pd.counters.busy++;
      pd.busyUntil = now + this.timing.busyRetryMs;
      pd.nextPollAt = pd.busyUntil;
      return;
    }
    pd.inFlight = undefined;
    if (reply.type === 'NAK') pd.counters.naks++;
    if (pd.retryLostPollUntil !== undefined) {
      this.lostPollAnswered(pd, reply, { sentAt: result.sentAt, repliedAt: result.repliedAt });
      return;
    }
    if (pd.online) {
      this.onlineReply(pd, inFlight, reply, { sentAt: result.sentAt, repliedAt: result.repliedAt });
      return;
    }
    this.step(pd, pd.link.accept(reply, frame));
  }

  /** A reply while online: the answer to a queued command, or what a POLL brought back. */
  private onlineReply(
    pd: Pd,
    inFlight: NonNullable<Pd['inFlight']>,
    reply: OsdpReply,
    timing: ReportTiming,
  ): void {
    if (reply.type === 'NAK' && reply.code === 0x04) {
      inFlight.job?.reject(new OsdpCommandError('PD lost the sequence', 'nak', 0x04));
      this.restart(pd, 'PD reported an unexpected sequence number');
      return;
    }
    if (inFlight.job) {
      if (reply.type === 'NAK') {
        const hex = reply.code.toString(16).padStart(2, '0');
        inFlight.job.reject(new OsdpCommandError(`PD answered NAK 0x${hex}`, 'nak', reply.code));
      } else inFlight.job.resolve(reply);
      return;
    }
    if (reply.type !== 'ACK') this.emit('report', pd.link.config.address, reply, timing);
  }

  /**
   * The PD answered the POLL it was offline with: the same session goes on, and what the POLL
   * brought is delivered. A NAK (0x04: the PD was restarted) means the session is gone: reset.
   */
  private lostPollAnswered(pd: Pd, reply: OsdpReply, timing: ReportTiming): void {
    pd.retryLostPollUntil = undefined;
    if (reply.type === 'NAK') {
      pd.link.reset();
      return;
    }
    pd.online = true;
    this.emit('online', describePd(pd));
    if (reply.type === 'ACK') return;
    pd.counters.recoveredReports++;
    this.emit('report', pd.link.config.address, reply, timing);
  }

  private step(pd: Pd, step: LinkStep): void {
    switch (step.kind) {
      case 'continue':
        pd.nextPollAt = this.clock.now();
        return;
      case 'key-installed':
        this.emit('keyInstalled', describePd(pd));
        pd.nextPollAt = this.clock.now();
        return;
      case 'online':
        pd.online = true;
        pd.refused = false;
        // The first POLL at once: a card presented while the reader was connecting is waiting.
        pd.nextPollAt = this.clock.now();
        this.emit('online', describePd(pd));
        return;
      case 'reset':
        pd.link.reset();
        return;
      case 'refused':
        pd.counters.secureFailures++;
        pd.link.reset();
        if (!pd.refused) {
          pd.refused = true;
          this.emit('refused', describePd(pd), step.reason);
        }
        return;
    }
  }

  /** No usable reply: retry identically, or give the command up; silence decides offline. */
  private lost(pd: Pd, inFlight: NonNullable<Pd['inFlight']>, now: number): void {
    if (!pd.online) {
      if (pd.retryLostPollUntil !== undefined) return; // the next try at its turn (checkSilence ends it)
      // Connecting: a PD that does not answer waits for the next reconnect slot.
      pd.inFlight = undefined;
      pd.link.reset();
      return;
    }
    // A command gives up after its attempts (the next one takes a new sequence number; a PD
    // that did see it answers that with NAK 0x04 and is reconnected). A POLL keeps trying
    // byte-identically until the silence makes the PD offline.
    if (inFlight.job && inFlight.attempts >= this.timing.commandAttempts) {
      pd.inFlight = undefined;
      inFlight.job.reject(new OsdpCommandError(`no reply after ${inFlight.attempts} attempts`, 'no-reply'));
    }
    this.checkSilence(pd, now);
  }

  private checkSilence(pd: Pd, now: number): void {
    if (pd.online && now - pd.lastReplyAt > this.timing.offlineAfterMs) {
      this.goOffline(pd, `no valid reply for ${Math.round(now - pd.lastReplyAt)} ms`, 'retry-poll');
    }
    if (pd.retryLostPollUntil !== undefined && now >= pd.retryLostPollUntil) this.resetLink(pd);
  }

  /** Drops what is on the wire and the session: the next command goes out with sequence 0. */
  private resetLink(pd: Pd): void {
    pd.retryLostPollUntil = undefined;
    pd.inFlight = undefined;
    pd.link.reset();
  }

  /** A deliberate reset (rejected reply, lost sequence, new key): nothing is retried. */
  private restart(pd: Pd, reason: string): void {
    if (pd.online) this.goOffline(pd, reason, 'reset');
    else this.resetLink(pd);
  }

  /**
   * `retry-poll` (silence, line down): a POLL on the wire stays there to be retried, with the
   * link as it is, until timing.lostPollRetryMs has passed; anything else resets the link.
   */
  private goOffline(pd: Pd, reason: string, then: 'retry-poll' | 'reset'): void {
    this.failJobs(pd, 'offline', `PD ${pd.link.config.name} went offline: ${reason}`);
    pd.lastTryAt = Number.NEGATIVE_INFINITY;
    if (then === 'retry-poll' && pd.online && pd.inFlight && !pd.inFlight.job) {
      pd.retryLostPollUntil = this.clock.now() + this.timing.lostPollRetryMs;
    } else this.resetLink(pd);
    if (!pd.online) return;
    pd.online = false;
    pd.counters.offlineTransitions++;
    this.emit('offline', describePd(pd), reason);
  }

  private failJobs(pd: Pd, reason: 'offline' | 'stopped', message: string): void {
    const inFlightJob = pd.inFlight?.job;
    const jobs = inFlightJob ? [inFlightJob, ...pd.queue.splice(0)] : pd.queue.splice(0);
    for (const job of jobs) {
      job.gate?.abandon();
      job.reject(new OsdpCommandError(message, reason));
    }
  }
}
