import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GatewardenError } from '../../gateway/errors.js';
import { parseRoster, ROSTER_KINDS, type RosterKind } from '../../gateway/registry/csv.js';
import { headerIndex, normaliseHeader, ROSTER_COLUMNS } from '../../gateway/registry/csv-columns.js';
import { registryDocumentSchema } from '../../gateway/registry/document.js';
import { parseRegistryText, type RegistryFragment } from '../../gateway/registry/fragment.js';
import { computeIdCheckChar } from '../../gateway/registry/id-number.js';
import { prepareImport } from '../../gateway/registry/import.js';
import { type ExistingRecords, NO_EXISTING_RECORDS } from '../../gateway/registry/references.js';
import { fromZod } from '../json-arbitrary.js';
import { defineTarget, neverThrows, onlyThrows } from '../target.js';

/** Registry imports (gateway/registry): CSV rosters and YAML/JSON documents → prepareImport. */

export const REGISTRY_KEY = Buffer.alloc(32, 0x42);
export const REGISTRY_TIME_ZONE = 'Asia/Shanghai';
/** 2022-04-10 10:00 in Asia/Shanghai. */
export const REGISTRY_NOW = Date.UTC(2022, 3, 10, 2);

/** Valid resident ID numbers (GB 11643 check digit): the only raw numbers an import may not keep. */
export const ID_NUMBERS = ['11010119900307001', '44030419851231002', '31011520000229003'].map(
  (first17) => first17 + computeIdCheckChar(first17),
);

/** Values that fit the registry's fields: ids of the existing records, instants, cards, plates. */
export const REGISTRY_STRINGS = [
  ...ID_NUMBERS,
  'h-1',
  'h-2',
  'r-1',
  'r-2',
  's-1',
  'v-1',
  'q-1',
  '1',
  '2',
  '101',
  '0101',
  'A0000001',
  '京A12345',
  'HB-WH',
  '2022-04-01',
  '2022-04-01T08:00:00+08:00',
  '2022-05-01T00:00:00Z',
  '2022-04-10 10:00',
];

/** What a merge import may refer to: households h-1, h-2; resident r-1 of h-1; building 1 unit 1. */
export const EXISTING: ExistingRecords = {
  hasHousehold: (id) => id === 'h-1' || id === 'h-2',
  person: (id) => (id === 'r-1' ? { householdId: 'h-1' } : undefined),
  hasVehicle: (id) => id === 'v-1',
  credentialId: (kind, value) => (kind === 'card' && value === 'A0000001' ? 'card:A0000001' : undefined),
  hasBuilding: (b) => b === '1',
  hasUnit: (b, u) => b === '1' && u === '1',
};

/**
 * The ID numbers an input gives as ID numbers (`secret`) and that appear nowhere else in it: the
 * import may keep their hash and masked form, never the number. A number also written in another
 * field (a unit, a name) is that field's text and may be kept as such.
 */
export function secretIdNumbers(given: readonly string[], elsewhere: readonly string[]): string[] {
  const normal = (s: string) => s.trim().toUpperCase();
  return [...new Set(given.map(normal))].filter(
    (n) => ID_NUMBERS.includes(n) && !elsewhere.some((text) => text.toUpperCase().includes(n)),
  );
}

/** The import's contract: records, or REGISTRY_IMPORT_INVALID with problems; `secrets` never kept. */
function importChecked(
  fragments: RegistryFragment | RegistryFragment[],
  merge: boolean,
  secrets: readonly string[],
): void {
  const existing = merge ? EXISTING : NO_EXISTING_RECORDS;
  const options = {
    key: REGISTRY_KEY,
    timeZone: REGISTRY_TIME_ZONE,
    now: REGISTRY_NOW,
    existing,
    maxProblems: 20,
  };
  const outcome = onlyThrows(() => prepareImport(fragments, options), GatewardenError);
  if (!outcome.ok) {
    const error = outcome.error as GatewardenError;
    assert.equal(error.code, 'REGISTRY_IMPORT_INVALID', `refused with ${error.code}`);
    assert.ok(
      error.problems.length > 0 && error.problems.every((p) => p.message !== ''),
      'a refusal without problems',
    );
    return;
  }
  assertNoneOf(secrets, JSON.stringify(outcome.value), 'a raw ID number reached the records');
}

function assertNoneOf(secrets: readonly string[], text: string, message: string): void {
  const upper = text.toUpperCase();
  for (const n of secrets) assert.ok(!upper.includes(n), message);
}

/** Every string in a JSON value, with whether its key is `idNumber`. */
function stringsOf(value: unknown, key = ''): { text: string; idNumber: boolean }[] {
  if (typeof value === 'string') return [{ text: value, idNumber: key === 'idNumber' }];
  if (Array.isArray(value)) return value.flatMap((v) => stringsOf(v));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [{ text: k, idNumber: false }, ...stringsOf(v, k)]);
}

// --- CSV rosters --------------------------------------------------------------------------------

/** Cells that fit the roster columns, and cells that break CSV or the columns. */
const cell = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      ...REGISTRY_STRINGS,
      '王小明',
      'yes',
      '否',
      'day;night',
      '白班、夜班',
      'resident',
      '外来',
      'all',
      '',
    ),
  },
  fc.constantFrom(
    '"',
    '""',
    'a,b',
    'line\nbreak',
    '\r',
    ' x ',
    '\uFEFF',
    '=cmd()',
    '1101011990030700',
    '110101199003070019X',
  ),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);

const rosterCase = fc.constantFrom(...ROSTER_KINDS).chain((roster) => {
  const names = ROSTER_COLUMNS[roster].flatMap((c) => [c.name, c.name, ...c.aliases]);
  const header = fc.uniqueArray(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...names) },
      fc.constantFrom('note', 'Person ID', 'unknown', '', '身份证号'),
    ),
    {
      minLength: 1,
      maxLength: 10,
    },
  );
  return fc.record(
    {
      roster: fc.constant(roster as RosterKind),
      header,
      rows: fc.array(fc.array(cell, { maxLength: 11 }), { maxLength: 6 }),
      eol: fc.constantFrom('\n', '\r\n', '\r'),
      bom: fc.boolean(),
      raw: fc.oneof(
        { weight: 7, arbitrary: fc.constant('') },
        fc.string({ unit: 'grapheme', maxLength: 60 }),
      ),
      merge: fc.boolean(),
    },
    { noNullPrototype: true },
  );
});

/** The cells under an id_number header (any alias) are ID numbers; every other cell is other text. */
function rosterSecrets(
  roster: RosterKind,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  const index = headerIndex(roster);
  const idColumns = header.flatMap((h, i) =>
    index.get(normaliseHeader(h))?.name === 'id_number' ? [i] : [],
  );
  const given = rows.flatMap((row) => row.filter((_, i) => idColumns.includes(i)));
  const elsewhere = [...header, ...rows.flatMap((row) => row.filter((_, i) => !idColumns.includes(i)))];
  return secretIdNumbers(given, elsewhere);
}

function csvLine(cells: readonly string[]): string {
  return cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',');
}

export const registryCsv = defineTarget({
  name: 'registry-csv',
  contract:
    'parseRoster (residents, staff, vehicles; headers in any order and alias, cells that fit, break quoting ' +
    'or break the columns; any line ends, BOM) never throws and names file and line in every problem; what ' +
    'it returns goes through prepareImport, which gives records or REGISTRY_IMPORT_INVALID with problems, and ' +
    'never keeps a raw ID number.',
  boundedCases: 200,
  arbitrary: rosterCase,
  check(c) {
    const body = [csvLine(c.header), ...c.rows.map(csvLine)].join(c.eol) + c.raw;
    const text = (c.bom ? '\uFEFF' : '') + body;
    const options = {
      roster: c.roster,
      file: 'fuzz.csv',
      key: REGISTRY_KEY,
      timeZone: REGISTRY_TIME_ZONE,
      now: REGISTRY_NOW,
    };
    const parsed = neverThrows(() => parseRoster(text, options));
    if (!parsed.ok) {
      assert.ok(parsed.problems.length > 0, 'refused without problems');
      for (const p of parsed.problems) {
        assert.equal(p.file, 'fuzz.csv');
        assert.ok(p.line === undefined || (Number.isInteger(p.line) && p.line >= 1), `line ${p.line}`);
      }
      return;
    }
    const secrets = rosterSecrets(c.roster, c.header, c.rows);
    assertNoneOf(secrets, JSON.stringify(parsed.value.document), 'a raw ID number left the roster parser');
    importChecked(parsed.value, c.merge, secrets);
  },
});

// --- Documents ----------------------------------------------------------------------------------

/** YAML that is not JSON: anchors, aliases (a small "billion laughs"), tags, duplicate keys, tabs. */
const yamlText = fc.constantFrom(
  'version: 1\nhouseholds: &h\n  - {id: h-9, building: "1", unit: "1", room: "101"}\npersons: *h\n',
  'a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n',
  'version: 1\nversion: 1\n',
  'version: !!binary aGVsbG8=\n',
  '--- 1\n--- 2\n',
  'version: 1\npersons:\n\t- id: x\n',
  '? [a]\n: b\n',
  '',
  'null',
  '[]',
);

export const registryDocument = defineTarget({
  name: 'registry-document',
  contract:
    'prepareImport (replace and merge) on schema-guided documents, mutated, handed as objects or as JSON text ' +
    'through parseRegistryText, and on hostile YAML (aliases, tags, duplicate keys): never throws, gives ' +
    'records or REGISTRY_IMPORT_INVALID with problems, and never keeps a raw ID number.',
  boundedCases: 200,
  arbitrary: fc.record(
    {
      document: fromZod(registryDocumentSchema, { strings: REGISTRY_STRINGS }),
      yaml: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, yamlText),
      /** The import CLI reads files as text (YAML 1.2, of which JSON is a subset); upstream and the API hand objects. */
      as: fc.constantFrom('object', 'object', 'json', 'pretty-json'),
      merge: fc.boolean(),
    },
    { noNullPrototype: true },
  ),
  check({ document, yaml, as, merge }) {
    const strings = stringsOf(document);
    const secrets = secretIdNumbers(
      strings.filter((s) => s.idNumber).map((s) => s.text),
      strings.filter((s) => !s.idNumber).map((s) => s.text),
    );
    if (yaml === undefined && as === 'object') {
      importChecked(
        { document: JSON.parse(JSON.stringify(document) ?? 'null'), file: 'fuzz.json' },
        merge,
        secrets,
      );
      return;
    }
    const text = yaml ?? JSON.stringify(document, null, as === 'pretty-json' ? 2 : undefined) ?? 'null';
    const parsed = neverThrows(() => parseRegistryText(text, 'fuzz.yaml'));
    if (!parsed.ok) {
      assert.ok(parsed.problems.length > 0 && parsed.problems.every((p) => p.file === 'fuzz.yaml'));
      return;
    }
    importChecked(parsed.value, merge, yaml === undefined ? secrets : []);
  },
});
