import type { DeviceAlarm, LanePort } from '../../drivers/shared/lane-port.js';
import type { Decision, PresentedCredential } from '../rules/types.js';
import type { Site } from '../site.js';

/**
 * The LanePort every device adapter uses, over the site's checkpoint and journal. Device
 * states are journaled on change only, so a flapping link does not flood the journal with
 * repeats of the same state.
 */
export class SiteLanePort implements LanePort {
  private readonly states = new Map<string, string>();
  private readonly fireListeners: ((active: boolean) => void)[] = [];

  constructor(private readonly site: Site) {}

  present(laneId: string, credential: PresentedCredential, _source: string): Decision {
    return this.site.checkpoint.present({ laneId, credential }).decision;
  }

  alarm(alarm: DeviceAlarm): void {
    const payload: {
      code: DeviceAlarm['code'];
      severity: DeviceAlarm['severity'];
      laneId?: string;
      detail: Record<string, string | number>;
    } = {
      code: alarm.code,
      severity: alarm.severity,
      detail: { ...alarm.detail, device: alarm.deviceId },
    };
    if (alarm.laneId !== undefined) payload.laneId = alarm.laneId;
    this.site.journal.append('alarm', this.site.now(), payload);
    this.site.checkpoint.catchUp();
  }

  deviceState(
    deviceId: string,
    state: 'online' | 'offline' | 'error',
    detail?: string,
    laneId?: string,
  ): void {
    if (this.states.get(deviceId) === state) return;
    this.states.set(deviceId, state);
    const payload: { deviceId: string; state: typeof state; laneId?: string; detail?: string } = {
      deviceId,
      state,
    };
    if (laneId !== undefined) payload.laneId = laneId;
    if (detail !== undefined) payload.detail = detail;
    this.site.journal.append('device', this.site.now(), payload);
    this.site.checkpoint.catchUp();
  }

  fire(active: boolean, source: string): void {
    if (this.site.checkpoint.setFire(active, source) === undefined) return;
    for (const listener of this.fireListeners) listener(active);
  }

  fireActive(): boolean {
    return this.site.checkpoint.fireActive;
  }

  /** Called when the fire state changes, whoever changed it (a device input here, or the CLI). */
  onFire(listener: (active: boolean) => void): void {
    this.fireListeners.push(listener);
  }

  /** Tells the listeners about a fire change that arrived through the journal from elsewhere. */
  notifyFire(active: boolean): void {
    for (const listener of this.fireListeners) listener(active);
  }
}
