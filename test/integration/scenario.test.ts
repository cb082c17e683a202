/**
 * The crowd scenario end to end: a generated day played through the simulated site (the
 * launcher in this process on free loopback ports and a temporary folder: socat pairs, serial
 * simulators, ONVIF cameras, the gateway as a child process, its embedded broker) with every
 * decision compared with the plan's. Zero disagreements, one journaled decision per action (no
 * lost event), and none of the community's names or ID numbers in the gateway's log, the
 * journal's payloads or the live messages (as /api/recent serves them, the live stream's own
 * mapping). Needs socat and the compiled tree (`npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runScenario } from '../../simulators/scenario/runner.js';
import type { Community } from '../../simulators/site/community.js';

const ROOT = resolve(import.meta.dirname, '../..');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every synthetic name and raw ID number of the community found in `text`. */
function personalDataIn(text: string, community: Community): string[] {
  return community.persons.flatMap((p) =>
    [p.name, p.idNumber].filter((secret) => text.includes(secret)).map((s) => `${p.id}: ${s.slice(0, 1)}…`),
  );
}

describe('gatewarden-sim scenario', () => {
  it('plays a compressed day through the simulated site: every decision agrees, none is lost, no personal data leaks', async () => {
    for (const part of ['dist/gateway/cli/main.js', 'dist/simulators/cli/main.js'])
      if (!existsSync(join(ROOT, part))) throw new Error(`${part} is missing: build first (npm run build)`);
    const dir = mkdtempSync(join(tmpdir(), 'gw-scenario-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const output: string[] = [];
    const leaks: Record<string, string[]> = {};
    let decisionsInJournal = -1;

    const report = await runScenario(
      { dir, ports: 'free', seed: 7, speed: 1_000_000, verbose: false },
      { print: (l) => output.push(l), printError: (l) => output.push(l) },
      async (site) => {
        const db = new Database(join(site.dir, 'data/gatewarden.db'), {
          readonly: true,
          fileMustExist: true,
        });
        try {
          const payloads = db
            .prepare<[], { type: string; payload: string }>('SELECT type, payload FROM journal')
            .all();
          decisionsInJournal = payloads.filter((r) => r.type === 'decision').length;
          leaks.journal = personalDataIn(payloads.map((r) => r.payload).join('\n'), site.community);
        } finally {
          db.close();
        }
        leaks.log = personalDataIn(readFileSync(join(site.dir, 'gateway.log'), 'utf8'), site.community);
        const login = await fetch(`${site.dashboardUrl}/api/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: 'admin', password: site.adminPassword }),
        });
        const { token } = (await login.json()) as { token: string };
        const recent = await fetch(`${site.dashboardUrl}/api/recent?minutes=60`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const live = (await recent.json()) as { messages: unknown[] };
        expect(live.messages.length).toBeGreaterThan(0);
        leaks.live = personalDataIn(JSON.stringify(live.messages), site.community);
      },
    );

    const summary = report.disagreements.map((d) => `${d.action.story} (${d.action.who}): ${d.problem}`);
    expect(summary, output.join('\n')).toEqual([]);
    expect(report.outcomes.length).toBeGreaterThanOrEqual(30);
    // The plan covers the cases of the issue.
    const codes = new Set(report.plan.actions.flatMap((a) => a.expect.codes));
    for (const code of [
      'RESIDENT',
      'STAFF',
      'VISITOR_ESCORTED',
      'ESCORT_REQUIRED',
      'HOUSEHOLD_QUOTA_EXCEEDED',
      'NOT_DESIGNATED_MEMBER',
      'FEVER',
      'UNKNOWN_CREDENTIAL',
      'QUARANTINED',
      'VEHICLE_PERMIT',
      'VEHICLE_NO_PERMIT',
      'ANTI_PASSBACK',
    ])
      expect(codes, code).toContain(code);
    // No lost event: one decision per action, and nothing else decided meanwhile.
    expect(report.outcomes.every((o) => o.decision !== undefined)).toBe(true);
    expect(decisionsInJournal).toBe(report.plan.actions.length);
    expect(leaks).toEqual({ journal: [], log: [], live: [] });
    // The launcher stopped everything it started: nothing runs from the folder any more.
    expect(processesNaming(dir)).toEqual([]);
  }, 120_000);

  it('refuses a bad --speed before starting anything, naming the option, with exit 2', () => {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'dist/simulators/cli/main.js'), 'scenario', '--speed', '0'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/speed must be a number in \(0, 1000000\]/);
  });
});

function processesNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) pids.push(pid);
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}
