import type { AlarmCode } from '../../gateway/journal/events.js';
import type { DeviceAlarm, LanePort } from './lane-port.js';

/**
 * Raises each alarm once per occurrence: `raise(key, …)` reports only if `key` is not already
 * raised; `clear(key)` ends the occurrence (the limit reached, the write acknowledged, the loop
 * clear), so the next one is reported again. A condition that persists is not re-reported at
 * every poll. Shared by the device adapters whose alarm conditions persist (barrier, MQTT, camera).
 */
export class AlarmLatch {
  private readonly raised = new Set<string>();

  constructor(
    private readonly port: LanePort,
    private readonly ids: { deviceId: string; laneId?: string },
  ) {}

  raise(
    key: string,
    code: AlarmCode,
    severity: DeviceAlarm['severity'],
    detail: Record<string, string | number>,
  ): void {
    if (this.raised.has(key)) return;
    this.raised.add(key);
    this.port.alarm({ code, severity, ...this.ids, detail });
  }

  clear(key: string): void {
    this.raised.delete(key);
  }
}
