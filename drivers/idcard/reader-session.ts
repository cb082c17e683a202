import { EventEmitter } from 'node:events';
import { type Clock, InterruptibleSleep, systemClock } from '../shared/clock.js';
import { encodeRequest } from './framing/codec.js';
import { decodeReply, encodeCommand, type SamCommand, type SamReply } from './messages.js';
import type {
  ReaderCounters,
  ReaderSessionEvents,
  ReaderSessionOptions,
  ReaderState,
  ReaderStatus,
  ReadFailure,
} from './reader-types.js';
import { type CollectedResponse, SamReplyCollector } from './reply-collector.js';
import { type SamStatusInfo, type StatusClass, statusInfo } from './status-words.js';
import { decodeTextBlock } from './text-block.js';
import { DEFAULT_SAM_TIMING, replyTimeoutMs, type SamTiming } from './timing.js';

type Outcome = { kind: 'reply'; reply: SamReply } | { kind: 'lost'; reason: string } | { kind: 'fault' };

/** Status classes after which another find → select → read cannot help. */
const FINAL: readonly StatusClass[] = ['card-unsupported', 'command-error'];

/**
 * The host side of a SAM ID-card reader (protocols.md §2): polls find card, and for a card
 * found sends select card and read base message, with bounded resends per command and bounded
 * read sequences per presentation. A card is reported once per presentation: while it stays on
 * the reader (find keeps answering, select gives the same serial) it is not read again; after
 * `removalAfterMisses` no-card answers in a row it counts as taken away, and placing it again
 * reads it again. Reader offline/online/fault transitions are events; nothing is thrown.
 *
 * Lifecycle (style H5): the constructor stores; `start()` runs the poll loop; `stop()` ends it.
 */
export class IdCardReaderSession extends EventEmitter<ReaderSessionEvents> {
  readonly counters: ReaderCounters = {
    commands: 0,
    replies: 0,
    timeouts: 0,
    corrupt: 0,
    resends: 0,
    lateReplies: 0,
    statusErrors: 0,
    reads: 0,
    readFailures: 0,
    removals: 0,
    offlineTransitions: 0,
    faults: 0,
  };
  private readonly timing: SamTiming;
  private readonly clock: Clock;
  private state: ReaderState = 'starting';
  private running = false;
  private readonly nap: InterruptibleSleep;
  private loopDone: Promise<void> = Promise.resolve();
  private lastReplyAt = 0;
  /** The card last reported (read or failed) while it stays on the reader. */
  private present: { serial: string; misses: number } | undefined;

  constructor(private readonly options: ReaderSessionOptions) {
    super();
    this.timing = { ...DEFAULT_SAM_TIMING, ...options.timing };
    this.clock = options.clock ?? systemClock;
    this.nap = new InterruptibleSleep(this.clock);
    options.line.onState((state) => {
      if (state === 'down') this.goOffline('line down');
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
  }

  status(): ReaderStatus {
    const status: ReaderStatus = {
      state: this.state,
      cardPresent: this.present !== undefined,
      counters: { ...this.counters },
    };
    if (this.lastReplyAt > 0) status.lastReplyAt = this.lastReplyAt;
    return status;
  }

  /** A method, not `this.state === …`: TypeScript keeps a property's narrowing across an await. */
  private isOnline(): boolean {
    return this.state === 'online';
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (!this.options.line.isUp) {
        if (this.state === 'starting') this.goOffline('line down');
        await this.nap.sleep(this.timing.reconnectIntervalMs);
      } else if (this.state === 'online') {
        await this.poll();
        if (this.isOnline()) await this.nap.sleep(this.timing.pollIntervalMs);
      } else {
        await this.probe();
        if (!this.isOnline()) await this.nap.sleep(this.timing.reconnectIntervalMs);
      }
    }
  }

  /** Offline, starting or in fault: one SAM status; any answer but a SAM fault brings it online. */
  private async probe(): Promise<void> {
    const outcome = await this.transact({ type: 'sam-status' }, 1);
    if (outcome.kind === 'reply') this.goOnline();
    else if (outcome.kind === 'lost' && this.state === 'starting') {
      this.goOffline(`no reply to SAM status (${outcome.reason})`);
    }
  }

  private async poll(): Promise<void> {
    const found = await this.transact({ type: 'find-card' });
    if (found.kind !== 'reply') return;
    if (found.reply.type === 'card-found') await this.readCard();
    else if (classOf(found.reply) === 'no-card') this.noCard();
  }

  /** After a find card success: select and read, again from find on a card error. */
  private async readCard(): Promise<void> {
    let failure: ReadFailure | undefined;
    let serial = '';
    for (let attempt = 1; attempt <= this.timing.readAttempts; attempt++) {
      if (attempt > 1) {
        this.options.log?.debug(
          { attempt, problem: failure?.detail },
          'reading the card again from find card',
        );
        const found = await this.transact({ type: 'find-card' });
        if (found.kind !== 'reply') return;
        if (found.reply.type !== 'card-found') {
          if (classOf(found.reply) === 'no-card') return;
          failure = this.failure(found.reply, attempt);
          if (FINAL.includes(classOf(found.reply))) break;
          continue;
        }
      }
      const selected = await this.transact({ type: 'select-card' });
      if (selected.kind !== 'reply') return;
      if (selected.reply.type !== 'card-selected') {
        // The card already dealt with cannot be told apart from a new one: wait for its removal.
        if (this.present) return this.stillThere();
        failure = this.failure(selected.reply, attempt);
        if (FINAL.includes(classOf(selected.reply))) break;
        continue;
      }
      serial = selected.reply.serial;
      if (this.present) {
        if (sameCard(this.present.serial, serial)) return this.stillThere();
        this.cardRemoved(); // swapped for another card between two polls
      }
      const read = await this.transact({ type: 'read-base' });
      if (read.kind !== 'reply') return;
      if (read.reply.type === 'base-message') return this.reported(read.reply.text, serial, attempt);
      if (classOf(read.reply) === 'no-card') return;
      failure = this.failure(read.reply, attempt);
      if (FINAL.includes(classOf(read.reply))) break;
    }
    this.present = { serial, misses: 0 };
    this.counters.readFailures++;
    this.emit('readFailed', failure ?? { detail: 'no read attempt completed', attempts: 0 });
  }

  private reported(text: Buffer, serial: string, attempts: number): void {
    const card = decodeTextBlock(text);
    text.fill(0); // the decoded fields are all that is kept, and only until the adapter is done
    this.present = { serial, misses: 0 };
    this.counters.reads++;
    this.emit('read', { card, serial, at: this.clock.now(), attempts });
  }

  private stillThere(): void {
    if (this.present) this.present.misses = 0;
  }

  private noCard(): void {
    if (!this.present) return;
    this.present.misses++;
    if (this.present.misses >= this.timing.removalAfterMisses) this.cardRemoved();
  }

  private cardRemoved(): void {
    this.present = undefined;
    this.counters.removals++;
    this.emit('removed');
  }

  private failure(reply: SamReply, attempts: number): ReadFailure {
    if (reply.type !== 'refused') return { detail: `unexpected ${reply.type} reply`, attempts };
    const status = statusInfo(reply.status);
    return { status, detail: status.en, attempts };
  }

  /**
   * One command with up to `attempts` sends: resent when the reply is missing, damaged or does
   * not fit the command, or when the SAM says it received our frame damaged (0x10, 0x11).
   * A SAM fault ends it at once. When every send failed, silence may make the reader offline.
   *
   * SAM replies carry no sequence number, so a late reply would pass for the reply to whatever
   * was sent next, and every reply after it for the request before (a select resent after a slow
   * first one answers "select failed": the card is selected already). So after a timeout, and
   * after a reply that does not fit (perhaps an earlier one, late), a session that was talking to
   * the SAM listens on until the line has been quiet for the short-command budget before it sends
   * anything: a reply heard then is taken as this command's.
   */
  private async transact(command: SamCommand, attempts = this.timing.commandAttempts): Promise<Outcome> {
    const line = this.options.line;
    const bytes = encodeRequest(encodeCommand(command));
    const timeout = replyTimeoutMs(this.timing, command, line.baudRate);
    let problem = 'no reply';
    for (let attempt = 1; attempt <= attempts && this.running; attempt++) {
      if (attempt > 1) {
        this.counters.resends++;
        this.options.log?.debug({ command: command.type, attempt, problem }, 'resending to the SAM');
      }
      this.counters.commands++;
      const result = await line.exchange({
        bytes,
        collector: new SamReplyCollector(),
        replyTimeoutMs: timeout,
      });
      if (result.status === 'line-down' || result.status === 'sent')
        return { kind: 'lost', reason: 'line down' };
      let collected = result.status === 'reply' ? result.reply : undefined;
      if (collected === undefined) {
        this.counters.timeouts++;
        // A reader already offline is probed with no resend: there is no reply to wait for.
        if (this.state === 'online' || this.state === 'fault') collected = await this.lateReply();
      }
      let verdict = collected ? this.judge(command, collected) : { retry: 'no reply' };
      if ('retry' in verdict && verdict.misfit) {
        const ours = await this.lateReply();
        if (ours) verdict = this.judge(command, ours);
      }
      if ('retry' in verdict) {
        problem = verdict.retry;
        continue;
      }
      return verdict;
    }
    if (!this.running) return { kind: 'lost', reason: 'stopped' };
    this.checkSilence();
    return { kind: 'lost', reason: problem };
  }

  /**
   * A reply still on its way, or undefined once the line has been quiet for the short-command
   * budget: a reply that has begun is heard to its end, however long.
   */
  private async lateReply(): Promise<CollectedResponse | undefined> {
    const late = await this.options.line.listen(new SamReplyCollector(), this.timing.shortProcessingMs);
    if (late) this.counters.lateReplies++;
    return late;
  }

  /** What one collected response means for `command`: an outcome, or a reason to send it again. */
  private judge(
    command: SamCommand,
    collected: CollectedResponse,
  ): Outcome | { retry: string; misfit?: boolean } {
    if (collected.kind === 'corrupt') {
      this.counters.corrupt++;
      return { retry: collected.reason };
    }
    this.counters.replies++;
    this.lastReplyAt = this.clock.now();
    const reply = decodeReply(command, collected.response);
    if (reply.type === 'malformed') {
      this.counters.corrupt++;
      return { retry: reply.reason, misfit: true };
    }
    const info = reply.type === 'refused' ? statusInfo(reply.status) : undefined;
    if (info === undefined || info.class === 'no-card' || info.class === 'no-content') {
      return { kind: 'reply', reply };
    }
    this.counters.statusErrors++;
    if (info.class === 'frame-error') return { retry: info.name };
    if (info.class === 'sam-fault') {
      this.enterFault(info);
      return { kind: 'fault' };
    }
    if (info.class === 'command-error') {
      this.options.log?.error({ command: command.type, status: info.name }, 'the SAM refused the command');
    }
    return { kind: 'reply', reply };
  }

  private checkSilence(): void {
    const silent = this.clock.now() - this.lastReplyAt;
    if ((this.state === 'online' || this.state === 'fault') && silent > this.timing.offlineAfterMs) {
      this.goOffline(`no valid reply for ${Math.round(silent)} ms`);
    }
  }

  private goOnline(): void {
    if (this.state === 'online') return;
    this.state = 'online';
    this.emit('online');
  }

  private goOffline(reason: string): void {
    if (this.state === 'offline') return;
    if (this.state !== 'starting') this.counters.offlineTransitions++;
    this.state = 'offline';
    this.emit('offline', reason);
  }

  private enterFault(status: SamStatusInfo): void {
    if (this.state === 'fault') return;
    this.state = 'fault';
    this.counters.faults++;
    this.emit('fault', status);
  }
}

/** The status class of a reply: `success` for every decoded reply, the SW3 class for a refusal. */
function classOf(reply: SamReply): StatusClass {
  return reply.type === 'refused' ? statusInfo(reply.status).class : 'success';
}

/** Same card, as far as the serial tells: an all-zero or missing serial tells nothing. */
function sameCard(a: string, b: string): boolean {
  const blank = (s: string) => /^0*$/.test(s);
  return blank(a) || blank(b) || a === b;
}
