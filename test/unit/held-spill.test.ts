/**
 * The held-entries spill (held-spill.ts, held-spill-codec.ts): its bytes, and the file on a real
 * temporary directory. What it is for, a crash during a journal outage: test/faults/held-spill.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HeldSpill } from '../../gateway/checkpoint/held-spill.js';
import {
  decodeSpill,
  encodeHeader,
  encodeRecord,
  HEADER_BYTES,
  type SpilledEntry,
} from '../../gateway/checkpoint/held-spill-codec.js';

const entry = (n: number): SpilledEntry => ({
  item: { type: 'device', at: 1_700_000_000_000 + n, payload: { deviceId: `d${n}`, state: 'online' } },
  heldAt: 1_700_000_000_500 + n,
});

const image = (generation: number, open: boolean, ...records: Buffer[]) =>
  Buffer.concat([encodeHeader(generation, open), ...records, Buffer.alloc(64)]);

describe('held spill codec', () => {
  it('decodes the records of the open outage, in order, and where the next one goes', () => {
    const records = [entry(1), entry(2), entry(3)].map((e) => encodeRecord(7, e));
    const decoded = decodeSpill(image(7, true, ...records));
    expect(decoded).toEqual({
      generation: 7,
      open: true,
      records: [entry(1), entry(2), entry(3)],
      end: HEADER_BYTES + records.reduce((n, r) => n + r.length, 0),
    });
  });

  it('a closed outage holds nothing, whatever records are left in the file', () => {
    expect(decodeSpill(image(7, false, encodeRecord(7, entry(1))))).toMatchObject({
      open: false,
      records: [],
    });
  });

  it("ends the list at an older outage's records, which the new generation overwrote only in part", () => {
    const file = image(
      8,
      true,
      encodeRecord(8, entry(1)),
      encodeRecord(7, entry(2)),
      encodeRecord(7, entry(3)),
    );
    const decoded = decodeSpill(file);
    expect(decoded.records).toEqual([entry(1)]);
    expect(decoded.problem).toBeUndefined();
  });

  it('ends the list at a torn record and says where', () => {
    const second = encodeRecord(3, entry(2));
    const torn = Buffer.concat([second.subarray(0, 20), Buffer.alloc(second.length - 20)]);
    const decoded = decodeSpill(image(3, true, encodeRecord(3, entry(1)), torn));
    expect(decoded.records).toEqual([entry(1)]);
    expect(decoded.problem).toMatch(/record 2 at byte \d+ does not check/);
  });

  it('refuses a record that checks but is not a held entry', () => {
    const bogus = encodeRecord(3, { item: { type: 'device', at: -1, payload: {} }, heldAt: 1 } as never);
    expect(decodeSpill(image(3, true, bogus)).problem).toMatch(/record 1 at byte 32 is not a held entry/);
  });

  it('names what is wrong with a file that is not a spill', () => {
    expect(decodeSpill(Buffer.alloc(10)).problem).toMatch(/10 bytes, less than a header/);
    expect(decodeSpill(Buffer.alloc(100)).problem).toMatch(/no spill header/);
    const header = encodeHeader(1, true);
    header.writeUInt8(header.readUInt8(14) ^ 1, 14);
    expect(decodeSpill(header).problem).toMatch(/header does not check/);
  });
});

describe('held spill file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const path = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-spill-'));
    dirs.push(dir);
    return join(dir, 'gatewarden.db.held');
  };

  it('is made at its full size, owner-only, and keeps each record across a reopen until closed', () => {
    const file = path();
    const { spill, image: first } = HeldSpill.openFile(file, 8192);
    expect(first).toMatchObject({ open: false, records: [] });
    expect(statSync(file).size).toBe(8192);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect([spill.add(entry(1)), spill.add(entry(2))]).toEqual([true, true]);
    spill.release();

    const again = HeldSpill.openFile(file, 8192);
    expect(again.image).toMatchObject({ open: true, records: [entry(1), entry(2)] });
    again.spill.add(entry(3));
    again.spill.release();
    expect(decodeSpill(readFileSync(file)).records).toEqual([entry(1), entry(2), entry(3)]);

    const third = HeldSpill.openFile(file, 8192);
    third.spill.close();
    third.spill.add(entry(4)); // a new outage: the old records no longer count
    third.spill.release();
    expect(decodeSpill(readFileSync(file))).toMatchObject({ open: true, records: [entry(4)] });
  });

  it('says no to a record that does not fit, and writes nothing', () => {
    const file = path();
    const record = encodeRecord(1, entry(1)).length;
    const { spill } = HeldSpill.openFile(file, HEADER_BYTES + 2 * record + 10);
    expect([spill.add(entry(1)), spill.add(entry(2)), spill.add(entry(3))]).toEqual([true, true, false]);
    expect(spill.remaining).toBe(10);
    spill.release();
    expect(decodeSpill(readFileSync(file)).records).toEqual([entry(1), entry(2)]);
  });

  it('grows a file left short (a crash while it was made) to its size', () => {
    const file = path();
    HeldSpill.openFile(file, 8192).spill.release();
    truncateSync(file, 1000);
    const { spill } = HeldSpill.openFile(file, 8192);
    expect(spill.capacity).toBe(8192);
    spill.release();
  });

  it('opens a damaged file as empty and says so', () => {
    const file = path();
    writeFileSync(file, Buffer.alloc(4096, 0xab));
    const { spill, image } = HeldSpill.openFile(file, 4096);
    expect(image).toMatchObject({ records: [], problem: expect.stringMatching(/no spill header/) });
    expect(spill.add(entry(1))).toBe(true);
    spill.release();
    expect(decodeSpill(readFileSync(file)).records).toEqual([entry(1)]);
  });

  it('after a damaged header, the next outage does not take up the records an earlier one left', () => {
    const file = path();
    const first = HeldSpill.openFile(file, 8192).spill;
    first.add(entry(1));
    first.add(entry(2));
    first.release();
    const bytes = readFileSync(file);
    bytes[3] = (bytes[3] ?? 0) ^ 0xff; // the header's magic: unreadable
    writeFileSync(file, bytes);
    const { spill, image } = HeldSpill.openFile(file, 8192);
    expect(image.problem).toMatch(/no spill header/);
    spill.add(entry(1)); // the same size as the record it overwrites
    spill.release();
    expect(decodeSpill(readFileSync(file)).records).toEqual([entry(1)]);
  });

  it('an unusable path throws, and leaves no file behind', () => {
    expect(() => HeldSpill.openFile(join(path(), 'no-such-dir', 'x.held'), 4096)).toThrow(/ENOENT/);
  });
});
