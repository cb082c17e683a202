import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, defaultPolicy, policyFromConfig } from '../../config/schema.js';
import { Checkpoint, type SiteLayout } from '../../gateway/checkpoint/checkpoint.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import type { SiteMode } from '../../gateway/domain/model.js';
import { Journal } from '../../gateway/journal/journal.js';
import { REASON_MESSAGES } from '../../gateway/rules/reasons.js';
import type {
  Decision,
  RemeasureMark,
  RemeasurePolicy,
  TemperatureReading,
} from '../../gateway/rules/types.js';
import { cardValue, NOW, policy, registry } from '../helpers/world.js';

/**
 * The re-measure of a high temperature reading, through a real checkpoint over an in-memory
 * journal: the checkpoint marks each reading once when it records it, the rules read the mark.
 * Policy: threshold 37.3 °C, temperature window 10 s, wait 30 s, pending for 300 s.
 */

const LANE = 'ped-in';
const LAYOUT: SiteLayout = {
  gates: [
    {
      id: 'north',
      primary: true,
      lanes: [
        { id: LANE, kind: 'pedestrian', direction: 'in' },
        { id: 'ped-out', kind: 'pedestrian', direction: 'out' },
      ],
    },
  ],
};
const REMEASURE: RemeasurePolicy = {
  enabled: true,
  waitMs: 30_000,
  withinMs: 300_000,
  camera: true,
  handheld: true,
};
const S = 1000;

const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

/** A site with one checkpoint; `remeasure: null` builds a policy without the field (as before it existed). */
function site(remeasure: Partial<RemeasurePolicy> | null = {}) {
  const db = openDatabase(':memory:');
  dbs.push(db);
  const journal = Journal.open(db);
  const overrides = remeasure === null ? {} : { remeasure: { ...REMEASURE, ...remeasure } };
  const policyFor = (mode: SiteMode) => policy(mode, overrides);
  const open = (dryRun = false) => {
    const cp = new Checkpoint({
      journal,
      layout: LAYOUT,
      registry: () => registry,
      policy: policyFor,
      initialMode: 'closed',
      timezone: 'Asia/Shanghai',
      returnWithinMs: 4 * 3600 * S,
      now: () => NOW,
      dryRun,
    });
    cp.start();
    return cp;
  };
  return { journal, open, cp: open() };
}

const camera = (cp: Checkpoint, at: number, celsius: number, mask = true) =>
  cp.reading(LANE, { at, celsius, mask }, 'cam-north-in').payload.reading;
const handheld = (cp: Checkpoint, at: number, celsius: number) =>
  cp.reading(LANE, { at, celsius, mask: true, instrument: 'handheld' }, 'cli:op').payload.reading;
const card = (cp: Checkpoint, at: number, name = 'C-RES1'): Decision =>
  cp.present({ laneId: LANE, at, credential: { kind: 'card', value: cardValue(name) } }).decision;

const denies = (d: Decision) => d.reasons.filter((r) => r.effect === 'deny').map((r) => r.code);
const alarms = (d: Decision) => d.actions.filter((a) => a.type === 'alarm');
const mark = (r: TemperatureReading): RemeasureMark | undefined => r.remeasure;

describe('a high camera reading asks for a re-measure', () => {
  it('marks the reading required; a card hears TEMPERATURE_REMEASURE and the operators are warned', () => {
    const { cp } = site();
    expect(mark(camera(cp, NOW, 37.8))).toBe('required');
    const d = card(cp, NOW + 2 * S);
    expect(d.allow).toBe(false);
    expect(d.reasons).toEqual([{ effect: 'deny', code: 'TEMPERATURE_REMEASURE', detail: { celsius: 37.8 } }]);
    expect(d.actions).toEqual([
      { type: 'indicate', led: 'red', buzzer: 'long', text: REASON_MESSAGES.TEMPERATURE_REMEASURE },
      { type: 'alarm', code: 'TEMPERATURE_REMEASURE', severity: 'warning' },
    ]);
  });

  it('marks a reading exactly at the threshold required, and one just below it not at all', () => {
    const { cp } = site();
    expect(mark(camera(cp, NOW, 37.2))).toBeUndefined();
    expect(mark(camera(cp, NOW + S, 37.3))).toBe('required');
  });

  it('still says re-measure, not "no temperature", to a card shown 40 s after the high reading', () => {
    const { cp } = site();
    camera(cp, NOW, 37.8);
    expect(denies(card(cp, NOW + 40 * S))).toEqual(['TEMPERATURE_REMEASURE']);
  });

  it('lists a missing mask beside the re-measure', () => {
    const { cp } = site();
    camera(cp, NOW, 38.4, false);
    expect(denies(card(cp, NOW + S))).toEqual(['TEMPERATURE_REMEASURE', 'NO_MASK']);
  });
});

describe('the camera re-measure', () => {
  it('journals a camera reading during the wait as waiting and does not use it', () => {
    const { cp } = site();
    camera(cp, NOW, 37.9);
    expect(mark(camera(cp, NOW + 10 * S, 36.6))).toBe('waiting');
    expect(denies(card(cp, NOW + 12 * S))).toEqual(['TEMPERATURE_REMEASURE']);
    expect(mark(camera(cp, NOW + 29_999, 36.6))).toBe('waiting');
    // The readings of the wait have pushed the high one out of the temperature window's list.
    expect(denies(card(cp, NOW + 30 * S))).toEqual(['TEMPERATURE_REMEASURE']);
  });

  it('takes a normal camera reading after the wait as the re-measure: the card passes', () => {
    const { cp } = site();
    camera(cp, NOW, 37.9);
    camera(cp, NOW + 10 * S, 36.6);
    expect(mark(camera(cp, NOW + 30 * S, 36.6))).toBe('taken');
    const d = card(cp, NOW + 32 * S);
    expect(d.allow).toBe(true);
    expect(d.reasons).toEqual([{ effect: 'grant', code: 'RESIDENT' }]);
    expect(alarms(d)).toEqual([]);
  });

  it('takes a high camera reading after the wait as the re-measure: FEVER with the critical alarm', () => {
    const { cp } = site();
    camera(cp, NOW, 37.9);
    expect(mark(camera(cp, NOW + 31 * S, 38.0))).toBe('taken');
    const d = card(cp, NOW + 33 * S);
    expect(d.reasons).toEqual([{ effect: 'deny', code: 'FEVER', detail: { celsius: 38.0 } }]);
    expect(alarms(d)).toEqual([{ type: 'alarm', code: 'FEVER', severity: 'critical' }]);
  });

  it('with camera: false, only a handheld reading confirms', () => {
    const { cp } = site({ camera: false });
    camera(cp, NOW, 37.9);
    expect(mark(camera(cp, NOW + 60 * S, 36.6))).toBe('waiting');
    expect(denies(card(cp, NOW + 61 * S))).toEqual(['TEMPERATURE_REMEASURE']);
    expect(mark(handheld(cp, NOW + 70 * S, 36.7))).toBe('taken');
    expect(card(cp, NOW + 71 * S).allow).toBe(true);
  });
});

describe('the handheld re-measure', () => {
  it('is taken at once, without the wait', () => {
    const { cp } = site();
    camera(cp, NOW, 38.1);
    expect(mark(handheld(cp, NOW + 5 * S, 36.5))).toBe('taken');
    expect(card(cp, NOW + 6 * S).allow).toBe(true);
  });

  it('confirms a fever', () => {
    const { cp } = site();
    camera(cp, NOW, 38.1);
    expect(mark(handheld(cp, NOW + 5 * S, 38.2))).toBe('taken');
    expect(denies(card(cp, NOW + 6 * S))).toEqual(['FEVER']);
  });

  it('with handheld: false, waits like any other reading', () => {
    const { cp } = site({ handheld: false });
    camera(cp, NOW, 38.1);
    expect(mark(handheld(cp, NOW + 5 * S, 36.5))).toBe('waiting');
    expect(denies(card(cp, NOW + 6 * S))).toEqual(['TEMPERATURE_REMEASURE']);
  });

  it('with nothing pending is an ordinary reading: a high one is FEVER at once', () => {
    const { cp } = site();
    const r = handheld(cp, NOW, 38.2);
    expect(r).toEqual({ at: NOW, celsius: 38.2, mask: true, instrument: 'handheld' });
    expect(denies(card(cp, NOW + S))).toEqual(['FEVER']);
  });
});

describe('the pending reading', () => {
  it('lapses after withinMs: a card then needs a reading, and the next high reading asks afresh', () => {
    const { cp } = site();
    camera(cp, NOW, 37.9);
    expect(denies(card(cp, NOW + 300 * S))).toEqual(['TEMPERATURE_REMEASURE']);
    expect(denies(card(cp, NOW + 312 * S))).toEqual(['TEMPERATURE_REQUIRED']);
    expect(mark(camera(cp, NOW + 320 * S, 37.6))).toBe('required');
    expect(denies(card(cp, NOW + 322 * S))).toEqual(['TEMPERATURE_REMEASURE']);
  });

  it('lapses after withinMs for a normal reading too: it is ordinary again', () => {
    const { cp } = site();
    camera(cp, NOW, 37.9);
    expect(mark(camera(cp, NOW + 301 * S, 36.5))).toBeUndefined();
    expect(card(cp, NOW + 302 * S).allow).toBe(true);
  });

  it('ends with the re-measure: the next person at the lane needs a reading of their own', () => {
    const { cp } = site();
    camera(cp, NOW, 37.9);
    handheld(cp, NOW + 5 * S, 36.5);
    expect(card(cp, NOW + 6 * S).allow).toBe(true);
    expect(denies(card(cp, NOW + 7 * S, 'C-RES2'))).toEqual(['TEMPERATURE_REQUIRED']);
    expect(mark(camera(cp, NOW + 8 * S, 38.3))).toBe('required');
  });

  it('ends when an override lets the person through, with the FEVER notice', () => {
    const { cp } = site();
    camera(cp, NOW, 38.5);
    const d = cp.present({
      laneId: LANE,
      at: NOW + 2 * S,
      credential: { kind: 'card', value: cardValue('C-RES1') },
      override: { operator: 'op', reason: 'medical' },
    }).decision;
    expect(d.allow).toBe(true);
    expect(d.reasons).toContainEqual({ effect: 'notice', code: 'FEVER' });
    expect(alarms(d)).toEqual([{ type: 'alarm', code: 'FEVER', severity: 'critical' }]);
    expect(mark(camera(cp, NOW + 5 * S, 36.6))).toBeUndefined();
  });
});

describe('re-measure off', () => {
  it('refuses a high reading with FEVER at once, exactly as a policy without re-measure', () => {
    const off = site({ enabled: false });
    const before = site(null);
    for (const { cp } of [off, before]) {
      camera(cp, NOW, 38.0);
      camera(cp, NOW + 40 * S, 38.1);
    }
    const d = card(off.cp, NOW + 41 * S);
    expect(d.reasons).toEqual([{ effect: 'deny', code: 'FEVER', detail: { celsius: 38.1 } }]);
    expect(alarms(d)).toEqual([{ type: 'alarm', code: 'FEVER', severity: 'critical' }]);
    expect(d).toEqual(card(before.cp, NOW + 41 * S));
    const readings = (j: Journal) => [...j.iterate(0, ['reading'])].map((e) => e.payload);
    expect(readings(off.journal)).toEqual(readings(before.journal));
    expect(readings(off.journal).map((p) => 'remeasure' in p.reading)).toEqual([false, false]);
  });
});

describe('the journal', () => {
  it('keeps both readings with their marks, and a mark handed in is replaced', () => {
    const { cp, journal } = site();
    camera(cp, NOW, 37.9);
    cp.reading(LANE, { at: NOW + 10 * S, celsius: 36.4, mask: true, remeasure: 'taken' }, 'cam-north-in');
    handheld(cp, NOW + 20 * S, 36.6);
    const readings = [...journal.iterate(0, ['reading'])].map((e) => e.payload);
    expect(readings).toEqual([
      {
        gateId: 'north',
        laneId: LANE,
        source: 'cam-north-in',
        reading: { at: NOW, celsius: 37.9, mask: true, remeasure: 'required' },
      },
      {
        gateId: 'north',
        laneId: LANE,
        source: 'cam-north-in',
        reading: { at: NOW + 10 * S, celsius: 36.4, mask: true, remeasure: 'waiting' },
      },
      {
        gateId: 'north',
        laneId: LANE,
        source: 'cli:op',
        reading: { at: NOW + 20 * S, celsius: 36.6, mask: true, instrument: 'handheld', remeasure: 'taken' },
      },
    ]);
  });

  it('replayed by a fresh checkpoint, gives the same state and the same decisions', () => {
    const { cp: live, open } = site();
    camera(live, NOW, 37.9);
    card(live, NOW + 2 * S);
    camera(live, NOW + 12 * S, 36.5);
    camera(live, NOW + 100 * S, 38.4, false);
    camera(live, NOW + 140 * S, 37.0);
    // A dry-run replay journals nothing, so the live checkpoint and the journal stay as they were
    // while the replay is probed; then the live one answers the same probes.
    const replay = open(true);
    const probe = (cp: Checkpoint) => [
      denies(card(cp, NOW + 141 * S)),
      denies(card(cp, NOW + 150 * S, 'C-RES2')),
      mark(camera(cp, NOW + 160 * S, 38.8)),
      denies(card(cp, NOW + 165 * S, 'C-RES2')),
      mark(handheld(cp, NOW + 170 * S, 36.9)),
      denies(card(cp, NOW + 171 * S, 'C-RES2')),
      denies(card(cp, NOW + 172 * S, 'C-RES3')),
    ];
    const replayed = probe(replay);
    expect(replayed).toEqual([
      [],
      ['TEMPERATURE_REQUIRED'],
      'required',
      ['TEMPERATURE_REMEASURE'],
      'taken',
      [],
      ['TEMPERATURE_REQUIRED'],
    ]);
    expect(probe(live)).toEqual(replayed);
  });
});

describe('the policy in the configuration', () => {
  const name = { zh: '北门', en: 'North' };
  const config = (remeasure: Record<string, unknown>) => ({
    site: { id: 'site', name },
    gates: [
      { id: 'north', name, primary: true, lanes: [{ id: 'in', name, kind: 'pedestrian', direction: 'in' }] },
    ],
    policy: { remeasure },
  });
  const issues = (remeasure: Record<string, unknown>) =>
    configSchema.safeParse(config(remeasure)).error?.issues.map((i) => [i.path.join('.'), i.message]);

  it('is on by default: a 30 s wait, pending for 300 s, camera and handheld both confirm', () => {
    expect(defaultPolicy('closed').remeasure).toEqual(REMEASURE);
  });

  it('is written in seconds and read by the rules in milliseconds', () => {
    const parsed = configSchema.parse(config({ waitSeconds: 12.5, withinSeconds: 60, camera: false }));
    expect(policyFromConfig(parsed, 'open').remeasure).toEqual({
      enabled: true,
      waitMs: 12_500,
      withinMs: 60_000,
      camera: false,
      handheld: true,
    });
  });

  it('refuses settings under which no high reading could ever be confirmed, naming the field', () => {
    expect(issues({ waitSeconds: 300, withinSeconds: 300 })).toEqual([
      ['policy.remeasure.withinSeconds', expect.stringMatching(/longer than waitSeconds/)],
    ]);
    expect(issues({ camera: false, handheld: false })).toEqual([
      ['policy.remeasure.handheld', expect.stringMatching(/neither camera nor handheld/)],
    ]);
    expect(issues({ waitSeconds: 300, withinSeconds: 300, camera: false })).toBeUndefined();
    expect(issues({ enabled: false, camera: false, handheld: false })).toBeUndefined();
    expect(issues({ waitSeconds: -1 })?.[0]?.[0]).toBe('policy.remeasure.waitSeconds');
  });
});
