import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { checkFaultSet, FaultSpecError, parseFault, type ScheduledFault } from '../scenario/faults.js';
import { clock, describeExpectation, runScenario } from '../scenario/runner.js';
import { summaryLines } from '../scenario/verdict.js';
import { UPSTREAM_CHOICES, type UpstreamChoice } from '../site/upstream.js';

/**
 * `gatewarden-sim scenario`: a generated day of the simulated community (docs/scenario.md) played
 * through the simulated site's devices, each decision compared with what the rules must give.
 * Starts its own site (as `gatewarden-sim site` would) in --dir and stops it at the end.
 *
 * Exit codes: 0 when every decision agreed; 1 on any disagreement or lost decision; 2 when the
 * site could not start or an option is wrong.
 */
interface ScenarioCommandOptions {
  dir?: string;
  ports: 'fixed' | 'free';
  seed: number;
  households: number;
  speed: number;
  verbose?: boolean;
  upstream: UpstreamChoice;
  fault: ScheduledFault[];
}

export function registerScenario(program: Command): void {
  program
    .command('scenario')
    .summary('play a generated day through the simulated site and check every decision / 模拟一天并核对决定')
    .description(
      'Starts the simulated site, plays a seeded day of residents, shoppers, visitors, fevers, quarantine\n' +
        'and vehicles through its devices, and compares each journaled decision with the expected one.\n' +
        '启动模拟小区，按种子生成一天的通行动作，逐条核对网关的通行决定。',
    )
    .option('--dir <path>', 'working folder, cleared at every start (default data/sim-scenario) / 工作目录')
    .addOption(
      new Option('--ports <how>', 'fixed: API 8080, MQTT 1883/9001; free: any free loopback ports / 端口')
        .choices(['fixed', 'free'])
        .default('free'),
    )
    .addOption(
      new Option('--seed <n>', 'seed of the community and of the day / 随机种子')
        .default(1)
        .argParser((v) => integer(v, 'seed', 0, 2 ** 32 - 1)),
    )
    .addOption(
      new Option('--households <n>', 'households in the community / 住户数')
        .default(36)
        .argParser((v) => integer(v, 'households', 4, 2400)),
    )
    .addOption(
      new Option('--speed <n>', 'time compression: 60 plays a scenario minute per second / 时间压缩倍数')
        .default(60)
        .argParser(speed),
    )
    .addOption(
      new Option(
        '--upstream <what>',
        'a real InfluxDB and Mosquitto upstream; auto: those installed / 上级服务',
      )
        .choices(UPSTREAM_CHOICES)
        .default('auto'),
    )
    .addOption(
      new Option(
        '--fault <spec>',
        'schedule a fault, repeatable: <kind>[:<target>]@<HH:MM>+<duration>, kinds reader-offline, ' +
          'camera-reboot, influx-down, upstream-down (docs/scenario.md) / 计划故障',
      )
        .default([])
        .argParser(collectFault),
    )
    .option('--verbose', 'show the site’s own output too / 显示模拟小区输出')
    .action(async (o: ScenarioCommandOptions) => {
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const printError = (line: string) => process.stderr.write(`${line}\n`);
      try {
        const report = await runScenario(
          {
            ...(o.dir === undefined ? {} : { dir: o.dir }),
            ports: o.ports,
            seed: o.seed,
            households: o.households,
            speed: o.speed,
            verbose: o.verbose === true,
            upstream: o.upstream,
            faults: o.fault,
          },
          { print, printError },
        );
        print('');
        for (const line of summaryLines(
          report.outcomes.map((r) => ({
            time: clock(r.action.at),
            action: `${r.action.kind} ${r.action.lane} ${r.action.who}`,
            expected: describeExpectation(r.action.expect),
            decided:
              r.decision === undefined
                ? 'none 无'
                : `${r.decision.allow ? 'allow' : 'deny'} ${r.decision.codes.join('+')}${r.decision.notices.length ? ` (+${r.decision.notices.join('+')})` : ''}`,
            agreed: r.agreed,
            ...(r.problem === undefined ? {} : { problem: r.problem }),
          })),
        ))
          print(line);
        for (const problem of report.faultProblems) print(`  ✗ ${problem}`);
        process.exit(report.disagreements.length === 0 && report.faultProblems.length === 0 ? 0 : 1);
      } catch (err) {
        printError(`gatewarden-sim scenario: ${(err as Error).message}`);
        process.exit(2);
      }
    });
}

function collectFault(value: string, previous: ScheduledFault[]): ScheduledFault[] {
  try {
    const all = [...previous, parseFault(value)];
    checkFaultSet(all);
    return all;
  } catch (err) {
    if (err instanceof FaultSpecError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

function speed(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || n > 1_000_000)
    throw new InvalidArgumentError('speed must be a number in (0, 1000000]');
  return n;
}

function integer(value: string, what: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}`);
  return n;
}
