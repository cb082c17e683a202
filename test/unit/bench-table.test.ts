import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Figure } from '../../bench/figures.js';
import {
  formatValue,
  markdownTable,
  nodeArgsOf,
  replaceSuiteSection,
  SUITE_END,
  SUITE_START,
  suiteSection,
} from '../../bench/suite-table.js';

const FIGURES: Figure[] = [
  {
    bench: 'decide',
    figure: 'decisions/s, one core',
    value: 123456,
    target: '≥ 100,000',
    met: true,
    note: '1,000,000 persons',
  },
  { bench: 'decide', figure: 'p99', value: 22.345, unit: 'µs', target: '≤ 50 µs', met: true },
  { bench: 'osdp', figure: 'gateway-added p99', value: 5.6, unit: 'ms', target: '≤ 2 ms', met: false },
  { bench: 'journal', figure: 'durable appends/s', value: 1600.4 },
];

const REPORT = {
  figures: FIGURES,
  runs: [
    { bench: 'decide', seconds: 71.2 },
    { bench: 'osdp', seconds: 400 },
    { bench: 'journal', seconds: 20 },
    { bench: 'onvif', seconds: 3, failure: 'exit code 1' },
    { bench: 'disk', seconds: 12 },
  ],
  machine: 'AMD EPYC, 2 cores, 24 GiB, Node v20.20.2, load average 0.5 at the start',
  startedAt: '2026-11-29 09:00 UTC',
  command: 'npm run bench',
};

const rowsOf = (section: string) => section.split('\n').filter((l) => l.startsWith('| '));

describe('the suite table', () => {
  it('lists every figure with its target and verdict, a crash, and a benchmark that reported nothing', () => {
    const rows = rowsOf(suiteSection(REPORT));
    expect(rows[0]).toMatch(/^\| bench +\| figure +\| value +\| target +\| met +\| note +\|$/);
    expect(rows).toHaveLength(2 + 4 + 2);
    const decide = rows.find((r) => r.includes('decisions/s'));
    expect(decide).toMatch(/\| 123,456 +\| ≥ 100,000 +\| yes +\| 1,000,000 persons +\|$/);
    expect(rows.find((r) => r.includes('p99') && r.includes('decide'))).toContain('22.3 µs');
    expect(rows.find((r) => r.includes('gateway-added'))).toMatch(/\| \*\*no\*\* +\|/);
    expect(rows.find((r) => r.includes('durable'))).toMatch(/\| 1,600 +\| +\| +\| +\|$/);
    expect(rows.find((r) => r.startsWith('| onvif'))).toMatch(/\*\*crashed\*\*.*exit code 1 after 3 s/);
    expect(rows.find((r) => r.startsWith('| disk'))).toContain('no figure reported');
  });

  it('names the machine, the date, the command and how long each benchmark took', () => {
    const section = suiteSection(REPORT);
    expect(section.startsWith(SUITE_START)).toBe(true);
    expect(section.endsWith(SUITE_END)).toBe(true);
    expect(section).toContain('`npm run bench`');
    expect(section).toContain('2026-11-29 09:00 UTC');
    expect(section).toContain('load average 0.5');
    expect(section).toContain(
      'Durations: decide 71 s, osdp 400 s, journal 20 s, onvif 3 s, disk 12 s (8.4 min in all).',
    );
  });

  test.prop([
    fc.array(fc.array(fc.string({ maxLength: 12 }), { minLength: 3, maxLength: 3 }), { maxLength: 6 }),
  ])(
    'lays out any cells as aligned rows of equal width, a pipe or line break never splitting a cell',
    (rows) => {
      const lines = markdownTable(['a', 'b', 'c'], rows).split('\n');
      expect(lines).toHaveLength(rows.length + 2);
      const widths = new Set(lines.map((l) => [...l].length));
      expect(widths.size).toBe(1);
      for (const line of lines) expect(line.split(/(?:^| )\|/)).toHaveLength(5);
    },
  );

  it('formats values: thousands separators, three significant digits, the unit', () => {
    expect(formatValue(98127)).toBe('98,127');
    expect(formatValue(207.44, 'ms')).toBe('207 ms');
    expect(formatValue(0.9412)).toBe('0.941');
    expect(formatValue(5.6, 'ms')).toBe('5.6 ms');
  });
});

describe('the section in docs/performance.md', () => {
  const PAGE = '# Performance\n\nIntro.\n\n## Pass decisions\n\nText.\n';

  it('goes before the first section of a page that has none yet', () => {
    const page = replaceSuiteSection(PAGE, `${SUITE_START}\nT1\n${SUITE_END}`);
    expect(page).toBe(
      `# Performance\n\nIntro.\n\n${SUITE_START}\nT1\n${SUITE_END}\n\n## Pass decisions\n\nText.\n`,
    );
  });

  it('replaces the previous table and nothing else', () => {
    const once = replaceSuiteSection(PAGE, `${SUITE_START}\nT1\n${SUITE_END}`);
    const twice = replaceSuiteSection(once, `${SUITE_START}\nT2\nmore\n${SUITE_END}`);
    expect(twice).toBe(once.replace('T1', 'T2\nmore'));
    expect(twice.match(/bench-suite:start/g)).toHaveLength(1);
  });

  it('refuses a page with a broken pair of markers rather than guess', () => {
    expect(() => replaceSuiteSection(`${PAGE}${SUITE_END}\n`, 'x')).toThrow(/broken bench-suite section/);
    expect(() => replaceSuiteSection(`${SUITE_END}\n${SUITE_START}\n`, 'x')).toThrow(/broken/);
  });

  it('reads the node arguments of a benchmark script', () => {
    expect(
      nodeArgsOf(
        'npm run build --silent && node --expose-gc --max-old-space-size=8192 dist/bench/decide.js --persons 10',
      ),
    ).toEqual(['--expose-gc', '--max-old-space-size=8192', 'dist/bench/decide.js', '--persons', '10']);
    expect(nodeArgsOf('npm run build --silent && node dist/fuzz/run.js')).toBeUndefined();
    expect(nodeArgsOf('vitest run')).toBeUndefined();
  });
});
