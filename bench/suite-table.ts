/**
 * The suite's one table (`npm run bench`, bench/run-all.ts): the figures the benchmarks
 * reported through bench/figures.ts, as Markdown, and its place in docs/performance.md between
 * two marker comments. Pure, so that the formatting and the replacement are tested without
 * running a benchmark.
 *
 * The table is laid out as biome formats Markdown (every cell padded to its column's width, at
 * least three characters), so `biome ci` accepts the page the suite wrote.
 */
import type { Figure } from './figures.js';

export const SUITE_START = '<!-- bench-suite:start -->';
export const SUITE_END = '<!-- bench-suite:end -->';

/** How one benchmark of the suite ended. */
export interface BenchRun {
  bench: string;
  seconds: number;
  /** undefined when it exited 0; otherwise how it ended ("exit code 1", "SIGKILL", "cannot start: …"). */
  failure?: string;
}

export interface SuiteReport {
  figures: readonly Figure[];
  runs: readonly BenchRun[];
  /** bench/figures.ts `machineLine()` at the start of the suite. */
  machine: string;
  /** When the suite started (ISO date and time, UTC). */
  startedAt: string;
  /** The command that produced the table, shown with it. */
  command: string;
}

/**
 * The node arguments of a package.json benchmark script (`npm run build --silent && node <args>`):
 * its options, `dist/bench/<x>.js` and the benchmark's arguments. Undefined for any other shape.
 */
export function nodeArgsOf(script: string): string[] | undefined {
  const command = script.split('&&').at(-1)?.trim() ?? '';
  const words = command.split(/\s+/);
  if (words[0] !== 'node' || !words.some((w) => /^dist\/bench\/.+\.js$/.test(w))) return undefined;
  return words.slice(1);
}

/** A figure's value with its unit: integers with thousands separators, fractions to 3 significant digits. */
export function formatValue(value: number, unit?: string): string {
  let text: string;
  if (!Number.isFinite(value)) text = String(value);
  else if (Number.isInteger(value)) text = value.toLocaleString('en-US');
  else if (Math.abs(value) >= 100) text = Math.round(value).toLocaleString('en-US');
  else text = value.toLocaleString('en-US', { maximumSignificantDigits: 3 });
  return unit === undefined || unit === '' ? text : `${text} ${unit}`;
}

/** One cell: no line breaks, and a pipe (or a backslash before one) cannot end the cell early. */
function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|');
}

const width = (text: string) => [...text].length;

/** A Markdown table laid out as biome lays it out. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows].map((row) => header.map((_, i) => cell(row[i] ?? '')));
  const widths = header.map((_, i) => Math.max(3, ...all.map((row) => width(row[i] ?? ''))));
  const line = (row: readonly string[]) =>
    `| ${row.map((text, i) => text + ' '.repeat((widths[i] ?? 3) - width(text))).join(' | ')} |`;
  const [head, ...body] = all;
  return [line(head ?? []), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function figureRow(f: Figure): string[] {
  const met = f.met === undefined ? '' : f.met ? 'yes' : '**no**';
  return [f.bench, f.figure, formatValue(f.value, f.unit), f.target ?? '', met, f.note ?? ''];
}

/** The rows of the table: every figure, in the order the benchmarks ran; a benchmark that failed or reported nothing says so. */
export function figureRows(report: Pick<SuiteReport, 'figures' | 'runs'>): string[][] {
  const rows: string[][] = [];
  for (const run of report.runs) {
    const figures = report.figures.filter((f) => f.bench === run.bench);
    for (const f of figures) rows.push(figureRow(f));
    if (run.failure !== undefined)
      rows.push([run.bench, '**crashed**', '', '', '', `${run.failure} after ${run.seconds.toFixed(0)} s`]);
    else if (figures.length === 0)
      rows.push([run.bench, 'no figure reported', '', '', '', `ran ${run.seconds.toFixed(0)} s`]);
  }
  // Figures of a benchmark the runs do not list (a child's child reporting under another name).
  const listed = new Set(report.runs.map((r) => r.bench));
  for (const f of report.figures.filter((x) => !listed.has(x.bench))) rows.push(figureRow(f));
  return rows;
}

/** The whole section between the markers (markers included). */
export function suiteSection(report: SuiteReport): string {
  const durations = report.runs.map((r) => `${r.bench} ${r.seconds.toFixed(0)} s`).join(', ');
  const total = report.runs.reduce((sum, r) => sum + r.seconds, 0);
  return [
    SUITE_START,
    '',
    `Written by \`${report.command}\` (bench/run-all.ts) on ${report.startedAt}: ${report.machine}.`,
    'Each benchmark judged its own figures against the target it states; the sections below say',
    'how each was measured. `--only a,b` or `--skip a,b` runs a part of the suite (the table then',
    'holds that part only); `--no-write` prints the table without writing it here.',
    '',
    markdownTable(['bench', 'figure', 'value', 'target', 'met', 'note'], figureRows(report)),
    '',
    `Durations: ${durations} (${(total / 60).toFixed(1)} min in all).`,
    '',
    SUITE_END,
  ].join('\n');
}

/**
 * The page with `section` in place of the previous one between the markers; without markers,
 * the section goes before the page's first second-level heading (or at the end). A page with
 * only one of the two markers, or with them in the wrong order, is refused: the suite must not
 * guess which part of a hand-edited page to overwrite.
 */
export function replaceSuiteSection(page: string, section: string): string {
  const start = page.indexOf(SUITE_START);
  const end = page.indexOf(SUITE_END);
  if (start >= 0 && end > start) return page.slice(0, start) + section + page.slice(end + SUITE_END.length);
  if (start >= 0 || end >= 0)
    throw new Error(`the page has a broken bench-suite section: it needs ${SUITE_START} before ${SUITE_END}`);
  const heading = page.search(/^## /m);
  if (heading < 0) return `${page.replace(/\n*$/, '\n\n')}${section}\n`;
  return `${page.slice(0, heading)}${section}\n\n${page.slice(heading)}`;
}
