/**
 * Telemetry text prerendered at append time: the journal's `telemetry` column (journal.ts,
 * "Derived text") holds an entry's line, rendered by the same mapper and `toLine` as the sink,
 * so the sink's reader neither parses the payload nor maps nor renders (docs/performance.md:
 * those were three quarters of its time per entry).
 *
 * Contract of the column text: `<stamp><k>:<line>`.
 * - `line` is the entry's one point as `toLine` writes it without the `replayed` mark; `k` is
 *   where `replayed=true,` goes when the entry is sent as a replay (known only at send time).
 *   The renderer checks, for every entry, that inserting the mark at `k` gives exactly the line
 *   of the marked point; an entry for which it does not, an entry with other than one point,
 *   and a line that is not well-formed UTF-16 (SQLite would store U+FFFD for a lone surrogate)
 *   get no text.
 * - `stamp` fingerprints the renderer: the site id, the fever threshold, the pseudonym key (by
 *   one pseudonym) and what the fixed samples (prerender-samples.ts) render to. The reader uses
 *   text only under its own stamp, so text rendered under another configuration or by another
 *   version of the mapping is rendered again from the payload, as if it were not there.
 * So the sink's output for an entry is the same string whichever way it came (checked by
 * test/property/telemetry-prerender.test.ts).
 *
 * Privacy: the text is the point as sent, with subjects as keyed pseudonyms; it holds nothing
 * the payload does not (and less: no credential values).
 */
import { createHash } from 'node:crypto';
import type { AnyJournalEntry, TelemetryRenderer } from '../journal/journal.js';
import { toLine } from './line-protocol.js';
import type { PointMapper } from './points.js';
import { FINGERPRINT_SAMPLES } from './prerender-samples.js';

/** What a replayed point carries beyond the plain line: the field, and the separator after it. */
export const REPLAYED_MARK = 'replayed=true,';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const stamps = new WeakMap<PointMapper, string>();

/** The renderer's stamp: 12 hex digits and a `:`. Computed once per mapper. */
export function prerenderStamp(mapper: PointMapper): string {
  let stamp = stamps.get(mapper);
  if (stamp === undefined) {
    const { siteId, feverThresholdC, pseudonym } = mapper.options;
    const hash = createHash('sha256').update(
      JSON.stringify(['prerender 1', siteId, feverThresholdC, pseudonym('prerender stamp')]),
    );
    for (const sample of FINGERPRINT_SAMPLES) hash.update(`\n${prerenderLine(mapper, sample) ?? '-'}`);
    stamp = `${hash.digest('hex').slice(0, 12)}:`;
    stamps.set(mapper, stamp);
  }
  return stamp;
}

/** The journal's renderer (`journal.setTelemetryRenderer`) for what `mapper` sends. */
export function telemetryRenderer(mapper: PointMapper): TelemetryRenderer {
  const stamp = prerenderStamp(mapper);
  return (entry) => {
    const text = prerenderLine(mapper, entry);
    return text === undefined ? undefined : stamp + text;
  };
}

/** `<k>:<line>` of the entry, or undefined when it has none (see the contract above). */
export function prerenderLine(mapper: PointMapper, entry: AnyJournalEntry): string | undefined {
  const points = mapper.points(entry, false);
  const point = points[0];
  if (point === undefined || points.length !== 1) return undefined;
  const line = toLine(point);
  // Marked as `points(entry, true)` marks it; the point is ours to change.
  (point.fields as Record<string, unknown>).replayed = true;
  const marked = toLine(point);
  let k = 0;
  while (k < line.length && line.charCodeAt(k) === marked.charCodeAt(k)) k++;
  if (line.slice(0, k) + REPLAYED_MARK + line.slice(k) !== marked || LONE_SURROGATE.test(line))
    return undefined;
  return `${k}:${line}`;
}

/** The line to send from the column text whose `<k>:<line>` starts at `from` (after the stamp). */
export function lineFromPrerendered(text: string, from: number, replayed: boolean): string {
  const colon = text.indexOf(':', from);
  const start = colon + 1;
  if (!replayed) return text.slice(start);
  const k = start + Number(text.slice(from, colon));
  return text.slice(start, k) + REPLAYED_MARK + text.slice(k);
}
