/**
 * The zone reader (gateway/util/zone) against Node's own ICU: for the TZif fixtures (Debian's
 * tzdata 2025b, test/fixtures/tzif/README.md says why each) and any instant from 1970 to 2100 —
 * listed transitions and the footer's rules both — the offset read from the file equals the one
 * ICU's DateTimeFormat shows, and so do the site-time functions built on it. Node 20.20.2 carries
 * tz 2025b too; should a later Node or tzdata move a zone's rules, this names the zone and instant.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { localParts } from '../../gateway/util/site-time.js';
import { offsetAt, parseTzif } from '../../gateway/util/zone/tzif.js';
import { zoneOffsets } from '../../gateway/util/zone/zone-offsets.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/tzif');
const NO_ZONEINFO = '/nonexistent/zoneinfo';
const zones = readdirSync(FIXTURES)
  .filter((name) => name !== 'README.md')
  .map((file) => ({
    zone: file.replace('_', '/'), // America_New_York, Australia_Lord_Howe, Etc_GMT+5, UTC
    rules: parseTzif(readFileSync(resolve(FIXTURES, file))),
  }));

/** The oracle: ICU's offsets, as the reader falls back to them for a zone no file has. */
function icuOffsetSeconds(zone: string, at: number): number {
  const icu = zoneOffsets(zone, NO_ZONEINFO);
  if (icu?.source !== 'icu') throw new Error(`ICU does not know ${zone}`);
  return icu.offsetMs(at) / 1000;
}

const instant = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) });
/** Instants within a minute of a DST change (US and EU rules' Sundays), where mistakes live. */
const nearChange = fc
  .record({
    year: fc.integer({ min: 1970, max: 2099 }),
    month: fc.constantFrom(2, 3, 9, 10),
    day: fc.integer({ min: 1, max: 31 }),
    minute: fc.integer({ min: -60, max: 180 }),
  })
  .map(({ year, month, day, minute }) => Date.UTC(year, month, day) + minute * 60_000);

describe('zone offsets from TZif files agree with ICU', () => {
  it('to the second at every change the footer rules make, 2038 to 2099 (beyond the listed transitions)', () => {
    // Weekly samples (offsets here last months between changes), each change bisected to the second.
    const WEEK = 7 * 86_400_000;
    const mismatches: string[] = [];
    const compare = (zone: string, at: number, ours: number) => {
      const icu = icuOffsetSeconds(zone, at);
      if (ours !== icu) mismatches.push(`${zone} at ${new Date(at).toISOString()}: ${ours} s, ICU ${icu} s`);
    };
    let changes = 0;
    for (const { zone, rules } of zones) {
      const ours = (at: number) => offsetAt(rules, at);
      for (let day = Date.UTC(2038, 0, 1); day < Date.UTC(2100, 0, 1); day += WEEK) {
        compare(zone, day, ours(day));
        if (ours(day) === ours(day + WEEK)) continue;
        let [lo, hi] = [day, day + WEEK]; // ours(lo) is the old offset, ours(hi) the new one
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (ours(mid) === ours(day)) lo = mid;
          else hi = mid;
        }
        compare(zone, hi - 1000, ours(hi - 1000));
        compare(zone, hi, ours(hi));
        changes++;
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(changes).toBeGreaterThan(8 * 62 * 2 - 1); // the eight fixtures with DST, two a year
  });

  test.prop([fc.constantFrom(...zones), fc.oneof(instant, nearChange)], { numRuns: 2000 })(
    'the offset at any instant',
    ({ zone, rules }, at) => {
      expect({ zone, at: new Date(at).toISOString(), offset: offsetAt(rules, at) }).toEqual({
        zone,
        at: new Date(at).toISOString(),
        offset: icuOffsetSeconds(zone, at),
      });
    },
  );

  test.prop([
    fc.constantFrom('Asia/Shanghai', 'America/New_York', 'Australia/Lord_Howe', 'Europe/Dublin'),
    instant,
  ])('site time: the local wall clock of any instant', (zone, at) => {
    const p = localParts(at, zone);
    const icu = new Date(at + icuOffsetSeconds(zone, at) * 1000);
    expect(p).toEqual({
      year: icu.getUTCFullYear(),
      month: icu.getUTCMonth() + 1,
      day: icu.getUTCDate(),
      hour: icu.getUTCHours(),
      minute: icu.getUTCMinutes(),
      second: icu.getUTCSeconds(),
    });
  });
});
