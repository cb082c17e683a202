/**
 * What `gatewarden start` does with a journal that fails verification (gateway/cli/commands/
 * start.ts, checkJournal): a row edited in place raises one critical JOURNAL_TAMPERED alarm and
 * the gateway runs on (the gate must not stay shut because of an old row); a head that no longer
 * matches the newest entries (rows deleted at the end) refuses to start with JOURNAL_CORRUPT,
 * since seqs would be handed out again.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { ScratchSite } from './helpers/cli.js';

describe('gatewarden start on a journal that fails verification', () => {
  let site: ScratchSite;
  beforeEach(() => {
    site = new ScratchSite();
    site.run(['mode', 'set', 'open', '--reason', 'end of closed management']);
    site.run(['mode', 'set', 'closed', '--reason', 'new case nearby']);
    site.run(['mode', 'set', 'open', '--reason', 'all clear']);
  });
  afterEach(() => site.dispose());

  const edit = (sql: string) => {
    const db = new Database(join(site.dir, 'data/gatewarden.db'));
    try {
      db.prepare(sql).run();
    } finally {
      db.close();
    }
  };

  it('raises one JOURNAL_TAMPERED alarm for a row edited in place, and runs', async () => {
    edit("UPDATE journal SET payload = replace(payload, 'new case nearby', 'drill') WHERE seq = 2");
    const running = await site.start();
    const stopped = await running.stop();
    expect(stopped.status).toBe(0);
    expect(stopped.stderr).toMatch(/journal verification failed/);
    const tail = site.run(['journal', 'tail', '--type', 'alarm', '--json']);
    const alarms = tail.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((e) => e.type === 'alarm' && e.payload.code === 'JOURNAL_TAMPERED');
    expect(alarms).toHaveLength(1);
    expect(alarms[0].payload).toMatchObject({
      code: 'JOURNAL_TAMPERED',
      severity: 'critical',
      detail: { problems: 1, firstSeq: 2 },
    });
  });

  it("finds a row edited before the last start's verified mark, in the background, with the same alarm", async () => {
    const first = await site.start();
    expect((await first.stop()).stderr).toMatch(/journal verified/);
    edit("UPDATE journal SET payload = replace(payload, 'new case nearby', 'drill') WHERE seq = 2");
    const alarms = () =>
      site
        .run(['journal', 'tail', '--type', 'alarm', '--json'])
        .stdout.trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line))
        .filter((e) => e.type === 'alarm' && e.payload.code === 'JOURNAL_TAMPERED');
    const running = await site.start();
    let found: ReturnType<typeof alarms> = [];
    await waitFor("the background verification's alarm", () => {
      found = alarms();
      return found.length > 0;
    });
    const stopped = await running.stop();
    expect(stopped.stderr).toMatch(/"after":\d+.*journal verified/);
    expect(found).toHaveLength(1);
    expect(found[0].payload).toMatchObject({
      code: 'JOURNAL_TAMPERED',
      severity: 'critical',
      detail: { problems: 1, firstSeq: 2 },
    });
  });

  it('refuses to start (JOURNAL_CORRUPT) when the newest rows are gone', () => {
    edit('DELETE FROM journal WHERE seq = 3');
    const r = site.run(['start']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"kind":"head_mismatch"/);
    expect(r.stderr).toMatch(
      /^gatewarden: the journal head does not match its newest entries: run `gatewarden journal verify`$/m,
    );
  });
});
