import { EventEmitter } from 'node:events';
import { pulseTimeMs } from '../../drivers/mqtt/tasmota-codec.js';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import { type RandomSource, randomBytesFrom } from '../shared/random.js';
import { type SimConnection, SimLink } from './sim-link.js';

export interface TasmotaRelayOptions {
  connection: SimConnection;
  /** The device's Tasmota Topic. */
  topic: string;
  /** Number of relays (1–8). Default 1. */
  relays?: number;
  /** TelePeriod: `tele/<topic>/STATE` this often. Default 300 000 ms (Tasmota's 300 s). */
  telePeriodMs?: number;
  clock?: Clock;
  random?: RandomSource;
}

export interface TasmotaRelayEvents {
  /** A relay switched; `why` is the command or `pulse end`. */
  power: [relay: number, on: boolean, why: string];
  command: [name: string, payload: string];
  link: [state: 'up' | 'down', why?: string];
}

/**
 * A Tasmota relay module with the default FullTopic `%prefix%/%topic%/` (drivers/mqtt/
 * tasmota-codec.ts names the conventions): last will `tele/<topic>/LWT` Offline and birth
 * Online (both retained), commands under `cmnd/<topic>/` (POWER<x> ON|OFF|TOGGLE|empty = ask,
 * PulseTime<x>), answers `stat/<topic>/RESULT` and `stat/<topic>/POWER<x>`, `tele/<topic>/STATE`
 * every TelePeriod. An ON with a PulseTime set turns itself off after it, as Tasmota does.
 *
 * Faults: `jam` welds the relays where they are (commands are answered with the stuck state),
 * `garbage` publishes random bytes on `stat/<topic>/RESULT`, `crash` cuts the connection so the
 * broker publishes the will.
 */
export class TasmotaRelaySimulator extends EventEmitter<TasmotaRelayEvents> {
  readonly link: SimLink;
  private readonly clock: Clock;
  private readonly power: boolean[];
  private readonly pulse: number[];
  private readonly pulseTimers: unknown[];
  private teleTimer: unknown;
  private jammed = false;
  private running = false;
  private readonly startedAt: number;

  constructor(private readonly options: TasmotaRelayOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
    const relays = options.relays ?? 1;
    this.power = Array.from({ length: relays }, () => false);
    this.pulse = Array.from({ length: relays }, () => 0);
    this.pulseTimers = Array.from({ length: relays }, () => undefined);
    this.link = new SimLink(options.connection, { topic: this.at('tele', 'LWT'), payload: 'Offline' }, [
      this.at('cmnd', '#'),
    ]);
    this.link.on('up', () => {
      this.emit('link', 'up');
      void this.born();
    });
    this.link.on('down', (why) => this.emit('link', 'down', why));
    this.link.on('message', (topic, payload) => this.onCommand(topic, payload.toString('utf8')));
  }

  /** Relay states, relay 1 first. */
  get relays(): readonly boolean[] {
    return [...this.power];
  }

  /** PulseTime values, relay 1 first. */
  get pulseTimes(): readonly number[] {
    return [...this.pulse];
  }

  start(): Promise<void> {
    this.running = true;
    return this.link.start();
  }

  /** A restart in order: Tasmota publishes Offline itself before it goes. */
  async stop(): Promise<void> {
    this.clearTimers();
    await this.link.stop({ topic: this.at('tele', 'LWT'), payload: 'Offline' });
  }

  /** Power cut: no goodbye, the broker publishes the will. */
  async crash(): Promise<void> {
    this.clearTimers();
    await this.link.crash();
  }

  /** Welded contacts: the relays stay as they are whatever they are told. */
  jam(jammed: boolean): void {
    this.jammed = jammed;
  }

  async garbage(count = 16): Promise<void> {
    await this.link.publish(
      this.at('stat', 'RESULT'),
      randomBytesFrom(this.options.random ?? Math.random, count),
    );
  }

  private at(prefix: 'cmnd' | 'stat' | 'tele', command: string): string {
    return `${prefix}/${this.options.topic}/${command}`;
  }

  /** `POWER` for a one-relay device, `POWER<n>` otherwise, as Tasmota names them in its answers. */
  private powerKey(relay: number): string {
    return this.power.length === 1 ? 'POWER' : `POWER${relay}`;
  }

  private async born(): Promise<void> {
    await this.link.publish(this.at('tele', 'LWT'), 'Online', true);
    for (let r = 1; r <= this.power.length; r++) await this.publishPower(r);
    await this.publishTele();
  }

  private onCommand(topic: string, payload: string): void {
    const name = topic.slice(this.at('cmnd', '').length);
    this.emit('command', name, payload);
    const match = /^(POWER|PULSETIME)(\d?)$/i.exec(name);
    if (!match) return void this.result({ Command: 'Unknown' });
    const relay = match[2] === '' ? 1 : Number(match[2]);
    if (relay < 1 || relay > this.power.length) return void this.result({ Command: 'Error' });
    if (match[1]?.toUpperCase() === 'PULSETIME') {
      this.onPulseTime(relay, payload.trim());
      return;
    }
    const word = payload.trim().toUpperCase();
    const wanted = powerWanted(word, this.power[relay - 1] === true);
    if (wanted === undefined) return void this.result({ Command: 'Error' });
    if (word !== '') this.switchRelay(relay, wanted, `${name} ${word}`);
    void this.publishPower(relay);
  }

  private onPulseTime(relay: number, payload: string): void {
    if (payload !== '') {
      const value = Number(payload);
      if (!Number.isInteger(value) || value < 0 || value > 64900)
        return void this.result({ Command: 'Error' });
      this.pulse[relay - 1] = value;
    }
    const set = this.pulse[relay - 1] ?? 0;
    void this.result({ [`PulseTime${relay}`]: { Set: set, Remaining: 0 } });
  }

  private switchRelay(relay: number, on: boolean, why: string): void {
    const i = relay - 1;
    if (this.jammed) return;
    const timer = this.pulseTimers[i];
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.pulseTimers[i] = undefined;
    const changed = this.power[i] !== on;
    this.power[i] = on;
    if (changed) this.emit('power', relay, on, why);
    const pulseMs = pulseTimeMs(this.pulse[i] ?? 0);
    if (on && pulseMs > 0) {
      this.pulseTimers[i] = this.clock.setTimeout(() => {
        this.pulseTimers[i] = undefined;
        this.power[i] = false;
        this.emit('power', relay, false, 'pulse end');
        void this.publishPower(relay);
      }, pulseMs);
    }
  }

  private async publishPower(relay: number): Promise<void> {
    const word = this.power[relay - 1] ? 'ON' : 'OFF';
    await this.result({ [this.powerKey(relay)]: word });
    await this.link.publish(this.at('stat', this.powerKey(relay)), word);
  }

  private async result(object: Record<string, unknown>): Promise<void> {
    await this.link.publish(this.at('stat', 'RESULT'), JSON.stringify(object));
  }

  private async publishTele(): Promise<void> {
    if (this.teleTimer !== undefined) this.clock.clearTimeout(this.teleTimer);
    const uptime = Math.round((this.clock.now() - this.startedAt) / 1000);
    const powers = Object.fromEntries(this.power.map((on, i) => [this.powerKey(i + 1), on ? 'ON' : 'OFF']));
    const time = new Date(this.clock.now()).toISOString().slice(0, 19);
    const state = { Time: time, UptimeSec: uptime, Heap: 25, ...powers, Wifi: { RSSI: 76, Signal: -62 } };
    await this.link.publish(this.at('tele', 'STATE'), JSON.stringify(state));
    if (!this.running) return;
    this.teleTimer = this.clock.setTimeout(
      () => void this.publishTele(),
      this.options.telePeriodMs ?? 300_000,
    );
  }

  private clearTimers(): void {
    this.running = false;
    for (const [i, timer] of this.pulseTimers.entries()) {
      if (timer !== undefined) this.clock.clearTimeout(timer);
      this.pulseTimers[i] = undefined;
    }
    if (this.teleTimer !== undefined) this.clock.clearTimeout(this.teleTimer);
    this.teleTimer = undefined;
  }
}

/** What a POWER payload asks for: Tasmota takes ON/1/TRUE, OFF/0/FALSE, TOGGLE/2; empty asks. */
function powerWanted(word: string, current: boolean): boolean | undefined {
  if (word === '') return current;
  if (['ON', '1', 'TRUE'].includes(word)) return true;
  if (['OFF', '0', 'FALSE'].includes(word)) return false;
  if (word === 'TOGGLE' || word === '2') return !current;
  return undefined;
}
