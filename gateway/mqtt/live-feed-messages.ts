/**
 * Journal entries as stream messages of the local tree (passes, refusals, temperatures, alarms,
 * acknowledgements). Pure: the same entry always gives the same messages. Entries that only
 * change retained states (mode, fire, device) are the state fold's (live-feed-state.ts).
 */
import type { JournalEntry } from '../journal/events.js';
import type { AnyJournalEntry } from '../journal/journal.js';
import { ALARM_LABELS } from '../reports/labels.js';
import { type Message, REASON_MESSAGES, REASON_TITLES } from '../rules/reasons.js';
import type { Subject } from '../rules/types.js';
import type { LiveLayout } from './live-feed-layout.js';
import { alarmDetail, denyDetail } from './live-feed-privacy.js';
import {
  type AlarmMessage,
  type LiveSubject,
  type LocalMessage,
  type LocalTopics,
  localMessage,
  type PassMessage,
  type RefusalMessage,
} from './local-topics.js';

export interface StreamMapperOptions {
  topics: LocalTopics;
  layout: LiveLayout;
  /** Keyed pseudonym for registry ids (see live-feed-privacy.ts). */
  pseudonym: (id: string) => string;
}

/** The stream messages of one entry; [] for entry types without a stream. Throws only on a broken payload. */
export function streamMessages(entry: AnyJournalEntry, options: StreamMapperOptions): LocalMessage[] {
  const { topics, layout } = options;
  switch (entry.type) {
    case 'decision':
      return [decisionMessage(entry, options), ...decisionAlarms(entry, options)];
    case 'reading': {
      const { gateId, laneId, reading, source } = entry.payload;
      return [
        localMessage('temperature/+/+', topics.temperature(gateId, laneId), {
          seq: entry.seq,
          at: entry.at,
          gate: gateId,
          lane: laneId,
          celsius: reading.celsius,
          mask: reading.mask,
          fever: reading.celsius >= layout.feverThresholdC,
          // A configured device, or a reading handed in by hand: then no name of who took it.
          source: layout.devices.has(source) ? source : 'other',
          instrument: reading.instrument ?? 'camera',
          remeasure: reading.remeasure ?? null,
        }),
      ];
    }
    case 'alarm':
      return [localMessage('alarm', topics.alarm(), alarmMessage(entry, options))];
    case 'alarm_ack':
      return [
        localMessage('alarm/ack', topics.alarmAck(), {
          seq: entry.seq,
          at: entry.at,
          alarmSeq: entry.payload.alarmSeq,
        }),
      ];
    case 'mode':
    case 'fire':
    case 'device':
    case 'operator':
    case 'passage':
    case 'patrol':
    case 'duty':
    case 'purged':
    case 'retention':
      return [];
  }
}

function decisionMessage(entry: JournalEntry<'decision'>, options: StreamMapperOptions): LocalMessage {
  const { gateId, request, decision } = entry.payload;
  const base = {
    seq: entry.seq,
    at: entry.at,
    gate: gateId,
    lane: request.laneId,
    direction: decision.direction,
    subject: liveSubject(decision.subject, options.pseudonym),
    credential: request.credential?.kind ?? 'none',
    shift: request.shift,
  } as const;
  if (decision.allow) {
    const unlock = decision.actions.find((a) => a.type === 'unlock');
    const raise = decision.actions.some((a) => a.type === 'raise_barrier');
    const pass: PassMessage = {
      ...base,
      outcome: 'granted',
      grant: decision.reasons.find((r) => r.effect === 'grant')?.code ?? null,
      notices: decision.reasons.flatMap((r) => (r.effect === 'notice' ? [r.code] : [])),
      override: request.override !== undefined,
      release: unlock ? 'unlock' : raise ? 'barrier' : 'none',
      ...(unlock ? { unlockMs: unlock.durationMs } : {}),
    };
    return localMessage('pass/+/+', options.topics.pass(gateId, request.laneId), pass);
  }
  const reasons: RefusalMessage['reasons'] = decision.reasons.flatMap((r) => {
    if (r.effect !== 'deny') return [];
    const detail = denyDetail(r.detail);
    return [detail === undefined ? { code: r.code } : { code: r.code, detail }];
  });
  const first = reasons[0];
  if (first === undefined) throw new TypeError(`refused decision #${entry.seq} has no deny reason`);
  const refusal: RefusalMessage = {
    ...base,
    outcome: 'refused',
    reason: first.code,
    message: REASON_MESSAGES[first.code],
    reasons,
  };
  return localMessage('refusal/+/+', options.topics.refusal(gateId, request.laneId), refusal);
}

/**
 * The alarms a decision raises (FEVER, QUARANTINED, TEMPERATURE_REMEASURE …), on the alarm
 * stream like the gateway's own: one per alarm action, with the decision's seq, which is what an
 * acknowledgement names (see api/alarms.ts). The subject is the pass message's pseudonym.
 */
function decisionAlarms(entry: JournalEntry<'decision'>, options: StreamMapperOptions): LocalMessage[] {
  const { gateId, request, decision } = entry.payload;
  return decision.actions.flatMap((action) => {
    if (action.type !== 'alarm') return [];
    const message: AlarmMessage = {
      seq: entry.seq,
      at: entry.at,
      code: action.code,
      severity: action.severity,
      message: alarmTitle(action.code),
      detail: {},
      gate: gateId,
      lane: request.laneId,
    };
    if (decision.subject.kind !== 'unknown') message.subject = options.pseudonym(decision.subject.id);
    return [localMessage('alarm', options.topics.alarm(), message)];
  });
}

function alarmMessage(entry: JournalEntry<'alarm'>, options: StreamMapperOptions): AlarmMessage {
  const { code, severity, laneId, subjectId, detail } = entry.payload;
  const message: AlarmMessage = {
    seq: entry.seq,
    at: entry.at,
    code,
    severity,
    message: alarmTitle(code),
    detail: alarmDetail(detail, options.pseudonym),
  };
  const lane = laneId === undefined ? undefined : options.layout.lanes.get(laneId);
  if (lane !== undefined) message.gate = lane.gate;
  if (laneId !== undefined) message.lane = laneId;
  if (subjectId !== undefined) message.subject = options.pseudonym(subjectId);
  return message;
}

/** The title of an alarm code, which may be a gateway alarm, a deny or a notice code. */
export function alarmTitle(code: string): Message | null {
  return (
    (ALARM_LABELS as Readonly<Record<string, Message>>)[code] ??
    (REASON_TITLES as Readonly<Record<string, Message>>)[code] ??
    null
  );
}

export function liveSubject(subject: Subject, pseudonym: (id: string) => string): LiveSubject {
  switch (subject.kind) {
    case 'person': {
      const out: LiveSubject = { kind: 'person', personKind: subject.personKind, ref: pseudonym(subject.id) };
      if (subject.householdId !== undefined) out.household = pseudonym(subject.householdId);
      return out;
    }
    case 'vehicle':
      return { kind: 'vehicle', vehicleKind: subject.vehicleKind, ref: pseudonym(subject.id) };
    case 'unknown':
      return { kind: 'unknown' };
  }
}
