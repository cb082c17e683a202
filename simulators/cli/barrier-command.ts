import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { sleep, systemClock } from '../../drivers/shared/clock.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { RelayBoardModel } from '../barrier/board-model.js';
import { BarrierBusSimulator } from '../barrier/bus-simulator.js';
import { CONSOLE_HELP, runConsoleLine } from '../barrier/console.js';
import { OwnedListeners } from '../shared/owned-listeners.js';
import { seededRandom } from '../shared/random.js';
import { runLines } from './line-source.js';
import { integerIn } from './serial-console.js';

/**
 * `gatewarden-sim barrier`: Modbus RTU relay boards (one unit each), each wired to a vehicle
 * barrier with a loop detector, limit switches and a fire input (STANDARD_WIRING: coils 0 open,
 * 1 close, 2 stop; inputs 0 loop, 1 up limit, 2 down limit, 3 fire), on a serial device.
 * Lifecycle: open the port (retried in the background while it is absent or after it vanished),
 * print `ready …`, run console commands until `quit`, end of input, SIGINT or SIGTERM, then
 * close. Event lines, stable for grep and tests:
 *   coil <unit> <open|close|stop|#n> on|off loop occupied|clear
 *   arm <unit> rising|falling|stopped|up|down        loop <unit> occupied|clear
 *   hazard <unit> <cause>                            link up|down [why]
 */
interface BarrierOptions {
  port: string;
  baud: number;
  units: number[];
  riseMs: number;
  fallMs: number;
  interlock?: boolean;
  turnaround: number;
  script?: string;
  seed?: number;
}

export const BARRIER_DESCRIPTION =
  'Simulate Modbus RTU relay boards driving vehicle barriers: arm travel, loop detector, faults.\n' +
  '模拟 Modbus RTU 继电器板驱动的车辆道闸：道闸升降、地感线圈、故障注入。';

export function registerBarrier(program: Command): void {
  program
    .command('barrier')
    .summary('simulate barrier gates on Modbus relay boards / 模拟 Modbus 继电器道闸')
    .description(BARRIER_DESCRIPTION)
    .requiredOption('--port <path>', 'serial device or pty end / 串口设备或伪终端')
    .addOption(
      new Option('--baud <rate>', 'line speed / 波特率')
        .default(9600)
        .argParser((v) => integerIn(v, 'baud', 1200, 230400)),
    )
    .addOption(
      new Option('--units <list>', 'Modbus unit ids, comma separated / 板卡地址，逗号分隔')
        .default([1], '1')
        .argParser(parseUnits),
    )
    .addOption(
      new Option('--rise-ms <ms>', 'arm travel time up / 抬杆时间')
        .default(3000)
        .argParser((v) => integerIn(v, 'rise-ms', 1, 60_000)),
    )
    .addOption(
      new Option('--fall-ms <ms>', 'arm travel time down / 落杆时间')
        .default(4000)
        .argParser((v) => integerIn(v, 'fall-ms', 1, 60_000)),
    )
    .option('--interlock', 'the gate controller refuses to close on an occupied loop / 道闸控制器自带防砸')
    .addOption(
      new Option('--turnaround <ms>', 'board reply delay / 应答延时')
        .default(2)
        .argParser((v) => integerIn(v, 'turnaround', 0, 500)),
    )
    .option('--script <file>', 'read commands from a file instead of stdin / 从文件读取命令')
    .addOption(
      new Option('--seed <n>', 'seed for the bus noise / 噪声随机种子').argParser((v) =>
        integerIn(v, 'seed', 0, 2 ** 32 - 1),
      ),
    )
    .addHelpText('after', `\nConsole commands / 控制台命令:\n${CONSOLE_HELP}`)
    .action(async (options: BarrierOptions) => {
      await runBarrier(options);
    });
}

async function runBarrier(options: BarrierOptions): Promise<void> {
  const print = (line: string): void => {
    if (line !== '') process.stdout.write(`${line}\n`);
  };
  const boards = options.units.map(
    (unit) =>
      new RelayBoardModel({
        unit,
        clock: systemClock,
        riseMs: options.riseMs,
        fallMs: options.fallMs,
        interlock: options.interlock ?? false,
      }),
  );
  const transport = new SerialTransport({ path: options.port, baudRate: options.baud });
  const bus = new BarrierBusSimulator({
    transport,
    boards,
    baud: options.baud,
    turnaroundMs: options.turnaround,
    ...(options.seed === undefined ? {} : { random: seededRandom(options.seed) }),
  });
  const listeners = printEvents(boards, print);
  let running = true;
  const reopen = async (): Promise<void> => {
    while (running && !transport.isOpen) {
      try {
        await transport.open();
        print('link up');
      } catch {
        await sleep(systemClock, 500);
      }
    }
  };
  transport.onClose((error) => {
    print(`link down${error ? ` ${error.message}` : ''}`);
    if (running) void reopen();
  });
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      running = false;
      listeners.dispose();
      await bus.stop();
      for (const b of boards) b.dispose();
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
  print(`ready barrier port ${options.port} baud ${options.baud} units ${options.units.join(',')}`);
  const input = { input: process.stdin, output: process.stdout, prompt: 'barrier> ' };
  await runLines(
    options.script === undefined ? input : { ...input, script: options.script },
    async (line, n) => {
      const result = runConsoleLine(bus, line);
      if (result.error)
        process.stderr.write(`${options.script === undefined ? '' : `line ${n}: `}${result.output}\n`);
      else print(result.output);
      if (result.waitMs !== undefined) await sleep(systemClock, result.waitMs);
      return result.quit ? 'quit' : undefined;
    },
  );
  await shutdown();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exit(0);
}

function printEvents(boards: readonly RelayBoardModel[], print: (line: string) => void): OwnedListeners {
  const listeners = new OwnedListeners();
  for (const b of boards) {
    listeners.on(b, 'coil', (w) => {
      const loop = w.loopOccupied ? 'occupied' : 'clear';
      print(`coil ${b.unit} ${w.role ?? `#${w.address}`} ${w.value ? 'on' : 'off'} loop ${loop}`);
    });
    listeners.on(b, 'arm', ({ motion, position }) => {
      print(
        `arm ${b.unit} ${motion === 'still' ? (position >= 1 ? 'up' : position <= 0 ? 'down' : 'stopped') : motion}`,
      );
    });
    listeners.on(b, 'loop', ({ occupied }) => print(`loop ${b.unit} ${occupied ? 'occupied' : 'clear'}`));
    listeners.on(b, 'hazard', ({ cause }) => print(`hazard ${b.unit} ${cause}`));
  }
  return listeners;
}

function parseUnits(value: string): number[] {
  const units = value.split(',').map((v) => integerIn(v.trim(), 'unit', 1, 247));
  if (new Set(units).size !== units.length) throw new InvalidArgumentError('a unit is given twice');
  return units;
}
