import type { Decision } from '../../gateway/rules/types.js';
import type { LaneActuator } from '../shared/lane-port.js';
import type { DeviceReport } from './device-events.js';
import { MqttDevice, type MqttDeviceDeps, type MqttDeviceSettings } from './mqtt-device.js';

export interface ActuatorSettings extends MqttDeviceSettings {
  kind: 'lock' | 'relay' | 'barrier';
  /** A lock's or relay's release for a pass, instead of the decision's unlock time (policy.unlockSeconds). */
  unlockMs?: number;
  /** How long a barrier's open input is pulsed for a pass (its controller closes the arm itself). */
  pulseMs: number;
}

/**
 * After a device-timed pulse should have ended, how long the relay may still report ON before
 * the gateway switches it off itself (message latency and Tasmota's 0.1 s timer steps).
 */
const PULSE_GRACE_MS = 1000;

/**
 * A lock, a relay driving a door strike, or a relay / cover driving a barrier's open input, as
 * the actuator of its lane. Acts as the OSDP door and the Modbus barrier do on a Decision's
 * actions (gateway/rules/types.ts):
 * - an allow carrying `unlock` releases for its `durationMs` (the policy's unlock time, or the
 *   device's `unlockMs`); `raise_barrier` releases for `pulseMs`; then the device is secured
 *   again. A second pass during a release extends it. A deny changes nothing.
 * - a device that times pulses itself (Tasmota PulseTime) gets the release with its length, so
 *   the door locks again even if the gateway dies meanwhile; if it still reports ON a moment
 *   after the end, the gateway switches it off.
 * - during a fire alarm the device is released and held; when it ends it is secured (or the
 *   release still running continues to its end).
 * - when the device comes (back) online it is sent its resting state: secured, held for fire,
 *   or the rest of a running release.
 * Commands go out through the bus at QoS 1 and are never retried here: the next decision, the
 * next online or the fire state sends the state again.
 */
export class ActuatorDevice extends MqttDevice implements LaneActuator {
  private releasedUntil = Number.NEGATIVE_INFINITY;
  private siteFire = false;
  /** Whether the device was last told to hold open for the fire alarm. */
  private holding = false;
  private endTimer: unknown;
  private checkTimer: unknown;

  constructor(
    override readonly settings: ActuatorSettings,
    deps: MqttDeviceDeps,
  ) {
    super(settings, deps);
  }

  /** Whether the lock is open now: released by a pass or the fire alarm, or reported open by the device. */
  isReleased(): boolean {
    if (this.fireActive() || this.clock.now() <= this.releasedUntil) return true;
    const report = this.lastReport;
    return report.lock === 'unlocked' || report.power === true || report.cover === 'open';
  }

  actuate(decision: Decision): void {
    if (!this.running) return;
    if (!decision.allow) {
      this.log.debug({ reasons: decision.reasons.map((r) => r.code) }, 'refused; stays secured');
      return;
    }
    const action = decision.actions.find((a) => a.type === 'unlock' || a.type === 'raise_barrier');
    if (action === undefined) return;
    const ms =
      this.settings.kind === 'barrier'
        ? this.settings.pulseMs
        : (this.settings.unlockMs ?? (action.type === 'unlock' ? action.durationMs : this.settings.pulseMs));
    this.release(ms, 'pass');
  }

  /**
   * The site's fire alarm changed (the gateway calls every actuator, after the lane port already
   * reports the new state): hold the device open, or secure it again.
   */
  setFire(active: boolean): void {
    this.siteFire = active;
    const fire = this.fireActive();
    if (fire === this.holding || !this.running) return;
    this.holding = fire;
    if (fire) {
      this.clearTimers();
      this.send({ type: 'hold' }, 'fire alarm');
    } else this.resume('fire alarm over');
  }

  /**
   * Back online: the state it must be in now. A release running since before the first message
   * is not sent again (the device was not known to have missed it); after an outage it is.
   */
  protected override onReachable(online: boolean, wasOffline: boolean): void {
    if (!online) return;
    this.holding = this.fireActive();
    if (this.holding) this.send({ type: 'hold' }, 'resting state: fire alarm');
    else if (wasOffline || this.clock.now() >= this.releasedUntil) this.resume('resting state');
  }

  protected override onReport(report: DeviceReport, live: boolean): void {
    if (live && report.lock === 'jammed') this.log.warn('lock reports itself jammed');
  }

  protected override stopped(): void {
    this.clearTimers();
  }

  private release(ms: number, why: string): void {
    const now = this.clock.now();
    this.releasedUntil = Math.max(this.releasedUntil, now + ms);
    if (this.fireActive()) return; // already held open
    this.releaseFor(this.releasedUntil - now, why);
  }

  /** Sends the release for `ms` and schedules its end. */
  private releaseFor(ms: number, why: string): void {
    this.clearTimers();
    this.send({ type: 'release', ...(this.codecPulses ? { pulseMs: ms } : {}) }, why);
    this.endTimer = this.clock.setTimeout(() => {
      this.endTimer = undefined;
      this.releaseEnded();
    }, ms);
  }

  /** Secured, or the rest of a running release (after a fire alarm, after an outage). */
  private resume(why: string): void {
    const remaining = this.releasedUntil - this.clock.now();
    if (remaining > 0) this.releaseFor(remaining, `${why}: rest of the release`);
    else {
      this.clearTimers();
      this.send({ type: 'secure' }, why);
    }
  }

  private releaseEnded(): void {
    if (this.fireActive()) return;
    if (!this.codecPulses) {
      this.send({ type: 'secure' }, 'unlock time over');
      return;
    }
    this.checkTimer = this.clock.setTimeout(() => {
      this.checkTimer = undefined;
      if (this.fireActive() || this.clock.now() < this.releasedUntil) return;
      if (this.lastReport.power !== true) return;
      this.log.warn('relay still on after its pulse; switching it off / 脉冲结束后继电器仍吸合，强制断开');
      this.send({ type: 'secure' }, 'pulse did not end');
    }, PULSE_GRACE_MS);
  }

  private fireActive(): boolean {
    return this.siteFire || this.port.fireActive();
  }

  private clearTimers(): void {
    if (this.endTimer !== undefined) this.clock.clearTimeout(this.endTimer);
    if (this.checkTimer !== undefined) this.clock.clearTimeout(this.checkTimer);
    this.endTimer = undefined;
    this.checkTimer = undefined;
  }
}
