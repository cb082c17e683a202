import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, withTimeout } from '../../drivers/shared/clock.js';
import { runLines } from '../cli/line-source.js';
import { ApiClient } from './api-client.js';
import { Cast } from './cast.js';
import { type Community, generateCommunity } from './community.js';
import { DeviceSims } from './device-sims.js';
import { GatewayProcess } from './gateway-process.js';
import { describeEntry, JournalWatch } from './journal-watch.js';
import { freePort, portIsFree } from './ports.js';
import { SiteActions } from './site-actions.js';
import { type PolicyOverrides, ptyPath, type SitePorts, siteConfig } from './site-config.js';
import { SITE_CONSOLE_HELP, SiteConsole } from './site-console.js';
import { PTY_LINES, plannedDeviceIds } from './site-plan.js';
import { makeSecrets, prepareSite, type SiteSecrets, setupPaths } from './site-setup.js';
import { SocatPair } from './socat-pair.js';
import { resolveUpstream, SiteUpstream, type UpstreamChoice, withUpstream } from './upstream.js';
import { claimWorkDir, packageRoot, releaseWorkDir } from './work-dir.js';

/**
 * `gatewarden-sim site`: the whole simulated community on one machine. Start order, each step
 * needing the one before: working folder → ports → cameras (their URLs go into the
 * configuration) → socat pairs → configuration, registry and users → serial simulators → the
 * gateway (a child process, ready when it says so) → MQTT devices (the broker is the gateway's)
 * → journal watch, banner, console.
 *
 * Stop order, on `quit`, Ctrl-C, SIGTERM or SIGHUP: the gateway first (so a clean stop journals
 * no device going offline), then the simulators, then the cables. A part that dies on its own
 * (the gateway, a socat) is reported with its last words and stops the rest. Resolves the exit
 * code: 0 after a requested stop, 1 after a crash, 2 when the site could not start.
 */
export interface SiteOptions {
  dir?: string;
  ports: 'fixed' | 'free';
  apiPort?: number;
  mqttPort?: number;
  mqttWebSocketPort?: number;
  seed: number;
  households?: number;
  /** Show every gateway log line, not only warnings and errors. */
  verbose: boolean;
  /** A real InfluxDB and Mosquitto for the gateway's sinks (upstream.ts); default none. */
  upstream?: UpstreamChoice;
  /** Policy fields over the default configuration's (site-config.ts); the scenario compresses the quota period. */
  policy?: PolicyOverrides;
}

export interface SiteIo {
  print: (line: string) => void;
  printError: (line: string) => void;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

const FIXED_PORTS: SitePorts = { api: 8080, mqtt: 1883, mqttWebSocket: 9001 };
const ONLINE_WAIT_MS = 60_000;
/** The gateway is ready, so its broker listens: the simulated MQTT devices connect at once. */
const MQTT_DEVICES_WAIT_MS = 30_000;
const QUIET_GATEWAY_LINE = /^\(node:\d+\)|^\(Use `node|^dashboard 管理界面:/;

export class SiteLauncher {
  private readonly root = packageRoot();
  private dir: string | undefined;
  private sims: DeviceSims | undefined;
  private readonly pairs: SocatPair[] = [];
  private gateway: GatewayProcess | undefined;
  private watch: JournalWatch | undefined;
  private cast: Cast | undefined;
  private upstreamParts: SiteUpstream | undefined;
  private stopping: Promise<void> | undefined;
  private exitCode = 0;
  private finish: ((code: number) => void) | undefined;

  constructor(
    private readonly options: SiteOptions,
    private readonly io: SiteIo,
  ) {}

  /** Runs the site until it is stopped; resolves the exit code. */
  async run(): Promise<number> {
    const finished = new Promise<number>((resolve) => {
      this.finish = resolve;
    });
    let site: { community: Community; secrets: SiteSecrets; dashboardUrl: string; ports: SitePorts };
    try {
      site = await this.start();
    } catch (err) {
      if (this.stopping === undefined) {
        this.io.printError(`gatewarden-sim site: cannot start 无法启动: ${(err as Error).message}`);
        void this.stop(2);
      }
      return finished;
    }
    this.banner(site.dashboardUrl, site.secrets, site.ports);
    const api = new ApiClient(site.dashboardUrl.replace(/\/$/, ''), 'admin', site.secrets.api.admin);
    void this.reportOnline(api);
    void this.console(site.community, api);
    return finished;
  }

  /** The simulators, for the scenario's scheduled faults (simulators/scenario/faults.ts). */
  get devices(): DeviceSims | undefined {
    return this.sims;
  }

  /** The InfluxDB and Mosquitto this site started, if any. */
  get upstream(): SiteUpstream | undefined {
    return this.upstreamParts;
  }

  /** Stops everything (idempotent: a second signal while stopping changes nothing). */
  stop(code = 0, why?: string): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.exitCode = code;
    if (why !== undefined) this.io.printError(`gatewarden-sim site: ${why}`);
    this.stopping = (async () => {
      this.watch?.stop();
      const gatewayEnd = await this.gateway?.stop();
      if (gatewayEnd !== undefined && gatewayEnd !== 'code 0')
        this.io.printError(`gatewarden-sim site: the gateway ended with ${gatewayEnd}`);
      for (const problem of (await this.sims?.stop()) ?? []) this.io.printError(`simulator: ${problem}`);
      await Promise.all(this.pairs.map((p) => p.stop()));
      await this.upstreamParts?.stop();
      if (this.dir !== undefined) releaseWorkDir(this.dir);
      this.io.print(
        code === 0 ? 'gatewarden-sim site: stopped 已停止' : 'gatewarden-sim site: stopped after an error',
      );
      this.finish?.(this.exitCode);
    })();
    return this.stopping;
  }

  private async start() {
    const dir = claimWorkDir(this.options.dir ?? join(this.root, 'data/sim-site'));
    this.dir = dir;
    const cli = join(this.root, 'dist/gateway/cli/main.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (npm start does)`);
    const ports = await this.choosePorts();
    const community = generateCommunity({
      seed: this.options.seed,
      now: Date.now(),
      ...(this.options.households === undefined ? {} : { households: this.options.households }),
    });
    const secrets = makeSecrets();
    const sims = new DeviceSims({
      dir,
      community,
      secrets,
      seed: this.options.seed,
      simCli: join(this.root, 'dist/simulators/cli/main.js'),
      onDied: (message) => void this.stop(1, message),
      report: (line) => {
        if (this.watch !== undefined) this.io.print(line);
      },
    });
    this.sims = sims;
    const cameraUrls = await sims.startCameras();
    for (const line of Object.values(PTY_LINES)) {
      this.abortIfStopping();
      const pair = new SocatPair(ptyPath(dir, line, 'gateway'), ptyPath(dir, line, 'sim'), (message) => {
        void this.stop(1, message);
      });
      this.pairs.push(pair);
      await pair.start();
    }
    const paths = setupPaths(dir);
    const upstream = await SiteUpstream.start(
      join(dir, 'upstream'),
      resolveUpstream(this.options.upstream ?? 'none'),
    );
    this.upstreamParts = upstream;
    this.abortIfStopping();
    const config = withUpstream(
      siteConfig({
        dir,
        defaultConfig: join(this.root, 'config/gatewarden.yaml'),
        schemaFile: join(this.root, 'config/schema.json'),
        ports,
        cameraUrls,
        ...(this.options.policy === undefined ? {} : { policy: this.options.policy }),
      }),
      upstream,
    );
    await prepareSite(paths, config, community, secrets);
    this.abortIfStopping();
    await sims.startSerial();
    this.abortIfStopping();
    const mqttDevices = sims.startMqtt(`mqtt://127.0.0.1:${ports.mqtt}`).then(
      () => undefined,
      (err: Error) => err,
    );
    const gateway = new GatewayProcess({
      cli,
      configFile: paths.configFile,
      logFile: join(dir, 'gateway.log'),
      onLine: (line, stream) => this.gatewayLine(line, stream),
      onCrash: (message) => void this.stop(1, message),
    });
    this.gateway = gateway;
    const { dashboardUrl } = await gateway.start();
    this.abortIfStopping();
    // A device that cannot reach the broker retries for ever: bounded here, so a site that
    // cannot start says why instead of never saying ready.
    const refused = await withTimeout(
      mqttDevices,
      MQTT_DEVICES_WAIT_MS,
      systemClock,
      `the simulated MQTT devices did not connect to the gateway's broker at mqtt://127.0.0.1:${ports.mqtt} within ${MQTT_DEVICES_WAIT_MS / 1000} s`,
    );
    if (refused !== undefined)
      throw new Error(`the broker refused a simulated MQTT device: ${refused.message}`);
    const cast = new Cast(community);
    const watch = new JournalWatch(join(paths.dataDir, 'gatewarden.db'), (entry) => {
      cast.observe(entry);
      const line = describeEntry(entry);
      if (line !== undefined) this.io.print(line);
    });
    watch.start();
    this.watch = watch;
    this.cast = cast;
    return { community, secrets, dashboardUrl, ports };
  }

  /** Between start steps: a stop asked for meanwhile ends the start (stop() undoes what was done). */
  private abortIfStopping(): void {
    if (this.stopping !== undefined) throw new Error('stopped while starting');
  }

  private async choosePorts(): Promise<SitePorts> {
    const o = this.options;
    const pick = async (given: number | undefined, fixed: number) =>
      given ?? (o.ports === 'free' ? await freePort() : fixed);
    const ports: SitePorts = {
      api: await pick(o.apiPort, FIXED_PORTS.api),
      mqtt: await pick(o.mqttPort, FIXED_PORTS.mqtt),
      mqttWebSocket: await pick(o.mqttWebSocketPort, FIXED_PORTS.mqttWebSocket),
    };
    const flags = { api: '--api-port', mqtt: '--mqtt-port', mqttWebSocket: '--mqtt-ws-port' } as const;
    for (const [what, port] of Object.entries(ports) as [keyof SitePorts, number][]) {
      if (!(await portIsFree(port)))
        throw new Error(`port ${port} on 127.0.0.1 is taken: use ${flags[what]} <port> or --ports free`);
    }
    return ports;
  }

  /**
   * Every gateway line is in gateway.log. Shown: its log's warnings and errors, and its own plain
   * lines (ready, fatal errors) but not Node's deprecation notes nor the dashboard line the banner
   * repeats; with --verbose, everything.
   */
  private gatewayLine(line: string, stream: 'stdout' | 'stderr'): void {
    if (this.options.verbose) return void this.io.print(`gateway: ${line}`);
    if (!line.startsWith('{')) {
      if (stream === 'stderr' && !QUIET_GATEWAY_LINE.test(line)) this.io.print(`gateway: ${line}`);
      return;
    }
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; ns?: string };
      if ((entry.level ?? 0) >= 40)
        this.io.printError(
          `gateway ${(entry.level ?? 0) >= 50 ? 'error' : 'warning'}: ${entry.msg ?? ''} [${entry.ns ?? 'gw'}]`,
        );
    } catch {
      this.io.print(`gateway: ${line}`);
    }
  }

  private banner(dashboardUrl: string, secrets: SiteSecrets, ports: SitePorts): void {
    const dir = this.dir ?? '';
    for (const line of [
      '',
      `gatewarden-sim site: ready 模拟小区已就绪 (${dir})`,
      `dashboard 管理界面: ${dashboardUrl}`,
      `login 登录: admin ${secrets.api.admin}  (admin 管理员)`,
      `login 登录: operator ${secrets.api.operator}  (operator 值班员)`,
      `  passwords also in ${join(dir, 'credentials.txt')}; new ones at every start / 每次启动生成新密码`,
      `  MQTT broker 本地代理: mqtt://127.0.0.1:${ports.mqtt} (WebSocket ${ports.mqttWebSocket}); gateway log: ${join(dir, 'gateway.log')}`,
      ...(this.upstreamParts?.describe() ?? []),
      '',
      'Console 控制台 (Ctrl-C or quit stops everything / 退出):',
      SITE_CONSOLE_HELP,
      '',
    ])
      this.io.print(line);
  }

  /**
   * The console on the launcher's input. `quit`, or the end of a terminal's input (Ctrl-C, Ctrl-D
   * at the prompt), stops the site; the end of a pipe or /dev/null does not (a site started in
   * the background runs until a signal).
   */
  private async console(community: Community, api: ApiClient): Promise<void> {
    const { sims, watch, cast } = this;
    if (sims === undefined || watch === undefined || cast === undefined) return;
    const actions = new SiteActions({ sims, community, cast, watch, api, print: this.io.print });
    const console = new SiteConsole(actions, cast, this.io.print, this.io.printError);
    const ended = await runLines(
      { input: this.io.input, output: this.io.output, prompt: 'site> ' },
      (line) => (this.stopping === undefined ? console.run(line) : Promise.resolve('quit' as const)),
    );
    if (ended === 'quit' || this.io.input.isTTY === true) await this.stop(0);
  }

  /** Says once when every planned device is online, or which are not after a minute. */
  private async reportOnline(api: ApiClient): Promise<void> {
    const planned = plannedDeviceIds();
    const deadline = Date.now() + ONLINE_WAIT_MS;
    let offline = planned;
    while (this.stopping === undefined) {
      try {
        const online = new Set((await api.devices()).filter((d) => d.online).map((d) => d.deviceId));
        offline = planned.filter((id) => !online.has(id));
      } catch {
        // the gateway may be between two answers; try again
      }
      if (offline.length === 0) return this.io.print(`all ${planned.length} devices online 所有设备在线`);
      if (Date.now() > deadline)
        return this.io.printError(
          `still offline after ${ONLINE_WAIT_MS / 1000} s 仍离线: ${offline.join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
