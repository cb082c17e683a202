/**
 * The Prometheus endpoint of the real `gatewarden start` (compiled CLI), on loopback: the
 * exposition has HELP lines and the gateway's metrics, follows the journal other processes
 * append to (the CLI here), has sink metrics only when the InfluxDB sink is configured, and
 * answers 404 off /metrics; with `bearerTokenFile`, 401 to a scrape without the token. Passes appended by another process are not in
 * `gatewarden_decisions_total` (it counts this process's decisions), and `decide` journals
 * nothing anyway: only the journal gauges see the CLI's entries.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, ScratchSite } from './helpers/cli.js';

const REQUEST = {
  laneId: 'north-ped-in',
  credential: { kind: 'card', value: '04:a2:2b:9c' },
  temperature: { celsius: 36.6, mask: true },
};

/** A port that was free a moment ago: bound on port 0, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function scrape(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.text();
}

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no sample ${series} in:\n${text.slice(0, 2000)}`);
  return Number(line.slice(series.length + 1));
}

describe('GET /metrics on a running gateway', () => {
  let site: ScratchSite | undefined;
  afterEach(() => site?.dispose());

  it('exposes the journal, decision and process metrics; no sink metrics without InfluxDB', async () => {
    const port = await freePort();
    site = new ScratchSite(`\ntelemetry:\n  metrics:\n    port: ${port}\n`);
    const running = await site.start();
    let stopped = false;
    try {
      const first = await scrape(port);
      for (const name of [
        'gatewarden_decisions_total',
        'gatewarden_decision_latency_seconds',
        'gatewarden_card_to_unlock_seconds',
        'gatewarden_journal_entries',
        'gatewarden_journal_bytes',
      ]) {
        expect(first).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      }
      expect(first).toMatch(/^gatewarden_process_cpu_user_seconds_total /m);
      expect(first).not.toMatch(/gatewarden_sink_/);
      // No devices configured: no device series.
      expect(first).not.toMatch(/^gatewarden_device_online\{/m);
      const before = sample(first, 'gatewarden_journal_entries');
      expect(sample(first, 'gatewarden_journal_bytes')).toBeGreaterThan(0);

      const roster = join(ROOT, 'test/fixtures/registry/residents.csv');
      expect(site.run(['registry', 'import', roster, '--roster', 'residents']).status).toBe(0);
      expect(site.run(['mode', 'set', 'open', '--reason', 'test: metrics']).status).toBe(0);
      expect(site.run(['decide'], JSON.stringify(REQUEST)).status).toBe(0);

      const second = await scrape(port);
      // The import and the mode switch, journaled by the CLI processes; decide journals nothing.
      expect(sample(second, 'gatewarden_journal_entries')).toBe(before + 2);
      expect(second).not.toMatch(/^gatewarden_decisions_total\{/m);

      expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'DELETE' })).status).toBe(405);

      const result = await running.stop();
      stopped = true;
      expect(result.status).toBe(0);
      expect(result.stderr).toContain(`Prometheus metrics at http://127.0.0.1:${port}/metrics`);
      await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    } finally {
      if (!stopped) await running.stop();
    }
  });

  it('adds the sink lag and counters when InfluxDB is configured, even while it is unreachable', async () => {
    const [port, nowhere] = [await freePort(), await freePort()];
    site = new ScratchSite(
      `\ntelemetry:\n  influx:\n    url: http://127.0.0.1:${nowhere}\n    retry: { initialSeconds: 0.1, maxSeconds: 0.5 }\n` +
        `  metrics:\n    host: 127.0.0.1\n    port: ${port}\n`,
    );
    expect(site.run(['mode', 'set', 'open', '--reason', 'test: a backlog']).status).toBe(0);
    const running = await site.start();
    try {
      const text = await scrape(port);
      expect(text).toMatch(/^# HELP gatewarden_sink_lag_entries \S/m);
      expect(text).toMatch(/^# HELP gatewarden_sink_lag_seconds \S/m);
      expect(sample(text, 'gatewarden_sink_lag_entries{sink="influx"}')).toBeGreaterThan(0);
      expect(sample(text, 'gatewarden_sink_lag_seconds{sink="influx"}')).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'gatewarden_sink_lag_entries{sink="influx.bulk"}')).toBeGreaterThan(0);
      expect(sample(text, 'gatewarden_sink_connected')).toBe(0);
      expect(sample(text, 'gatewarden_sink_points_sent_total')).toBe(0);
      expect(sample(text, 'gatewarden_sink_dead_letters')).toBe(0);
      expect(text).toMatch(/^gatewarden_sink_write_failures_total \d+$/m);
    } finally {
      expect((await running.stop()).status).toBe(0);
    }
  });

  it('with a bearer token file, answers only a scrape that bears the token', async () => {
    const port = await freePort();
    site = new ScratchSite(
      `\ntelemetry:\n  metrics:\n    port: ${port}\n    bearerTokenFile: scrape.token\n`,
    );
    const token = 'a-scrape-token-of-some-length';
    mkdirSync(join(site.dir, 'data'), { recursive: true, mode: 0o700 });
    writeFileSync(join(site.dir, 'data', 'scrape.token'), `${token}\n`, { mode: 0o600 });
    const running = await site.start();
    try {
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^# HELP gatewarden_journal_entries \S/m);
    } finally {
      expect((await running.stop()).status).toBe(0);
    }
  });
});
