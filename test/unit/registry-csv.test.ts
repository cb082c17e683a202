import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../../gateway/errors.js';
import { parseRoster, type RosterKind } from '../../gateway/registry/csv.js';
import type { RegistryDocument } from '../../gateway/registry/document.js';
import type { RegistryFragment } from '../../gateway/registry/fragment.js';
import { hashIdNumber } from '../../gateway/registry/id-number.js';
import { personIdFromIdHash } from '../../gateway/registry/person-id.js';
import { withWrongCheckChar } from '../fixtures/registry/synthetic-ids.js';

const KEY = Buffer.alloc(32, 9);
const NOW = Date.UTC(2022, 3, 10);
const fixture = (name: string) => readFileSync(new URL(`../fixtures/registry/${name}`, import.meta.url));

function parseOk(
  text: string | Buffer,
  roster: RosterKind,
  file = 'roster.csv',
): RegistryFragment & { document: RegistryDocument } {
  const result = parseRoster(text, { roster, file, key: KEY, now: NOW });
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.value as RegistryFragment & { document: RegistryDocument };
}

function parseProblems(text: string | Buffer, roster: RosterKind, file = 'roster.csv'): Problem[] {
  const result = parseRoster(text, { roster, file, key: KEY, now: NOW });
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('residents roster', () => {
  it('reads Chinese headers, a BOM, separators and a lower-case x', () => {
    const { document: doc, lineOf } = parseOk(fixture('residents-zh.csv'), 'residents');
    expect(doc.households?.map((h) => h.id)).toEqual(['3-2-501', '3-2-502', '5-1-101']);
    const zhangId = personIdFromIdHash(hashIdNumber(KEY, '11010519491231002X'));
    expect(doc.persons?.[0]).toEqual({
      id: zhangId,
      kind: 'resident',
      householdId: '3-2-501',
      name: '张伟',
      idHash: hashIdNumber(KEY, '11010519491231002X'),
      idMasked: '1101**********002X',
    });
    expect(doc.persons?.[3]?.id).toMatch(/^n-[0-9a-f]{16}$/); // 刘洋 has no ID number
    expect(doc.households?.[0]?.designatedMembers).toEqual([zhangId]);
    expect(doc.credentials?.map((c) => c.value)).toEqual(['04A22B9C', '04A22B9D', '0A1B2C3D']);
    expect(doc.vehicles?.map((v) => [v.id, v.plate, v.householdId])).toEqual([
      ['v-京A12345', '京A12345', '3-2-501'],
      ['v-京B54321', '京B54321', '5-1-101'],
    ]);
    expect(lineOf?.(['persons', 2, 'idHash'])).toBe(4);
    expect(JSON.stringify(doc)).not.toMatch(/11010519491231002/);
  });

  it('gives the same ids and hashes for the English roster', () => {
    const zh = parseOk(fixture('residents-zh.csv'), 'residents').document;
    const en = parseOk(fixture('residents.csv'), 'residents').document;
    expect(en.persons?.[0]?.id).toBe(zh.persons?.[0]?.id);
    expect(en.persons?.[2]?.id).toBe('res-wang');
    expect(en.credentials?.map((c) => c.kind)).toEqual(['card', 'card', 'qr', 'card']);
  });

  it('reports every bad row with file, line and field', () => {
    const problems = parseProblems(fixture('residents-bad.csv'), 'residents', 'residents-bad.csv');
    expect(problems.map((p) => [p.file, p.line, p.field])).toEqual([
      ['residents-bad.csv', 3, 'id_number'],
      ['residents-bad.csv', 4, 'designated'],
      ['residents-bad.csv', 4, 'card'],
      ['residents-bad.csv', 5, 'building'],
      ['residents-bad.csv', 6, 'id_number'],
    ]);
    expect(problems[4]?.message).toBe('same person as line 2');
  });

  it('names the header as written when it is an alias', () => {
    const csv = '楼栋,单元,房号,身份证号\n1,1,101,110105194912310021\n';
    expect(parseProblems(csv, 'residents')).toEqual([
      {
        file: 'roster.csv',
        line: 2,
        field: 'id_number',
        message: expect.stringMatching(/^身份证号: ID number check/),
      },
    ]);
  });

  it('reports header problems on the header line and reads no rows', () => {
    const problems = parseProblems('building,room,id_numbr,备注\n1,101,x,\n', 'residents');
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [1, 'id_numbr'],
      [1, 'unit'],
    ]);
  });

  it('caps the list at 100 problems and counts the rest', () => {
    const rows = Array.from(
      { length: 250 },
      (_, i) => `1,1,${i},${withWrongCheckChar('440524188001010014')}`,
    );
    const problems = parseProblems(['building,unit,room,id_number', ...rows].join('\n'), 'residents');
    expect(problems).toHaveLength(101);
    expect(problems[99]).toMatchObject({ line: 101, field: 'id_number' });
    expect(problems[100]).toEqual({ message: '… and 150 more problems' });
  });

  it('counts lines across CRLF, blank lines and quoted line breaks', () => {
    const csv = 'building,unit,room,name,card\r\n1,1,101,"Zhang\r\nWei",ZZ\r\n\r\n1,1,102,Li,YY\r\n';
    expect(parseProblems(csv, 'residents').map((p) => p.line)).toEqual([2, 5]);
  });

  it('reports rows with more fields than the header, and unclosed quotes', () => {
    expect(parseProblems('building,unit,room,name\n1,1,101,Li,extra\n', 'residents')[0]).toMatchObject({
      line: 2,
    });
    expect(parseProblems('building,unit,room,name\n1,1,101,"Li\n', 'residents')[0]?.message).toMatch(
      /not valid CSV/,
    );
  });

  it('needs some way to identify each person', () => {
    expect(parseProblems('building,unit,room,card\n1,1,101,AABB\n', 'residents')).toEqual([
      expect.objectContaining({ line: 2, field: 'person_id' }),
    ]);
  });

  it('reports progress', () => {
    const calls: [number, number][] = [];
    const rows = Array.from({ length: 2500 }, (_, i) => `1,1,${i},P${i}`);
    parseRoster(['building,unit,room,name', ...rows].join('\n'), {
      roster: 'residents',
      file: 'r.csv',
      key: KEY,
      onProgress: (done, total) => calls.push([done, total]),
    });
    expect(calls).toEqual([
      [1000, 2500],
      [2000, 2500],
      [2500, 2500],
    ]);
  });
});

describe('staff roster', () => {
  it('reads work certificates, their end dates and shifts', () => {
    const doc = parseOk(fixture('staff.csv'), 'staff').document;
    expect(doc.persons?.map((p) => [p.kind, p.shifts])).toEqual([
      ['staff', ['day', 'night']],
      ['staff', ['day', 'evening', 'night']],
      ['staff', ['evening']],
    ]);
    expect(doc.persons?.[1]?.id).toBe('staff-sun');
    expect(doc.credentials?.filter((c) => c.kind === 'workcert').map((c) => [c.value, c.validUntil])).toEqual(
      [
        ['WC-001', '2022-06-01'],
        ['WC-002', undefined],
        ['WC-003', '2022-05-01T00:00:00+08:00'],
      ],
    );
  });

  it('reports bad shifts and dates, and a missing certificate', () => {
    const csv = 'name,workcert,workcert_until,shifts\nA,WC-1,2022-02-30,day\nB,,,mornings\n';
    expect(parseProblems(csv, 'staff').map((p) => [p.line, p.field])).toEqual([
      [2, 'workcert_until'],
      [3, 'workcert'],
      [3, 'shifts'],
    ]);
  });
});

describe('vehicles roster', () => {
  it('reads kinds in Chinese, households, permits and disinfection', () => {
    const doc = parseOk(fixture('vehicles.csv'), 'vehicles').document;
    expect(doc.vehicles).toEqual([
      {
        id: 'v-京C11111',
        plate: '京C11111',
        kind: 'resident',
        householdId: '3-2-502',
        permit: { validFrom: '2022-04-01', validUntil: '2022-07-01' },
      },
      {
        id: 'v-沪D22222',
        plate: '沪D22222',
        kind: 'work',
        permit: {},
        disinfectedAt: '2022-04-09T18:30:00+08:00',
      },
      { id: 'v-粤E33333', plate: '粤E33333', kind: 'outside' },
    ]);
  });

  it('reports unknown kinds, partial addresses and repeated plates', () => {
    const csv = 'plate,kind,building,unit,room\n京A1,boat,,,\n京A2,resident,1,,\n京 A2,resident,,,\n';
    expect(parseProblems(csv, 'vehicles').map((p) => [p.line, p.field])).toEqual([
      [2, 'kind'],
      [3, 'room'],
      [4, 'plate'],
    ]);
  });
});
