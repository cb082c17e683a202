import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { sleep, systemClock } from '../../drivers/shared/clock.js';
import {
  MQTT_LOCK_HELP,
  MQTT_RELAY_HELP,
  type MqttControlResult,
  runMqttLockControl,
  runMqttRelayControl,
} from '../mqtt/controls.js';
import type { SimConnection } from '../mqtt/sim-link.js';
import { TasmotaRelaySimulator } from '../mqtt/tasmota-relay-sim.js';
import { Zigbee2MqttDoorSimulator } from '../mqtt/z2m-door-sim.js';
import { OwnedListeners } from '../shared/owned-listeners.js';
import { runLines } from './line-source.js';

/**
 * `gatewarden-sim mqtt-lock` (a Zigbee2MQTT bridge with a door lock and its contact) and
 * `gatewarden-sim mqtt-relay` (a Tasmota relay module), as MQTT clients of a broker: the
 * gateway's embedded one or any other. Lifecycle: connect (retried every second while the broker
 * is away), print `ready …`, run console commands until `quit`, end of input, SIGINT or SIGTERM,
 * then publish offline and disconnect. SIGKILL leaves the broker to publish the last will.
 * The password is read from `--password-file` or GATEWARDEN_SIM_MQTT_PASSWORD, never from the
 * command line (where `ps` shows it). Event lines, stable for grep and tests:
 *   link up|down [why]        command <payload>            (mqtt-lock: a /set payload)
 *   bolt locked|unlocked|jammed                            door open|closed
 *   command <name> <payload>  power <relay> on|off <why>   (mqtt-relay)
 */
interface ConnectionOptions {
  url: string;
  clientId?: string;
  username?: string;
  passwordFile?: string;
  script?: string;
}

export function registerMqttSims(program: Command): void {
  const lock = program
    .command('mqtt-lock')
    .summary('simulate a Zigbee2MQTT door lock and contact / 模拟 Zigbee2MQTT 门锁和门磁')
    .description(
      'A Zigbee2MQTT bridge with one door lock and, optionally, its door contact, over MQTT.\n' +
        '模拟 Zigbee2MQTT 网关及其门锁、门磁（MQTT 客户端）。',
    )
    .option('--base <topic>', 'Zigbee2MQTT base topic / 基础主题', 'zigbee2mqtt')
    .requiredOption('--lock <name>', 'friendly name of the lock / 门锁名称')
    .option('--contact <name>', 'friendly name of the door contact / 门磁名称')
    .option('--legacy-availability', 'availability as plain online/offline (Zigbee2MQTT 1.x)');
  connectionOptions(lock)
    .addHelpText('after', `\nConsole commands / 控制台命令:\n${MQTT_LOCK_HELP}`)
    .action(
      async (
        o: ConnectionOptions & { base: string; lock: string; contact?: string; legacyAvailability?: boolean },
      ) => {
        const sim = new Zigbee2MqttDoorSimulator({
          connection: connection(o, `z2m-${o.lock}`),
          baseTopic: o.base,
          lockName: o.lock,
          ...(o.contact === undefined ? {} : { contactName: o.contact }),
          legacyAvailability: o.legacyAvailability === true,
        });
        const listeners = new OwnedListeners();
        listeners.on(sim, 'link', (state, why) => print(`link ${state}${why ? ` ${why}` : ''}`));
        listeners.on(sim, 'command', (payload) => print(`command ${payload}`));
        listeners.on(sim, 'bolt', (state) => print(`bolt ${state}`));
        listeners.on(sim, 'door', (open) => print(`door ${open ? 'open' : 'closed'}`));
        const names = { lock: o.lock, ...(o.contact === undefined ? {} : { contact: o.contact }) };
        await runSim(sim, listeners, `mqtt-lock ${o.url} lock ${o.lock}`, o.script, 'mqtt-lock> ', (line) =>
          runMqttLockControl(sim, line, names),
        );
      },
    );

  const relay = program
    .command('mqtt-relay')
    .summary('simulate a Tasmota relay module / 模拟 Tasmota 继电器模块')
    .description(
      'A Tasmota relay module (POWER, PulseTime, LWT) over MQTT.\n模拟 Tasmota 继电器模块（MQTT 客户端）。',
    )
    .requiredOption('--topic <topic>', 'the device’s Tasmota Topic / 设备主题')
    .addOption(
      new Option('--relays <n>', 'number of relays / 继电器数')
        .default(1)
        .argParser((v) => integer(v, 'relays', 1, 8)),
    )
    .addOption(
      new Option('--tele-period <s>', 'seconds between tele/<topic>/STATE / 遥测周期（秒）')
        .default(300)
        .argParser((v) => integer(v, 'tele-period', 10, 3600)),
    );
  connectionOptions(relay)
    .addHelpText('after', `\nConsole commands / 控制台命令:\n${MQTT_RELAY_HELP}`)
    .action(async (o: ConnectionOptions & { topic: string; relays: number; telePeriod: number }) => {
      const sim = new TasmotaRelaySimulator({
        connection: connection(o, `tasmota-${o.topic}`),
        topic: o.topic,
        relays: o.relays,
        telePeriodMs: o.telePeriod * 1000,
      });
      const listeners = new OwnedListeners();
      listeners.on(sim, 'link', (state, why) => print(`link ${state}${why ? ` ${why}` : ''}`));
      listeners.on(sim, 'command', (name, payload) => print(`command ${name} ${payload}`));
      listeners.on(sim, 'power', (n, on, why) => print(`power ${n} ${on ? 'on' : 'off'} ${why}`));
      await runSim(sim, listeners, `mqtt-relay ${o.url} topic ${o.topic}`, o.script, 'mqtt-relay> ', (line) =>
        runMqttRelayControl(sim, line),
      );
    });
}

function connectionOptions(command: Command): Command {
  return command
    .option('--url <url>', 'broker / 代理地址', 'mqtt://127.0.0.1:1883')
    .option('--client-id <id>', 'MQTT client id / 客户端标识')
    .option('--username <name>', 'MQTT user / 用户名')
    .option('--password-file <file>', 'file holding the MQTT password / 密码文件')
    .option('--script <file>', 'read commands from a file instead of stdin / 从文件读取命令');
}

function connection(o: ConnectionOptions, defaultId: string): SimConnection {
  const password =
    o.passwordFile === undefined
      ? process.env.GATEWARDEN_SIM_MQTT_PASSWORD
      : readFileSync(o.passwordFile, 'utf8').trim();
  return {
    url: o.url,
    clientId: o.clientId ?? defaultId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 23),
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(password === undefined ? {} : { password }),
  };
}

async function runSim(
  sim: { start(): Promise<void>; stop(): Promise<void> },
  listeners: OwnedListeners,
  ready: string,
  script: string | undefined,
  prompt: string,
  control: (line: string) => Promise<MqttControlResult>,
): Promise<void> {
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      await sim.stop();
      listeners.dispose();
    })();
    return stopping;
  };
  const onSignal = (): void => {
    void shutdown().then(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await sim.start();
  print(`ready ${ready}`);
  const input = { input: process.stdin, output: process.stdout, prompt };
  await runLines(script === undefined ? input : { ...input, script }, async (line, n) => {
    const result = await control(line);
    if (result.error) process.stderr.write(`${script === undefined ? '' : `line ${n}: `}${result.output}\n`);
    else print(result.output);
    if (result.waitMs !== undefined) await sleep(systemClock, result.waitMs);
    return result.quit ? 'quit' : undefined;
  });
  await shutdown();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exit(0);
}

function print(line: string): void {
  if (line !== '') process.stdout.write(`${line}\n`);
}

function integer(value: string, what: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}`);
  return n;
}
