import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { seededRandom } from '../shared/random.js';
import { formatNamed, runThermometerControl, THERMOMETER_CONTROL_HELP } from '../thermometer/controls.js';
import { READING_FORMATS, type ReadingFormat } from '../thermometer/reading-formats.js';
import { type LineEnd, ThermometerSerialSimulator } from '../thermometer/serial-thermometer-sim.js';
import { integerIn, runSerialConsole } from './serial-console.js';

/**
 * `gatewarden-sim thermometer`: a handheld thermometer printing one reading per line on a
 * serial device (an IR forehead gun or a module behind a USB-serial chip). Lifecycle: open the
 * port (a device that is absent or vanishes is retried in the background, like a thermometer
 * plugged back in), print `ready …`, run console commands until `quit`, end of input, SIGINT or
 * SIGTERM, then close the port. Event lines, stable for grep and tests:
 *   link up|down [why]
 * and the console's answers: `sent <n> bytes`, `format <name>`, `error: …` (on stderr).
 */

interface ThermometerOptions {
  port: string;
  baud: number;
  format: ReadingFormat;
  lineEnd: LineEnd;
  noise: number;
  script?: string;
  seed?: number;
}

export const THERMOMETER_DESCRIPTION =
  'Simulate a handheld thermometer on a serial port: one reading per line (36.6, BODY:36.6℃, Temp:97.9F, …).\n' +
  '模拟串口手持体温计：每行一个读数。';

const LINE_ENDS: readonly LineEnd[] = ['cr', 'lf', 'crlf'];

export function registerThermometer(program: Command): void {
  program
    .command('thermometer')
    .summary('simulate a serial handheld thermometer / 模拟串口手持体温计')
    .description(THERMOMETER_DESCRIPTION)
    .requiredOption('--port <path>', 'serial device or pty end / 串口设备或伪终端')
    .addOption(
      new Option('--baud <rate>', 'line speed / 波特率')
        .default(9600)
        .argParser((v) => integerIn(v, 'baud', 300, 4_000_000)),
    )
    .addOption(
      new Option('--format <name>', 'how readings are printed / 读数格式')
        .choices([...READING_FORMATS])
        .default('plain'),
    )
    .addOption(
      new Option('--line-end <end>', 'what ends each line / 行结束符')
        .choices([...LINE_ENDS])
        .default('crlf'),
    )
    .addOption(
      new Option('--noise <p>', 'chance of a garbage line before each line, 0–1 / 噪声概率')
        .default(0)
        .argParser(probability),
    )
    .option('--script <file>', 'read commands from a file instead of stdin / 从文件读取命令')
    .addOption(
      new Option('--seed <n>', 'seed for garbage bytes and noise / 随机种子').argParser((v) =>
        integerIn(v, 'seed', 0, 2 ** 32 - 1),
      ),
    )
    .addHelpText('after', `\nConsole commands / 控制台命令:\n${THERMOMETER_CONTROL_HELP}`)
    .action(
      async (
        options: Omit<ThermometerOptions, 'format' | 'lineEnd'> & { format: string; lineEnd: string },
      ) => {
        const lineEnd = LINE_ENDS.find((e) => e === options.lineEnd);
        if (lineEnd === undefined)
          throw new InvalidArgumentError(`line end must be one of ${LINE_ENDS.join(', ')}`);
        await runThermometer({ ...options, format: formatNamed(options.format), lineEnd });
      },
    );
}

async function runThermometer(options: ThermometerOptions): Promise<void> {
  const sim = new ThermometerSerialSimulator({
    transport: new SerialTransport({ path: options.port, baudRate: options.baud }),
    baudRate: options.baud,
    format: options.format,
    lineEnd: options.lineEnd,
    noise: options.noise,
    ...(options.seed === undefined ? {} : { random: seededRandom(options.seed) }),
  });
  await runSerialConsole({
    sim,
    ready: `ready thermometer port ${options.port} baud ${options.baud} format ${options.format}`,
    prompt: 'thermometer> ',
    ...(options.script === undefined ? {} : { script: options.script }),
    control: (line) => runThermometerControl(sim, line),
  });
}

function probability(value: string): number {
  const p = /^(?:0|1|0?\.\d+|1\.0*)$/.test(value) ? Number(value) : Number.NaN;
  if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError('noise must be a number in 0..1');
  return p;
}
