import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import { ROOT, ScratchSite } from './helpers/cli.js';

const DAY = 86_400_000;
const FIXTURES = join(ROOT, 'test/fixtures/registry');
const OLD_VISITOR = '310101199001011234';
const NEW_VISITOR = '310101198502024311';
const OLD_MASK = '3101**********1234';
const NEW_MASK = '3101**********4311';

/** Retention through the CLI on a scratch site: `retention run`, then `journal verify`. */
describe('gatewarden retention run', () => {
  let site: ScratchSite;
  beforeEach(() => {
    site = new ScratchSite('retention:\n  readingsDays: 30\n  visitorsDays: 30\n');
  });
  afterEach(() => site.dispose());

  it('purges old delivered readings and old visitors’ identity, keeps the rest, and the journal verifies', () => {
    expect(
      site.run(['registry', 'import', join(FIXTURES, 'residents.csv'), '--roster', 'residents']).status,
    ).toBe(0);
    const iso = (at: number) => new Date(at).toISOString();
    const now = Date.now();
    const visit = (id: string, from: number, until: number) =>
      site.run([
        'visitor',
        'register',
        '--id-number',
        id,
        '--escort',
        'res-wang',
        '--from',
        iso(from),
        '--until',
        iso(until),
      ]);
    expect(visit(OLD_VISITOR, now - 60 * DAY, now - 59 * DAY).status).toBe(0);
    expect(visit(NEW_VISITOR, now - DAY, now + DAY).status).toBe(0);
    expect(site.run(['reading', 'north-ped-in', '36.4']).status).toBe(0);

    // Readings from 40 days ago (a journal that has been running), one of them not yet delivered.
    const db = openDatabase(join(site.dir, 'data', 'gatewarden.db'));
    const journal = Journal.open(db);
    const old = (celsius: number) =>
      journal.append('reading', now - 40 * DAY, {
        gateId: 'north',
        laneId: 'north-ped-in',
        reading: { at: now - 40 * DAY, celsius, mask: true },
        source: 'cam-test',
      }).seq;
    const delivered = [old(39.71), old(39.72)];
    journal.cursor('test-sink').commit(delivered[1] as number);
    const undelivered = old(39.73);
    db.close();

    const run = site.run(['retention', 'run']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/readings before .*: 2 purged, 1 kept \(not yet delivered\)/);
    expect(run.stdout).toMatch(/visitors ended before .*: 1 purged/);

    const tail = site
      .run(['journal', 'tail', '-n', '50', '--json'])
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; type: string; payload: Record<string, unknown> });
    const bySeq = new Map(tail.map((e) => [e.seq, e]));
    expect(delivered.map((seq) => bySeq.get(seq)?.type)).toEqual(['purged', 'purged']);
    expect(bySeq.get(undelivered)?.type).toBe('reading');
    expect(tail.filter((e) => e.type === 'reading')).toHaveLength(2); // today's and the undelivered one
    expect(tail.at(-1)).toMatchObject({
      type: 'retention',
      payload: { readings: { purged: 2, keptUndelivered: 1 }, visitors: { purged: 1 } },
    });

    // The old visitor's identity is gone from the registry and from the database files; the new one's stays.
    const exported = site.run(['registry', 'export']).stdout;
    expect(exported).not.toContain(OLD_MASK);
    expect(exported).toContain(NEW_MASK);
    const files = readdirSync(join(site.dir, 'data')).filter((f) => f.startsWith('gatewarden.db'));
    for (const f of files) {
      const bytes = readFileSync(join(site.dir, 'data', f));
      expect(bytes.includes(Buffer.from(OLD_MASK)), `${OLD_MASK} in ${f}`).toBe(false);
      expect(bytes.includes(Buffer.from('39.71')), `a purged reading in ${f}`).toBe(false);
    }

    const verified = site.run(['journal', 'verify', '--json']);
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, purged: 2 });

    // A real tamper is still caught: the undelivered reading's payload dropped as if purged.
    const raw = openDatabase(join(site.dir, 'data', 'gatewarden.db'));
    raw
      .prepare(`UPDATE journal SET type = 'purged', payload = '{"type":"reading"}' WHERE seq = ?`)
      .run(undelivered);
    raw.close();
    const tampered = site.run(['journal', 'verify']);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(
      new RegExp(`#${undelivered} hash_mismatch: a purged entry without its digest`),
    );
  });

  it('does nothing, and journals nothing, without configured periods', () => {
    const bare = new ScratchSite();
    try {
      const run = bare.run(['retention', 'run', '--json']);
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ seqs: [], skippedTampered: 0 });
    } finally {
      bare.dispose();
    }
  });
});
