import type { AlarmCode } from '../../gateway/journal/events.js';
import type { DeviceAlarm, LanePort } from '../shared/lane-port.js';

/** The alarm codes the barrier adapter raises (catalogued with the others in events.ts ALARM_CODES). */
export type BarrierAlarmCode = Extract<AlarmCode, 'BARRIER_STUCK' | 'TAILGATING' | 'RELAY_FAILURE'>;

export function deviceAlarm(
  code: AlarmCode,
  severity: DeviceAlarm['severity'],
  ids: { deviceId: string; laneId: string },
  detail: Record<string, string | number> = {},
): DeviceAlarm {
  return { code, severity, ...ids, detail };
}

/**
 * Raises each alarm once per occurrence: `raise(key, …)` reports only if `key` is not already
 * raised; `clear(key)` ends the occurrence (the limit reached, the write acknowledged, the loop
 * clear), so the next one is reported again. A condition that persists is not re-reported at
 * every poll.
 */
export class AlarmLatch {
  private readonly raised = new Set<string>();

  constructor(
    private readonly port: LanePort,
    private readonly ids: { deviceId: string; laneId: string },
  ) {}

  raise(
    key: string,
    code: BarrierAlarmCode | AlarmCode,
    severity: DeviceAlarm['severity'],
    detail: Record<string, string | number>,
  ): void {
    if (this.raised.has(key)) return;
    this.raised.add(key);
    this.port.alarm(deviceAlarm(code, severity, this.ids, detail));
  }

  clear(key: string): void {
    this.raised.delete(key);
  }
}
