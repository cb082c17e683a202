import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../config/load.js';
import { GatewardenError } from '../../gateway/errors.js';

const MINIMAL = `site:
  id: tiny
  name: { zh: 小区, en: Tiny }
gates:
  - id: main
    name: { zh: 大门, en: Main }
    primary: true
    lanes:
      - { id: main-in, name: { zh: 入, en: In }, kind: pedestrian, direction: in }
`;

const STATIONS = `stations:
  - { id: garden, name: { zh: 花园, en: Garden }, purpose: patrol }
  - { id: garage, name: { zh: 车库, en: Garage }, purpose: patrol }
  - { id: guardhouse, name: { zh: 门岗, en: Guardhouse }, purpose: duty }
`;

function problems(text: string): { field: string | undefined; message: string }[] {
  try {
    parseConfigText(text, 'x.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(GatewardenError);
    return (error as GatewardenError).problems.map(({ field, message }) => ({ field, message }));
  }
  throw new Error('expected the configuration to be refused');
}

describe('the stations and patrol sections', () => {
  it('are empty by default', () => {
    const config = parseConfigText(MINIMAL, 'x.yaml');
    expect(config.stations).toEqual([]);
    expect(config.patrol).toEqual({ routes: [] });
  });

  it('take stations, readers placed at them, and routes with every shift and five minutes by default', () => {
    const config = parseConfigText(
      `${MINIMAL}${STATIONS}lines: [{ id: bus, path: /dev/ttyUSB0 }]
osdp:
  devices:
    - { id: garden-reader, line: bus, address: 1, lane: garden, reader: 0 }
idcard:
  devices:
    - { id: guardhouse-id, line: bus, lane: guardhouse }
scanners:
  - { id: garage-qr, lane: garage, serial: { path: /dev/ttyACM0 } }
patrol:
  routes:
    - id: loop
      name: { zh: 环线, en: Loop }
      everyMinutes: 60
      points: [{ station: garden, atMinutes: 10 }, { station: garage, atMinutes: 30 }]
`,
      'x.yaml',
    );
    expect(config.stations.map((s) => `${s.id}:${s.purpose}`)).toEqual([
      'garden:patrol',
      'garage:patrol',
      'guardhouse:duty',
    ]);
    expect(config.patrol.routes[0]).toMatchObject({
      id: 'loop',
      shifts: ['day', 'evening', 'night'],
      everyMinutes: 60,
      toleranceMinutes: 5,
    });
  });

  it('refuse a station named like a lane, twice the same station, and points at unknown or duty stations', () => {
    const found =
      problems(`${MINIMAL}${STATIONS}  - { id: main-in, name: { zh: 重, en: Same }, purpose: patrol }
  - { id: garden, name: { zh: 重, en: Again }, purpose: patrol }
patrol:
  routes:
    - id: loop
      name: { zh: 环线, en: Loop }
      everyMinutes: 60
      points: [{ station: pond, atMinutes: 10 }, { station: guardhouse, atMinutes: 30 }]
`);
    expect(found).toEqual([
      { field: 'stations.3.id', message: '"main-in" is already a lane id: a station needs an id of its own' },
      { field: 'stations.4.id', message: 'duplicate station id "garden" (first at 0)' },
      { field: 'patrol.routes.0.points.0.station', message: 'no station "pond" under stations' },
      {
        field: 'patrol.routes.0.points.1.station',
        message: 'station "guardhouse" is a duty station, not a patrol point',
      },
    ]);
  });

  it('refuse points out of order or past the round, a tolerance past its end, and rounds longer than a shift', () => {
    const found = problems(`${MINIMAL}${STATIONS}patrol:
  routes:
    - id: loop
      name: { zh: 环线, en: Loop }
      everyMinutes: 30
      toleranceMinutes: 10
      points: [{ station: garden, atMinutes: 10 }, { station: garage, atMinutes: 5 }, { station: garden, atMinutes: 30 }]
    - id: short
      name: { zh: 短线, en: Short }
      everyMinutes: 30
      toleranceMinutes: 10
      points: [{ station: garden, atMinutes: 25 }]
    - id: long
      name: { zh: 长线, en: Long }
      everyMinutes: 240
      shifts: [day, evening]
      points: [{ station: garden, atMinutes: 0 }]
    - id: short
      name: { zh: 重, en: Again }
      everyMinutes: 60
      points: [{ station: garden, atMinutes: 0 }]
`);
    expect(found).toEqual([
      { field: 'patrol.routes.0.points.1.atMinutes', message: 'must be later than the point before it (10)' },
      { field: 'patrol.routes.0.points.2.atMinutes', message: 'must be less than everyMinutes (30)' },
      {
        field: 'patrol.routes.1.toleranceMinutes',
        message:
          "the last point (minute 25) plus the tolerance passes the round's end (minute 30): an on-time tap would fall in the next round",
      },
      {
        field: 'patrol.routes.2.everyMinutes',
        message: 'is longer than the evening shift (180 minutes): no round would fit in it',
      },
      { field: 'patrol.routes.3.id', message: 'duplicate route id "short" (first at 1)' },
    ]);
  });

  it('let only readers stand at a station', () => {
    const found = problems(`${MINIMAL}${STATIONS}thermometers:
  - { id: handheld, lane: garden, serial: { path: /dev/ttyUSB1 } }
`);
    expect(found).toContainEqual({ field: 'thermometers.0.lane', message: 'no lane "garden" in gates' });
  });

  it('load in the patrol example for real hardware', () => {
    const file = fileURLToPath(new URL('../../config/examples/patrol-rounds.yaml', import.meta.url));
    const config = loadConfig(file, { env: {} });
    expect(config.stations.map((s) => s.id)).toEqual(['garden', 'garage', 'guardhouse']);
    expect(config.patrol.routes.map((r) => `${r.id}:${r.shifts.join('+')}`)).toEqual([
      'night-loop:night',
      'garage-check:day+evening',
    ]);
    expect([...config.osdp.devices.map((d) => d.lane), ...config.scanners.map((s) => s.lane)]).toEqual([
      'garden',
      'garage',
      'guardhouse',
    ]);
  });
});
