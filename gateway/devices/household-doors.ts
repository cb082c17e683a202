import type { Logger } from 'pino';
import type { HouseholdDoorPort } from '../../drivers/mqtt/household-door-device.js';
import type { DeviceAlarm, LanePort } from '../../drivers/shared/lane-port.js';
import type { QuarantineOrder } from '../domain/model.js';
import type { AlarmCode } from '../journal/events.js';
import type { Site } from '../site.js';
import { ordersInForce } from './household-orders.js';

/**
 * A low battery period ends when the sensor reports more than the threshold plus this (a new
 * battery): a reading wavering around the threshold is one period, one alarm.
 */
export const LOW_BATTERY_RECOVERY_PERCENT = 5;

/** The orders in force now for a household, earliest first; empty when there is none. */
export type HouseholdOrdersNow = (householdId: string) => readonly QuarantineOrder[];

/**
 * The site's answer, at the site's time: the orders in force from the store (so an order added
 * or lifted a moment ago counts), the household's building, unit and members from the registry
 * snapshot (building, unit and person orders reach it through them).
 */
export function siteOrdersNow(site: Site): HouseholdOrdersNow {
  return (householdId) => {
    const at = site.now();
    const orders = site.registry.listQuarantines({ activeAt: at });
    return ordersInForce(householdId, orders, site.registrySnapshot(), at);
  };
}

export interface HouseholdDoorWatchOptions {
  deviceId: string;
  householdId: string;
  /** A battery at or below this, percent, is low. */
  lowBatteryPercent: number;
  /** The site's lane port: every alarm is journaled through it. */
  port: LanePort;
  ordersNow: HouseholdOrdersNow;
  log: Logger;
}

/**
 * The gateway's judgement of one household door (home quarantine, plan 1 §5): each report of
 * the HouseholdDoorDevice is weighed against the household's orders in force at that moment,
 * never at an earlier one (an order added or lifted while the door stands open counts as it is
 * when the grace ends). During an order:
 * - the door still open after its grace: QUARANTINE_BREACH (critical, to be acknowledged); while
 *   the site's fire alarm is active a warning instead, with `fire: 1` in its detail: leaving
 *   home is what the fire alarm asks of everyone, and a critical alarm per quarantined household
 *   would bury the operators in the middle of an evacuation, yet who left still has to be known;
 * - a battery at or below `lowBatteryPercent`: SENSOR_LOW_BATTERY (warning), once per low period;
 * - the device's own alarms (DEVICE_OFFLINE once per outage, DEVICE_TAMPER), which reach the
 *   gateway through `devicePort`: raised with the household and the order.
 * Outside an order nothing is raised: the door's state is logged and kept in the device status.
 * Alarm detail: `household` (registry id), `order` (order id), `openMs` or `battery`, and the
 * device's own fields; never a name.
 */
export class HouseholdDoorWatch implements HouseholdDoorPort {
  /** The lane port to build the device with: the site's, with its alarms judged here first. */
  readonly devicePort: LanePort;
  private lowBattery = false;

  constructor(private readonly options: HouseholdDoorWatchOptions) {
    const port = options.port;
    this.devicePort = {
      present: (laneId, credential, source) => port.present(laneId, credential, source),
      alarm: (alarm) => this.deviceAlarm(alarm),
      deviceState: (deviceId, state, detail, laneId) => port.deviceState(deviceId, state, detail, laneId),
      fire: (active, source) => port.fire(active, source),
      fireActive: () => port.fireActive(),
    };
  }

  doorChanged(open: boolean, openMs?: number): void {
    if (open || openMs === undefined) return;
    this.options.log.info({ household: this.options.householdId, openMs }, 'household door closed again');
  }

  openPastGrace(openMs: number): void {
    const order = this.orderNow();
    if (order === undefined) {
      this.options.log.info({ openMs }, 'household door open past its grace; no order in force, no alarm');
      return;
    }
    if (this.options.port.fireActive())
      this.raise('QUARANTINE_BREACH', 'warning', order, { openMs, fire: 1 });
    else this.raise('QUARANTINE_BREACH', 'critical', order, { openMs });
  }

  battery(percent: number): void {
    const threshold = this.options.lowBatteryPercent;
    if (percent > threshold) {
      if (percent > threshold + LOW_BATTERY_RECOVERY_PERCENT) this.lowBattery = false;
      return;
    }
    if (this.lowBattery) return;
    const order = this.orderNow();
    if (order === undefined) return; // outside an order: the device status shows the battery
    this.lowBattery = true;
    this.raise('SENSOR_LOW_BATTERY', 'warning', order, { battery: percent });
  }

  /**
   * Warns about a household the registry does not know (a typo in the configuration, a roster
   * not imported yet): only orders naming it directly reach it. Never throws.
   */
  checkRegistry(knows: (householdId: string) => boolean): void {
    const household = this.options.householdId;
    try {
      if (knows(household)) return;
      this.options.log.warn(
        { household },
        'household of a door sensor not in the registry / 门磁所属住户不在登记库中',
      );
    } catch (err) {
      this.options.log.error({ err, household }, 'registry not readable to check a door sensor’s household');
    }
  }

  private deviceAlarm(alarm: DeviceAlarm): void {
    const order = this.orderNow();
    if (order === undefined) {
      this.options.log.info({ code: alarm.code }, 'household door alarm outside an order; not raised');
      return;
    }
    this.options.port.alarm({
      ...alarm,
      detail: { ...alarm.detail, household: this.options.householdId, order: order.id },
    });
  }

  private raise(
    code: AlarmCode,
    severity: DeviceAlarm['severity'],
    order: QuarantineOrder,
    detail: Record<string, number>,
  ): void {
    const { deviceId, householdId } = this.options;
    this.options.port.alarm({
      code,
      severity,
      deviceId,
      detail: { household: householdId, order: order.id, ...detail },
    });
  }

  private orderNow(): QuarantineOrder | undefined {
    return this.options.ordersNow(this.options.householdId)[0];
  }
}
