import { EventEmitter } from 'node:events';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import { OsdpParser, type ParseEvent } from '../../drivers/osdp/framing/parser.js';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import { OwnedListeners } from '../shared/owned-listeners.js';
import { type RandomSource, randomBytesFrom, randomInt } from '../shared/random.js';
import { TimerSet } from '../shared/timer-set.js';
import { checkNoise, type FaultSettings, FaultTable, type NoiseSettings } from './faults.js';
import type { PdResponse, SimulatedPd } from './pd-responder.js';

/**
 * Hosts simulated PDs on one ByteTransport: a serial port, one end of a socat pty pair, or a
 * MemoryBus endpoint. Everything heard goes through one OsdpParser; replies of other PDs
 * (address bit 7) and packets for addresses not hosted here are ignored, as on a real
 * multi-drop line. A broadcast (0x7F) reaches every hosted PD and each answers in turn (on a
 * real wire they would collide: broadcast is for one PD on the line).
 *
 * Pacing. A pseudo-terminal or a memory pipe moves a whole packet at once, so the simulator
 * models the RS-485 line itself (8N1 at `baud`):
 * - bytes go on the wire as the CP's UART would send them: a chunk starts when it arrived or
 *   when the bytes before it have left, whichever is later, and takes its wire time; a command
 *   counts as completely received when its last byte has (so a CP that holds a packet's last
 *   byte back for a moment, see HalfDuplexLine's commit gate, is modelled as a real line would
 *   carry it);
 * - the PD then turns the line around after `turnaroundMs` (default 1 ms, below the 200 ms
 *   reply limit) plus any injected lateness;
 * - the reply occupies the line for its own wire time and is written when its last byte would
 *   leave the driver, so the CP sees it complete exactly when it would on a real line.
 * The command is processed (state changes, `command` event) at the modelled end of reception;
 * `reportSent` carries the modelled start and end of the reply on the wire, which is what lets
 * a benchmark split card-to-unlock time into line time and CP time. Timers run on the injected
 * clock, so tests can step through all of this deterministically.
 *
 * A partial packet after which the line stays quiet for `interCharacterTimeoutMs` (default
 * 20 ms, counted from the modelled end of its last byte) is discarded, so line noise that
 * looked like a long header cannot hold real commands hostage.
 */

export interface BusSimulatorOptions {
  transport: ByteTransport;
  pds: readonly SimulatedPd[];
  /** Line speed for the pacing model (default 9600). */
  baud?: number;
  /** Idle time between the end of a command and the start of its reply (default 1 ms, < 200). */
  turnaroundMs?: number;
  interCharacterTimeoutMs?: number;
  clock?: Clock;
  random?: RandomSource;
}

/** Per-bus tallies, each counting since construction. */
export interface BusCounters {
  rxBytes: number;
  txBytes: number;
  /** Frames and bad-check packets addressed to a hosted PD. */
  commands: number;
  /** Packets for other addresses, other PDs' replies, malformed packets. */
  ignored: number;
  /** Bytes the parser skipped as noise or bad headers. */
  discardedBytes: number;
  replies: number;
  silenced: number;
  dropped: number;
  late: number;
  busy: number;
  corrupted: number;
  noiseBytes: number;
  writeErrors: number;
}

export interface BusSimulatorEvents {
  /** A reply was written; times are the modelled wire times. */
  reply: [
    {
      address: number;
      command: string;
      reply: string;
      retry: boolean;
      startedAt: number;
      finishedAt: number;
      corrupted: boolean;
    },
  ];
  /** A fault was applied. */
  fault: [{ address: number; kind: 'silent' | 'drop' | 'late' | 'busy' | 'corrupt'; at: number }];
  noise: [{ bytes: number; at: number }];
  writeError: [{ error: Error; at: number }];
}

export class BusSimulator extends EventEmitter<BusSimulatorEvents> {
  readonly counters: BusCounters = {
    rxBytes: 0,
    txBytes: 0,
    commands: 0,
    ignored: 0,
    discardedBytes: 0,
    replies: 0,
    silenced: 0,
    dropped: 0,
    late: 0,
    busy: 0,
    corrupted: 0,
    noiseBytes: 0,
    writeErrors: 0,
  };
  private readonly transport: ByteTransport;
  private readonly hosted: SimulatedPd[];
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly turnaroundMs: number;
  private readonly interCharacterTimeoutMs: number;
  private readonly parser = new OsdpParser();
  private readonly timers: TimerSet;
  private readonly subscriptions = new OwnedListeners();
  private readonly faultTable: FaultTable<SimulatedPd>;
  private noise: NoiseSettings | undefined;
  private noiseTimer: unknown;
  private interCharTimer: unknown;
  private lineBaud: number;
  /** When the last byte heard leaves the modelled wire. */
  private rxFreeAt = 0;
  private txFreeAt = 0;
  private running = false;
  private subscribed = false;
  private openedTransport = false;

  constructor(options: BusSimulatorOptions) {
    super();
    const turnaround = options.turnaroundMs ?? 1;
    if (!(turnaround >= 0 && turnaround < 200))
      throw new RangeError(`turnaround ${turnaround} ms is not in 0..199`);
    const addresses = options.pds.map((pd) => pd.address);
    const dup = addresses.find((a, i) => addresses.indexOf(a) !== i);
    if (dup !== undefined) throw new RangeError(`PD address ${dup} is hosted twice`);
    this.transport = options.transport;
    this.hosted = [...options.pds];
    this.lineBaud = options.baud ?? 9600;
    this.turnaroundMs = turnaround;
    this.interCharacterTimeoutMs = options.interCharacterTimeoutMs ?? 20;
    this.clock = options.clock ?? systemClock;
    this.timers = new TimerSet(this.clock, () => this.running);
    this.random = options.random ?? Math.random;
    this.faultTable = new FaultTable(this.random);
  }

  get baud(): number {
    return this.lineBaud;
  }

  get pds(): readonly SimulatedPd[] {
    return this.hosted;
  }

  /** The hosted PD that currently answers `address` (COMSET may have moved it). */
  pd(address: number): SimulatedPd | undefined {
    return this.hosted.find((pd) => pd.address === address);
  }

  /** Opens the transport if needed and starts answering (and the noise, if set). */
  async start(): Promise<void> {
    if (this.running) return;
    if (!this.transport.isOpen) {
      await this.transport.open();
      this.openedTransport = true;
    }
    if (!this.subscribed) {
      this.subscribed = true;
      this.transport.onData((bytes) => this.onData(bytes));
    }
    for (const pd of this.hosted) {
      // COMSET moves the whole line to the new speed (the transport's own speed is its owner's).
      this.subscriptions.on(pd, 'comset', ({ baud }) => {
        this.lineBaud = baud;
      });
    }
    this.running = true;
    this.scheduleNoise();
  }

  /**
   * Cancels pending replies and timers and drops buffered bytes; closes the transport if start()
   * opened it. The PDs are the caller's: dispose() them to stop their device timers.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.subscriptions.dispose();
    this.timers.clear();
    this.noiseTimer = this.interCharTimer = undefined;
    this.parser.reset();
    if (this.openedTransport) await this.transport.close();
    this.openedTransport = false;
  }

  /** Merges `faults` into the settings of one PD (by its current address) or of the whole bus. */
  setFaults(target: number | 'bus', faults: Partial<FaultSettings>): void {
    this.faultTable.set(this.faultKey(target), faults);
  }

  faults(target: number | 'bus'): FaultSettings {
    return this.faultTable.get(this.faultKey(target));
  }

  clearFaults(target: number | 'bus'): void {
    this.faultTable.clear(this.faultKey(target));
  }

  /** Starts (or changes) random noise bursts between exchanges; undefined stops them. */
  setNoise(noise: NoiseSettings | undefined): void {
    if (noise) checkNoise(noise);
    this.noise = noise;
    this.timers.cancel(this.noiseTimer);
    this.noiseTimer = undefined;
    this.scheduleNoise();
  }

  // ---- receiving ------------------------------------------------------------------------------

  private onData(bytes: Buffer): void {
    if (!this.running) return;
    this.counters.rxBytes += bytes.length;
    const now = this.clock.now();
    this.rxFreeAt = Math.max(now, this.rxFreeAt) + wireTimeMs(bytes.length, this.lineBaud);
    const events = this.parser.push(bytes);
    // A packet is complete as many bytes before the chunk's end as were heard after its last one.
    const { ends, parsed } = packetEnds(events);
    const heard = parsed + this.parser.pending();
    for (const [i, event] of events.entries()) {
      const end = this.rxFreeAt - wireTimeMs(heard - (ends[i] as number), this.lineBaud);
      this.onEvent(event, Math.max(now, end));
    }
    this.timers.cancel(this.interCharTimer);
    this.interCharTimer = undefined;
    if (this.parser.pending() > 0) {
      this.interCharTimer = this.timers.schedule(this.rxFreeAt - now + this.interCharacterTimeoutMs, () => {
        this.counters.discardedBytes += this.parser.pending();
        this.parser.reset();
      });
    }
  }

  /** `receivedAt`: when the packet's last byte left the modelled wire. */
  private onEvent(event: ParseEvent, receivedAt: number): void {
    if (event.kind === 'discarded') {
      this.counters.discardedBytes += event.bytes;
      return;
    }
    const reply = event.kind === 'frame' ? event.frame.reply : event.reply;
    const address = event.kind === 'frame' ? event.frame.address : event.address;
    const targets =
      event.kind === 'malformed' || reply ? [] : this.hosted.filter((pd) => pd.accepts(address));
    if (targets.length === 0) {
      this.counters.ignored++;
      return;
    }
    this.counters.commands++;
    this.timers.schedule(receivedAt - this.clock.now(), () => {
      for (const pd of targets) this.answer(pd, event);
    });
  }

  // ---- answering ------------------------------------------------------------------------------

  private answer(pd: SimulatedPd, event: ParseEvent): void {
    const f = this.faultTable.effective(pd);
    const now = this.clock.now();
    const address = pd.address;
    if (f.silent) {
      this.fault('silent', address, now);
      return;
    }
    const busy = event.kind === 'frame' && pd.accepts(event.frame.address) && this.faultTable.takeBusy(pd);
    const response = busy ? pd.busy(event) : pd.respond(event);
    if (!response) return;
    if (busy) this.fault('busy', address, now);
    if (this.faultTable.roll(f.dropReplies)) {
      response.sent();
      this.fault('drop', address, now);
      return;
    }
    const corrupt = this.faultTable.roll(f.corruptCheck);
    if (corrupt) this.fault('corrupt', address, now);
    if (f.lateReplyMs > 0) this.fault('late', address, now);
    const bytes = corrupt ? this.faultTable.corrupt(response.bytes) : response.bytes;
    const startedAt = Math.max(now + this.turnaroundMs + f.lateReplyMs, this.txFreeAt);
    const finishedAt = startedAt + wireTimeMs(bytes.length, this.lineBaud);
    this.txFreeAt = finishedAt;
    this.timers.schedule(finishedAt - now, () =>
      this.send(pd, address, response, bytes, { startedAt, finishedAt, corrupt }),
    );
  }

  private send(
    pd: SimulatedPd,
    address: number,
    response: PdResponse,
    bytes: Buffer,
    t: { startedAt: number; finishedAt: number; corrupt: boolean },
  ): void {
    this.transport.write(bytes).then(
      () => {
        this.counters.replies++;
        this.counters.txBytes += bytes.length;
        response.sent();
        const type = response.reply.type;
        pd.model.noteReplySent({
          type,
          command: response.command,
          startedAt: t.startedAt,
          finishedAt: t.finishedAt,
        });
        this.emit('reply', {
          address,
          command: response.command,
          reply: type,
          retry: response.retry,
          startedAt: t.startedAt,
          finishedAt: t.finishedAt,
          corrupted: t.corrupt,
        });
      },
      (error: unknown) => {
        this.counters.writeErrors++;
        this.emit('writeError', { error: error as Error, at: this.clock.now() });
      },
    );
  }

  private fault(kind: FaultKind, address: number, at: number): void {
    this.counters[FAULT_COUNTER[kind]]++;
    this.emit('fault', { address, kind, at });
  }

  // ---- noise and timers -----------------------------------------------------------------------

  private scheduleNoise(): void {
    const noise = this.noise;
    if (!noise || !this.running || this.noiseTimer !== undefined) return;
    // Exponential gaps: bursts arrive as a Poisson process with the asked-for mean rate.
    const gap = (-Math.log(1 - this.random()) / noise.ratePerSecond) * 1000;
    this.noiseTimer = this.timers.schedule(gap, () => {
      this.noiseTimer = undefined;
      this.burst(noise);
      this.scheduleNoise();
    });
  }

  /** Writes a burst only while the line is idle: no command being received, no reply pending. */
  private burst(noise: NoiseSettings): void {
    const now = this.clock.now();
    const idle = this.rxFreeAt <= now && this.txFreeAt <= now && this.parser.pending() === 0;
    if (!idle) return;
    const bytes = randomBytesFrom(this.random, randomInt(this.random, 1, noise.maxBytes ?? 8));
    this.txFreeAt = now + wireTimeMs(bytes.length, this.lineBaud);
    this.counters.noiseBytes += bytes.length;
    this.emit('noise', { bytes: bytes.length, at: now });
    this.transport.write(bytes).catch((error: unknown) => {
      this.counters.writeErrors++;
      this.emit('writeError', { error: error as Error, at: this.clock.now() });
    });
  }

  private faultKey(target: number | 'bus'): SimulatedPd | 'bus' {
    if (target === 'bus') return 'bus';
    const pd = this.pd(target);
    if (!pd) throw new RangeError(`no PD with address ${target} on this bus`);
    return pd;
  }
}

type FaultKind = BusSimulatorEvents['fault'][0]['kind'];

/**
 * Where each event's bytes end, counted from the first byte the parser looked at in this push,
 * and how many bytes it used up. The parser consumes events in order, except that it rescans
 * a bad-check packet after its SOM (its mark byte is in the noise before it): that packet ends
 * at its full length, but uses up one byte. A malformed packet's mark byte is not reported, so
 * it may be one byte off.
 */
function packetEnds(events: readonly ParseEvent[]): { ends: number[]; parsed: number } {
  const ends: number[] = [];
  let at = 0;
  for (const event of events) {
    if (event.kind === 'discarded') at += event.bytes;
    else if (event.kind === 'bad-check') {
      ends.push(at + event.packet.length);
      at += 1;
      continue;
    } else at += event.packet.length + (event.kind === 'frame' && event.mark ? 1 : 0);
    ends.push(at);
  }
  return { ends, parsed: at };
}

const FAULT_COUNTER = {
  silent: 'silenced',
  drop: 'dropped',
  late: 'late',
  busy: 'busy',
  corrupt: 'corrupted',
} as const satisfies Record<FaultKind, keyof BusCounters>;
