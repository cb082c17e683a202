import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, ScratchSite } from './helpers/cli.js';

const FIXTURES = join(ROOT, 'test/fixtures/registry');
/** A resident's card from the fixture roster, with no temperature: the decision reads the journal's. */
const CARD = { laneId: 'north-ped-in', credential: { kind: 'card', value: '04:a2:2b:9c' } };
const LANE = 'north-ped-in';
/**
 * Each command is a process of its own and stamps readings and requests with the real clock:
 * windows far longer than a slow machine could take between two commands, so that no
 * expectation depends on how long the commands took.
 */
const policyYaml = (remeasure = '') =>
  `policy:\n  temperatureWindowSeconds: 600\n  remeasure: { waitSeconds: 600, withinSeconds: 3600${remeasure} }\n`;

interface ReadingLine {
  type: string;
  payload: { laneId: string; source: string; reading: Record<string, unknown> };
}

describe('gatewarden reading', () => {
  let site: ScratchSite;
  beforeEach(() => {
    site = new ScratchSite(policyYaml());
  });
  afterEach(() => site.dispose());

  const readings = () =>
    site
      .run(['journal', 'tail', '--json', '--type', 'reading'])
      .stdout.trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as ReadingLine).payload);
  const decide = () => {
    const r = site.run(['decide'], JSON.stringify(CARD));
    return {
      status: r.status,
      codes: (JSON.parse(r.stdout).reasons as { code: string }[]).map((x) => x.code),
    };
  };

  it('journals a high reading that asks for a re-measure, then the handheld re-measure that clears it', () => {
    expect(
      site.run(['registry', 'import', join(FIXTURES, 'residents.csv'), '--roster', 'residents']).status,
    ).toBe(0);

    const high = site.run(['reading', LANE, '37.9', '--mask', 'yes']);
    expect(high.stderr).toBe('');
    expect(high.status).toBe(0);
    expect(high.stdout).toMatch(
      /^体温偏高，请复测 \/ temperature high, re-measure required: 37\.9 °C \(north-ped-in, journal #\d+\)\n$/,
    );
    expect(decide()).toEqual({ status: 1, codes: ['TEMPERATURE_REMEASURE'] });

    const handheld = site.run([
      'reading',
      LANE,
      '36.6',
      '--handheld',
      '--mask',
      'yes',
      '--operator',
      'guard-2',
    ]);
    expect(handheld.status).toBe(0);
    expect(handheld.stdout).toMatch(
      /^复测已记录 \/ re-measure recorded: 36\.6 °C, 体温正常 \/ normal \(north-ped-in, journal #\d+\)\n$/,
    );
    expect(decide()).toEqual({ status: 0, codes: ['RESIDENT'] });

    expect(readings()).toMatchObject([
      { laneId: LANE, source: 'cli:test-op', reading: { celsius: 37.9, mask: true, remeasure: 'required' } },
      {
        laneId: LANE,
        source: 'cli:guard-2',
        reading: { celsius: 36.6, mask: true, instrument: 'handheld', remeasure: 'taken' },
      },
    ]);
  });

  it('says when a camera reading falls in the wait, and records an ordinary reading as such', () => {
    site.run(['reading', LANE, '38.2']);
    const waiting = site.run(['reading', LANE, '36.4']);
    expect(waiting.stdout).toMatch(
      /^等待复测中，本次读数不计 \/ waiting for the re-measure, reading not counted: 36\.4 °C/,
    );
    const other = site.run(['reading', 'north-ped-out', '36.5']);
    expect(other.stdout).toMatch(/^体温已记录 \/ reading recorded: 36\.5 °C, 体温正常 \/ normal/);
    expect(readings().map((p) => [p.reading.remeasure, p.reading.mask])).toEqual([
      ['required', null],
      ['waiting', null],
      [undefined, null],
    ]);
  });

  it('with re-measure off, records a high reading as an ordinary one: FEVER at once', () => {
    site.dispose();
    site = new ScratchSite(policyYaml(', enabled: false'));
    site.run(['registry', 'import', join(FIXTURES, 'residents.csv'), '--roster', 'residents']);
    const r = site.run(['reading', LANE, '38.2', '--mask', 'yes']);
    expect(r.stdout).toMatch(/^体温已记录 \/ reading recorded: 38\.2 °C, 体温异常 \/ fever/);
    expect(decide()).toEqual({ status: 1, codes: ['FEVER'] });
  });

  it('refuses a bad temperature, lane or mask with one line naming the field, and journals nothing', () => {
    for (const text of ['52', '36,6']) {
      const r = site.run(['reading', LANE, text]);
      expect(r.status, text).toBe(2);
      expect(r.stderr, text).toMatch(
        /^gatewarden: reading refused\n {2}- field celsius: ".*" is not a body temperature/,
      );
    }
    const lane = site.run(['reading', 'nowhere', '36.6']);
    expect(lane.status).toBe(2);
    expect(lane.stderr).toMatch(
      /^gatewarden: unknown lane "nowhere"\n {2}- field laneId: known lanes: north-ped-in/,
    );
    const mask = site.run(['reading', LANE, '36.6', '--mask', 'maybe']);
    expect(mask.status).toBe(2);
    expect(mask.stderr).toMatch(/--mask/);
    const missing = site.run(['reading', LANE]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/celsius/);
    expect(readings()).toEqual([]);
    for (const r of [lane, mask, missing]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('has --help', () => {
    const r = site.run(['reading', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: gatewarden reading \[options\] <laneId> <celsius>/);
  });
});
