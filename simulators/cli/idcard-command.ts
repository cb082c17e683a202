import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { SAM_BAUD_RATES } from '../../drivers/idcard/messages.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { CONTROL_HELP, runControl } from '../idcard/controls.js';
import { IdCardSimulator } from '../idcard/simulator.js';
import { seededRandom } from '../shared/random.js';
import { integerIn, runSerialConsole } from './serial-console.js';

/**
 * `gatewarden-sim idcard`: a resident ID-card reader (SAM, GA 467 framing, protocols.md §2) on
 * a serial device, with a deck of synthetic test identities and faults. Lifecycle: open the
 * port (a device that is absent or vanishes is retried in the background, like a reader
 * plugged back in), print `ready …`, run commands until `quit`, end of input, SIGINT or SIGTERM,
 * then close the port. Event lines, stable for grep and tests:
 *   link up|down [why]     read <i>   (deck card i's base message went out to the gateway)
 * and the console's answers: `placed <i>: <label> [masked number]`, `card removed`, `fault: …`.
 */

interface IdcardOptions {
  port: string;
  baud: number;
  place?: number;
  readMs: number;
  script?: string;
  seed?: number;
}

export const IDCARD_DESCRIPTION =
  'Simulate a resident ID-card reader (SAM module, GA 467 framing) with test identities and faults.\n' +
  '模拟二代身份证阅读器（SAM 模块，GA 467 帧格式），带测试身份和故障注入。';

export function registerIdcard(program: Command): void {
  program
    .command('idcard')
    .summary('simulate a resident ID-card reader / 模拟身份证阅读器')
    .description(IDCARD_DESCRIPTION)
    .requiredOption('--port <path>', 'serial device or pty end / 串口设备或伪终端')
    .addOption(
      new Option('--baud <rate>', 'line speed / 波特率').default(115200).argParser((v) => baudRate(v)),
    )
    .addOption(
      new Option('--place <index>', 'start with this deck card on the reader / 启动时放卡').argParser((v) =>
        integerIn(v, 'place', 0, 99),
      ),
    )
    .addOption(
      new Option('--read-ms <ms>', 'how long the SAM takes to read a card / 读卡耗时')
        .default(500)
        .argParser((v) => integerIn(v, 'read-ms', 0, 10_000)),
    )
    .option('--script <file>', 'read commands from a file instead of stdin / 从文件读取命令')
    .addOption(
      new Option('--seed <n>', 'seed for the noise fault / 噪声随机种子').argParser((v) =>
        integerIn(v, 'seed', 0, 2 ** 32 - 1),
      ),
    )
    .addHelpText('after', `\nConsole commands / 控制台命令:\n${CONTROL_HELP}`)
    .action(async (options: IdcardOptions) => {
      await runIdcard(options);
    });
}

async function runIdcard(options: IdcardOptions): Promise<void> {
  const print = (line: string): void => {
    if (line !== '') process.stdout.write(`${line}\n`);
  };
  const transport = new SerialTransport({ path: options.port, baudRate: options.baud });
  const sim = new IdCardSimulator({
    transport,
    baudRate: options.baud,
    processing: { readMs: options.readMs },
    ...(options.seed === undefined ? {} : { random: seededRandom(options.seed) }),
  });
  sim.model.on('read', ({ index }) => print(`read ${index}`));
  if (options.place !== undefined) {
    const placed = runControl(sim.model, `place ${options.place}`).output;
    if (placed.startsWith('error: ')) throw new Error(`--place: ${placed.slice('error: '.length)}`);
    print(placed);
  }
  await runSerialConsole({
    sim,
    ready: `ready idcard port ${options.port} baud ${options.baud} deck ${sim.model.deck.length}`,
    prompt: 'idcard> ',
    ...(options.script === undefined ? {} : { script: options.script }),
    control: async (line) => runControl(sim.model, line),
  });
}

function baudRate(value: string): number {
  const n = Number(value);
  if (!(SAM_BAUD_RATES as readonly number[]).includes(n)) {
    throw new InvalidArgumentError(`baud must be one of ${SAM_BAUD_RATES.join(', ')}`);
  }
  return n;
}
