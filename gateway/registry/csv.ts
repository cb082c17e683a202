import { readFileSync } from 'node:fs';
import { CsvError, parse } from 'csv-parse/sync';
import type { Problem } from '../errors.js';
import {
  type ColumnSpec,
  headerIndex,
  IGNORED_COLUMNS,
  normaliseHeader,
  ROSTER_COLUMNS,
  type RosterKind,
} from './csv-columns.js';
import { RosterBuilder, type RosterRow } from './csv-rosters.js';
import type { ParseResult, RegistryFragment } from './fragment.js';
import { DEFAULT_TIME_ZONE } from './instant.js';
import { DEFAULT_PROBLEM_LIMIT, ProblemCollector } from './problems.js';

export { ROSTER_KINDS, type RosterKind } from './csv-columns.js';

/**
 * CSV rosters (residents, staff, vehicles): the spreadsheets community offices keep, turned into
 * registry document fragments for `RegistryStore.import`.
 *
 * Contract: every bad row is reported with file, line (where the row starts) and field
 * (canonical column name), all of them, not just the first (the first `maxProblems` in detail,
 * then a count); when there is any problem, no fragment is returned. UTF-8 with or without a
 * BOM; CRLF, LF or CR line ends; blank rows are skipped.
 */
export interface RosterOptions {
  roster: RosterKind;
  /** Named in problems. */
  file: string;
  /** The site's pseudonym key: ID numbers are hashed here and go no further. */
  key: Buffer;
  /** For dates without an offset; use the store's. Default Asia/Shanghai. */
  timeZone?: string;
  /** For the birth-date check. Default: the clock. */
  now?: number;
  /** Called every 1,000 rows and at the end with rows done and rows in the file. */
  onProgress?: (done: number, total: number) => void;
  maxProblems?: number;
}

const PROGRESS_EVERY = 1000;

/** A parsed CSV record and the line it ends on (csv-parse's `info.lines`). */
interface CsvRecord {
  record: string[];
  info: { lines: number };
}

type Where = (line: number | undefined, field: string | undefined, message: string) => Problem;

export function parseRoster(text: string | Buffer, options: RosterOptions): ParseResult<RegistryFragment> {
  const problems = new ProblemCollector(options.maxProblems ?? DEFAULT_PROBLEM_LIMIT);
  const where: Where = (line, field, message) => {
    const p: Problem = { file: options.file, message };
    if (line !== undefined) p.line = line;
    if (field !== undefined) p.field = field;
    return p;
  };
  const parsed = readCsv(text);
  if (!Array.isArray(parsed)) return { ok: false, problems: [where(parsed.line, undefined, parsed.message)] };
  const [header, ...rows] = parsed;
  if (!header)
    return { ok: false, problems: [where(1, undefined, 'the file is empty: expected a header row')] };
  const headerLine = startLine(header.record, header.info.lines);
  const columns = mapHeader(header.record, options.roster, (field, message) =>
    problems.add(where(headerLine, field, message)),
  );
  if (!problems.empty) return { ok: false, problems: problems.list() };

  const builder = new RosterBuilder({
    key: options.key,
    timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
    now: options.now ?? Date.now(),
  });
  const add = { residents: builder.addResident, staff: builder.addStaff, vehicles: builder.addVehicle }[
    options.roster
  ];
  for (const [i, csvRecord] of rows.entries()) {
    const row = toRow(csvRecord, header.record, columns, (p) => problems.add(p), where);
    if (row) add.call(builder, row);
    if ((i + 1) % PROGRESS_EVERY === 0) options.onProgress?.(i + 1, rows.length);
  }
  options.onProgress?.(rows.length, rows.length);
  if (!problems.empty) return { ok: false, problems: problems.list() };
  return { ok: true, value: builder.toFragment(options.file) };
}

/** All records, or why the text is not CSV. Line ends are made `\n` first (csv-parse miscounts mixed ones). */
function readCsv(text: string | Buffer): CsvRecord[] | { message: string; line?: number } {
  const source = (typeof text === 'string' ? text : text.toString('utf8')).replace(/\r\n?/g, '\n');
  try {
    return parse(source, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as CsvRecord[];
  } catch (cause) {
    if (!(cause instanceof CsvError)) throw cause;
    const line = (cause as CsvError & { lines?: number }).lines;
    return line === undefined
      ? { message: `not valid CSV: ${cause.message}` }
      : { message: `not valid CSV: ${cause.message}`, line };
  }
}

/** The row the builder sees, or undefined for a blank row or one with too many fields (reported). */
function toRow(
  { record, info }: CsvRecord,
  header: readonly string[],
  columns: ReadonlyMap<string, number>,
  add: (problem: Problem) => void,
  where: Where,
): RosterRow | undefined {
  const line = startLine(record, info.lines);
  if (record.every((cell) => cell.trim() === '')) return undefined;
  if (record.length > header.length && record.slice(header.length).some((c) => c.trim() !== '')) {
    add(where(line, undefined, `row has ${record.length} fields, the header ${header.length}`));
    return undefined;
  }
  return {
    line,
    get: (column) => {
      const index = columns.get(column);
      return index === undefined ? '' : (record[index] ?? '').trim();
    },
    report: (column, message) => {
      const written = header[columns.get(column) ?? -1]?.trim();
      add(where(line, column, written && written !== column ? `${written}: ${message}` : message));
    },
  };
}

/**
 * Reads and parses several roster files, reporting the problems of all of them together.
 * Throws GatewardenError `REGISTRY_IMPORT_INVALID` when any file has a problem.
 */
export function readRosterFiles(
  files: readonly { path: string; roster: RosterKind }[],
  options: Omit<RosterOptions, 'roster' | 'file'>,
): RegistryFragment[] {
  const problems = new ProblemCollector(options.maxProblems ?? DEFAULT_PROBLEM_LIMIT);
  const fragments: RegistryFragment[] = [];
  for (const { path, roster } of files) {
    let text: Buffer;
    try {
      text = readFileSync(path);
    } catch (cause) {
      problems.add({ file: path, message: `cannot read: ${(cause as Error).message}` });
      continue;
    }
    const result = parseRoster(text, { ...options, roster, file: path });
    if (result.ok) fragments.push(result.value);
    else problems.addAll(result.problems);
  }
  problems.throwIfAny('roster import');
  return fragments;
}

/** Column name → index in the row; reports unknown, repeated and missing required columns. */
function mapHeader(
  header: readonly string[],
  roster: RosterKind,
  report: (field: string, message: string) => void,
): Map<string, number> {
  const known = headerIndex(roster);
  const columns = new Map<string, number>();
  header.forEach((written, index) => {
    const h = normaliseHeader(written);
    if (h === '' || IGNORED_COLUMNS.has(h)) return;
    const spec: ColumnSpec | undefined = known.get(h);
    if (!spec) {
      const expected = ROSTER_COLUMNS[roster].map((c) => c.name).join(', ');
      report(written.trim(), `unknown column in a ${roster} roster; expected: ${expected}`);
    } else if (columns.has(spec.name)) {
      report(spec.name, `column given twice (${written.trim()})`);
    } else {
      columns.set(spec.name, index);
    }
  });
  for (const spec of ROSTER_COLUMNS[roster]) {
    if (spec.required && !columns.has(spec.name))
      report(spec.name, `required column is missing (${spec.aliases[0]})`);
  }
  return columns;
}

/** csv-parse reports the line a record ends on; quoted line breaks inside it move its start up. */
function startLine(record: readonly string[], endLine: number): number {
  let breaks = 0;
  for (const cell of record) {
    for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) breaks++;
  }
  return endLine - breaks;
}
