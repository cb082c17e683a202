/**
 * The outbox of high-rate samples (gateway/telemetry/sample-outbox.ts): durable add / oldest /
 * remove, integer fields kept as bigints, and the disk budget: the oldest half thinned, every
 * other sample, until the samples fit, each thinning reported with the counts actually removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../gateway/db.js';
import { type TelemetryPoint, toLine } from '../../gateway/telemetry/line-protocol.js';
import { type SampleClass, SampleOutbox } from '../../gateway/telemetry/sample-outbox.js';

type Dropped = Partial<Record<SampleClass, number>>;

function health(i: number, extra: Partial<TelemetryPoint['fields']> = {}): TelemetryPoint {
  return {
    measurement: 'device_health',
    tags: { site: 'demo', device: `osdp-${i}` },
    fields: {
      online: i % 2 === 0,
      round_trip_ms: 12.25 + i,
      polls: 10_000_000_000_000_000_000n + BigInt(i),
      ...extra,
    },
    timestampNs: `1700000000000${String(i).padStart(6, '0')}`,
  };
}

/** Samples of one encoded size: same text length whatever `i` (below 1000). */
function fixed(i: number): TelemetryPoint {
  return {
    measurement: 'occupancy',
    tags: { site: 'demo' },
    fields: { out: BigInt(100 + (i % 900)) },
    timestampNs: `1700000000000${String(i).padStart(6, '0')}`,
  };
}

/** The bytes one sample takes in the budget, measured by an outbox of its own. */
function sizeOf(point: TelemetryPoint): number {
  const db = openDatabase(':memory:');
  try {
    const probe = new SampleOutbox(db, { budgetBytes: Number.MAX_SAFE_INTEGER, onThinned: () => {} });
    probe.add([{ sampleClass: 'occupancy', point }]);
    return probe.size().bytes;
  } finally {
    db.close();
  }
}

describe('SampleOutbox', () => {
  let db: Db;
  let thinned: Dropped[];

  beforeEach(() => {
    db = openDatabase(':memory:');
    thinned = [];
  });

  afterEach(() => {
    db.close();
  });

  function outbox(budgetBytes = 1_000_000): SampleOutbox {
    return new SampleOutbox(db, { budgetBytes, onThinned: (d) => thinned.push(d) });
  }

  it('gives back what was added, oldest first, bigints included, until removed', () => {
    const box = outbox();
    box.add([
      { sampleClass: 'device_health', point: health(1) },
      { sampleClass: 'device_health', point: health(2, { note: 'a "quoted" \\ 张' }) },
    ]);
    box.add([{ sampleClass: 'occupancy', point: fixed(3) }]);
    const all = box.oldest(10);
    expect(all.map((s) => s.point)).toEqual([health(1), health(2, { note: 'a "quoted" \\ 张' }), fixed(3)]);
    expect(typeof all[0]?.point.fields.polls).toBe('bigint');
    expect(all[0]?.point.fields.polls).toBe(10_000_000_000_000_000_001n);
    expect(all.map((s) => toLine(s.point))).toEqual(
      [health(1), health(2, { note: 'a "quoted" \\ 张' }), fixed(3)].map(toLine),
    );
    expect(all.map((s) => s.id)).toEqual([...all.map((s) => s.id)].sort((a, b) => a - b));
    expect(box.oldest(2).map((s) => s.id)).toEqual(all.slice(0, 2).map((s) => s.id));
    expect(box.size()).toEqual({
      bytes: sizeOf(health(1)) + sizeOf(health(2, { note: 'a "quoted" \\ 张' })) + sizeOf(fixed(3)),
      samples: 3,
    });

    box.remove([all[0]?.id ?? -1, all[2]?.id ?? -1]);
    expect(box.oldest(10).map((s) => s.point)).toEqual([health(2, { note: 'a "quoted" \\ 张' })]);
    expect(box.size()).toEqual({ bytes: sizeOf(health(2, { note: 'a "quoted" \\ 张' })), samples: 1 });
    box.remove([]);
    expect(box.size().samples).toBe(1);
    expect(thinned).toEqual([]);
  });

  it('an empty add does nothing', () => {
    const box = outbox(1);
    box.add([]);
    expect(box.size()).toEqual({ bytes: 0, samples: 0 });
    expect(thinned).toEqual([]);
  });

  it('a non-finite float, which toLine leaves out, still makes the same line after the round trip', () => {
    // A device's round trip time can be NaN or Infinity (no answer); JSON turns it into null.
    const point = health(4, { round_trip_ms: Number.NaN, jitter_ms: Number.POSITIVE_INFINITY });
    const box = outbox();
    box.add([{ sampleClass: 'device_health', point }]);
    const [stored] = box.oldest(1);
    expect(() => toLine(stored?.point as TelemetryPoint)).not.toThrow();
    expect(toLine(stored?.point as TelemetryPoint)).toBe(toLine(point));
  });

  it('thins every other sample of the oldest half, keeps the newest, and reports the counts per class', () => {
    const s = sizeOf(fixed(0));
    const box = outbox(10 * s);
    // Samples 1 to 3 are device health, the rest occupancy; same size each.
    for (let i = 1; i <= 10; i++)
      box.add([{ sampleClass: i <= 3 ? 'device_health' : 'occupancy', point: fixed(i) }]);
    expect(box.size()).toEqual({ bytes: 10 * s, samples: 10 });
    expect(thinned).toEqual([]);
    const ids = box.oldest(100).map((x) => x.id);

    box.add([{ sampleClass: 'occupancy', point: fixed(11) }]);
    // 11 samples: the oldest half is 6 (samples 1 to 6); every other one goes: 2, 4 and 6.
    expect(box.oldest(100).map((x) => x.point)).toEqual([1, 3, 5, 7, 8, 9, 10, 11].map(fixed));
    expect(box.size()).toEqual({ bytes: 8 * s, samples: 8 });
    expect(thinned).toEqual([{ device_health: 1, occupancy: 2 }]);
    expect(
      box
        .oldest(100)
        .map((x) => x.id)
        .slice(0, 7),
    ).toEqual([ids[0], ids[2], ids[4], ids[6], ids[7], ids[8], ids[9]]);
  });

  it('thins in as many rounds as it takes when one add is far over the budget', () => {
    const s = sizeOf(fixed(0));
    const box = outbox(4 * s);
    box.add(
      Array.from({ length: 20 }, (_, i) => ({ sampleClass: 'occupancy' as const, point: fixed(i + 1) })),
    );
    // 20 → 15 (2,4,…,10 gone) → 11 → 8 → 6 → 5 → 4: the newest samples stay.
    const left = box.oldest(100).map((x) => x.point);
    expect(box.size()).toEqual({ bytes: 4 * s, samples: 4 });
    expect(left.at(-1)).toEqual(fixed(20));
    expect(left.at(-2)).toEqual(fixed(19));
    expect(thinned).toEqual([{ occupancy: 16 }]);
  });

  it('removes a single sample larger than the whole budget', () => {
    const box = outbox(10);
    box.add([{ sampleClass: 'device_health', point: health(1) }]);
    expect(box.size()).toEqual({ bytes: 0, samples: 0 });
    expect(thinned).toEqual([{ device_health: 1 }]);
  });

  const op = fc.array(
    fc.record({ cls: fc.constantFrom<SampleClass>('device_health', 'occupancy'), pad: fc.nat({ max: 60 }) }),
    { minLength: 1, maxLength: 8 },
  );

  test.prop([fc.integer({ min: 150, max: 3000 }), fc.array(op, { minLength: 1, maxLength: 40 })])(
    'never holds more than the budget after add; reports exactly the samples it removed; keeps the newest',
    (budget, adds) => {
      const local = openDatabase(':memory:');
      const reports: Dropped[] = [];
      try {
        const box = new SampleOutbox(local, { budgetBytes: budget, onThinned: (d) => reports.push(d) });
        const classOf = new Map<string, SampleClass>();
        let n = 0;
        for (const batch of adds) {
          const before = new Set(box.oldest(100_000).map((x) => x.point.timestampNs));
          const added = batch.map(({ cls, pad }) => {
            const point: TelemetryPoint = {
              measurement: cls,
              tags: { site: 'demo', pad: 'x'.repeat(pad) },
              fields: { n: BigInt(n) },
              timestampNs: String(1_700_000_000_000_000_000n + BigInt(n++)),
            };
            classOf.set(point.timestampNs, cls);
            return { sampleClass: cls, point };
          });
          const reportsBefore = reports.length;
          box.add(added);
          const after = box.oldest(100_000).map((x) => x.point.timestampNs);
          const { bytes, samples } = box.size();
          expect(bytes).toBeLessThanOrEqual(budget);
          expect(samples).toBe(after.length);

          const removed: Dropped = {};
          const candidates = [...before, ...added.map((a) => a.point.timestampNs)];
          for (const ts of candidates)
            if (!after.includes(ts)) {
              const cls = classOf.get(ts) as SampleClass;
              removed[cls] = (removed[cls] ?? 0) + 1;
            }
          if (Object.keys(removed).length === 0) expect(reports.length).toBe(reportsBefore);
          else expect(reports.slice(reportsBefore)).toEqual([removed]);

          // The newest sample stays unless it alone is over the budget.
          const newest = added.at(-1);
          if (newest !== undefined && sizeOfText(newest.point) <= budget)
            expect(after.at(-1)).toBe(newest.point.timestampNs);
          // Order is kept.
          expect([...after].sort()).toEqual(after);
        }
      } finally {
        local.close();
      }
    },
  );

  describe('in a file database', () => {
    let dir: string;

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'gatewarden-outbox-'));
    });

    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps its samples, and their size against the budget, across a reopen', () => {
      const path = join(dir, 'gateway.db');
      const s = sizeOf(fixed(0));
      const budgetBytes = 4 * s + sizeOf(health(5));
      let file = openDatabase(path);
      const first = new SampleOutbox(file, { budgetBytes, onThinned: (d) => thinned.push(d) });
      first.add([1, 2, 3, 4].map((i) => ({ sampleClass: 'occupancy' as const, point: fixed(i) })));
      first.add([{ sampleClass: 'device_health', point: health(5) }]);
      const before = first.oldest(10);
      file.close();

      file = openDatabase(path);
      try {
        const reopened = new SampleOutbox(file, { budgetBytes, onThinned: (d) => thinned.push(d) });
        expect(reopened.oldest(10)).toEqual(before);
        expect(reopened.oldest(10).at(-1)?.point.fields.polls).toBe(10_000_000_000_000_000_005n);
        expect(reopened.size()).toEqual({ bytes: 4 * s + sizeOf(health(5)), samples: 5 });
        expect(thinned).toEqual([]);
        // The stored bytes count against the budget: one more sample thins.
        reopened.add([{ sampleClass: 'occupancy', point: fixed(6) }]);
        expect(thinned).toHaveLength(1);
        expect(reopened.size().bytes).toBeLessThanOrEqual(budgetBytes);
        expect(reopened.oldest(10).at(-1)?.point).toEqual(fixed(6));
      } finally {
        file.close();
      }
    });
  });
});

/** The budget size of one sample (its JSON text), as `sizeOf` measures it, without a database. */
function sizeOfText(point: TelemetryPoint): number {
  return JSON.stringify(point, (_k, v: unknown) => (typeof v === 'bigint' ? { $i: v.toString() } : v)).length;
}
