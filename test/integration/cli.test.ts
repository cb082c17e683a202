import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, ScratchSite } from './helpers/cli.js';

const FIXTURES = join(ROOT, 'test/fixtures/registry');
const REQUEST = {
  laneId: 'north-ped-in',
  credential: { kind: 'card', value: '04:a2:2b:9c' },
  temperature: { celsius: 36.6, mask: true },
};

describe('gatewarden CLI', () => {
  let site: ScratchSite;
  beforeEach(() => {
    site = new ScratchSite();
  });
  afterEach(() => site.dispose());

  it('has --help on every command', () => {
    const commands = [
      [],
      ['start'],
      ['decide'],
      ['registry'],
      ['registry', 'import'],
      ['registry', 'export'],
      ['registry', 'list'],
      ['quarantine', 'add'],
      ['quarantine', 'list'],
      ['quarantine', 'lift'],
      ['visitor', 'register'],
      ['mode', 'get'],
      ['mode', 'set'],
      ['journal', 'tail'],
      ['journal', 'verify'],
      ['report', 'shift'],
      ['report', 'daily'],
    ];
    for (const args of commands) {
      const r = site.run([...args, '--help']);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: gatewarden/);
    }
  });

  it('imports a CSV roster, then decides: 0 for allow, 1 for deny', () => {
    const imported = site.run([
      'registry',
      'import',
      join(FIXTURES, 'residents.csv'),
      '--roster',
      'residents',
    ]);
    expect(imported.stderr).toMatch(/writing: .*\(100%\)/);
    expect(imported.stdout).toMatch(/imported \(merge\): 3 households, 4 persons/);
    expect(imported.status).toBe(0);

    const allow = site.run(['decide'], JSON.stringify(REQUEST));
    expect(allow.status).toBe(0);
    const decision = JSON.parse(allow.stdout);
    expect(decision).toMatchObject({ allow: true, reasons: [{ effect: 'grant', code: 'RESIDENT' }] });
    expect(decision.reasons[0].message.zh).toBe('住户，请通行');

    const fever = site.run(
      ['decide', '-'],
      JSON.stringify({ ...REQUEST, temperature: { celsius: 38.2, mask: false } }),
    );
    expect(fever.status).toBe(1);
    // A high camera reading asks for a re-measure first (policy.remeasure, on by default).
    expect(JSON.parse(fever.stdout).reasons.map((r: { code: string }) => r.code)).toEqual([
      'TEMPERATURE_REMEASURE',
      'NO_MASK',
    ]);

    // decide is a what-if: nothing journaled but the import
    const tail = site.run(['journal', 'tail', '--json']);
    expect(
      tail.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(['operator']);
  });

  it('decides against a registry file, with an ID number checked and hashed', () => {
    const registry = join(FIXTURES, 'registry.yaml');
    const r = site.run(
      ['decide', '--registry', registry, '--mode', 'open'],
      JSON.stringify({
        laneId: 'north-ped-in',
        credential: { kind: 'idcard', idNumber: '110105194912310021' },
      }),
    );
    expect(r.status).toBe(1);
    const codes = JSON.parse(r.stdout).reasons.map((x: { code: string }) => x.code);
    expect(codes).toContain('IDCARD_INVALID');
    expect(r.stdout).not.toContain('110105194912310021');
  });

  it('refuses a roster with a bad ID number, names file, line and field, and writes nothing', () => {
    const bad = join(FIXTURES, 'residents-bad.csv');
    const r = site.run(['registry', 'import', bad, '--roster', 'residents']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^gatewarden: /m);
    expect(r.stderr).toMatch(new RegExp(`${bad}, line 3, field id_number: `));
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const counts = JSON.parse(site.run(['registry', 'list', 'counts']).stdout);
    expect(counts.persons).toBe(0);
  });

  it('prints one clear line for a bad request or bad usage, never a stack trace', () => {
    const notJson = site.run(['decide'], '{"laneId": ');
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toMatch(/^gatewarden: stdin is not JSON/);
    const badField = site.run(
      ['decide'],
      JSON.stringify({ laneId: 'north-ped-in', credential: { kind: 'badge' } }),
    );
    expect(badField.status).toBe(2);
    expect(badField.stderr).toMatch(/field credential\.kind/);
    const badLane = site.run(['decide'], JSON.stringify({ laneId: 'nowhere' }));
    expect(badLane.stderr).toMatch(/unknown lane "nowhere"/);
    const usage = site.run(['mode', 'set', 'party', '--reason', 'x']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/invalid/i);
    for (const r of [notJson, badField, badLane, usage]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('switches the mode, journals it, and the decision follows', () => {
    site.run(['registry', 'import', join(FIXTURES, 'residents.csv'), '--roster', 'residents']);
    expect(site.run(['mode', 'get']).stdout).toMatch(/^closed/);
    const set = site.run(['mode', 'set', 'lockdown', '--reason', '确诊病例 confirmed case']);
    expect(set.status).toBe(0);
    expect(site.run(['mode', 'get']).stdout).toMatch(/^lockdown/);
    const d = site.run(['decide'], JSON.stringify(REQUEST));
    expect(d.status).toBe(1);
    expect(JSON.parse(d.stdout).reasons[0].code).toBe('LOCKDOWN');
    expect(site.run(['journal', 'tail']).stdout).toMatch(/mode\s+closed → lockdown by test-op/);
  });

  it('shows a reading in journal tail with its instrument and re-measure mark', () => {
    // Windows far longer than any gap between two commands: the marks never depend on timing.
    const marked = new ScratchSite('\npolicy:\n  remeasure: { waitSeconds: 600, withinSeconds: 3600 }\n');
    try {
      for (const args of [
        ['north-ped-in', '38.2', '--mask', 'yes'],
        ['north-ped-in', '38.0'],
        ['north-ped-in', '38.3', '--handheld', '--mask', 'yes'],
        ['north-ped-out', '36.5', '--handheld'],
      ]) {
        expect(marked.run(['reading', ...args]).status, args.join(' ')).toBe(0);
      }
      const tail = marked.run(['journal', 'tail', '--type', 'reading']);
      expect(tail.status).toBe(0);
      expect(
        tail.stdout
          .trim()
          .split('\n')
          .map((line) => line.replace(/^#\d+ .* reading\s+/, '')),
      ).toEqual([
        'north-ped-in 38.2 °C camera re-measure required mask=true',
        'north-ped-in 38.0 °C camera waiting for re-measure (not used) mask=null',
        'north-ped-in 38.3 °C handheld re-measure mask=true',
        'north-ped-out 36.5 °C handheld mask=null',
      ]);
    } finally {
      marked.dispose();
    }
  });

  it('adds, lists and lifts a quarantine order, and the rules see it', () => {
    site.run(['registry', 'import', join(FIXTURES, 'residents.csv'), '--roster', 'residents']);
    const add = site.run([
      'quarantine',
      'add',
      '--household',
      '3-2-501',
      '--kind',
      'home',
      '--days',
      '14',
      '--id',
      'q-1',
    ]);
    expect(add.status).toBe(0);
    expect(site.run(['quarantine', 'list', '--active']).stdout).toMatch(/q-1\s+home\s+household 3-2-501/);
    const out = { ...REQUEST, laneId: 'north-ped-out' };
    expect(JSON.parse(site.run(['decide'], JSON.stringify(out)).stdout).reasons[0].code).toBe('QUARANTINED');
    expect(site.run(['quarantine', 'lift', 'q-1']).status).toBe(0);
    expect(site.run(['decide'], JSON.stringify(out)).status).toBe(0);
    const unknown = site.run(['quarantine', 'lift', 'q-nope']);
    expect(unknown.status).toBe(2);
  });

  it('registers a visitor who then needs the escort', () => {
    site.run(['registry', 'import', join(FIXTURES, 'residents.csv'), '--roster', 'residents']);
    const persons = JSON.parse(site.run(['registry', 'list', 'persons', '--json']).stdout) as {
      id: string;
    }[];
    expect(persons.map((p) => p.id)).toContain('res-wang');
    const reg = site.run([
      'visitor',
      'register',
      '--id-number',
      '440524188001010014',
      '--escort',
      'res-wang',
    ]);
    // that number belongs to a resident already: a visitor must be someone else
    expect(reg.status).toBe(2);
    expect(reg.stderr).toMatch(/^gatewarden: visitor registration refused/);
    const visitorId = '310101199001011234';
    const v = site.run([
      'visitor',
      'register',
      '--id-number',
      visitorId,
      '--escort',
      'res-wang',
      '--hours',
      '2',
    ]);
    expect(v.stderr).toBe('');
    expect(v.status).toBe(0);
    expect(v.stdout).not.toContain(visitorId);
    const visitor = {
      laneId: 'north-ped-in',
      credential: { kind: 'idcard', idNumber: visitorId },
      temperature: { celsius: 36.5, mask: true },
    };
    const alone = JSON.parse(site.run(['decide'], JSON.stringify(visitor)).stdout);
    expect(alone.reasons.map((r: { code: string }) => r.code)).toEqual(['ESCORT_REQUIRED']);
    const wrongEscort = site.run(
      ['decide'],
      JSON.stringify({ ...visitor, escortedBy: [{ kind: 'card', value: '04A22B9C' }] }),
    );
    expect(wrongEscort.status).toBe(1);
    const escort = { kind: 'idcard', idNumber: '440524188001010014' };
    const escorted = site.run(['decide'], JSON.stringify({ ...visitor, escortedBy: [escort] }));
    expect(escorted.status).toBe(0);
    expect(JSON.parse(escorted.stdout).reasons[0].code).toBe('VISITOR_ESCORTED');

    // The raw ID numbers reach neither the database (nor its WAL) nor anything printed.
    const files = readdirSync(join(site.dir, 'data')).filter((f) => f.startsWith('gatewarden.db'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = readFileSync(join(site.dir, 'data', f));
      for (const id of [visitorId, '440524188001010014', '11010519491231002X']) {
        expect(bytes.includes(Buffer.from(id)), `${id} in ${f}`).toBe(false);
      }
    }
    const exported = site.run(['registry', 'export']).stdout;
    expect(exported).not.toContain(visitorId);
    expect(exported).toContain('3101**********1234');
  });

  it('verifies the journal and catches a tampered row', () => {
    site.run(['registry', 'import', join(FIXTURES, 'residents.csv'), '--roster', 'residents']);
    site.run(['mode', 'set', 'open', '--reason', 'end of closed management']);
    site.run(['mode', 'set', 'closed', '--reason', 'new case nearby']);
    expect(site.run(['journal', 'verify']).stdout).toMatch(/journal ok: 3 entries/);
    const db = new Database(join(site.dir, 'data/gatewarden.db'));
    db.prepare(
      "UPDATE journal SET payload = replace(payload, 'new case nearby', 'drill') WHERE seq = 3",
    ).run();
    db.close();
    const r = site.run(['journal', 'verify']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/TAMPERED/);
    expect(r.stdout).toMatch(/#3 hash_mismatch/);
  });

  it('produces a daily report even when every count is zero', () => {
    const r = site.run(['report', 'daily', '2022-04-10', '--json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.zeroReport).toBe(true);
    expect(site.run(['report', 'daily', '2022-04-10']).stdout).toMatch(/零报告|zero/i);
    expect(site.run(['report', 'shift', '--date', '2022-04-10', '--shift', 'night']).status).toBe(0);
  });

  it('starts on the default configuration and stops cleanly on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const running = await site.start();
      const result = await running.stop(signal);
      expect(result.status).toBe(0);
      expect(result.stderr).toMatch(/gateway stopped/);
    }
  });

  it('refuses to start on a broken configuration, listing every error', () => {
    const broken = new ScratchSite('\npolicy:\n  feverThresholdC: hot\n  bogus: 1\n');
    try {
      const r = broken.run(['start']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/policy\.feverThresholdC/);
      expect(r.stderr).toMatch(/policy\.bogus/);
      expect(r.stderr).toMatch(/line \d+/);
    } finally {
      broken.dispose();
    }
  });
});
