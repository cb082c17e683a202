import { GatewardenError } from '../errors.js';
import type { JournalEntry } from '../journal/events.js';
import type { Site } from '../site.js';

/** Alarms older than this are not "open" for the dashboard's list and the shift handover. */
export const OPEN_ALARM_HOURS = 24;

export interface AlarmView {
  /** The journal entry that raised it: an `alarm`, or a `decision` with an alarm action. */
  seq: number;
  at: number;
  code: string;
  severity: 'warning' | 'critical';
  laneId?: string;
  device?: string;
  /** The household an alarm concerns (a quarantined household's door): its registry id. */
  household?: string;
  acknowledged?: { by: string; at: number; note?: string };
}

/**
 * The alarms raised at or after `since`, newest first, with their acknowledgement: `alarm`
 * entries (devices, overdue returns, telemetry …) and decisions whose actions raise one
 * (FEVER, QUARANTINED, TEMPERATURE_REMEASURE …). A decision with two alarm actions is one
 * alarm per code, acknowledged together (the ack names the entry).
 *
 * Read through `Site.entriesIn`: during a journal outage an acknowledgement held by the
 * running gateway counts at once (the alarm leaves the open list; a second one is refused).
 * An alarm raised during the outage is listed once it is journaled: until then it has no seq
 * to acknowledge it by (the dashboard's outage banner counts the held entries).
 */
export function alarmsSince(site: Site, since: number, until = Number.MAX_SAFE_INTEGER): AlarmView[] {
  const alarms: AlarmView[] = [];
  const acks = new Map<number, NonNullable<AlarmView['acknowledged']>>();
  const entries = site.entriesIn({
    fromAt: since,
    toAt: until,
    types: ['alarm', 'alarm_ack', 'decision'],
  });
  for (const entry of entries) {
    if (entry.type === 'alarm_ack') {
      const { alarmSeq, operator, note } = (entry as JournalEntry<'alarm_ack'>).payload;
      if (!acks.has(alarmSeq)) acks.set(alarmSeq, { by: operator, at: entry.at, ...(note ? { note } : {}) });
    } else if (entry.seq > 0) {
      alarms.push(...alarmsOf(entry));
    }
  }
  for (const a of alarms) {
    const ack = acks.get(a.seq);
    if (ack !== undefined) a.acknowledged = ack;
  }
  return alarms.sort((a, b) => b.seq - a.seq);
}

/** The alarms one journal entry raises (none for most). */
export function alarmsOf(entry: JournalEntry): AlarmView[] {
  if (entry.type === 'alarm') {
    const p = (entry as JournalEntry<'alarm'>).payload;
    const view: AlarmView = { seq: entry.seq, at: entry.at, code: p.code, severity: p.severity };
    if (p.laneId !== undefined) view.laneId = p.laneId;
    const device = p.detail?.device;
    if (typeof device === 'string') view.device = device;
    const household = p.detail?.household;
    if (typeof household === 'string') view.household = household;
    return [view];
  }
  if (entry.type === 'decision') {
    const { request, decision } = (entry as JournalEntry<'decision'>).payload;
    return decision.actions.flatMap((a) =>
      a.type === 'alarm'
        ? [{ seq: entry.seq, at: entry.at, code: a.code, severity: a.severity, laneId: request.laneId }]
        : [],
    );
  }
  return [];
}

/** Alarms of the last OPEN_ALARM_HOURS that nobody acknowledged, newest first. */
export function openAlarms(site: Site): AlarmView[] {
  return alarmsSince(site, site.now() - OPEN_ALARM_HOURS * 3600_000).filter(
    (a) => a.acknowledged === undefined,
  );
}

/**
 * Journals `operator`'s acknowledgement of the alarm raised by entry `seq`, with the shift.
 * Throws `REGISTRY_NOT_FOUND` when the entry raised no alarm and `REQUEST_INVALID` when it was
 * acknowledged already (naming who did), with `field` as the problem's field.
 */
export function acknowledgeAlarm(
  site: Site,
  seq: number,
  operator: string,
  options: { note?: string | undefined; field?: string } = {},
): JournalEntry<'alarm_ack'> {
  const field = options.field ?? 'params.seq';
  const entry = site.journal.get(seq);
  if (entry === undefined || alarmsOf(entry).length === 0)
    throw new GatewardenError('REGISTRY_NOT_FOUND', `journal entry #${seq} is not an alarm`, {
      problems: [{ field, message: `no alarm with seq ${seq}` }],
    });
  const earlier = alarmsSince(site, entry.at).find((a) => a.seq === seq)?.acknowledged;
  if (earlier !== undefined)
    throw new GatewardenError('REQUEST_INVALID', `alarm #${seq} was acknowledged by ${earlier.by}`, {
      problems: [{ field, message: `alarm ${seq} is already acknowledged` }],
    });
  const note = options.note;
  return site.record('alarm_ack', site.now(), {
    alarmSeq: seq,
    operator,
    shift: site.shiftNow(),
    ...(note ? { note } : {}),
  });
}
