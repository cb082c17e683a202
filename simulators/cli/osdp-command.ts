import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { BusSimulator } from '../osdp/bus-simulator.js';
import { SimulatedPd, SUPPORTED_BAUDS } from '../osdp/pd-responder.js';
import { seededRandom } from '../shared/random.js';
import { runLines } from './line-source.js';
import { OsdpConsole } from './osdp-console.js';
import { consoleHelp, OSDP_DESCRIPTION } from './osdp-help.js';
import { OsdpEventPrinter } from './osdp-printer.js';
import { integerIn } from './serial-console.js';

/**
 * `gatewarden-sim osdp`: hosts simulated PDs on a serial device and takes technician commands.
 * Lifecycle: open the port and start the bus, print `ready …`, run commands until `quit`, end of
 * input, SIGINT or SIGTERM, then stop the bus, cancel the PDs' timers and close the port.
 * The serial port keeps the speed it was opened with: COMSET changes only the PD's idea of it
 * (and the line model), since ByteTransport cannot change the speed of an open port.
 */

interface OsdpOptions {
  port: string;
  baud: number;
  address?: number[];
  secure?: boolean;
  requireSecure?: boolean;
  installMode?: boolean;
  scbk?: Buffer;
  door?: boolean;
  script?: string;
  turnaround: number;
  seed?: number;
}

export function registerOsdp(program: Command): void {
  program
    .command('osdp')
    .summary('simulate OSDP readers and a door / 模拟 OSDP 读头和门')
    .description(OSDP_DESCRIPTION)
    .requiredOption('--port <path>', 'serial device or pty end / 串口设备或伪终端')
    .addOption(
      new Option('--baud <rate>', 'line speed / 波特率')
        .default(9600)
        .argParser((v) => intIn(v, 'baud', SUPPORTED_BAUDS)),
    )
    .option(
      '--address <n>',
      'PD address 0-126, repeat for more PDs (required) / 读头地址，可重复（必填）',
      collectAddress,
    )
    .option('--secure', 'offer the AES-128 Secure Channel / 支持安全通道')
    .option('--require-secure', 'refuse plain commands except ID and CAP / 强制安全通道')
    .option('--install-mode', 'accept the default key SCBK-D / 接受默认密钥 SCBK-D')
    .option(
      '--scbk <hex>',
      'the PDs\u2019 SCBK, 32 hex digits (without it: install mode) / 安全通道密钥',
      parseKey,
    )
    .option(
      '--door',
      'wire a door: contact on input 0, exit button 1, fire relay 2 / 接门磁、出门按钮、消防输入',
    )
    .option('--script <file>', 'read commands from a file instead of stdin / 从文件读取命令')
    .addOption(
      new Option('--turnaround <ms>', 'PD reply delay after a command / 应答转换时间')
        .default(1)
        .argParser((v) => integerIn(v, 'turnaround', 0, 199)),
    )
    .addOption(
      new Option('--seed <n>', 'seed for fault and noise randomness / 故障随机种子').argParser((v) =>
        integerIn(v, 'seed', 0, 2 ** 32 - 1),
      ),
    )
    .addHelpText('after', `\n${consoleHelp()}`)
    .action(async (options: OsdpOptions) => {
      await runOsdp(options);
    });
}

async function runOsdp(options: OsdpOptions): Promise<void> {
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const printError = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const addresses = options.address ?? [];
  if (addresses.length === 0) throw new Error('give at least one --address <n> / 至少需要一个 --address');
  const secure = !!(options.secure || options.requireSecure || options.installMode || options.scbk);
  const pds = addresses.map(
    (address) =>
      new SimulatedPd({
        address,
        baud: options.baud,
        model: { door: options.door ?? false, secureChannel: secure },
        ...(secure
          ? {
              secure: {
                ...(options.scbk ? { scbk: options.scbk } : {}),
                installMode: !!options.installMode || options.scbk === undefined,
                required: !!options.requireSecure,
              },
            }
          : {}),
      }),
  );
  const transport = new SerialTransport({ path: options.port, baudRate: options.baud });
  const bus = new BusSimulator({
    transport,
    pds,
    baud: options.baud,
    turnaroundMs: options.turnaround,
    ...(options.seed === undefined ? {} : { random: seededRandom(options.seed) }),
  });
  const printer = new OsdpEventPrinter(print, printError);
  printer.attach(bus);
  transport.onClose((error) => {
    if (error) printError(`error: ${options.port} closed: ${error.message}`);
  });
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      printer.dispose();
      await bus.stop();
      for (const pd of pds) pd.dispose();
      await transport.close();
    })();
    return stopping;
  };
  const onSignal = (): void => {
    void shutdown().then(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await bus.start();
  const mode = secure ? (options.requireSecure ? 'secure-required' : 'secure') : 'plain';
  print(`ready osdp port ${options.port} baud ${options.baud} pds ${addresses.join(',')} ${mode}`);
  if (secure && !options.scbk) print('warning: no --scbk given, PDs accept SCBK-D (install mode)');
  const technician = new OsdpConsole(bus, print, printError);
  const input = { input: process.stdin, output: process.stdout, prompt: 'osdp> ' };
  await runLines(options.script === undefined ? input : { ...input, script: options.script }, (line, n) =>
    technician.run(line, options.script === undefined && process.stdin.isTTY ? undefined : n),
  );
  await shutdown();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exit(0);
}

function collectAddress(value: string, previous: number[] = []): number[] {
  const address = integerIn(value, 'address', 0, 126);
  if (previous.includes(address)) throw new InvalidArgumentError(`address ${address} is given twice`);
  return [...previous, address];
}

function parseKey(value: string): Buffer {
  if (!/^[0-9a-fA-F]{32}$/.test(value))
    throw new InvalidArgumentError('the SCBK must be 32 hex digits (16 bytes)');
  return Buffer.from(value, 'hex');
}

function intIn(value: string, what: string, allowed: readonly number[]): number {
  const n = Number(value);
  if (!allowed.includes(n)) throw new InvalidArgumentError(`${what} must be one of ${allowed.join(', ')}`);
  return n;
}
