import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { offsetAt, parseTzif } from './tzif.js';

/**
 * A time zone's offsets from UTC: from the system's tz database when it has the zone (the TZif
 * file under `$TZDIR`, else `/usr/share/zoneinfo`), otherwise from the runtime's ICU.
 *
 * Why not just `Intl.DateTimeFormat`: the first one made with a time zone pages in ICU's
 * locale, calendar and zone data, about 8 MB of the gateway's resident memory (measured with
 * `bench/footprint`, docs/performance.md "Time zones without ICU") for what is, at a
 * residential gate, one offset that changes twice a year at most. The system files are what
 * `date` and the C library read, kept current by the distribution's tzdata package. No npm
 * package reads them: those that know the tz database carry a copy of their own that goes
 * stale between releases. So the reader is ours (tzif.ts, posix-tz.ts), and ICU stays the
 * fallback for a zone the system lacks or a file it cannot read.
 */
export interface ZoneOffsets {
  readonly zone: string;
  /** Where the offsets come from. */
  readonly source: 'tzdata' | 'icu';
  /** Why the system's file was not used, when `source` is 'icu' although the system has one. */
  readonly tzdataProblem?: string;
  /** Offset east of UTC at `atMs` (epoch ms), in ms: +28_800_000 for Asia/Shanghai. */
  offsetMs(atMs: number): number;
}

const SYSTEM_ZONEINFO = '/usr/share/zoneinfo';
/** Zone names are path-like words (`America/Argentina/Buenos_Aires`, `Etc/GMT+5`): never `..`. */
const ZONE_NAME = /^[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/;
/** The largest TZif file in the 2025 database is under 4 kB. */
const MAX_TZIF_BYTES = 64 * 1024;

const cache = new Map<string, ZoneOffsets | undefined>();

/** The offsets of `zone`, or undefined when neither the system nor ICU knows it. Cached. */
export function zoneOffsets(
  zone: string,
  zoneinfo = process.env.TZDIR || SYSTEM_ZONEINFO,
): ZoneOffsets | undefined {
  const key = `${zoneinfo}\0${zone}`;
  if (cache.has(key)) return cache.get(key);
  const found = fromTzdata(zone, zoneinfo);
  const offsets = 'offsetMs' in found ? found : fromIcu(zone, found.problem);
  cache.set(key, offsets);
  return offsets;
}

function fromTzdata(zone: string, zoneinfo: string): ZoneOffsets | { problem?: string } {
  if (!ZONE_NAME.test(zone)) return {};
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(zoneinfo, zone));
  } catch {
    return {}; // not there (or a folder such as "Asia"): ICU may still know the name
  }
  if (bytes.length > MAX_TZIF_BYTES) return { problem: `${join(zoneinfo, zone)} is ${bytes.length} bytes` };
  try {
    const rules = parseTzif(bytes);
    return { zone, source: 'tzdata', offsetMs: (at) => offsetAt(rules, at) * 1000 };
  } catch (err) {
    return { problem: `${join(zoneinfo, zone)}: ${(err as Error).message}` };
  }
}

function fromIcu(zone: string, tzdataProblem: string | undefined): ZoneOffsets | undefined {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  const offsetMs = (at: number) => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(at)) p[part.type] = Number(part.value);
    const wall = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day, p.hour, p.minute, p.second);
    return wall - (at - (((at % 1000) + 1000) % 1000));
  };
  return tzdataProblem === undefined
    ? { zone, source: 'icu', offsetMs }
    : { zone, source: 'icu', tzdataProblem, offsetMs };
}
