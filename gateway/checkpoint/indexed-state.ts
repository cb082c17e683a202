import type { Direction } from '../domain/model.js';

/**
 * Per-subject and per-household state kept by dense index (registry/dense-ids.ts) rather than
 * in string-keyed maps: at a million persons a lookup by id in a map costs several cache
 * misses per decision, a typed array one at most. Both tables answer "nothing known" for an
 * index they have never stored, so they can be read with any index the ids table gave out.
 */

const UNKNOWN = 0;
const IN = 1;
const OUT = 2;

/**
 * The last direction each subject passed in, and when: one byte and one double per subject.
 * A pass older than the one kept does not overwrite it: passes made at another gateway of the
 * site arrive late after the two were cut off from each other, and the newest pass is the one
 * that says where the subject is.
 */
export class DirectionTable {
  private codes = new Int8Array(1024);
  private times = new Float64Array(1024).fill(Number.NEGATIVE_INFINITY);

  get(index: number): Direction | undefined {
    const code = index < this.codes.length ? this.codes[index] : UNKNOWN;
    return code === IN ? 'in' : code === OUT ? 'out' : undefined;
  }

  /** Every index with a direction, and its time. */
  *entries(): Generator<[index: number, direction: Direction, at: number]> {
    for (let i = 0; i < this.codes.length; i++) {
      const code = this.codes[i];
      if (code !== UNKNOWN) yield [i, code === IN ? 'in' : 'out', this.times[i] as number];
    }
  }

  set(index: number, direction: Direction, at: number): void {
    if (index >= this.codes.length) {
      const size = Math.max(2 * this.codes.length, index + 1);
      const codes = new Int8Array(size);
      codes.set(this.codes);
      this.codes = codes;
      const times = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
      times.set(this.times);
      this.times = times;
    }
    if (at < (this.times[index] as number)) return;
    this.codes[index] = direction === 'in' ? IN : OUT;
    this.times[index] = at;
  }
}

/**
 * Times residents of each household were let out, in journal order; on each add, leading
 * entries older than `memoryMs` before the added time are forgotten. `latest` holds each
 * household's most recent exit, so a household with none since the asked instant, the usual
 * case, is answered without touching its list.
 */
export class ExitTimes {
  private latest = new Float64Array(1024).fill(Number.NEGATIVE_INFINITY);
  /** Kept packed (never holey) so that V8 keeps fast elements at any size. */
  private readonly lists: (number[] | undefined)[] = [];

  constructor(private readonly memoryMs: number) {}

  /** How many exits at or after `since`. */
  countSince(index: number, since: number): number {
    if (index >= this.latest.length || (this.latest[index] as number) < since) return 0;
    const list = this.lists[index];
    if (list === undefined) return 0;
    let n = 0;
    for (const t of list) if (t >= since) n++;
    return n;
  }

  /** Every index with the exit times it remembers (oldest first). */
  *entries(): Generator<[index: number, times: readonly number[]]> {
    for (const [i, list] of this.lists.entries()) if (list !== undefined && list.length > 0) yield [i, list];
  }

  /** Sets an index's remembered times, as `add` left them (oldest first; the newest is the latest). */
  restore(index: number, times: readonly number[]): void {
    for (const at of times) this.add(index, at);
  }

  add(index: number, at: number): void {
    if (index >= this.latest.length) {
      const grown = new Float64Array(Math.max(2 * this.latest.length, index + 1));
      grown.fill(Number.NEGATIVE_INFINITY, this.latest.length);
      grown.set(this.latest);
      this.latest = grown;
    }
    while (this.lists.length <= index) this.lists.push(undefined);
    let list = this.lists[index];
    if (list === undefined) {
      list = [];
      this.lists[index] = list;
    }
    list.push(at);
    let old = 0;
    while (old < list.length && (list[old] as number) < at - this.memoryMs) old++;
    if (old > 0) list.splice(0, old);
    // Only entries older than `at` are forgotten, so the newest is never among them.
    this.latest[index] = Math.max(this.latest[index] as number, at);
  }
}
