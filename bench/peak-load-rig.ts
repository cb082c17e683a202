import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../config/schema.js';
import { deriveScbk } from '../drivers/osdp/secure/keys.js';
import { SerialTransport } from '../drivers/transport/serial-transport.js';
import { BusSimulator } from '../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../simulators/osdp/pd-responder.js';
import { seededRandom } from '../simulators/shared/random.js';
import { ApiClient } from '../simulators/site/api-client.js';
import type { Community, SimPerson } from '../simulators/site/community.js';
import { GatewayProcess } from '../simulators/site/gateway-process.js';
import { freePort } from '../simulators/site/ports.js';
import { ptyPath } from '../simulators/site/site-config.js';
import type { PtyLine } from '../simulators/site/site-plan.js';
import { makeSecrets, prepareSite, setupPaths } from '../simulators/site/site-setup.js';
import { SocatPair } from '../simulators/site/socat-pair.js';
import { packageRoot } from '../simulators/site/work-dir.js';
import { INSPECTOR_URL, type MemoryAfterGc, memoryAfterGc } from './inspector.js';

/**
 * The gateway of bench/peak-load.ts as an installation runs it (`node dist/gateway/cli/main.js
 * --config <file> start`, a child process: simulators/site/gateway-process.ts), its registry
 * written by the simulated site's own setup (site-setup.ts), and `lines` RS-485 lines, each a
 * socat pseudo-terminal pair (socat-pair.ts) with two simulated OSDP readers with doors, Secure
 * Channel on as commissioned readers have it: address 1 reads the lane in, address 2 the lane
 * out. Lines alternate between a north and a south gate, both primary. The simulators run in
 * the benchmark's process, the gateway in its own, so the gateway's RSS and CPU are its own.
 */
export interface PeakLane {
  id: string;
  direction: 'in' | 'out';
  pd: SimulatedPd;
}

export interface PeakRigOptions {
  community: Community;
  lines: number;
  baud: number;
  /** Gateway lines that are not JSON log lines, and warnings and errors. */
  print: (line: string) => void;
  /** A part died during the run (the gateway, a socat). */
  onDied: (message: string) => void;
  /**
   * Start the gateway with `--inspect-port=127.0.0.1:0` (through NODE_OPTIONS, the inspector stays
   * closed) so that `memoryAfterGc()` can open it and force a full GC. Default false.
   */
  inspectable?: boolean;
}

/**
 * The community's residents with a card in a seeded random order, the household under home
 * quarantine left out (its refusals would leave a door without an OUT): the order in which the
 * benchmarks present them, each once per pass of the list, so anti-passback never refuses.
 */
export function residentsInRandomOrder(community: Community, seed: number): SimPerson[] {
  const random = seededRandom(seed + 7);
  const list = community.persons.filter(
    (p) =>
      p.kind === 'resident' && p.card !== undefined && p.householdId !== community.quarantinedHouseholdId,
  );
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j] as SimPerson, list[i] as SimPerson];
  }
  return list;
}

const cuidOf = (line: number, address: number) => Buffer.from([0x50, 0x4b, 0x4c, 0x44, 0, 0, line, address]);

export class PeakRig {
  readonly lanes: PeakLane[] = [];
  private readonly pairs: SocatPair[] = [];
  private readonly buses: BusSimulator[] = [];
  private gateway: GatewayProcess | undefined;
  private readonly root = packageRoot();
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-bench-peak-'));
  readonly paths = setupPaths(this.dir);
  private api: ApiClient | undefined;
  private inspectorUrl: string | undefined;

  constructor(private readonly options: PeakRigOptions) {}

  get databaseFile(): string {
    return join(this.paths.dataDir, 'gatewarden.db');
  }

  get pid(): number {
    const pid = this.gateway?.pid;
    if (pid === undefined) throw new Error('the gateway is not running');
    return pid;
  }

  /** Starts the cables, writes configuration and registry, starts the readers, then the gateway. */
  async start(): Promise<void> {
    const { lines, baud, community } = this.options;
    const ptyLines: PtyLine[] = Array.from({ length: lines }, (_, k) => ({ name: `bus-${k + 1}`, baud }));
    for (const line of ptyLines) {
      const pair = new SocatPair(ptyPath(this.dir, line, 'gateway'), ptyPath(this.dir, line, 'sim'), (m) =>
        this.options.onDied(m),
      );
      this.pairs.push(pair);
      await pair.start();
    }
    const secrets = makeSecrets();
    const ports = { api: await freePort(), mqtt: await freePort(), ws: await freePort() };
    const config = this.config(ptyLines, ports);
    await prepareSite(this.paths, config, community, secrets);
    for (const [k, line] of ptyLines.entries()) {
      const pds = [1, 2].map((address) => {
        const cuid = cuidOf(k + 1, address);
        const scbk = deriveScbk(secrets.osdpMaster, cuid);
        const pd = new SimulatedPd({ address, model: { door: true }, secure: { scbk }, cuid });
        this.lanes.push({ id: laneId(k, address), direction: address === 1 ? 'in' : 'out', pd });
        return pd;
      });
      const bus = new BusSimulator({
        transport: new SerialTransport({ path: ptyPath(this.dir, line, 'sim'), baudRate: baud }),
        pds,
        baud,
      });
      this.buses.push(bus);
      await bus.start();
    }
    const gateway = new GatewayProcess({
      cli: join(this.root, 'dist/gateway/cli/main.js'),
      configFile: this.paths.configFile,
      logFile: join(this.dir, 'gateway.log'),
      onLine: (line, stream) => {
        const inspector = INSPECTOR_URL.exec(line)?.[1];
        if (inspector !== undefined) this.inspectorUrl = inspector;
        else if (/^(For help, see: .*inspector|Debugger (attached|ending))/.test(line)) return;
        else if (stream === 'stderr' && !line.startsWith('{') && !/^\((node:|Use `node)/.test(line))
          this.options.print(line);
      },
      onCrash: (m) => this.options.onDied(m),
    });
    this.gateway = gateway;
    const { dashboardUrl } = await this.withNodeOptions(
      this.options.inspectable ? '--inspect-port=127.0.0.1:0' : undefined,
      () => gateway.start(),
    );
    this.api = new ApiClient(dashboardUrl.replace(/\/$/, ''), 'admin', secrets.api.admin);
  }

  /** Resolves once the gateway lists every reader online; rejects after `ms`. */
  async readersOnline(ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    let offline: string[] = [];
    while (Date.now() < deadline) {
      try {
        const online = new Set(
          ((await this.api?.devices()) ?? []).filter((d) => d.online).map((d) => d.deviceId),
        );
        offline = this.lanes.map((l) => readerId(l.id)).filter((id) => !online.has(id));
        if (offline.length === 0) return;
      } catch {
        // the API may be between two answers; ask again
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`readers still offline after ${ms / 1000} s: ${offline.join(', ')}`);
  }

  /**
   * A full GC forced in the gateway and its memory right after (bench/inspector.ts). The first
   * call opens the gateway's inspector (SIGUSR1); needs `inspectable`.
   */
  async memoryAfterGc(): Promise<MemoryAfterGc> {
    if (!this.options.inspectable) throw new Error('the rig was not started with inspectable: true');
    if (this.inspectorUrl === undefined) {
      process.kill(this.pid, 'SIGUSR1');
      const deadline = Date.now() + 10_000;
      while (this.inspectorUrl === undefined && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
    }
    if (this.inspectorUrl === undefined)
      throw new Error('the gateway did not open its inspector within 10 s');
    return memoryAfterGc(this.inspectorUrl);
  }

  /** Runs `start` (which spawns the gateway synchronously) with `extra` added to NODE_OPTIONS. */
  private async withNodeOptions<T>(extra: string | undefined, start: () => Promise<T>): Promise<T> {
    if (extra === undefined) return start();
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = before ? `${before} ${extra}` : extra;
    const started = start();
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
    return started;
  }

  /** The gateway first (its clean stop journals no reader going offline), then readers, then cables. */
  async stop(): Promise<void> {
    await this.gateway?.stop();
    for (const bus of this.buses) await bus.stop();
    for (const lane of this.lanes) lane.pd.dispose();
    await Promise.all(this.pairs.map((p) => p.stop()));
  }

  /** Removes the working folder (the gateway's database and log). */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private config(ptyLines: PtyLine[], ports: { api: number; mqtt: number; ws: number }) {
    const lane = (k: number, address: number) => ({
      id: laneId(k, address),
      name: {
        zh: `${k + 1}号${address === 1 ? '入口' : '出口'}`,
        en: `Lane ${k + 1} ${address === 1 ? 'in' : 'out'}`,
      },
      kind: 'pedestrian',
      direction: address === 1 ? 'in' : 'out',
    });
    const gate = (id: string, zh: string, en: string, parity: number) => ({
      id,
      name: { zh, en },
      primary: true,
      lanes: ptyLines.flatMap((_, k) => (k % 2 === parity ? [lane(k, 1), lane(k, 2)] : [])),
    });
    const config = {
      site: { id: 'peak-load', name: { zh: '万户小区', en: '10,000-household community' }, dataDir: 'data' },
      mode: 'open',
      gates: [
        gate('north', '北门', 'North Gate', 0),
        ...(ptyLines.length > 1 ? [gate('south', '南门', 'South Gate', 1)] : []),
      ],
      lines: ptyLines.map((line) => ({
        id: line.name,
        path: ptyPath(this.dir, line, 'gateway'),
        baud: line.baud,
      })),
      osdp: {
        devices: ptyLines.flatMap((line, k) =>
          [1, 2].map((address) => ({
            id: readerId(laneId(k, address)),
            line: line.name,
            address,
            lane: laneId(k, address),
            reader: 0,
            door: { output: 0, lock: 'fail-secure' },
          })),
        ),
      },
      api: { host: '127.0.0.1', port: ports.api },
      mqtt: {
        broker: { host: '127.0.0.1', port: ports.mqtt, websocket: { host: '127.0.0.1', port: ports.ws } },
      },
      log: { level: 'warn' },
    };
    const checked = configSchema.safeParse(config);
    if (!checked.success)
      throw new Error(
        `the peak-load configuration is invalid: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    return config;
  }
}

function laneId(line: number, address: number): string {
  return `lane-${line + 1}-${address === 1 ? 'in' : 'out'}`;
}

function readerId(lane: string): string {
  return `${lane}-reader`;
}
