import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ApiClient } from '../simulators/site/api-client.js';
import { Cast } from '../simulators/site/cast.js';
import { type Community, generateCommunity } from '../simulators/site/community.js';
import { DeviceSims } from '../simulators/site/device-sims.js';
import { GatewayProcess } from '../simulators/site/gateway-process.js';
import { JournalWatch } from '../simulators/site/journal-watch.js';
import { freePort } from '../simulators/site/ports.js';
import { SiteActions } from '../simulators/site/site-actions.js';
import { ptyPath, siteConfig } from '../simulators/site/site-config.js';
import { PTY_LINES } from '../simulators/site/site-plan.js';
import { makeSecrets, prepareSite, setupPaths } from '../simulators/site/site-setup.js';
import { SocatPair } from '../simulators/site/socat-pair.js';
import { packageRoot } from '../simulators/site/work-dir.js';
import { withExtraResidents } from './crowd.js';
import { cpuMs } from './rss.js';

/**
 * The simulated site for the footprint and soak benchmarks: the parts `gatewarden-sim site`
 * starts (simulators/site/launcher.ts), in the launcher's order, on free loopback ports in a
 * temporary folder, with three differences the benchmarks need. The community may be grown
 * with extra residents before the registry is written (crowd.ts); the gateway's spawn and
 * ready times are kept; and before the spawn, a card may be left on a reader (queued in the
 * simulated reader until the gateway polls it), so that the time from spawn to the first
 * journaled decision is known. Passes go through the launcher's own console actions
 * (SiteActions), so every one goes through the simulated devices.
 */
export interface BenchSiteOptions {
  seed: number;
  /** Residents in the registry, the launcher's community's included (default: its own). */
  residents?: number;
  /** Lane and person whose card lies on the reader when the gateway starts. */
  cardAtStart?: { lane: string; who: string };
  /** Simulator and console lines; the gateway's own lines go to gateway.log only. */
  print: (line: string) => void;
}

export class BenchSite {
  private cleanup: (() => Promise<void>)[] = [];

  private constructor(
    readonly dir: string,
    readonly community: Community,
    readonly sims: DeviceSims,
    readonly gateway: GatewayProcess,
    readonly watch: JournalWatch,
    readonly actions: SiteActions,
    /** Date.now() just before the gateway was spawned, and when it said it was ready. */
    readonly spawnedAt: number,
    readonly readyAt: number,
    /** The gateway's CPU time (ms) when its ready line was read. */
    readonly readyCpuMs: number,
  ) {}

  get pid(): number {
    const pid = this.gateway.pid;
    if (pid === undefined) throw new Error('the gateway is not running');
    return pid;
  }

  static async start(options: BenchSiteOptions): Promise<BenchSite> {
    const root = packageRoot();
    const dir = mkdtempSync(join(tmpdir(), 'gw-bench-site-'));
    const undo: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
    const died = (message: string) => options.print(`bench site: ${message}`);
    try {
      const base = generateCommunity({ seed: options.seed, now: Date.now() });
      const own = base.persons.filter((p) => p.kind === 'resident').length;
      const extra = Math.max(0, (options.residents ?? own) - own);
      const community = withExtraResidents(base, extra, options.seed);
      const ports = { api: await freePort(), mqtt: await freePort(), mqttWebSocket: await freePort() };
      const secrets = makeSecrets();
      const sims = new DeviceSims({
        dir,
        community,
        secrets,
        seed: options.seed,
        simCli: join(root, 'dist/simulators/cli/main.js'),
        onDied: died,
        report: () => undefined,
      });
      undo.unshift(async () => void (await sims.stop()));
      const cameraUrls = await sims.startCameras();
      for (const line of Object.values(PTY_LINES)) {
        const pair = new SocatPair(ptyPath(dir, line, 'gateway'), ptyPath(dir, line, 'sim'), died);
        undo.unshift(() => pair.stop());
        await pair.start();
      }
      const paths = setupPaths(dir);
      const config = siteConfig({
        dir,
        defaultConfig: join(root, 'config/gatewarden.yaml'),
        schemaFile: join(root, 'config/schema.json'),
        ports,
        cameraUrls,
      });
      await prepareSite(paths, config, community, secrets);
      await sims.startSerial();
      const mqttDevices = sims.startMqtt(`mqtt://127.0.0.1:${ports.mqtt}`);
      const gateway = new GatewayProcess({
        cli: join(root, 'dist/gateway/cli/main.js'),
        configFile: paths.configFile,
        logFile: join(dir, 'gateway.log'),
        onLine: () => undefined,
        onCrash: died,
      });
      undo.unshift(async () => void (await gateway.stop()));
      if (options.cardAtStart !== undefined) {
        const { lane, who } = options.cardAtStart;
        const card = community.persons.find((p) => p.id === who)?.card;
        const reader = sims.readers.get(lane);
        if (card === undefined || reader === undefined)
          throw new Error(`no card of ${who} or reader at ${lane}`);
        reader.model.presentCard({ format: 'wiegand26', facility: card.facility, card: card.number });
      }
      const spawnedAt = Date.now();
      const { dashboardUrl } = await gateway.start();
      const readyAt = Date.now();
      const readyCpuMs = gateway.pid === undefined ? Number.NaN : cpuMs(gateway.pid);
      await mqttDevices;
      const cast = new Cast(community);
      const watch = new JournalWatch(join(paths.dataDir, 'gatewarden.db'), (e) => cast.observe(e));
      watch.start();
      undo.unshift(async () => watch.stop());
      const api = new ApiClient(dashboardUrl.replace(/\/$/, ''), 'admin', secrets.api.admin);
      const actions = new SiteActions({ sims, community, cast, watch, api, print: options.print });
      const site = new BenchSite(
        dir,
        community,
        sims,
        gateway,
        watch,
        actions,
        spawnedAt,
        readyAt,
        readyCpuMs,
      );
      site.cleanup = undo;
      return site;
    } catch (err) {
      for (const step of undo) await step().catch(() => undefined);
      throw err;
    }
  }

  /**
   * When the run's first decision was journaled (its entry's `at`, the gateway's clock), waiting
   * up to `timeoutMs`. Read from the journal itself: it may precede the watch's start.
   */
  async firstDecisionAt(timeoutMs: number): Promise<number | undefined> {
    const db = new Database(join(this.dir, 'data/gatewarden.db'), { readonly: true, fileMustExist: true });
    try {
      const first = db.prepare<[], { at: number }>(
        "SELECT at FROM journal WHERE type = 'decision' ORDER BY seq LIMIT 1",
      );
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const row = first.get();
        if (row !== undefined) return row.at;
        if (Date.now() > deadline) return undefined;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      db.close();
    }
  }

  /** Stops the gateway, then the simulators and cables, and removes the folder. */
  async stop(): Promise<void> {
    for (const step of this.cleanup.splice(0)) await step().catch(() => undefined);
  }
}
