/**
 * `npm run bench`: every benchmark, one after the other, each as a child process with
 * `GATEWARDEN_BENCH_FIGURES` naming a file of its own (bench/figures.ts), then one table of
 * all the figures, with the machine and the date, written into docs/performance.md between the
 * bench-suite markers (bench/suite-table.ts).
 *
 * Which benchmarks: every `bench:<name>` script of package.json, run with the node options and
 * arguments the script gives (so `npm run bench:x` and the suite measure the same thing), plus
 * the benchmarks that have no script yet when their compiled file exists (OPTIONAL below). One
 * at a time, because each one's figures are only honest with the machine to itself.
 *
 * Exit code: 1 when a benchmark crashed (non-zero exit, a signal, could not start) or the page
 * could not be written; a missed target is a figure in the table, not a failure of the suite.
 *
 * Run: npm run bench -- [--only decide,osdp] [--skip telemetry] [--no-write]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../simulators/site/work-dir.js';
import { FIGURES_FILE_ENV, type Figure, machineLine } from './figures.js';
import { type BenchRun, nodeArgsOf, replaceSuiteSection, suiteSection } from './suite-table.js';

interface BenchCommand {
  name: string;
  /** Arguments to `node`: its options, the script, the benchmark's arguments. */
  args: string[];
}

/** Benchmarks that may exist before their package.json script does (issue 9 §4, §5). */
const OPTIONAL = ['footprint', 'soak'];

/**
 * Arguments the suite adds to a benchmark's script, for the few that take more than a few
 * minutes on the development machine; each stays honest about it in its figures' notes.
 * bench:osdp presents 1,000 cards one at a time (7 minutes); 300 still give a p99 (the 3rd worst).
 */
const SUITE_ARGS: Readonly<Record<string, readonly string[]>> = { osdp: ['--reads', '300'] };

function catalogue(root: string): BenchCommand[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const benches: BenchCommand[] = [];
  for (const [script, text] of Object.entries(manifest.scripts ?? {})) {
    const name = /^bench:(.+)$/.exec(script)?.[1];
    if (name === undefined) continue;
    const args = nodeArgsOf(text);
    if (args === undefined)
      throw new Error(`package.json script ${script} is not "… && node … dist/bench/<x>.js …"`);
    benches.push({ name, args: [...args, ...(SUITE_ARGS[name] ?? [])] });
  }
  const scripts = new Set(benches.flatMap((b) => b.args.filter((a) => a.startsWith('dist/bench/'))));
  for (const name of OPTIONAL) {
    const file = `dist/bench/${name}.js`;
    if (!scripts.has(file) && existsSync(join(root, file))) benches.push({ name, args: [file] });
  }
  return benches;
}

function names(list: string | undefined): Set<string> | undefined {
  return list === undefined
    ? undefined
    : new Set(
        list
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean),
      );
}

/** Runs one benchmark with its output on ours; resolves how it ended. */
function runOne(root: string, bench: BenchCommand, figuresFile: string): Promise<BenchRun> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, bench.args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, [FIGURES_FILE_ENV]: figuresFile },
    });
    child.once('error', (err) =>
      resolve({ bench: bench.name, seconds: seconds(), failure: `cannot start: ${err.message}` }),
    );
    child.once('exit', (code, signal) =>
      resolve({
        bench: bench.name,
        seconds: seconds(),
        ...(code === 0 ? {} : { failure: signal === null ? `exit code ${code}` : `ended by ${signal}` }),
      }),
    );
  });
}

/** The figures a benchmark appended; a line that is not a figure is skipped with a warning. */
function readFigures(file: string, bench: string): Figure[] {
  if (!existsSync(file)) return [];
  const figures: Figure[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const f = JSON.parse(line) as Figure;
      if (typeof f.figure === 'string' && typeof f.value === 'number')
        figures.push({ ...f, bench: typeof f.bench === 'string' ? f.bench : bench });
      else console.error(`[suite] ${bench}: a figure line without figure or value skipped`);
    } catch {
      console.error(`[suite] ${bench}: a figure line that is not JSON skipped`);
    }
  }
  return figures;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, skip: { type: 'string' }, 'no-write': { type: 'boolean' } },
  });
  const root = packageRoot();
  const all = catalogue(root);
  const only = names(values.only);
  const skip = names(values.skip) ?? new Set<string>();
  for (const name of [...(only ?? []), ...skip])
    if (!all.some((b) => b.name === name))
      throw new Error(`no benchmark named ${name}; there are: ${all.map((b) => b.name).join(', ')}`);
  const chosen = all.filter((b) => (only === undefined || only.has(b.name)) && !skip.has(b.name));
  const machine = machineLine();
  const startedAt = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-suite-'));
  const runs: BenchRun[] = [];
  const figures: Figure[] = [];
  try {
    for (const bench of chosen) {
      console.log(`\n[suite] ${bench.name}: node ${bench.args.join(' ')}`);
      const file = join(dir, `${bench.name}.jsonl`);
      const run = await runOne(root, bench, file);
      runs.push(run);
      figures.push(...readFigures(file, bench.name));
      console.log(
        `[suite] ${bench.name}: ${run.failure ?? 'done'} in ${run.seconds.toFixed(1)} s (${runs.length}/${chosen.length})`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const section = suiteSection({
    figures,
    runs,
    machine,
    startedAt,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  });
  console.log(`\n${section}\n`);
  if (values['no-write'] !== true) {
    const page = join(root, 'docs/performance.md');
    writeFileSync(page, replaceSuiteSection(readFileSync(page, 'utf8'), section));
    console.log(`[suite] the table is in ${page}`);
  }
  const crashed = runs.filter((r) => r.failure !== undefined);
  if (crashed.length > 0) console.error(`[suite] crashed: ${crashed.map((r) => r.bench).join(', ')}`);
  return crashed.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`[suite] ${(err as Error).message}`);
    process.exitCode = 1;
  },
);
