import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewardenError, type Problem } from '../../gateway/errors.js';
import { registryJsonSchema } from '../../gateway/registry/document.js';
import { parseRegistryText, type RegistryFragment } from '../../gateway/registry/fragment.js';
import { prepareImport, type RegistryImportInput } from '../../gateway/registry/import.js';
import { formatInstant, parseInstant } from '../../gateway/registry/instant.js';
import { NO_EXISTING_RECORDS } from '../../gateway/registry/references.js';

const SCHEMA_FILE = new URL('../../docs/registry.schema.json', import.meta.url);
const FIXTURE = new URL('../fixtures/registry/registry.yaml', import.meta.url);
const KEY = Buffer.alloc(32, 7);
const NOW = Date.UTC(2022, 3, 10);
const options = { key: KEY, timeZone: 'Asia/Shanghai', now: NOW, existing: NO_EXISTING_RECORDS };

function fragment(yaml: string): RegistryFragment {
  const parsed = parseRegistryText(yaml, 'test.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

function problemsOf(input: RegistryImportInput): Problem[] {
  try {
    prepareImport(input, options);
  } catch (e) {
    if (e instanceof GatewardenError) return [...e.problems];
    throw e;
  }
  throw new Error('expected the import to be refused');
}

describe('registry JSON Schema', () => {
  it('equals the committed docs/registry.schema.json (UPDATE_REGISTRY_SCHEMA=1 rewrites it)', () => {
    const expected = `${JSON.stringify(registryJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_REGISTRY_SCHEMA) writeFileSync(SCHEMA_FILE, expected);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(expected);
  });
});

describe('registry document', () => {
  it('converts the fixture: hashes ID numbers, derives credentials, reads dates in the site zone', () => {
    const records = prepareImport(fragment(readFileSync(FIXTURE, 'utf8')), options);
    expect(records.persons).toHaveLength(5);
    const zhang = records.persons.find((p) => p.id === 'res-zhang');
    expect(zhang).toMatchObject({
      name: '张伟',
      idMasked: '1101**********002X',
      idHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(records)).not.toContain('11010519491231002X');
    const idcards = records.credentials.filter((c) => c.kind === 'idcard');
    expect(idcards.map((c) => c.holderId).sort()).toEqual(['res-li', 'res-zhang', 'staff-zhao', 'vis-zhou']);
    expect(records.credentials.find((c) => c.kind === 'card' && c.holderId === 'res-zhang')?.value).toBe(
      '04A22B9C',
    );
    expect(records.credentials.find((c) => c.id === 'wc-zhao')?.validUntil).toBe(Date.UTC(2022, 4, 31, 16));
    expect(records.credentials.find((c) => c.kind === 'plate')).toMatchObject({
      value: '京A12345',
      holderId: 'v-zhang',
    });
    expect(records.households[0]?.quota).toEqual({ exits: 1, periodMs: 48 * 3_600_000 });
    expect(records.visitors[0]?.travel).toEqual([{ region: '420100', at: Date.UTC(2022, 3, 1, 16) }]);
  });

  it('reports schema problems with their path and line', () => {
    const problems = problemsOf(
      fragment(
        [
          'version: 1', // 1
          'households:', // 2
          '  - id: h1', // 3
          '    building: 3', // 4
          '    unit: "1"', // 5
          '    room: "101"', // 6
          'persons:', // 7
          '  - { id: p1, kind: alien, householdId: h1 }', // 8
          '  - { id: p2, kind: resident, idNumber: 310104198503151231 }', // 9
          '  - { id: p3, kind: resident, nmae: x }', // 10
        ].join('\n'),
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: 'test.yaml',
          line: 4,
          field: 'households.0.building',
          message: expect.stringMatching(/quote/),
        }),
        expect.objectContaining({ line: 8, field: 'persons.0.kind' }),
        expect.objectContaining({
          line: 9,
          field: 'persons.1.idNumber',
          message: expect.stringMatching(/quote/),
        }),
        expect.objectContaining({ line: 10, field: 'persons.2.nmae' }),
      ]),
    );
  });

  it('reports ID numbers, instants and references with their paths, never echoing the number', () => {
    const bad = '310104198503151230';
    const problems = problemsOf({
      version: 1,
      households: [{ id: 'h1', building: '1', unit: '1', room: '101', designatedMembers: ['ghost'] }],
      persons: [
        { id: 'p1', kind: 'resident', householdId: 'h1', idNumber: bad },
        { id: 'p1', kind: 'resident', householdId: 'nowhere' },
      ],
      quarantineOrders: [
        { id: 'q', kind: 'home', target: { person: 'p1' }, from: '2022-04-31', until: '2022-04-01' },
      ],
    });
    expect(problems).toEqual([
      expect.objectContaining({
        field: 'persons.0.idNumber',
        message: expect.stringMatching(/check character/),
      }),
      expect.objectContaining({ field: 'quarantineOrders.0.from', message: 'not a real date or time' }),
    ]);
    expect(JSON.stringify(problems)).not.toContain(bad);

    const references = problemsOf({
      version: 1,
      households: [{ id: 'h1', building: '1', unit: '1', room: '101', designatedMembers: ['ghost'] }],
      persons: [
        { id: 'p1', kind: 'resident', householdId: 'h1' },
        { id: 'p1', kind: 'resident', householdId: 'nowhere' },
      ],
      credentials: [
        { kind: 'card', value: 'AB12', holder: 'p1' },
        { kind: 'card', value: 'ab:12', holder: 'p9' },
      ],
      visitors: [
        { id: 'r', personId: 'p1', escorts: ['p7'], validFrom: '2022-04-01', validUntil: '2022-04-02' },
      ],
      quarantineOrders: [
        { id: 'q', kind: 'home', target: { building: '9' }, from: '2022-04-01', until: '2022-04-15' },
      ],
    });
    expect(references.map((p) => [p.field, p.message])).toEqual([
      ['persons.1.id', 'duplicate person id (first at persons.0.id)'],
      ['credentials.1.value', 'card AB12 is already given to p1 (credentials.0.value)'],
      ['households.0.designatedMembers.0', 'no person ghost'],
      ['persons.1.householdId', 'no household nowhere'],
      ['credentials.1.holder', 'no person p9'],
      ['visitors.0.escorts.0', 'no person p7'],
      ['quarantineOrders.0.target', 'no household in building 9'],
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const parsed = parseRegistryText('version: 1\npersons:\n  - { id: p1\n', 'broken.yaml');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.problems[0]).toMatchObject({ file: 'broken.yaml', line: expect.any(Number) });
  });

  it('reads JSON as well as YAML', () => {
    const json = JSON.stringify(
      { version: 1, highRiskRegions: [{ code: '420100', since: '2022-03-20' }] },
      null,
      2,
    );
    const records = prepareImport(fragment(json), options);
    expect(records.highRiskRegions).toEqual([{ code: '420100', since: Date.UTC(2022, 2, 19, 16) }]);
  });
});

describe('instants', () => {
  it.each([
    ['2022-04-01', Date.UTC(2022, 2, 31, 16)],
    ['2022-04-01T08:30', Date.UTC(2022, 3, 1, 0, 30)],
    ['2022-04-01 08:30:15', Date.UTC(2022, 3, 1, 0, 30, 15)],
    ['2022-04-01T08:30:00+08:00', Date.UTC(2022, 3, 1, 0, 30)],
    ['2022-04-01T08:30:00.250Z', Date.UTC(2022, 3, 1, 8, 30, 0, 250)],
    ['2022-04-01T08:30:00-0500', Date.UTC(2022, 3, 1, 13, 30)],
  ])('%s', (text, expected) => {
    expect(parseInstant(text, 'Asia/Shanghai')).toBe(expected);
  });

  it.each(['2022-02-30', '2022-13-01', '2022-04-01T24:00', '01/04/2022', '2022-04-01T08:30+25:00', ''])(
    'refuses %j',
    (text) => {
      expect(parseInstant(text, 'Asia/Shanghai')).toBeUndefined();
    },
  );

  it('reads a date in the given zone, across daylight saving time', () => {
    expect(parseInstant('2022-07-01', 'Europe/Berlin')).toBe(Date.UTC(2022, 5, 30, 22));
    expect(parseInstant('2022-01-01', 'Europe/Berlin')).toBe(Date.UTC(2021, 11, 31, 23));
  });

  it('formats with the zone offset and round-trips', () => {
    const t = Date.UTC(2022, 3, 1, 0, 30, 0, 5);
    expect(formatInstant(t, 'Asia/Shanghai')).toBe('2022-04-01T08:30:00.005+08:00');
    expect(formatInstant(Date.UTC(2022, 3, 1), 'UTC')).toBe('2022-04-01T00:00:00Z');
    for (const zone of ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York']) {
      expect(parseInstant(formatInstant(t, zone), 'UTC')).toBe(t);
    }
  });
});
