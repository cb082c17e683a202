/**
 * High-rate samples (device health, occupancy) waiting to be sent: not journal entries (the
 * journal keeps every entry forever and chains them), so they can have a disk budget.
 *
 * Contract: `add` stores a sample durably; `oldest` / `remove` let the sink send and then drop
 * them, oldest first. When the stored samples exceed the budget, the oldest half is thinned
 * (every other one of them removed, so the history keeps its span at a lower resolution) until
 * they fit; every thinning is reported through `onThinned` with the count per class, never
 * silently. Passes, refusals, readings and alarms never come here.
 */
import type { Db } from '../db.js';
import type { FieldValue, TelemetryPoint } from './line-protocol.js';

export type SampleClass = 'device_health' | 'occupancy';

export interface StoredSample {
  id: number;
  point: TelemetryPoint;
}

export interface SampleOutboxOptions {
  budgetBytes: number;
  onThinned: (dropped: Partial<Record<SampleClass, number>>) => void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS telemetry_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    class TEXT NOT NULL,
    point TEXT NOT NULL,
    bytes INTEGER NOT NULL
  );
`;

/**
 * bigint (integer fields) does not survive JSON: stored as {"$i": "digits"}. NaN and ±Infinity
 * (which JSON would turn into null) are left out, as line protocol leaves them out.
 */
function encode(point: TelemetryPoint): string {
  return JSON.stringify(point, (_key, value: unknown) => {
    if (typeof value === 'bigint') return { $i: value.toString() };
    if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
    return value;
  });
}

function decode(text: string): TelemetryPoint {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && '$i' in value)
      return BigInt((value as { $i: string }).$i);
    return value as FieldValue;
  }) as TelemetryPoint;
}

export class SampleOutbox {
  private readonly insert;
  private readonly select;
  private readonly sizes;
  private bytes: number;

  constructor(
    private readonly db: Db,
    private readonly options: SampleOutboxOptions,
  ) {
    db.exec(SCHEMA);
    this.insert = db.prepare<[string, string, number]>(
      'INSERT INTO telemetry_outbox (class, point, bytes) VALUES (?, ?, ?)',
    );
    this.select = db.prepare<[number], { id: number; point: string }>(
      'SELECT id, point FROM telemetry_outbox ORDER BY id LIMIT ?',
    );
    this.sizes = db.prepare<[], { bytes: number | null; n: number }>(
      'SELECT sum(bytes) AS bytes, count(*) AS n FROM telemetry_outbox',
    );
    this.bytes = this.sizes.get()?.bytes ?? 0;
  }

  /** Stores samples in one transaction, then thins if the budget is exceeded. */
  add(samples: readonly { sampleClass: SampleClass; point: TelemetryPoint }[]): void {
    if (samples.length === 0) return;
    this.db.transaction(() => {
      for (const { sampleClass, point } of samples) {
        const text = encode(point);
        this.insert.run(sampleClass, text, text.length);
        this.bytes += text.length;
      }
    })();
    if (this.bytes > this.options.budgetBytes) this.thin();
  }

  oldest(limit: number): StoredSample[] {
    return this.select.all(limit).map((r) => ({ id: r.id, point: decode(r.point) }));
  }

  remove(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      const del = this.db.prepare<[number]>('DELETE FROM telemetry_outbox WHERE id = ?');
      for (const id of ids) del.run(id);
    })();
    this.bytes = this.sizes.get()?.bytes ?? 0;
  }

  /** Bytes and samples waiting. */
  size(): { bytes: number; samples: number } {
    const row = this.sizes.get();
    return { bytes: row?.bytes ?? 0, samples: row?.n ?? 0 };
  }

  private thin(): void {
    const dropped: Partial<Record<SampleClass, number>> = {};
    this.db.transaction(() => {
      while (this.bytes > this.options.budgetBytes) {
        const { n } = this.sizes.get() ?? { n: 0 };
        if (n === 0) break;
        // The oldest half, every other row; a single row left over budget is removed outright.
        const oldest = this.db
          .prepare<[number], { id: number; class: SampleClass; bytes: number }>(
            'SELECT id, class, bytes FROM telemetry_outbox ORDER BY id LIMIT ?',
          )
          .all(Math.max(1, Math.ceil(n / 2)));
        const victims = oldest.length === 1 ? oldest : oldest.filter((_, i) => i % 2 === 1);
        const del = this.db.prepare<[number]>('DELETE FROM telemetry_outbox WHERE id = ?');
        for (const v of victims) {
          del.run(v.id);
          this.bytes -= v.bytes;
          dropped[v.class] = (dropped[v.class] ?? 0) + 1;
        }
      }
    })();
    if (Object.keys(dropped).length > 0) this.options.onThinned(dropped);
  }
}
