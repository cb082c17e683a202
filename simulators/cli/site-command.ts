import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { SiteLauncher, type SiteOptions } from '../site/launcher.js';
import { UPSTREAM_CHOICES, type UpstreamChoice } from '../site/upstream.js';

/**
 * `gatewarden-sim site` (what `npm start` runs): the gateway with every simulator of the default
 * site attached over the transports real hardware uses, a generated community in its registry,
 * admin API users, and a console to make things happen. docs/simulated-site.md.
 *
 * Exit codes: 0 after `quit`, Ctrl-C, SIGTERM or SIGHUP; 1 when a part (the gateway, a socat)
 * died and the rest was stopped; 2 when the site could not start (a taken port, no socat, no
 * build).
 */
interface SiteCommandOptions {
  dir?: string;
  ports: 'fixed' | 'free';
  apiPort?: number;
  mqttPort?: number;
  mqttWsPort?: number;
  seed: number;
  households: number;
  verbose?: boolean;
  upstream: UpstreamChoice;
}

export function registerSite(program: Command): void {
  program
    .command('site')
    .summary('run the gateway with every device simulated / 运行完整的模拟小区')
    .description(
      'The simulated community: the gateway on a generated configuration, every device simulated over\n' +
        'socat pseudo-terminals, loopback ONVIF and the embedded MQTT broker, a generated registry, and a console.\n' +
        '模拟小区：网关加全部模拟设备（伪终端串口、本地 ONVIF、内置 MQTT），生成的住户名册和控制台。',
    )
    .option('--dir <path>', 'working folder, cleared at every start (default data/sim-site) / 工作目录')
    .addOption(
      new Option('--ports <how>', 'fixed: API 8080, MQTT 1883/9001; free: any free loopback ports / 端口')
        .choices(['fixed', 'free'])
        .default('fixed'),
    )
    .option('--api-port <n>', 'admin API and dashboard port / 管理接口端口', port)
    .option('--mqtt-port <n>', 'embedded MQTT broker port / MQTT 端口', port)
    .option('--mqtt-ws-port <n>', 'MQTT over WebSocket port / MQTT WebSocket 端口', port)
    .addOption(
      new Option('--seed <n>', 'seed of the generated community / 名册随机种子')
        .default(1)
        .argParser((v) => integer(v, 'seed', 0, 2 ** 32 - 1)),
    )
    .addOption(
      new Option('--households <n>', 'households in the community / 住户数')
        .default(36)
        .argParser((v) => integer(v, 'households', 2, 2400)),
    )
    .addOption(
      new Option(
        '--upstream <what>',
        'a real InfluxDB and Mosquitto for telemetry and the upstream bridge; auto: those installed / 上级服务',
      )
        .choices(UPSTREAM_CHOICES)
        .default('auto'),
    )
    .option('--verbose', 'show every gateway log line (all are in <dir>/gateway.log) / 显示全部网关日志')
    .action(async (o: SiteCommandOptions) => {
      if (process.env.GATEWARDEN_DATA_DIR !== undefined) {
        process.stderr.write(
          'gatewarden-sim site: GATEWARDEN_DATA_DIR is ignored: the site keeps its data in --dir\n',
        );
        delete process.env.GATEWARDEN_DATA_DIR;
      }
      const options: SiteOptions = {
        ...(o.dir === undefined ? {} : { dir: o.dir }),
        ports: o.ports,
        ...(o.apiPort === undefined ? {} : { apiPort: o.apiPort }),
        ...(o.mqttPort === undefined ? {} : { mqttPort: o.mqttPort }),
        ...(o.mqttWsPort === undefined ? {} : { mqttWebSocketPort: o.mqttWsPort }),
        seed: o.seed,
        households: o.households,
        verbose: o.verbose === true,
        upstream: o.upstream,
      };
      const launcher = new SiteLauncher(options, {
        print: (line) => process.stdout.write(`${line}\n`),
        printError: (line) => process.stderr.write(`${line}\n`),
        input: process.stdin,
        output: process.stdout,
      });
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
        process.on(signal, () => void launcher.stop(0));
      const crash = (err: unknown) =>
        void launcher.stop(1, `internal error: ${(err as Error).stack ?? String(err)}`);
      process.on('uncaughtException', crash);
      process.on('unhandledRejection', crash);
      process.exit(await launcher.run());
    });
}

function port(value: string): number {
  return integer(value, 'port', 1, 65535);
}

function integer(value: string, what: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}`);
  return n;
}
