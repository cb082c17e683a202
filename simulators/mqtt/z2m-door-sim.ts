import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../../drivers/shared/clock.js';
import { type RandomSource, randomBytesFrom } from '../shared/random.js';
import { type SimConnection, SimLink } from './sim-link.js';

export interface Z2mDoorOptions {
  connection: SimConnection;
  /** Zigbee2MQTT base topic. Default `zigbee2mqtt`. */
  baseTopic?: string;
  lockName: string;
  /** Friendly name of the door contact; absent: a lock without a contact. */
  contactName?: string;
  /** Availability as plain `online`/`offline` (Zigbee2MQTT 1.x) instead of JSON (2.x). */
  legacyAvailability?: boolean;
  /** How long the bolt takes to move. Default 300 ms. */
  boltMs?: number;
  clock?: Clock;
  random?: RandomSource;
}

export interface Z2mDoorEvents {
  /** A payload arrived on the lock's `/set` topic (as text). */
  command: [payload: string];
  bolt: [state: 'locked' | 'unlocked' | 'jammed'];
  door: [open: boolean];
  link: [state: 'up' | 'down', why?: string];
}

/**
 * A Zigbee2MQTT bridge with one door lock and, optionally, its door contact, speaking the real
 * conventions (protocols.md §6.4; drivers/mqtt/zigbee2mqtt-codec.ts): the bridge's last will
 * and birth on `<base>/bridge/state`, each device's retained availability, state JSON on
 * `<base>/<name>` (lock: `state` LOCK/UNLOCK + `lock_state`; contact: `contact` true = closed),
 * commands on `<base>/<lock>/set` (`{"state":"UNLOCK"}` / `{"state":"LOCK"}`) and `/get`.
 *
 * Faults a technician or a test can cause: a device dropping off the mesh (`setReachable`), a
 * jammed bolt (`jam`: commands answered with `not_fully_locked`), garbage on a state topic, the
 * bridge crashing (`crash`: its will says offline) or stopping in order (`stop`).
 */
export class Zigbee2MqttDoorSimulator extends EventEmitter<Z2mDoorEvents> {
  readonly link: SimLink;
  private readonly base: string;
  private readonly clock: Clock;
  private bolt: 'locked' | 'unlocked' = 'locked';
  private jammed = false;
  private doorOpen = false;
  private battery = 92;
  private readonly reachable = new Map<string, boolean>();
  private boltTimer: unknown;

  constructor(private readonly options: Z2mDoorOptions) {
    super();
    this.base = options.baseTopic ?? 'zigbee2mqtt';
    this.clock = options.clock ?? systemClock;
    for (const name of this.names) this.reachable.set(name, true);
    const lockTopic = `${this.base}/${options.lockName}`;
    this.link = new SimLink(options.connection, { topic: this.bridgeTopic, payload: this.word(false) }, [
      `${lockTopic}/set`,
      `${lockTopic}/get`,
    ]);
    this.link.on('up', () => {
      this.emit('link', 'up');
      void this.born();
    });
    this.link.on('down', (why) => this.emit('link', 'down', why));
    this.link.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  get state() {
    return {
      bolt: this.jammed ? ('jammed' as const) : this.bolt,
      doorOpen: this.doorOpen,
      battery: this.battery,
    };
  }

  start(): Promise<void> {
    return this.link.start();
  }

  /** Zigbee2MQTT stopping in order: the bridge says offline itself. */
  async stop(): Promise<void> {
    this.cancelBolt();
    await this.link.stop({ topic: this.bridgeTopic, payload: this.word(false) });
  }

  /** The bridge process dies: the broker publishes its will (bridge offline). */
  async crash(): Promise<void> {
    this.cancelBolt();
    await this.link.crash();
  }

  /** A device drops off (or rejoins) the Zigbee mesh: its availability changes, it stops answering. */
  async setReachable(name: string, reachable: boolean): Promise<void> {
    if (!this.reachable.has(name)) throw new RangeError(`no device "${name}" (${this.names.join(', ')})`);
    this.reachable.set(name, reachable);
    await this.link.publish(`${this.base}/${name}/availability`, this.word(reachable), true);
    if (reachable) await this.publishState(name);
  }

  /** A jammed bolt moves no more: commands are answered with `not_fully_locked`. */
  async jam(jammed: boolean): Promise<void> {
    this.jammed = jammed;
    this.emit('bolt', this.state.bolt);
    await this.publishState(this.options.lockName);
  }

  /** The door opens or closes (by a person; opening a locked door is forcing it). */
  async setDoor(open: boolean): Promise<void> {
    const name = this.options.contactName;
    if (name === undefined) throw new RangeError('this simulator has no door contact');
    this.doorOpen = open;
    this.emit('door', open);
    await this.publishState(name);
  }

  /** `count` random bytes on a device's state topic. */
  async garbage(name: string, count = 16): Promise<void> {
    await this.link.publish(
      `${this.base}/${name}`,
      randomBytesFrom(this.options.random ?? Math.random, count),
    );
  }

  private get bridgeTopic(): string {
    return `${this.base}/bridge/state`;
  }

  private get names(): string[] {
    const { lockName, contactName } = this.options;
    return contactName === undefined ? [lockName] : [lockName, contactName];
  }

  private word(online: boolean): string {
    const state = online ? 'online' : 'offline';
    return this.options.legacyAvailability ? state : JSON.stringify({ state });
  }

  private async born(): Promise<void> {
    await this.link.publish(this.bridgeTopic, this.word(true), true);
    for (const name of this.names) {
      await this.link.publish(
        `${this.base}/${name}/availability`,
        this.word(this.reachable.get(name) === true),
        true,
      );
      await this.publishState(name);
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    const lock = `${this.base}/${this.options.lockName}`;
    if (this.reachable.get(this.options.lockName) !== true) return; // off the mesh: the command is lost
    if (topic === `${lock}/get`) return void this.publishState(this.options.lockName);
    if (topic !== `${lock}/set`) return;
    const text = payload.toString('utf8');
    this.emit('command', text);
    let wanted: unknown;
    try {
      wanted = (JSON.parse(text) as { state?: unknown }).state;
    } catch {
      return; // Zigbee2MQTT logs "Invalid JSON" and does nothing
    }
    if (wanted !== 'LOCK' && wanted !== 'UNLOCK') return;
    this.moveBolt(wanted === 'LOCK' ? 'locked' : 'unlocked');
  }

  private moveBolt(to: 'locked' | 'unlocked'): void {
    this.cancelBolt();
    this.boltTimer = this.clock.setTimeout(() => {
      this.boltTimer = undefined;
      if (!this.jammed) this.bolt = to;
      this.emit('bolt', this.state.bolt);
      void this.publishState(this.options.lockName);
    }, this.options.boltMs ?? 300);
  }

  private cancelBolt(): void {
    if (this.boltTimer !== undefined) this.clock.clearTimeout(this.boltTimer);
    this.boltTimer = undefined;
  }

  private async publishState(name: string): Promise<void> {
    if (this.reachable.get(name) !== true) return;
    const common = { battery: this.battery, linkquality: 120 };
    const state =
      name === this.options.lockName
        ? {
            ...common,
            lock_state: this.jammed ? 'not_fully_locked' : this.bolt,
            state: this.bolt === 'locked' ? 'LOCK' : 'UNLOCK',
          }
        : { ...common, contact: !this.doorOpen, voltage: 3000 };
    await this.link.publish(`${this.base}/${name}`, JSON.stringify(state));
  }
}
