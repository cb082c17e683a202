/**
 * Journal entries as InfluxDB points: the telemetry schema (documented in docs/telemetry.md,
 * which is checked against `MEASUREMENTS` by a test). Pure: the same entry always gives the
 * same points, which is what makes a replay land as exactly-once data.
 *
 * Identity of a point: measurement, tags and timestamp. The timestamp is the event's ms with
 * the entry's seq (mod 10^6) in the sub-millisecond digits, so two entries never share one
 * (even in the same ms and lane) and a re-sent entry overwrites itself. Everything that may
 * change between two sends of the same entry (`replayed`) is a field, never a tag.
 *
 * Privacy: no name and no ID number is in a journal payload, and none reaches a point; where a
 * point links events of one subject (person, vehicle, household) it carries a keyed pseudonym
 * (`pseudonym`), not the registry id.
 */
import type { JournalEntry, JournalEventType } from '../journal/events.js';
import type { AnyJournalEntry } from '../journal/journal.js';
import type { Decision, Reason } from '../rules/types.js';
import { entryTimestampNs, type FieldValue, type TelemetryPoint } from './line-protocol.js';

export const MEASUREMENTS = [
  'pass',
  'temperature',
  'alarm',
  'alarm_ack',
  'mode',
  'fire',
  'device',
  'operator_action',
  'passage',
  'device_health',
  'occupancy',
] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

/** Entry types sent before the others after an outage: passes, refusals, alarms and the like. */
export const PRIORITY_TYPES = [
  'decision',
  'alarm',
  'alarm_ack',
  'mode',
  'fire',
  'device',
  'operator',
  'passage',
] as const satisfies readonly JournalEventType[];
/** Bulk entry types, sent once the priority ones are through. */
export const BULK_TYPES = ['reading'] as const satisfies readonly JournalEventType[];

export interface PointMapperOptions {
  siteId: string;
  feverThresholdC: number;
  /** Keyed, stable pseudonym of a registry id (person, vehicle, household). */
  pseudonym: (id: string) => string;
}

/** Alarm detail keys that hold registry ids: sent as pseudonyms. */
const ID_DETAIL_KEYS = new Set(['household', 'person', 'subject', 'vehicle']);

/** A point being built: its fields still take `seq` and `replayed`. */
interface Draft {
  measurement: Measurement;
  tags: Record<string, string | undefined>;
  fields: Record<string, FieldValue | undefined>;
}

export class PointMapper {
  /** Read by the prerendered column's fingerprint (prerender.ts): the output depends on them. */
  constructor(readonly options: PointMapperOptions) {}

  /**
   * The points of one entry; `replayed` marks an entry sent after an outage or a restart.
   * Throws only on a payload that breaks the journal's own types (a bug, dead-lettered).
   */
  points(entry: AnyJournalEntry, replayed: boolean): TelemetryPoint[] {
    const point = this.point(entry);
    if (point === undefined) return [];
    point.fields.seq = BigInt(entry.seq);
    if (replayed) point.fields.replayed = true;
    return [
      {
        measurement: point.measurement,
        tags: point.tags,
        fields: point.fields,
        timestampNs: entryTimestampNs(entry.at, entry.seq),
      },
    ];
  }

  private point(entry: AnyJournalEntry): Draft | undefined {
    const site = this.options.siteId;
    switch (entry.type) {
      case 'decision':
        return this.pass(entry);
      case 'reading': {
        const { gateId, laneId, reading, source } = entry.payload;
        return {
          measurement: 'temperature',
          tags: {
            site,
            gate: gateId,
            lane: laneId,
            source,
            mask: reading.mask === null ? 'unknown' : reading.mask ? 'yes' : 'no',
            fever: String(reading.celsius >= this.options.feverThresholdC),
            // Both from the journaled reading (the mark is never judged again), so a re-sent
            // entry keeps its tag set. An entry from before the fields: a camera, no mark.
            instrument: reading.instrument ?? 'camera',
            remeasure: reading.remeasure ?? 'none',
          },
          fields: { celsius: reading.celsius },
        };
      }
      case 'alarm': {
        const { code, severity, laneId, subjectId, detail } = entry.payload;
        const fields: Record<string, FieldValue | undefined> = {};
        for (const [key, value] of Object.entries(detail ?? {})) {
          const pseudonymous = ID_DETAIL_KEYS.has(key) && typeof value === 'string';
          fields[`detail_${key}`] = pseudonymous ? this.options.pseudonym(value) : value;
        }
        if (subjectId !== undefined) fields.subject = this.options.pseudonym(subjectId);
        return { measurement: 'alarm', tags: { site, code, severity, lane: laneId }, fields };
      }
      case 'alarm_ack':
        return {
          measurement: 'alarm_ack',
          tags: { site },
          fields: { alarm_seq: BigInt(entry.payload.alarmSeq), operator: entry.payload.operator },
        };
      case 'mode': {
        const { from, to, operator, reason } = entry.payload;
        return { measurement: 'mode', tags: { site, from, to }, fields: { operator, reason } };
      }
      case 'fire':
        return {
          measurement: 'fire',
          tags: { site },
          fields: { active: entry.payload.active, source: entry.payload.source },
        };
      case 'device': {
        const { deviceId, laneId, state, detail } = entry.payload;
        return {
          measurement: 'device',
          tags: { site, device: deviceId, lane: laneId, state },
          fields: { online: state === 'online', detail },
        };
      }
      case 'operator': {
        // The detail stays out: it may name what the operator registered.
        const { action, operator, shift } = entry.payload;
        return { measurement: 'operator_action', tags: { site, action, shift }, fields: { operator } };
      }
      case 'passage': {
        const { subjectId, direction, laneId } = entry.payload;
        return {
          measurement: 'passage',
          tags: { site, lane: laneId, direction },
          fields: { subject: this.options.pseudonym(subjectId) },
        };
      }
    }
  }

  private pass(entry: JournalEntry<'decision'>): Draft {
    const { gateId, request, decision, latencyUs } = entry.payload;
    const deny = decision.reasons.filter((r) => r.effect === 'deny');
    const main = decision.allow ? decision.reasons.find((r) => r.effect === 'grant') : deny[0];
    const fields: Record<string, FieldValue | undefined> = {
      reasons: decision.reasons.map((r) => r.code).join(','),
      decide_us: latencyUs,
      temperature_c: feverCelsius(deny),
    };
    const subject = subjectId(decision);
    if (subject !== undefined) fields.subject = this.options.pseudonym(subject);
    if (request.override !== undefined) fields.override = true;
    return {
      measurement: 'pass',
      tags: {
        site: this.options.siteId,
        gate: gateId,
        lane: request.laneId,
        direction: decision.direction,
        outcome: decision.allow ? 'granted' : 'refused',
        reason: main?.code ?? 'NONE',
        subject_kind: subjectKind(decision),
        credential: request.credential?.kind ?? 'none',
        shift: request.shift,
      },
      fields,
    };
  }
}

function subjectId(decision: Decision): string | undefined {
  return decision.subject.kind === 'unknown' ? undefined : decision.subject.id;
}

function subjectKind(decision: Decision): string {
  const s = decision.subject;
  if (s.kind === 'person') return s.personKind;
  if (s.kind === 'vehicle') return `vehicle-${s.vehicleKind}`;
  return 'unknown';
}

function feverCelsius(deny: readonly Reason[]): number | undefined {
  for (const r of deny) {
    const celsius = r.effect === 'deny' ? r.detail?.celsius : undefined;
    if (typeof celsius === 'number') return celsius;
  }
  return undefined;
}
