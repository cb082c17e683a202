/**
 * The one contract between a benchmark and the suite (`npm run bench`, bench/run-all.ts): a
 * benchmark reports each headline figure with `reportFigure`. It always prints the figure; when
 * the suite runs it, `GATEWARDEN_BENCH_FIGURES` names a file and the figure is appended there as
 * one JSON line, which the suite gathers into the single table of docs/performance.md.
 *
 * A figure states its target in words ("≥ 0.9× bare", "≤ 100 MB") and whether it met it, as the
 * benchmark judged: the suite copies both, it does not re-judge.
 */
import { appendFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Figure {
  /** Which benchmark measured it, e.g. "telemetry". */
  bench: string;
  /** What was measured, e.g. "sink throughput, points/s". */
  figure: string;
  value: number;
  /** Unit of `value` when the figure's name does not say it. */
  unit?: string;
  /** The target in words, when there is one. */
  target?: string;
  /** Whether `value` met `target`; absent when there is no target. */
  met?: boolean;
  /** What the reader must know to read the value (load, conditions). */
  note?: string;
}

export const FIGURES_FILE_ENV = 'GATEWARDEN_BENCH_FIGURES';

/** Prints the figure and, under the suite, appends it to the suite's figures file. */
export function reportFigure(figure: Figure): void {
  const verdict = figure.met === undefined ? '' : figure.met ? ' (met)' : ' (MISSED)';
  const target = figure.target === undefined ? '' : `, target ${figure.target}`;
  console.log(
    `[${figure.bench}] ${figure.figure}: ${figure.value}${figure.unit ? ` ${figure.unit}` : ''}${target}${verdict}`,
  );
  const file = process.env[FIGURES_FILE_ENV];
  if (file) appendFileSync(file, `${JSON.stringify({ ...figure, at: new Date().toISOString() })}\n`);
}

/** The machine line every figure table carries. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)} at the start`;
}
