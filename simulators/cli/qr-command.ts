import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { QR_CONTROL_HELP, runQrControl } from '../qr/controls.js';
import { QrSerialSimulator, type SimTerminator } from '../qr/serial-scanner-sim.js';
import { seededRandom } from '../shared/random.js';
import { integerIn, runSerialConsole } from './serial-console.js';

/**
 * `gatewarden-sim qr`: a QR/barcode scanner in serial line mode (protocols.md §4.4) on a serial
 * device. Lifecycle: open the port (a device that is absent or vanishes is retried in the
 * background, like a scanner plugged back in), print `ready …`, run console commands until
 * `quit`, end of input, SIGINT or SIGTERM, then close the port. Event lines, stable for grep
 * and tests:
 *   link up|down [why]
 * and the console's answers: `sent <n> bytes`, `error: …` (on stderr).
 */

interface QrOptions {
  port: string;
  baud: number;
  terminator: SimTerminator;
  script?: string;
  seed?: number;
}

export const QR_DESCRIPTION =
  'Simulate a QR/barcode scanner in serial line mode (codes ended by CR, LF or CR LF).\n' +
  '模拟串口（行模式）二维码/条码扫描器，每个码以 CR、LF 或 CR LF 结尾。';

const TERMINATORS: Record<string, SimTerminator> = { cr: 'cr', lf: 'lf', crlf: 'crlf' };

export function registerQr(program: Command): void {
  program
    .command('qr')
    .summary('simulate a serial QR/barcode scanner / 模拟串口扫码器')
    .description(QR_DESCRIPTION)
    .requiredOption('--port <path>', 'serial device or pty end / 串口设备或伪终端')
    .addOption(
      new Option('--baud <rate>', 'line speed / 波特率')
        .default(9600)
        .argParser((v) => integerIn(v, 'baud', 300, 4_000_000)),
    )
    .addOption(
      new Option('--terminator <suffix>', 'suffix after each code / 结束符')
        .choices(Object.keys(TERMINATORS))
        .default('cr'),
    )
    .option('--script <file>', 'read commands from a file instead of stdin / 从文件读取命令')
    .addOption(
      new Option('--seed <n>', 'seed for garbage bytes / 随机种子').argParser((v) =>
        integerIn(v, 'seed', 0, 2 ** 32 - 1),
      ),
    )
    .addHelpText('after', `\nConsole commands / 控制台命令:\n${QR_CONTROL_HELP}`)
    .action(async (options: Omit<QrOptions, 'terminator'> & { terminator: string }) => {
      const terminator = TERMINATORS[options.terminator];
      if (!terminator)
        throw new InvalidArgumentError(`terminator must be one of ${Object.keys(TERMINATORS).join(', ')}`);
      await runQr({ ...options, terminator });
    });
}

async function runQr(options: QrOptions): Promise<void> {
  const sim = new QrSerialSimulator({
    transport: new SerialTransport({ path: options.port, baudRate: options.baud }),
    baudRate: options.baud,
    terminator: options.terminator,
    ...(options.seed === undefined ? {} : { random: seededRandom(options.seed) }),
  });
  await runSerialConsole({
    sim,
    ready: `ready qr port ${options.port} baud ${options.baud} terminator ${options.terminator}`,
    prompt: 'qr> ',
    ...(options.script === undefined ? {} : { script: options.script }),
    control: (line) => runQrControl(sim, line),
  });
}
