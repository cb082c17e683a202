import { afterEach, describe, expect, it } from 'vitest';
import { HomeAssistantDiscovery } from '../../gateway/mqtt/home-assistant.js';
import { HA_COMPONENTS } from '../../gateway/mqtt/home-assistant-configs.js';
import { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { localTopicPattern, localTopics } from '../../gateway/mqtt/local-topics.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { granted, KEY, siteConfig, T0, tempJournal, vehicleGranted } from './mqtt-live-fixtures.js';

/**
 * What Home Assistant's MQTT discovery schemas require of each component we use (and, since the
 * gateway takes no commands from HA, what must be absent). `lock` is listed to show why it is
 * not used: its schema requires a command topic.
 */
const REQUIRED: Record<string, readonly string[]> = {
  sensor: ['state_topic'],
  binary_sensor: ['state_topic'],
  cover: ['state_topic', 'device_class'],
  lock: ['command_topic'],
};
const COMMON = ['unique_id', 'name', 'device', 'availability', 'origin'];
const COMMAND_KEYS = /(^|_)(command|cmd)(_|$)|^set_position_topic$|^tilt_command_topic$/;

function setup(enabled = true) {
  const clock = new ManualClock(T0);
  const bus = new MemoryBus();
  const ha = new HomeAssistantDiscovery({
    bus,
    config: siteConfig({ enabled }),
    log: memoryLog().logger,
    now: clock.now,
    timers: clock,
    version: '1.2.3',
  });
  const configs = () => bus.published.filter((m) => m.topic.endsWith('/config'));
  return { clock, bus, ha, configs };
}

describe('Home Assistant discovery configs', () => {
  const { ha } = setup();
  const topics = localTopics('demo');

  it('names every entity the site has: lanes, temperatures, counters, mode, fire, devices', () => {
    const ids = ha.discoveries.map((d) => `${d.component}/${d.objectId}`).sort();
    expect(ids).toEqual(
      [
        'binary_sensor/device_idcard-1',
        'binary_sensor/device_qr-1',
        'binary_sensor/fire_alarm',
        'binary_sensor/north-ped-in_lock',
        'cover/north-car-in_barrier',
        'sensor/north-car-in_temperature',
        'sensor/north-ped-in_temperature',
        'sensor/passes_granted_today',
        'sensor/passes_refused_today',
        'sensor/site_mode',
      ].sort(),
    );
  });

  it.each(ha.discoveries.map((d) => [`${d.component}/${d.objectId}`, d] as const))(
    '%s has what its component requires and no command topic',
    (_, d) => {
      expect(HA_COMPONENTS).toContain(d.component);
      expect(ha.configTopic(d)).toMatch(
        /^homeassistant\/(binary_sensor|cover|sensor)\/gatewarden_demo\/[\w-]+\/config$/,
      );
      for (const key of [...COMMON, ...(REQUIRED[d.component] ?? [])]) expect(d.config).toHaveProperty(key);
      expect(Object.keys(d.config).filter((k) => COMMAND_KEYS.test(k))).toEqual([]);
      expect(d.config.device).toHaveProperty('identifiers');
      expect(d.config.availability).toEqual([
        { topic: topics.gatewayStatus(), value_template: '{{ value_json.state }}' },
      ]);
      for (const key of ['state_topic', 'json_attributes_topic']) {
        const topic = d.config[key];
        if (topic !== undefined)
          expect(localTopicPattern(topics, String(topic)), `${key} ${topic}`).toBeDefined();
      }
    },
  );

  it('gives each entity its own unique id', () => {
    const ids = ha.discoveries.map((d) => d.config.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reads only fields the live feed publishes on each state topic', async () => {
    const site = tempJournal();
    const bus = new MemoryBus();
    const clock = new ManualClock(T0);
    const feed = new LiveFeed({
      journal: site.journal,
      config: siteConfig(),
      bus,
      log: memoryLog().logger,
      pseudonymKey: KEY,
      now: clock.now,
      timers: clock,
    });
    try {
      feed.start();
      site.journal.append('decision', T0, granted(T0));
      site.journal.append('decision', T0, vehicleGranted(T0));
      site.journal.append('device', T0, { deviceId: 'idcard-1', state: 'online' });
      site.journal.append('device', T0, { deviceId: 'qr-1', state: 'offline' });
      site.journal.append('reading', T0, {
        gateId: 'north',
        laneId: 'north-ped-in',
        reading: { at: T0, celsius: 36.5, mask: true },
        source: 'x',
      });
      site.journal.append('reading', T0, {
        gateId: 'north',
        laneId: 'north-car-in',
        reading: { at: T0, celsius: 36.5, mask: true },
        source: 'x',
      });
      await feed.flush();
      for (const d of ha.discoveries) {
        const message = bus.published.findLast((m) => m.topic === d.config.state_topic);
        expect(message, `${d.objectId}: nothing on ${String(d.config.state_topic)}`).toBeDefined();
        const payload = JSON.parse(String(message?.payload)) as Record<string, unknown>;
        const fields = [...String(d.config.value_template).matchAll(/value_json\.(\w+)/g)].map((m) => m[1]);
        expect(fields.length).toBeGreaterThan(0);
        for (const field of fields)
          expect(payload, `${d.objectId} reads ${field}`).toHaveProperty(String(field));
      }
    } finally {
      await feed.stop();
      site.close();
    }
  });
});

describe('HomeAssistantDiscovery on the bus', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('publishes every config retained at QoS 1 on start', async () => {
    const { ha, configs } = setup();
    stops.push(() => ha.stop());
    await ha.start();
    expect(configs()).toHaveLength(ha.discoveries.length);
    expect(configs().every((m) => m.retain && m.qos === 1)).toBe(true);
  });

  it('publishes them again on a birth of Home Assistant, paced, and ignores stale or odd status', async () => {
    const { ha, bus, clock, configs } = setup();
    stops.push(() => ha.stop());
    await ha.start();
    const n = ha.discoveries.length;
    clock.advance(10_000);
    await bus.publish('homeassistant/status', 'online');
    expect(configs()).toHaveLength(2 * n);
    await bus.publish('homeassistant/status', 'offline');
    await bus.publish('homeassistant/status', 'rubbish');
    await bus.publish('homeassistant/status', Buffer.alloc(100_000, 1));
    expect(configs()).toHaveLength(2 * n);
    // A flood of births within the interval: one more publish, at its end.
    for (let i = 0; i < 50; i++) await bus.publish('homeassistant/status', 'online');
    expect(configs()).toHaveLength(2 * n);
    clock.advance(10_000);
    await Promise.resolve();
    expect(configs()).toHaveLength(3 * n);
    expect(ha.publishes).toBe(3);
  });

  it('does not take a retained birth for a new one', async () => {
    const { ha, bus, configs } = setup();
    stops.push(() => ha.stop());
    await bus.publish('homeassistant/status', 'online', { retain: true });
    await ha.start();
    expect(configs()).toHaveLength(ha.discoveries.length);
  });

  it('does nothing when disabled', async () => {
    const { ha, bus } = setup(false);
    await ha.start();
    await bus.publish('homeassistant/status', 'online');
    expect(bus.published.filter((m) => m.topic.endsWith('/config'))).toEqual([]);
  });
});
