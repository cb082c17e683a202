/**
 * The telemetry schema (gateway/telemetry/points.ts): every journal entry type as its
 * measurement, tags and fields; `seq` and `replayed`; unique timestamps; and privacy: no name,
 * ID number or registry id reaches a line, only the injected pseudonym.
 * Entries come from a real journal, so payloads are what the sink reads back (parsed JSON).
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import type { JournalEventMap } from '../../gateway/journal/events.js';
import { type AnyJournalEntry, Journal } from '../../gateway/journal/journal.js';
import type { TemperatureReading } from '../../gateway/rules/types.js';
import { entryTimestampNs, type TelemetryPoint, toLine } from '../../gateway/telemetry/line-protocol.js';
import { BULK_TYPES, MEASUREMENTS, PointMapper, PRIORITY_TYPES } from '../../gateway/telemetry/points.js';

const AT = Date.UTC(2026, 10, 28, 1, 2, 3, 456);
const SITE = 'demo';

/** A keyed-hash stand-in: stable, and shows nothing of the id. */
const pseudonym = (id: string): string =>
  `ps-${createHash('sha256').update(`k\0${id}`).digest('hex').slice(0, 12)}`;

const mapper = new PointMapper({ siteId: SITE, feverThresholdC: 37.3, pseudonym });

type Payload<T extends keyof JournalEventMap> = JournalEventMap[T];

function grantedDecision(): Payload<'decision'> {
  return {
    gateId: 'north',
    request: {
      at: AT,
      laneId: 'north-ped-out',
      shift: 'day',
      credential: { kind: 'card', value: '04A1B2C3' },
    },
    decision: {
      allow: true,
      reasons: [
        { effect: 'grant', code: 'RESIDENT' },
        { effect: 'notice', code: 'QUARANTINED' },
      ],
      subject: { kind: 'person', id: 'P-0001', personKind: 'resident', householdId: 'H-0001' },
      direction: 'out',
      actions: [],
    },
    latencyUs: 12.5,
  };
}

function feverDecision(): Payload<'decision'> {
  return {
    gateId: 'south',
    request: { at: AT, laneId: 'south-ped-in', shift: 'night', credential: { kind: 'qr', value: 'PASS-9' } },
    decision: {
      allow: false,
      reasons: [
        { effect: 'deny', code: 'FEVER', detail: { celsius: 38.2 } },
        { effect: 'deny', code: 'NO_MASK' },
      ],
      subject: { kind: 'person', id: 'P-0002', personKind: 'visitor' },
      direction: 'in',
      actions: [],
    },
    latencyUs: 40,
  };
}

describe('PointMapper', () => {
  let db: Db;
  let journal: Journal;

  beforeEach(() => {
    db = openDatabase(':memory:');
    journal = Journal.open(db);
  });

  afterEach(() => {
    db.close();
  });

  /** Appends and returns the entry as the sink reads it back from the journal. */
  function entry<T extends keyof JournalEventMap>(type: T, payload: Payload<T>, at = AT): AnyJournalEntry {
    const { seq } = journal.append(type, at, payload);
    const read = journal.get(seq);
    if (read === undefined) throw new Error(`seq ${seq} not read back`);
    return read;
  }

  function only(e: AnyJournalEntry, replayed = false): TelemetryPoint {
    const points = mapper.points(e, replayed);
    expect(points).toHaveLength(1);
    return points[0] as TelemetryPoint;
  }

  it('sends every entry type: PRIORITY_TYPES and BULK_TYPES cover them, once each', () => {
    const types = [...PRIORITY_TYPES, ...BULK_TYPES].sort();
    expect(types).toEqual(
      ['alarm', 'alarm_ack', 'decision', 'device', 'fire', 'mode', 'operator', 'passage', 'reading'].sort(),
    );
    expect(new Set(types).size).toBe(types.length);
  });

  describe('a decision is a pass point', () => {
    it('granted: outcome, the grant as reason, subject kind, credential kind, the reasons and decide_us', () => {
      const e = entry('decision', grantedDecision());
      expect(only(e)).toEqual({
        measurement: 'pass',
        tags: {
          site: SITE,
          gate: 'north',
          lane: 'north-ped-out',
          direction: 'out',
          outcome: 'granted',
          reason: 'RESIDENT',
          subject_kind: 'resident',
          credential: 'card',
          shift: 'day',
        },
        fields: {
          reasons: 'RESIDENT,QUARANTINED',
          decide_us: 12.5,
          temperature_c: undefined,
          subject: pseudonym('P-0001'),
          seq: BigInt(e.seq),
        },
        timestampNs: entryTimestampNs(AT, e.seq),
      });
    });

    it('refused for fever: the first deny is the reason and temperature_c carries the reading', () => {
      const p = only(entry('decision', feverDecision()));
      expect(p.tags).toMatchObject({
        outcome: 'refused',
        reason: 'FEVER',
        subject_kind: 'visitor',
        credential: 'qr',
        direction: 'in',
        shift: 'night',
      });
      expect(p.fields).toMatchObject({ reasons: 'FEVER,NO_MASK', temperature_c: 38.2, decide_us: 40 });
      expect(toLine(p)).toContain('temperature_c=38.2');
    });

    it('temperature_c comes from a FEVER deny even when another deny is the first', () => {
      const payload = feverDecision();
      payload.decision = {
        ...payload.decision,
        reasons: [
          { effect: 'deny', code: 'NO_MASK' },
          { effect: 'deny', code: 'FEVER', detail: { celsius: 39.1 } },
        ],
      };
      const p = only(entry('decision', payload));
      expect(p.tags.reason).toBe('NO_MASK');
      expect(p.fields.temperature_c).toBe(39.1);
    });

    it('a vehicle, an unknown subject, no credential, an override, no latency', () => {
      const vehicle: Payload<'decision'> = {
        gateId: 'east',
        request: {
          at: AT,
          laneId: 'east-car-in',
          shift: 'evening',
          credential: { kind: 'plate', value: '京A12345' },
          override: { operator: 'guard-7', reason: 'ambulance' },
        },
        decision: {
          allow: true,
          reasons: [{ effect: 'grant', code: 'EMERGENCY_OVERRIDE' }],
          subject: { kind: 'vehicle', id: 'V-0009', vehicleKind: 'outside' },
          direction: 'in',
          actions: [],
        },
      };
      const v = only(entry('decision', vehicle));
      expect(v.tags).toMatchObject({
        subject_kind: 'vehicle-outside',
        credential: 'plate',
        reason: 'EMERGENCY_OVERRIDE',
      });
      expect(v.fields).toMatchObject({ override: true, subject: pseudonym('V-0009') });
      expect(v.fields.decide_us).toBeUndefined();
      expect(toLine(v)).not.toContain('decide_us');
      expect(toLine(v)).not.toContain('ambulance');

      const unknown: Payload<'decision'> = {
        gateId: 'north',
        request: { at: AT, laneId: 'north-ped-in', shift: 'day' },
        decision: {
          allow: false,
          reasons: [{ effect: 'deny', code: 'NO_CREDENTIAL' }],
          subject: { kind: 'unknown' },
          direction: 'in',
          actions: [],
        },
        latencyUs: 3,
      };
      const u = only(entry('decision', unknown));
      expect(u.tags).toMatchObject({ subject_kind: 'unknown', credential: 'none', reason: 'NO_CREDENTIAL' });
      expect(u.fields.subject).toBeUndefined();
      expect(u.fields.override).toBeUndefined();
    });

    it('an allow without a grant reason says NONE', () => {
      const payload = grantedDecision();
      payload.decision = { ...payload.decision, reasons: [{ effect: 'notice', code: 'FEVER' }] };
      expect(only(entry('decision', payload)).tags.reason).toBe('NONE');
    });
  });

  it('a reading is a temperature point with mask and fever tags', () => {
    const reading = (celsius: number, mask: boolean | null) =>
      entry('reading', {
        gateId: 'north',
        laneId: 'north-ped-in',
        reading: { at: AT, celsius, mask },
        source: 'cam-1',
      });
    const r = reading(36.6, true);
    expect(only(r)).toEqual({
      measurement: 'temperature',
      tags: {
        site: SITE,
        gate: 'north',
        lane: 'north-ped-in',
        source: 'cam-1',
        mask: 'yes',
        fever: 'false',
        instrument: 'camera',
        remeasure: 'none',
      },
      fields: { celsius: 36.6, seq: BigInt(r.seq) },
      timestampNs: entryTimestampNs(AT, r.seq),
    });
    expect(only(reading(37.3, false)).tags).toMatchObject({ mask: 'no', fever: 'true' });
    expect(only(reading(37.2, null)).tags).toMatchObject({ mask: 'unknown', fever: 'false' });
  });

  describe('a reading with its re-measure marks', () => {
    const marked = (celsius: number, mark: Partial<TemperatureReading>, at = AT) =>
      entry(
        'reading',
        {
          gateId: 'north',
          laneId: 'north-ped-in',
          reading: { at, celsius, mask: true, ...mark },
          source: mark.instrument === 'handheld' ? 'cli:guard-2' : 'cam-1',
        },
        at,
      );

    it('tags the instrument and the mark; fever stays "at or above the threshold"', () => {
      const tags = (e: AnyJournalEntry) => {
        const { instrument, remeasure, fever } = only(e).tags;
        return { instrument, remeasure, fever };
      };
      expect(tags(marked(38.1, { remeasure: 'required' }))).toEqual({
        instrument: 'camera',
        remeasure: 'required',
        fever: 'true',
      });
      expect(tags(marked(36.4, { instrument: 'camera', remeasure: 'waiting' }))).toEqual({
        instrument: 'camera',
        remeasure: 'waiting',
        fever: 'false',
      });
      expect(tags(marked(37.3, { instrument: 'handheld', remeasure: 'taken' }))).toEqual({
        instrument: 'handheld',
        remeasure: 'taken',
        fever: 'true',
      });
      expect(tags(marked(36.8, { instrument: 'handheld' }))).toEqual({
        instrument: 'handheld',
        remeasure: 'none',
        fever: 'false',
      });
      const line = toLine(only(marked(37.0, { instrument: 'camera', remeasure: 'taken' })));
      expect(line).toMatch(
        /^temperature,[^ ]*,instrument=camera,[^ ]*,remeasure=taken,[^ ]* celsius=37,seq=/,
      );
    });

    it('a replayed reading is the same point: same timestamp and tag set, only the replayed field added', () => {
      const e = marked(38.4, { instrument: 'handheld', remeasure: 'taken' });
      const live = only(e, false);
      const replayed = only(e, true);
      expect(replayed.tags).toEqual(live.tags);
      expect(replayed.timestampNs).toBe(live.timestampNs);
      expect(replayed.fields).toEqual({ ...live.fields, replayed: true });
      // The series key (measurement and tags) of the line is the same too.
      const key = (line: string) => line.slice(0, line.indexOf(' '));
      expect(key(toLine(replayed))).toBe(key(toLine(live)));
    });

    it('a high first reading and its re-measure are two points: distinct timestamps, told apart by the mark', () => {
      const high = only(marked(38.2, { remeasure: 'required' }));
      const again = only(marked(38.0, { instrument: 'handheld', remeasure: 'taken' }, AT));
      expect(high.timestampNs).not.toBe(again.timestampNs);
      expect([high.tags.fever, again.tags.fever]).toEqual(['true', 'true']);
      expect([high.tags.remeasure, again.tags.remeasure]).toEqual(['required', 'taken']);
    });
  });

  it('an alarm: code, severity and lane as tags, detail as detail_* fields, id keys and the subject pseudonymised', () => {
    const a = entry('alarm', {
      code: 'OVERDUE_RETURN',
      severity: 'warning',
      laneId: 'north-ped-out',
      subjectId: 'P-0001',
      detail: {
        outSince: AT - 3_600_000,
        household: 'H-0001',
        person: 'P-0001',
        vehicle: 'V-0009',
        subject: 'S-1',
        device: 'cam-1',
      },
    });
    expect(only(a)).toEqual({
      measurement: 'alarm',
      tags: { site: SITE, code: 'OVERDUE_RETURN', severity: 'warning', lane: 'north-ped-out' },
      fields: {
        detail_outSince: AT - 3_600_000,
        detail_household: pseudonym('H-0001'),
        detail_person: pseudonym('P-0001'),
        detail_vehicle: pseudonym('V-0009'),
        detail_subject: pseudonym('S-1'),
        detail_device: 'cam-1',
        subject: pseudonym('P-0001'),
        seq: BigInt(a.seq),
      },
      timestampNs: entryTimestampNs(AT, a.seq),
    });
    // A number under an id key is not an id: kept as it is (a float field).
    expect(
      only(entry('alarm', { code: 'DEVICE_OFFLINE', severity: 'critical', detail: { person: 7 } })).fields,
    ).toEqual({
      detail_person: 7,
      seq: 2n,
    });
  });

  it('alarm_ack, mode, fire, device, operator and passage', () => {
    const ack = entry('alarm_ack', { alarmSeq: 17, operator: 'guard-3', note: 'checked the door' });
    expect(only(ack)).toMatchObject({
      measurement: 'alarm_ack',
      tags: { site: SITE },
      fields: { alarm_seq: 17n, operator: 'guard-3', seq: BigInt(ack.seq) },
    });
    expect(toLine(only(ack))).not.toContain('checked the door');

    expect(
      only(entry('mode', { from: 'open', to: 'lockdown', operator: 'guard-3', reason: 'drill' })),
    ).toMatchObject({
      measurement: 'mode',
      tags: { site: SITE, from: 'open', to: 'lockdown' },
      fields: { operator: 'guard-3', reason: 'drill' },
    });
    expect(only(entry('fire', { active: true, source: 'panel' }))).toMatchObject({
      measurement: 'fire',
      tags: { site: SITE },
      fields: { active: true, source: 'panel' },
    });
    expect(
      only(
        entry('device', { deviceId: 'osdp-1', laneId: 'north-ped-in', state: 'offline', detail: 'no reply' }),
      ),
    ).toMatchObject({
      measurement: 'device',
      tags: { site: SITE, device: 'osdp-1', lane: 'north-ped-in', state: 'offline' },
      fields: { online: false, detail: 'no reply' },
    });
    expect(only(entry('device', { deviceId: 'osdp-1', state: 'online' })).fields).toMatchObject({
      online: true,
    });

    const op = only(
      entry('operator', {
        action: 'visitor_register',
        operator: 'guard-3',
        shift: 'evening',
        detail: { plate: '京B77777' },
      }),
    );
    expect(op).toMatchObject({
      measurement: 'operator_action',
      tags: { site: SITE, action: 'visitor_register', shift: 'evening' },
      fields: { operator: 'guard-3' },
    });
    expect(Object.keys(op.fields).sort()).toEqual(['operator', 'seq']);

    expect(
      only(entry('passage', { subjectId: 'P-0001', direction: 'out', laneId: 'north-ped-out' })),
    ).toMatchObject({
      measurement: 'passage',
      tags: { site: SITE, lane: 'north-ped-out', direction: 'out' },
      fields: { subject: pseudonym('P-0001') },
    });
  });

  it('uses only the documented measurements', () => {
    const all = [
      entry('decision', grantedDecision()),
      entry('reading', {
        gateId: 'g',
        laneId: 'l',
        reading: { at: AT, celsius: 36, mask: null },
        source: 's',
      }),
      entry('alarm', { code: 'DOOR_FORCED_OPEN', severity: 'critical' }),
      entry('alarm_ack', { alarmSeq: 3, operator: 'o' }),
      entry('mode', { from: 'open', to: 'closed', operator: 'o', reason: 'r' }),
      entry('fire', { active: false, source: 's' }),
      entry('device', { deviceId: 'd', state: 'error' }),
      entry('operator', { action: 'a', operator: 'o', shift: 'day', detail: {} }),
      entry('passage', { subjectId: 'P', direction: 'in', laneId: 'l' }),
    ].map((e) => only(e).measurement);
    expect(all).toEqual([
      'pass',
      'temperature',
      'alarm',
      'alarm_ack',
      'mode',
      'fire',
      'device',
      'operator_action',
      'passage',
    ]);
    for (const m of all) expect(MEASUREMENTS).toContain(m);
  });

  it('marks replayed only when asked, as a field, and always carries seq as an integer', () => {
    const e = entry('decision', feverDecision());
    const live = only(e, false);
    const replayed = only(e, true);
    expect(live.fields.replayed).toBeUndefined();
    expect(replayed.fields.replayed).toBe(true);
    expect(replayed.tags).toEqual(live.tags);
    expect(replayed.timestampNs).toBe(live.timestampNs);
    expect(typeof live.fields.seq).toBe('bigint');
    expect(toLine(live)).toMatch(new RegExp(`(^| |,)seq=${e.seq}i( |,)`));
    expect(toLine(live)).not.toContain('replayed');
    expect(toLine(replayed)).toContain('replayed=true');
  });

  it('gives entries of the same ms distinct timestamps, ordered by seq', () => {
    const seqs: number[] = [];
    const stamps: bigint[] = [];
    for (let i = 0; i < 50; i++) {
      const e = entry('device', { deviceId: `d${i}`, state: 'online' });
      seqs.push(e.seq);
      stamps.push(BigInt(only(e).timestampNs));
    }
    expect(new Set(stamps).size).toBe(50);
    expect([...stamps].sort((a, b) => (a < b ? -1 : 1))).toEqual(stamps);
    expect(stamps[0]).toBe(BigInt(AT) * 1_000_000n + BigInt(seqs[0] as number));
  });

  it('is pure: the same entry always gives the same points', () => {
    const e = entry('alarm', {
      code: 'QUARANTINE_BREACH',
      severity: 'critical',
      subjectId: 'P-0001',
      detail: { household: 'H-1' },
    });
    expect(mapper.points(e, true)).toEqual(mapper.points(e, true));
    expect(toLine(only(e, true))).toBe(toLine(only(e, true)));
  });

  describe('privacy', () => {
    const ID_NUMBER = '110101199003074514';
    const NAME = '张伟';
    const PLATE = '京A12345';
    const secrets = [ID_NUMBER, NAME, PLATE, 'H-张伟家'];

    it('no ID number, name or registry id reaches a line: only their pseudonyms', () => {
      const entries = [
        entry('decision', {
          gateId: 'north',
          request: {
            at: AT,
            laneId: 'north-ped-in',
            shift: 'day',
            credential: { kind: 'idcard', value: ID_NUMBER, idNumberValid: true },
            override: { operator: 'guard-1', reason: `${NAME} forgot the card` },
          },
          decision: {
            allow: false,
            reasons: [{ effect: 'deny', code: 'QUARANTINED', detail: { order: ID_NUMBER } }],
            subject: { kind: 'person', id: NAME, personKind: 'resident', householdId: 'H-张伟家' },
            direction: 'in',
            actions: [],
          },
          latencyUs: 8,
        }),
        entry('decision', {
          gateId: 'east',
          request: {
            at: AT,
            laneId: 'east-car-in',
            shift: 'day',
            credential: { kind: 'plate', value: PLATE },
          },
          decision: {
            allow: true,
            reasons: [{ effect: 'grant', code: 'VEHICLE_PERMIT' }],
            subject: { kind: 'vehicle', id: PLATE, vehicleKind: 'resident' },
            direction: 'in',
            actions: [],
          },
        }),
        entry('alarm', {
          code: 'QUARANTINE_BREACH',
          severity: 'critical',
          subjectId: NAME,
          detail: { household: 'H-张伟家', person: ID_NUMBER, vehicle: PLATE, subject: NAME },
        }),
        entry('passage', { subjectId: NAME, direction: 'out', laneId: 'north-ped-out' }),
        entry('operator', {
          action: 'visitor_register',
          operator: 'guard-1',
          shift: 'day',
          detail: { name: NAME, idNumber: ID_NUMBER, plate: PLATE },
        }),
        entry('alarm_ack', { alarmSeq: 3, operator: 'guard-1', note: `${NAME} ${ID_NUMBER}` }),
      ];
      const lines = entries
        .flatMap((e) => [...mapper.points(e, false), ...mapper.points(e, true)])
        .map(toLine);
      expect(lines).toHaveLength(12);
      for (const line of lines) for (const secret of secrets) expect(line, line).not.toContain(secret);
      const all = lines.join('\n');
      for (const id of [NAME, PLATE, 'H-张伟家', ID_NUMBER]) expect(all).toContain(pseudonym(id));
      // The pass of the person carries the subject's pseudonym and the credential kind only.
      expect(lines[0]).toContain(`subject="${pseudonym(NAME)}"`);
      expect(lines[0]).toContain('credential=idcard');
    });
  });
});
