import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { sleep, systemClock } from '../../drivers/shared/clock.js';
import { eventLine, ONVIF_CONTROL_HELP, runOnvifControl } from '../onvif/controls.js';
import { DISCOVERY_GROUP } from '../onvif/discovery-responder.js';
import type { CameraKind } from '../onvif/identity.js';
import { OnvifCameraSimulator } from '../onvif/onvif-camera.js';
import type { TemperatureTopic } from '../onvif/topics.js';
import { OwnedListeners } from '../shared/owned-listeners.js';
import { runLines } from './line-source.js';

/**
 * `gatewarden-sim onvif-camera`: an ONVIF thermal (temperature and mask) or plate camera on
 * HTTP/SOAP with WS-Discovery. Lifecycle: bind, print one `listening on …` line, run console
 * commands (stdin or `--script`) until `quit`, end of input, SIGINT or SIGTERM, then close.
 * Lines, stable for grep and tests:
 *   listening on http://<host>:<port>/onvif/device_service, discovery udp <host>:<port>[ multicast …]
 *   person id=… celsius=… reported=… kelvin=… mask=yes|no alarm=yes|no utc=… subscriptions=…
 *   vehicle id=… plate=… confidence=… utc=… subscriptions=…
 *   power down|up        refused <reason>        hostile served <kind>
 * Every event is printed once: an injected one as its console command's answer, the crowd's
 * with `--print`.
 */
interface OnvifOptions {
  host: string;
  port: number;
  discoveryPort: number;
  multicast?: boolean;
  kind: CameraKind;
  name?: string;
  lane: string;
  user: string;
  password: string;
  rate: number;
  feverRate: number;
  noMaskRate: number;
  alarmThreshold: number;
  seed?: number;
  temperatureTopic: TemperatureTopic;
  skew: number;
  maxClockSkew: number;
  plates?: string;
  print?: boolean;
  script?: string;
}

export function registerOnvif(program: Command): void {
  program
    .command('onvif-camera')
    .summary('simulate an ONVIF thermal or plate camera / 模拟 ONVIF 测温或车牌摄像机')
    .description(
      'An ONVIF camera over HTTP/SOAP (device, media, events, WS-Discovery) that sees a crowd of people ' +
        'with temperatures and masks, or vehicles with plates.\n' +
        '模拟 ONVIF 摄像机（HTTP/SOAP、拉取式事件、WS-Discovery）：测温口罩或车牌识别。',
    )
    .option('--host <address>', 'address to bind / 绑定地址', '127.0.0.1')
    .addOption(port('--port <n>', 'HTTP port, 0 = any / HTTP 端口', 8080))
    .addOption(port('--discovery-port <n>', 'WS-Discovery UDP port, 0 = any / 发现端口', 3702))
    .option('--multicast', `join ${DISCOVERY_GROUP} for discovery on a LAN / 加入组播发现`)
    .addOption(
      new Option('--kind <kind>', 'camera kind / 类型').choices(['thermal', 'plate']).default('thermal'),
    )
    .option('--name <name>', 'camera name (scope) / 名称')
    .option('--lane <lane>', 'lane it watches (scope location) / 所在通道', 'north-ped-in')
    .option('--user <user>', 'account / 账户', 'admin')
    .option('--password <password>', 'password (a simulator’s, not a secret) / 密码', 'admin')
    .addOption(fraction('--rate <n>', 'arrivals per minute, 0 = injected only / 每分钟到达数', 6, 6000))
    .addOption(fraction('--fever-rate <p>', 'share with 37.5–39.0 °C / 发热比例', 0.02, 1))
    .addOption(fraction('--no-mask-rate <p>', 'share without a mask / 未戴口罩比例', 0.05, 1))
    .addOption(fraction('--alarm-threshold <c>', 'alarm at or over this °C / 报警阈值', 37.3, 45))
    .addOption(
      new Option('--seed <n>', 'seed for the crowd / 随机种子').argParser((v) =>
        integer(v, 'seed', 0, 2 ** 32 - 1),
      ),
    )
    .addOption(
      new Option('--temperature-topic <form>', 'how temperatures are published / 温度事件形式')
        .choices(['body', 'spot', 'box'])
        .default('body'),
    )
    .addOption(
      new Option('--skew <s>', 'camera clock minus real time, seconds / 时钟偏差')
        .default(0)
        .argParser(signed),
    )
    .addOption(fraction('--max-clock-skew <s>', 'token Created tolerance / 令牌时间容差（秒）', 5, 3600))
    .option('--plates <list>', 'comma-separated plates to draw from / 车牌列表（逗号分隔）')
    .option('--print', 'print every crowd event / 打印每个事件')
    .option('--script <file>', 'read commands from a file instead of stdin / 从文件读取命令')
    .addHelpText('after', `\nConsole commands / 控制台命令:\n${ONVIF_CONTROL_HELP}`)
    .action(async (options: OnvifOptions) => runCamera(options));
}

async function runCamera(o: OnvifOptions): Promise<void> {
  const print = (line: string): void => {
    if (line !== '') process.stdout.write(`${line}\n`);
  };
  const sim = new OnvifCameraSimulator({
    host: o.host,
    port: o.port,
    discoveryPort: o.discoveryPort,
    multicast: o.multicast === true,
    kind: o.kind,
    lane: o.lane,
    user: o.user,
    password: o.password,
    ratePerMinute: o.rate,
    feverRate: o.feverRate,
    noMaskRate: o.noMaskRate,
    alarmThresholdCelsius: o.alarmThreshold,
    temperatureTopic: o.temperatureTopic,
    clockSkewSeconds: o.skew,
    maxClockSkewSeconds: o.maxClockSkew,
    ...(o.name === undefined ? {} : { name: o.name }),
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    ...(o.plates === undefined
      ? {}
      : {
          plates: o.plates
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean),
        }),
  });
  const listeners = new OwnedListeners();
  listeners.on(sim, 'event', (event) => {
    if (o.print && !event.injected) print(eventLine(event));
  });
  listeners.on(sim, 'power', (state) => print(`power ${state}`));
  listeners.on(sim, 'refused', (reason) => print(`refused ${reason}`));
  listeners.on(sim, 'hostile', (kind) => print(`hostile served ${kind}`));
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      listeners.dispose();
      await sim.stop();
    })();
    return stopping;
  };
  const onSignal = (): void => {
    void shutdown().then(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bound = await sim.start();
  const udpHost = o.multicast ? `${o.host.includes(':') ? '[::]' : '0.0.0.0'}` : bracket(bound.host);
  print(
    `listening on ${sim.deviceServiceUrl}, discovery udp ${udpHost}:${bound.discoveryPort}` +
      (o.multicast ? ` multicast ${DISCOVERY_GROUP}` : ''),
  );
  const input = { input: process.stdin, output: process.stdout, prompt: 'onvif> ' };
  await runLines(o.script === undefined ? input : { ...input, script: o.script }, async (line, n) => {
    const result = await runOnvifControl(sim, line);
    if (result.error)
      process.stderr.write(`${o.script === undefined ? '' : `line ${n}: `}${result.output}\n`);
    else print(result.output);
    if (result.waitMs !== undefined) await sleep(systemClock, result.waitMs);
    return result.quit ? 'quit' : undefined;
  });
  await shutdown();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exit(0);
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function port(flags: string, description: string, fallback: number): Option {
  return new Option(flags, description)
    .default(fallback)
    .argParser((v) => integer(v, flags.split(' ')[0] ?? '', 0, 65535));
}

function fraction(flags: string, description: string, fallback: number, max: number): Option {
  const name = flags.split(' ')[0] ?? '';
  return new Option(flags, description).default(fallback).argParser((v) => {
    const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
    if (!(n >= 0 && n <= max)) throw new InvalidArgumentError(`${name} must be a number in 0..${max}`);
    return n;
  });
}

function signed(v: string): number {
  const n = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new InvalidArgumentError('--skew must be a number of seconds');
  return n;
}

function integer(value: string, what: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}`);
  return n;
}
