/**
 * Building entrances in the configuration: `kind: building` with its `building` (and optional
 * `unit`), never primary, pedestrian lanes only; a perimeter gate has neither building nor unit.
 * Every problem is reported at once, at its field.
 */

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../config/load.js';
import { GatewardenError } from '../../gateway/errors.js';

const HEAD = `site:
  id: tiny
  name: { zh: 小区, en: Tiny }
gates:
  - id: main
    name: { zh: 大门, en: Main }
    primary: true
    lanes:
      - { id: main-in, name: { zh: 入, en: In }, kind: pedestrian, direction: in }
`;

const gate = (
  fields: string,
  lanes = '{ id: b-in, name: { zh: 入, en: In }, kind: pedestrian, direction: in }',
) =>
  `${HEAD}  - id: b3
    name: { zh: 3号楼, en: Building 3 }
${fields
  .split('\n')
  .filter(Boolean)
  .map((l) => `    ${l}`)
  .join('\n')}
    lanes:
      - ${lanes}
`;

function problems(text: string): { field: string | undefined; message: string }[] {
  try {
    parseConfigText(text, 'site.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(GatewardenError);
    return (error as GatewardenError).problems.map(({ field, message }) => ({ field, message }));
  }
  throw new Error('expected the configuration to be refused');
}

describe('building gates in the configuration', () => {
  it('reads a building entrance and a unit door; gates are perimeter by default', () => {
    const config = parseConfigText(
      gate('kind: building\nbuilding: "3"\nunit: "2"').replace(
        'lanes:\n      - { id: b-in',
        'lanes:\n      - { id: b-out, name: { zh: 出, en: Out }, kind: pedestrian, direction: out }\n      - { id: b-in',
      ),
      'site.yaml',
    );
    expect(config.gates.map((g) => [g.id, g.kind, g.primary, g.building, g.unit])).toEqual([
      ['main', 'perimeter', true, undefined, undefined],
      ['b3', 'building', false, '3', '2'],
    ]);
  });

  it('needs the building of a building gate', () => {
    expect(problems(gate('kind: building'))).toEqual([
      { field: 'gates.1.building', message: 'required field "building" is missing' },
    ]);
  });

  it('asks to quote a building written as a number', () => {
    const found = problems(gate('kind: building\nbuilding: 3'));
    expect(found).toHaveLength(1);
    expect(found[0]?.field).toBe('gates.1.building');
    expect(found[0]?.message).toMatch(/building is text: quote it/);
  });

  it('refuses a primary building gate, and still asks for a primary perimeter gate', () => {
    const text = gate('kind: building\nbuilding: "3"\nprimary: true').replace(
      '    primary: true\n    lanes:\n      - { id: main-in',
      '    lanes:\n      - { id: main-in',
    );
    // In the order of the file's lines.
    expect(problems(text)).toEqual([
      { field: 'gates', message: 'no gate is primary: mark at least one gate `primary: true`' },
      {
        field: 'gates.1.primary',
        message: 'a building entrance cannot be primary: primary gates are entrances of the community',
      },
    ]);
  });

  it('refuses a vehicle lane at a building entrance', () => {
    const lanes = '{ id: b-car, name: { zh: 车, en: Car }, kind: vehicle, direction: in }';
    expect(problems(gate('kind: building\nbuilding: "3"', lanes))).toEqual([
      { field: 'gates.1.lanes.0.kind', message: 'a building entrance has pedestrian lanes only' },
    ]);
  });

  it('refuses a building or unit on a perimeter gate', () => {
    expect(problems(gate('building: "3"\nunit: "1"'))).toEqual([
      { field: 'gates.1.building', message: 'only a building gate has a building: add `kind: building`' },
      { field: 'gates.1.unit', message: 'only a building gate has a unit: add `kind: building`' },
    ]);
  });

  it('refuses an unknown gate kind, naming the field', () => {
    const found = problems(gate('kind: tower\nbuilding: "3"'));
    expect(found.map((p) => p.field)).toContain('gates.1.kind');
  });

  it('loads the example of building entrances (config/examples/building-entrances.yaml)', () => {
    const file = fileURLToPath(new URL('../../config/examples/building-entrances.yaml', import.meta.url));
    const config = loadConfig(file, { env: {} });
    expect(config.gates.map((g) => [g.id, g.kind, g.building, g.unit])).toEqual([
      ['north', 'perimeter', undefined, undefined],
      ['building-3', 'building', '3', undefined],
      ['building-5-unit-2', 'building', '5', '2'],
    ]);
  });
});
