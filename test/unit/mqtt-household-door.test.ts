/**
 * A door contact on a quarantined household's door (HouseholdDoorDevice with the gateway's
 * HouseholdDoorWatch) on a memory bus with a manual clock and a recording lane port: an opening
 * not closed within the grace is QUARANTINE_BREACH while an order is in force at the grace's end;
 * nothing outside an order; retained states never an opening; offline and tamper during an order
 * carry the household and order; a low battery once per low period. The live tree shows the
 * household only as a pseudonym and drops the order id.
 */
import { describe, expect, it } from 'vitest';
import { createCodec } from '../../drivers/mqtt/codec.js';
import { HouseholdDoorDevice } from '../../drivers/mqtt/household-door-device.js';
import { HouseholdDoorWatch } from '../../gateway/devices/household-doors.js';
import type { QuarantineOrder } from '../../gateway/domain/model.js';
import { alarmDetail, livePseudonym } from '../../gateway/mqtt/live-feed-privacy.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { recordingPort, settle } from '../helpers/mqtt-device-rig.js';

const TOPIC = 'zigbee2mqtt/h-1/door';
const OPEN = '{"contact":false,"battery":90}';
const CLOSED = '{"contact":true,"battery":90}';
const GRACE_MS = 60_000;
const ORDER: QuarantineOrder = {
  id: 'q-1',
  kind: 'home',
  target: { household: 'h-1' },
  from: 0,
  until: 1e12,
};

/** `retained`: a state the broker holds for the door before the device starts. */
async function doorRig(options: { ordered?: boolean; stateTimeoutMs?: number; retained?: string } = {}) {
  const bus = new MemoryBus();
  if (options.retained !== undefined) await bus.publish(TOPIC, options.retained, { retain: true });
  const clock = new ManualClock(1_000_000);
  const recorder = recordingPort();
  const log = memoryLog();
  const orders = { inForce: options.ordered ?? true, asked: 0 };
  const watch = new HouseholdDoorWatch({
    deviceId: 'door-h1',
    householdId: 'h-1',
    lowBatteryPercent: 20,
    port: recorder.port,
    ordersNow: () => {
      orders.asked++;
      return orders.inForce ? [ORDER] : [];
    },
    log: log.logger,
  });
  const codec = createCodec({
    convention: 'zigbee2mqtt',
    kind: 'contact',
    baseTopic: 'zigbee2mqtt',
    friendlyName: 'h-1/door',
  });
  const settings = {
    deviceId: 'door-h1',
    kind: 'contact' as const,
    graceMs: GRACE_MS,
    ...(options.stateTimeoutMs === undefined ? {} : { stateTimeoutMs: options.stateTimeoutMs }),
  };
  const door = new HouseholdDoorDevice(settings, {
    bus,
    codec,
    port: watch.devicePort,
    door: watch,
    log: log.logger,
    clock,
  });
  await door.start();
  const say = async (payload: string) => {
    await bus.publish(TOPIC, payload);
    await settle();
  };
  const codes = () => recorder.alarms.map((a) => a.code);
  return { bus, clock, recorder, log, orders, door, say, codes };
}

describe('a household door during a quarantine order', () => {
  it('raises one QUARANTINE_BREACH when the door stays open past the grace, with household and order', async () => {
    const { clock, recorder, door, say, codes } = await doorRig();
    await say(CLOSED);
    await say(OPEN);
    expect(door.door).toBe('open');
    clock.advance(GRACE_MS - 1);
    expect(codes()).toEqual([]);
    clock.advance(1);
    expect(recorder.alarms).toEqual([
      {
        code: 'QUARANTINE_BREACH',
        severity: 'critical',
        deviceId: 'door-h1',
        detail: { household: 'h-1', order: 'q-1', openMs: GRACE_MS },
      },
    ]);
    await say(OPEN); // the same state again (a battery report): no new opening
    clock.advance(10 * GRACE_MS);
    expect(codes()).toEqual(['QUARANTINE_BREACH']);
  });

  it('during a fire alarm the household leaving is a warning, not a critical breach', async () => {
    const { clock, recorder, say } = await doorRig();
    recorder.fire.active = true;
    await say(OPEN);
    clock.advance(GRACE_MS);
    expect(recorder.alarms).toEqual([
      {
        code: 'QUARANTINE_BREACH',
        severity: 'warning',
        deviceId: 'door-h1',
        detail: { household: 'h-1', order: 'q-1', openMs: GRACE_MS, fire: 1 },
      },
    ]);
  });

  it('is quiet for a door opened and closed again within the grace (a delivery taken in)', async () => {
    const { clock, say, codes } = await doorRig();
    await say(OPEN);
    clock.advance(GRACE_MS - 5000);
    await say(CLOSED);
    clock.advance(10 * GRACE_MS);
    expect(codes()).toEqual([]);
  });

  it('never takes a retained state for an opening', async () => {
    const { clock, say, codes, door } = await doorRig({ retained: OPEN });
    expect(door.door).toBe('open');
    clock.advance(10 * GRACE_MS);
    await say(OPEN); // live, but the door was already open: no opening heard
    clock.advance(10 * GRACE_MS);
    expect(codes()).toEqual([]);
  });

  it('decides at the grace’s end: an order lifted meanwhile is no breach, one added meanwhile is', async () => {
    const lifted = await doorRig();
    await lifted.say(OPEN);
    lifted.orders.inForce = false;
    lifted.clock.advance(GRACE_MS);
    expect(lifted.codes()).toEqual([]);
    expect(lifted.log.text()).toContain('no order in force, no alarm');

    const added = await doorRig({ ordered: false });
    await added.say(OPEN);
    added.orders.inForce = true;
    added.clock.advance(GRACE_MS);
    expect(added.codes()).toEqual(['QUARANTINE_BREACH']);
  });

  it('raises DEVICE_OFFLINE with the household and order, and DEVICE_TAMPER likewise', async () => {
    const { bus, clock, recorder, say } = await doorRig({ stateTimeoutMs: 3600_000 });
    await say('{"contact":true,"tamper":true}');
    await say(OPEN);
    await bus.publish(`${TOPIC}/availability`, 'offline');
    await settle();
    clock.advance(10 * GRACE_MS); // the outage forgot the opening: no breach from it
    expect(recorder.alarms.map((a) => [a.code, a.detail])).toEqual([
      ['DEVICE_TAMPER', { reason: 'tamper reported', household: 'h-1', order: 'q-1' }],
      ['DEVICE_OFFLINE', { reason: 'device declared itself offline', household: 'h-1', order: 'q-1' }],
    ]);
    expect(recorder.states).toEqual([
      'door-h1 online: state message received',
      'door-h1 offline: device declared itself offline',
    ]);
  });

  it('raises SENSOR_LOW_BATTERY once per low period, again after a new battery ran low', async () => {
    const { recorder, say, codes } = await doorRig();
    await say('{"contact":true,"battery":21}');
    await say('{"contact":true,"battery":20}');
    await say('{"contact":true,"battery":19}');
    await say('{"contact":true,"battery":24}'); // wavering: the same low period
    await say('{"contact":true,"battery":18}');
    expect(recorder.alarms).toEqual([
      {
        code: 'SENSOR_LOW_BATTERY',
        severity: 'warning',
        deviceId: 'door-h1',
        detail: { household: 'h-1', order: 'q-1', battery: 20 },
      },
    ]);
    await say('{"contact":true,"battery":100}');
    await say('{"contact":true,"battery":15}');
    expect(codes()).toEqual(['SENSOR_LOW_BATTERY', 'SENSOR_LOW_BATTERY']);
  });

  it('clears its grace timer when stopped, and shrugs off a malformed payload', async () => {
    const { clock, say, codes, door, log } = await doorRig();
    await say('{"contact":"maybe"}');
    expect(log.text()).toContain('malformed payload dropped');
    await say(OPEN);
    expect(clock.pending).toBeGreaterThan(0);
    await door.stop();
    expect(clock.pending).toBe(0);
    clock.advance(10 * GRACE_MS);
    expect(codes()).toEqual([]);
  });
});

describe('a household door outside an order', () => {
  it('only reports: no breach, offline or battery alarm, the door state in the log and status', async () => {
    const { bus, clock, recorder, log, door, say } = await doorRig({ ordered: false });
    await say('{"contact":true,"battery":5}');
    await say(OPEN);
    clock.advance(10 * GRACE_MS);
    await bus.publish(`${TOPIC}/availability`, 'offline');
    await settle();
    expect(recorder.alarms).toEqual([]);
    expect(recorder.states.at(-1)).toBe('door-h1 offline: device declared itself offline');
    expect(log.text()).toContain('door opened / 门已打开');
    expect(door.status().report).toMatchObject({ open: true, battery: 90 });
    expect(door.status().laneId).toBeUndefined();
  });
});

describe('the battery as the codecs read it', () => {
  const decode = (convention: 'zigbee2mqtt' | 'json', payload: string) => {
    const codec =
      convention === 'zigbee2mqtt'
        ? createCodec({ convention, kind: 'contact', baseTopic: 'z2m', friendlyName: 'door' })
        : createCodec({ convention, kind: 'contact', stateTopic: 'devices/door/state' });
    return codec.decode(codec.topics[0] as string, Buffer.from(payload));
  };
  const report = (payload: { kind: string; events?: unknown[] }) => payload.events?.[0];

  it('takes a percentage from Zigbee2MQTT and plain JSON, and keeps the door when the battery is no percentage', () => {
    expect(report(decode('zigbee2mqtt', '{"contact":true,"battery":17}'))).toEqual({
      type: 'report',
      report: { open: false, battery: 17 },
    });
    expect(report(decode('json', '{"contact":"open","battery":"9"}'))).toEqual({
      type: 'report',
      report: { open: true, battery: 9 },
    });
    for (const battery of ['"low"', '255', '-1', 'null', '{}'])
      expect(report(decode('zigbee2mqtt', `{"contact":false,"battery":${battery}}`))).toEqual({
        type: 'report',
        report: { open: true },
      });
  });
});

describe('a breach on the live tree', () => {
  it('shows the household as a pseudonym, drops the order id and keeps the numbers', () => {
    const key = Buffer.alloc(32, 7);
    const shown = alarmDetail({ household: 'h-1', order: 'q-1', openMs: 60_000, device: 'door-h1' }, (id) =>
      livePseudonym(key, id),
    );
    expect(shown).toEqual({ household: livePseudonym(key, 'h-1'), openMs: 60_000, device: 'door-h1' });
    expect(JSON.stringify(shown)).not.toContain('h-1"');
  });
});
