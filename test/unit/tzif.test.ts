import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { offsetAt, parseTzif, TzifError } from '../../gateway/util/zone/tzif.js';
import { zoneOffsets } from '../../gateway/util/zone/zone-offsets.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/tzif');
const H = 3600;

/** A TZif file from its parts (RFC 8536 §3): version 1 alone, or 1 then 2 with a footer. */
function tzif(o: {
  version: 1 | 2;
  transitions: number[];
  types: number[];
  offsets: number[];
  footer?: string;
  leap?: boolean;
}): Buffer {
  const header = (version: number) => {
    const h = Buffer.alloc(44);
    h.write('TZif', 0, 'latin1');
    h[4] = version === 1 ? 0 : 0x30 + version;
    const counts = [0, 0, o.leap ? 1 : 0, o.transitions.length, o.offsets.length, 4];
    for (const [i, n] of counts.entries()) h.writeUInt32BE(n, 20 + 4 * i);
    return h;
  };
  const data = (timeBytes: 4 | 8) => {
    const times = Buffer.alloc(o.transitions.length * timeBytes);
    o.transitions.forEach((t, i) => {
      if (timeBytes === 4) times.writeInt32BE(Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, t)), 4 * i);
      else times.writeBigInt64BE(BigInt(t), 8 * i);
    });
    const ttinfo = Buffer.alloc(6 * o.offsets.length);
    for (const [i, offset] of o.offsets.entries()) ttinfo.writeInt32BE(offset, 6 * i);
    const leap = o.leap ? Buffer.alloc(timeBytes + 4) : Buffer.alloc(0);
    return Buffer.concat([times, Buffer.from(o.types), ttinfo, Buffer.from('XYZ\0', 'latin1'), leap]);
  };
  const v1 = Buffer.concat([header(o.version), data(4)]);
  if (o.version === 1) return v1;
  return Buffer.concat([v1, header(2), data(8), Buffer.from(`\n${o.footer ?? ''}\n`, 'latin1')]);
}

const at = (iso: string) => Date.parse(iso);

describe('TZif files (RFC 8536)', () => {
  it('version 1: type 0 before the first transition, then each transition’s type', () => {
    const rules = parseTzif(
      tzif({ version: 1, transitions: [1000, 2000], types: [1, 0], offsets: [3 * H, 4 * H] }),
    );
    expect(offsetAt(rules, 999_999)).toBe(3 * H);
    expect(offsetAt(rules, 1_000_000)).toBe(4 * H);
    expect(offsetAt(rules, 1_999_999)).toBe(4 * H);
    expect(offsetAt(rules, 5_000_000)).toBe(3 * H);
  });

  it('version 2: 64-bit times before 1901, and the footer after the last transition', () => {
    const rules = parseTzif(
      tzif({
        version: 2,
        transitions: [-3_000_000_000, 0],
        types: [1, 2],
        offsets: [29_143, 8 * H, 9 * H],
        footer: 'EST5EDT,M3.2.0,M11.1.0',
      }),
    );
    expect(offsetAt(rules, -3_000_000_001_000)).toBe(29_143);
    expect(offsetAt(rules, -1_000)).toBe(8 * H);
    expect(offsetAt(rules, at('2026-07-01T00:00:00Z'))).toBe(-4 * H);
    expect(offsetAt(rules, at('2026-12-01T00:00:00Z'))).toBe(-5 * H);
  });

  it('reads the system zones kept as fixtures: China’s DST of 1986–1991, India, New York', () => {
    const read = (name: string) => parseTzif(readFileSync(join(FIXTURES, name)));
    const shanghai = read('Asia_Shanghai');
    expect(offsetAt(shanghai, at('1988-07-01T00:00:00Z'))).toBe(9 * H);
    expect(offsetAt(shanghai, at('1992-07-01T00:00:00Z'))).toBe(8 * H);
    expect(offsetAt(shanghai, at('2026-11-29T14:00:00Z'))).toBe(8 * H);
    expect(offsetAt(read('Asia_Kolkata'), at('2026-01-01T00:00:00Z'))).toBe(5.5 * H);
    const ny = read('America_New_York');
    expect(offsetAt(ny, at('2007-03-11T06:59:59Z'))).toBe(-5 * H); // listed transitions
    expect(offsetAt(ny, at('2007-03-11T07:00:00Z'))).toBe(-4 * H);
    expect(offsetAt(ny, at('2090-07-01T00:00:00Z'))).toBe(-4 * H); // the footer
  });

  it.each([
    ['bad magic', (b: Buffer) => b.write('TZig', 0, 'latin1'), 0, 'magic "TZig"'],
    ['bad version', (b: Buffer) => b.writeUInt8(0x21, 4), 4, 'version byte 0x21'],
    ['truncated', undefined, 44, 'the data block needs'],
    ['leap seconds', 'leap', 28, 'leap-second records'],
    ['transitions out of order', 'order', 48, 'not in ascending order'],
    ['a type beyond the table', 'type', 52, 'time type 7 of 2'],
  ] as const)('refuses %s, naming the byte', (_what, spoil, offset, message) => {
    let bytes = tzif({
      version: 1,
      transitions: spoil === 'order' ? [2000, 1000] : [1000, 2000],
      types: spoil === 'type' ? [7, 0] : [1, 0],
      offsets: [0, H],
      leap: spoil === 'leap',
    });
    if (typeof spoil === 'function') spoil(bytes);
    if (spoil === undefined) bytes = bytes.subarray(0, 50);
    let error: unknown;
    try {
      parseTzif(bytes);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TzifError);
    expect(error).toMatchObject({ offset });
    expect((error as Error).message).toContain(message);
  });

  it('refuses a version 2 file whose footer is not a TZ string', () => {
    const bytes = tzif({ version: 2, transitions: [], types: [], offsets: [0], footer: 'EST5EDT' });
    expect(() => parseTzif(bytes)).toThrow(
      /TZif at byte \d+: TZ string "EST5EDT" at 7: daylight time without/,
    );
  });
});

describe('zoneOffsets: the system tz database first, ICU otherwise', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('reads Asia/Shanghai from the system files', () => {
    const shanghai = zoneOffsets('Asia/Shanghai');
    expect(shanghai?.source).toBe('tzdata');
    expect(shanghai?.offsetMs(at('2026-11-29T00:00:00Z'))).toBe(8 * H * 1000);
  });

  it('falls back to ICU, saying why, when the file is broken; knows no invented zone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tzdir-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'Asia_Broken'), 'not a tzif file at all, but long enough for a header.....');
    // ICU does not know "Asia_Broken"; a broken copy of a zone it knows is read through ICU.
    writeFileSync(join(dir, 'UTC'), 'TZif2 and nothing else');
    expect(zoneOffsets('Asia_Broken', dir)).toBeUndefined();
    const utc = zoneOffsets('UTC', dir);
    expect(utc).toMatchObject({ source: 'icu', zone: 'UTC' });
    expect(utc?.tzdataProblem).toMatch(/UTC: TZif at byte 0: a header needs 44 bytes/);
    expect(utc?.offsetMs(at('2026-06-01T00:00:00Z'))).toBe(0);
    expect(zoneOffsets('Mars/Olympus_Mons', dir)).toBeUndefined();
    expect(zoneOffsets('../etc/passwd', dir)).toBeUndefined();
  });
});
