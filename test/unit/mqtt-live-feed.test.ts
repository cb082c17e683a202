import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { livePseudonym } from '../../gateway/mqtt/live-feed-privacy.js';
import type { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import {
  feedRig,
  granted,
  KEY,
  publishedOn,
  reading,
  refused,
  T0,
  type tempJournal,
} from './mqtt-live-fixtures.js';

const BASE = 'gatewarden/demo';
const p = (id: string) => livePseudonym(KEY, id);

describe('LiveFeed: journal entries on the local tree', () => {
  let site: ReturnType<typeof tempJournal>;
  let bus: MemoryBus;
  let feed: LiveFeed;

  const on = (topic: string) => publishedOn(bus, topic);
  const last = (topic: string) => on(topic).at(-1);

  beforeEach(() => {
    ({ site, bus, feed } = feedRig());
  });

  afterEach(async () => {
    await feed.stop();
    site.close();
  });

  it('publishes a granted decision on pass/<gate>/<lane>, without the credential value', async () => {
    feed.start();
    const entry = site.journal.append('decision', T0, granted(T0));
    await feed.flush();
    expect(on(`${BASE}/pass/north/north-ped-in`)).toEqual([
      {
        retain: false,
        qos: 0,
        seq: entry.seq,
        at: T0,
        gate: 'north',
        lane: 'north-ped-in',
        direction: 'in',
        subject: { kind: 'person', personKind: 'resident', ref: p('res1'), household: p('3-2-501') },
        credential: 'card',
        shift: 'day',
        outcome: 'granted',
        grant: 'RESIDENT',
        notices: ['QUARANTINED'],
        override: false,
        release: 'unlock',
        unlockMs: 5000,
      },
    ]);
    expect(JSON.stringify(bus.published.map((m) => m.payload.toString()))).not.toContain('CRES1');
  });

  it('publishes a refusal with its reasons, dropping detail that is not safe locally', async () => {
    feed.start();
    const entry = site.journal.append('decision', T0, refused(T0));
    await feed.flush();
    expect(last(`${BASE}/refusal/north/north-ped-in`)).toEqual({
      retain: false,
      qos: 0,
      seq: entry.seq,
      at: T0,
      gate: 'north',
      lane: 'north-ped-in',
      direction: 'in',
      subject: { kind: 'person', personKind: 'visitor', ref: p('vis1') },
      credential: 'idcard',
      shift: 'day',
      outcome: 'refused',
      reason: 'FEVER',
      message: { zh: '体温异常，请原地等候', en: 'Temperature too high: please wait here' },
      reasons: [
        { code: 'FEVER', detail: { celsius: 38.2 } },
        { code: 'QUARANTINED' },
        { code: 'HIGH_RISK_ORIGIN' },
      ],
    });
  });

  it('publishes the alarms a decision raises on the alarm stream, with the decision seq to acknowledge', async () => {
    feed.start();
    const decision = refused(T0);
    decision.decision = {
      ...decision.decision,
      actions: [...decision.decision.actions, { type: 'alarm', code: 'FEVER', severity: 'critical' }],
    };
    const entry = site.journal.append('decision', T0, decision);
    await feed.flush();
    expect(on(`${BASE}/alarm`)).toEqual([
      {
        retain: false,
        qos: 0,
        seq: entry.seq,
        at: T0,
        code: 'FEVER',
        severity: 'critical',
        message: { zh: '体温异常', en: 'Fever' },
        detail: {},
        gate: 'north',
        lane: 'north-ped-in',
        subject: p('vis1'),
      },
    ]);
    site.journal.append('decision', T0, granted(T0));
    await feed.flush();
    expect(on(`${BASE}/alarm`)).toHaveLength(1);
  });

  it('publishes readings, alarms and acknowledgements as streams', async () => {
    feed.start();
    const temperature = site.journal.append('reading', T0, reading(T0, 37.4));
    const alarm = site.journal.append('alarm', T0, {
      code: 'OVERDUE_RETURN',
      severity: 'warning',
      laneId: 'north-ped-in',
      subjectId: 'res1',
      detail: { household: '3-2-501', outSince: T0 - 1000, reason: 'late', note: 'free text' },
    });
    const ack = site.journal.append('alarm_ack', T0, { alarmSeq: alarm.seq, operator: '王小明', note: 'ok' });
    await feed.flush();
    expect(last(`${BASE}/temperature/north/north-ped-in`)).toEqual({
      retain: false,
      qos: 0,
      seq: temperature.seq,
      at: T0,
      gate: 'north',
      lane: 'north-ped-in',
      celsius: 37.4,
      mask: true,
      fever: true,
      source: 'idcard-1',
      instrument: 'camera',
      remeasure: null,
    });
    expect(last(`${BASE}/alarm`)).toEqual({
      retain: false,
      qos: 0,
      seq: alarm.seq,
      at: T0,
      code: 'OVERDUE_RETURN',
      severity: 'warning',
      message: { zh: '外出逾期未归', en: 'Overdue return' },
      gate: 'north',
      lane: 'north-ped-in',
      subject: p('res1'),
      detail: { household: p('3-2-501'), outSince: T0 - 1000, reason: 'late' },
    });
    expect(last(`${BASE}/alarm/ack`)).toEqual({
      retain: false,
      qos: 0,
      seq: ack.seq,
      at: T0,
      alarmSeq: alarm.seq,
    });
  });

  it('publishes the instrument and the re-measure mark of each reading, as journaled', async () => {
    feed.start();
    const high = site.journal.append('reading', T0, reading(T0, 38.1, { remeasure: 'required' }));
    const during = site.journal.append(
      'reading',
      T0 + 5_000,
      reading(T0 + 5_000, 37.6, { instrument: 'camera', remeasure: 'waiting' }),
    );
    const handheld = site.journal.append(
      'reading',
      T0 + 9_000,
      reading(T0 + 9_000, 37.5, { instrument: 'handheld', remeasure: 'taken' }, 'cli:guard-2'),
    );
    const ordinary = site.journal.append(
      'reading',
      T0 + 60_000,
      reading(T0 + 60_000, 36.5, { instrument: 'handheld' }, 'cli:guard-2'),
    );
    await feed.flush();
    const messages = on(`${BASE}/temperature/north/north-ped-in`).map(
      ({ seq, celsius, fever, source, instrument, remeasure }) => ({
        seq,
        celsius,
        fever,
        source,
        instrument,
        remeasure,
      }),
    );
    expect(messages).toEqual([
      {
        seq: high.seq,
        celsius: 38.1,
        fever: true,
        source: 'idcard-1',
        instrument: 'camera',
        remeasure: 'required',
      },
      {
        seq: during.seq,
        celsius: 37.6,
        fever: true,
        source: 'idcard-1',
        instrument: 'camera',
        remeasure: 'waiting',
      },
      {
        seq: handheld.seq,
        celsius: 37.5,
        fever: true,
        source: 'other',
        instrument: 'handheld',
        remeasure: 'taken',
      },
      {
        seq: ordinary.seq,
        celsius: 36.5,
        fever: false,
        source: 'other',
        instrument: 'handheld',
        remeasure: null,
      },
    ]);
    // Always both keys, so a template (Home Assistant's value_json.remeasure) never meets a missing one.
    for (const m of on(`${BASE}/temperature/north/north-ped-in`)) {
      expect(Object.keys(m)).toEqual(expect.arrayContaining(['instrument', 'remeasure']));
    }
  });

  it('keeps mode, fire and devices as retained states', async () => {
    feed.start();
    const mode = site.journal.append('mode', T0, {
      from: 'closed',
      to: 'lockdown',
      operator: '王小明',
      reason: '通知',
    });
    const fire = site.journal.append('fire', T0, { active: true, source: 'qr-1' });
    const device = site.journal.append('device', T0, {
      deviceId: 'idcard-1',
      state: 'offline',
      detail: 'no reply',
    });
    await feed.flush();
    expect(last(`${BASE}/mode`)).toEqual({
      retain: true,
      qos: 1,
      mode: 'lockdown',
      seq: mode.seq,
      at: T0,
      message: { zh: '封控', en: 'lockdown' },
    });
    expect(last(`${BASE}/fire`)).toEqual({
      retain: true,
      qos: 1,
      active: true,
      seq: fire.seq,
      at: T0,
      device: 'qr-1',
    });
    expect(last(`${BASE}/device/idcard-1/availability`)).toEqual({
      retain: true,
      qos: 1,
      state: 'offline',
      at: T0,
    });
    expect(last(`${BASE}/device/idcard-1/state`)).toEqual({
      retain: true,
      qos: 1,
      seq: device.seq,
      at: T0,
      device: 'idcard-1',
      state: 'offline',
      gate: 'north',
      lane: 'north-ped-in',
      detail: 'no reply',
    });
    const gate = last(`${BASE}/gate/north/north-ped-in/state`);
    expect(gate).toMatchObject({
      open: true,
      lock: 'unlocked',
      releasedBy: 'fire',
      devicesDown: ['idcard-1'],
    });
    expect(last(`${BASE}/gate/north/north-car-in/state`)).toMatchObject({
      open: true,
      barrier: 'up',
      fire: true,
    });
  });

  it('publishes nothing for operator actions and passages', async () => {
    feed.start();
    const before = bus.published.length;
    site.journal.append('operator', T0, {
      action: 'visitor.register',
      operator: '王小明',
      shift: 'day',
      detail: { name: '李四' },
    });
    site.journal.append('passage', T0, { subjectId: 'res1', direction: 'out', laneId: 'north-ped-in' });
    await feed.flush();
    expect(bus.published.length).toBe(before);
  });
});
