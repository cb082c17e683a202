import type { Clock } from '../shared/clock.js';

export type Reachability = 'online' | 'offline' | 'unknown';

/**
 * Whether one MQTT device can be reached, from three sources:
 * - what the device declares on its availability topic: its retained birth message and the
 *   last will the broker publishes when its connection dies (Tasmota LWT, a JSON device's
 *   availability topic), or Zigbee2MQTT's per-device availability;
 * - what its bridge declares (Zigbee2MQTT `bridge/state`): a dead bridge leaves the devices'
 *   own retained availability at `online`, so a bridge that is offline makes them offline;
 * - silence: with a state timeout, no live message for that long makes the device offline, for
 *   devices whose link has no last will (a sensor behind a gateway, a will the broker lost).
 * A live (not retained) state message proves the device reachable. A retained state message
 * proves nothing (it may be days old) and does not count.
 *
 * `onChange` is called on each change between online and offline (never for `unknown`, the
 * state before the first evidence), with the reason, so callers journal transitions only.
 */
export class AvailabilityTracker {
  private declared: boolean | undefined;
  private bridge: boolean | undefined;
  private silent = false;
  private timer: unknown;
  private current: Reachability = 'unknown';
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly stateTimeoutMs: number | undefined,
    private readonly onChange: (online: boolean, why: string) => void,
  ) {}

  get state(): Reachability {
    return this.current;
  }

  /** Arms the state timeout: a device never heard from in that time is offline too. */
  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.disarm();
  }

  /** The device's or its bridge's availability message. */
  declare(scope: 'device' | 'bridge', online: boolean): void {
    if (scope === 'bridge') this.bridge = online;
    else {
      this.declared = online;
      if (online) this.alive();
    }
    const whose = scope === 'bridge' ? 'bridge' : 'device';
    this.evaluate(`${whose} declared itself ${online ? 'online' : 'offline'}`);
  }

  /** A live state message: the device is reachable now. */
  heard(): void {
    this.declared = true;
    this.alive();
    this.evaluate('state message received');
  }

  private alive(): void {
    this.silent = false;
    this.arm();
  }

  private evaluate(why: string): void {
    const next: Reachability =
      this.bridge === false || this.silent || this.declared === false
        ? 'offline'
        : this.declared === true
          ? 'online'
          : 'unknown';
    if (next === this.current || next === 'unknown') return;
    this.current = next;
    const reason = next === 'offline' && this.bridge === false ? 'bridge declared itself offline' : why;
    this.onChange(next === 'online', reason);
  }

  private arm(): void {
    this.disarm();
    if (!this.running || this.stateTimeoutMs === undefined) return;
    const ms = this.stateTimeoutMs;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.silent = true;
      this.evaluate(`no message for ${ms / 1000} s`);
    }, ms);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
