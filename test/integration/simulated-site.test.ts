/**
 * `gatewarden-sim site` (what `npm start` runs), built, as a child process on free loopback
 * ports and a temporary folder: it prints the dashboard and a login that works, every planned
 * device comes online in /api/devices, a card typed at its console becomes a journaled pass, and
 * SIGINT stops it with exit 0 and nothing of the run left (no socat, gateway or barrier process).
 * A gateway that dies is reported and stops the rest; a taken port is refused before anything
 * starts. Needs socat and the compiled tree (`npm run build`; npm test builds first).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { plannedDeviceIds } from '../../simulators/site/site-plan.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SIM = join(ROOT, 'dist/simulators/cli/main.js');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One launcher run, its output collected line by line. */
class SiteRun {
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-sim-site-'));
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  readonly child: ChildProcessWithoutNullStreams;

  constructor(extra: string[] = []) {
    if (!existsSync(SIM)) throw new Error(`${SIM} is missing: build first (npm run build)`);
    this.child = spawn(process.execPath, [SIM, 'site', '--ports', 'free', '--dir', this.dir, ...extra], {
      cwd: ROOT,
    });
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        this.lines.push(...parts);
      });
    }
    cleanups.push(async () => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
      await this.exited;
      for (const pid of processesOf(this.dir)) process.kill(pid, 'SIGKILL');
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  /** The first capture of `pattern` in the output, waiting for it. */
  async capture(pattern: RegExp, ms = 45_000): Promise<string> {
    try {
      await waitFor(`a line ${pattern}`, () => this.lines.some((l) => pattern.test(l)), ms);
    } catch (error) {
      // What the launcher printed by then says where it stuck.
      throw new Error(`${(error as Error).message}; got:\n${this.lines.join('\n')}`);
    }
    return pattern.exec(this.lines.find((l) => pattern.test(l)) ?? '')?.[1] ?? '';
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }
}

/** Pids of processes (other than the launcher) whose command line names `dir`. */
function processesOf(dir: string, except?: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === except || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) pids.push(pid);
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function api(base: string, path: string, token?: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('gatewarden-sim site', () => {
  it('comes up with every device online, passes a card typed at its console, and stops clean on SIGINT', async () => {
    const run = new SiteRun(['--seed', '7']);
    const dashboard = await run.capture(/^dashboard 管理界面: (http:\/\/127\.0\.0\.1:\d+\/)$/);
    const password = await run.capture(/^login 登录: admin (\S+) /);
    const base = dashboard.replace(/\/$/, '');

    // The printed login works; the credentials file keeps it, for the owner only.
    const login = await api(base, '/api/session', undefined, { user: 'admin', password });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const credentials = join(run.dir, 'credentials.txt');
    expect(readFileSync(credentials, 'utf8')).toContain(`admin ${password}`);
    expect(statSync(credentials).mode & 0o077).toBe(0);

    // Every device of the plan is listed and comes online (the gateway decides when).
    const planned = plannedDeviceIds();
    let devices: { deviceId: string; online: boolean }[] = [];
    const offline = () => planned.filter((id) => !devices.some((d) => d.deviceId === id && d.online));
    for (const deadline = Date.now() + 40_000; ; await new Promise((r) => setTimeout(r, 250))) {
      devices = ((await (await api(base, '/api/devices', token)).json()) as { devices: typeof devices })
        .devices;
      if (offline().length === 0) break;
      if (Date.now() > deadline) throw new Error(`devices still offline: ${offline().join(', ')}`);
    }
    expect(devices.map((d) => d.deviceId).sort()).toEqual([...planned].sort());

    // A resident's card at the north entrance, typed at the console: the camera takes the
    // temperature first (closed mode), the reader reads the card, the gateway lets them in.
    const db = new Database(join(run.dir, 'data/gatewarden.db'), { readonly: true });
    cleanups.push(() => db.close());
    const decisions = () =>
      db
        .prepare<[], { payload: string }>("SELECT payload FROM journal WHERE type = 'decision' ORDER BY seq")
        .all()
        .map(
          (r) =>
            JSON.parse(r.payload) as {
              request: { laneId: string };
              decision: { allow: boolean; reasons: { code: string }[] };
            },
        );
    run.send('card north-ped-in');
    await waitFor(
      'the pass journaled',
      () => decisions().some((d) => d.request.laneId === 'north-ped-in'),
      20_000,
    );
    const pass = decisions().find((d) => d.request.laneId === 'north-ped-in');
    expect(pass?.decision.allow).toBe(true);
    expect(pass?.decision.reasons.map((r) => r.code)).toEqual(['RESIDENT']);
    await run.capture(/^(pass {2}north-ped-in in ALLOW)/);
    const recent = (await (await api(base, '/api/recent', token)).json()) as {
      messages: { topic: string }[];
    };
    expect(recent.messages.some((m) => m.topic.includes('north-ped-in'))).toBe(true);

    // Building 1's door: a resident's QR pass, and its Zigbee2MQTT lock (over the embedded
    // broker, on the building bridge's own user) reports the bolt unlocked.
    run.send('qr building-1-in r-1-1-101-1');
    await run.capture(/^(pass {2}building-1-in in ALLOW)/);
    await run.capture(/^(gate {2}building-1-lock bolt unlocked)/);
    await run.capture(/^(lock 门锁 at building-1-in: unlocked)/);

    // What runs for this site: seven cables, the gateway, the barrier boards.
    const parts = processesOf(run.dir, run.child.pid).map(commandOf);
    expect(parts.filter((c) => c.startsWith('socat '))).toHaveLength(7);
    expect(parts.filter((c) => c.includes('dist/gateway/cli/main.js'))).toHaveLength(1);
    expect(parts.filter((c) => c.includes(' barrier '))).toHaveLength(1);

    const lastSeq = () => (db.prepare('SELECT max(seq) AS seq FROM journal').get() as { seq: number }).seq;
    const beforeStop = lastSeq();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(processesOf(run.dir).map(commandOf)).toEqual([]);
    expect(run.lines).toContain('gatewarden-sim site: stopped 已停止');
    // The gateway stopped first: its clean stop journals no device going offline.
    const offlineAfter = db
      .prepare<[number], { payload: string }>(
        "SELECT payload FROM journal WHERE seq > ? AND type IN ('device', 'alarm')",
      )
      .all(beforeStop)
      .map((r) => r.payload);
    expect(offlineAfter.filter((p) => p.includes('offline') || p.includes('DEVICE_OFFLINE'))).toEqual([]);
    expect(lastSeq()).toBeGreaterThanOrEqual(beforeStop);
  });

  it('reports a gateway that dies, stops everything else and exits 1', async () => {
    const run = new SiteRun();
    await run.capture(/^(gatewarden-sim site: ready)/);
    const gateway = processesOf(run.dir, run.child.pid).find((pid) =>
      commandOf(pid).includes('dist/gateway/cli/main.js'),
    );
    expect(gateway).toBeDefined();
    process.kill(gateway as number, 'SIGKILL');
    expect(await run.exited).toBe(1);
    expect(run.lines.some((l) => /the gateway exited \(SIGKILL\)/.test(l))).toBe(true);
    expect(processesOf(run.dir).map(commandOf)).toEqual([]);
  });

  it('refuses a taken port before starting anything, naming the way out', async () => {
    const taken: Server = createServer();
    await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok));
    cleanups.push(() => new Promise((ok) => taken.close(ok)));
    const port = (taken.address() as { port: number }).port;
    const run = new SiteRun(['--api-port', String(port)]);
    expect(await run.exited).toBe(2);
    expect(run.lines.join('\n')).toMatch(
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is taken: use --api-port <port> or --ports free`),
    );
    expect(processesOf(run.dir).map(commandOf)).toEqual([]);
  });
});
