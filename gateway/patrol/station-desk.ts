import type { StationConfig } from '../../config/stations-schema.js';
import type { JournalEntry } from '../journal/events.js';
import type { Logger } from '../logging.js';
import type { Message } from '../rules/reasons.js';
import type { Decision, PresentedCredential } from '../rules/types.js';
import type { Site } from '../site.js';
import { shiftAt, shiftDate } from '../util/site-time.js';
import { guardCard } from './guard-card.js';

export type PatrolTapListener = (entry: JournalEntry<'patrol'>) => void;

const PATROL_RECORDED: Message = { zh: '巡更打卡', en: 'Patrol recorded' };
const ON_DUTY: Message = { zh: '已上岗', en: 'On duty' };
const NOT_A_GUARD: Message = { zh: '非值班人员卡', en: 'Not a guard’s card' };

/**
 * Where a credential read at a station (a reader whose `lane` names a station, not a lane) goes
 * instead of the pass rules. A tap there opens nothing and is no pass: it makes no `decision`
 * entry, so pass counts, occupancy, anti-passback, telemetry passes and the live pass feed never
 * see it.
 * - patrol station: every tap is journaled as `patrol`, `accepted` when the card is a guard's
 *   (guard-card.ts); listeners (the patrol watch) hear of it after the append.
 * - duty station: a guard's card logs them in to the duty shift on now (`duty` login); any other
 *   card is journaled nowhere and logged as a warning, without the card or its holder.
 *
 * Contract with the reader (LanePort.present): the entry is durable before the returned
 * Decision is; a journal failure throws, and the reader then indicates nothing done.
 */
export class StationDesk {
  private readonly stations: ReadonlyMap<string, StationConfig>;
  private readonly listeners: PatrolTapListener[] = [];

  constructor(
    private readonly site: Site,
    stations: readonly StationConfig[],
    private readonly log: Logger,
  ) {
    this.stations = new Map(stations.map((s) => [s.id, s]));
  }

  /** True when `laneId` names a station rather than a lane. */
  has(laneId: string): boolean {
    return this.stations.has(laneId);
  }

  /** Hears every patrol tap after it was journaled; returns the remover. A throwing listener is logged. */
  onPatrol(listener: PatrolTapListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** A credential read at station `stationId` by device `source`. Throws for an unknown station. */
  tap(stationId: string, credential: PresentedCredential, source: string): Decision {
    const station = this.stations.get(stationId);
    if (station === undefined) throw new Error(`no station "${stationId}"`);
    const at = this.site.now();
    const card = guardCard(this.site.registrySnapshot(), credential, at);
    const context = { station: stationId, device: source, credentialKind: credential.kind };
    if (station.purpose === 'patrol') {
      const payload: JournalEntry<'patrol'>['payload'] = {
        stationId,
        credentialKind: credential.kind,
        accepted: card.guard !== undefined,
      };
      if (card.guard !== undefined) payload.guardId = card.guard.id;
      const entry = this.site.record('patrol', at, payload);
      if (card.refused !== undefined)
        this.log.warn({ ...context, reason: card.refused }, 'patrol tap refused');
      this.notify(entry);
      return card.guard === undefined ? refused(credential) : accepted(card.guard.id, PATROL_RECORDED);
    }
    if (card.guard === undefined) {
      this.log.warn({ ...context, reason: card.refused }, 'duty log-in refused: not a guard’s card');
      return refused(credential);
    }
    const tz = this.site.config.site.timezone;
    this.site.record('duty', at, {
      action: 'login',
      guard: card.guard.id,
      via: 'card',
      shift: shiftAt(at, tz),
      date: shiftDate(at, tz),
    });
    return accepted(card.guard.id, ON_DUTY);
  }

  private notify(entry: JournalEntry<'patrol'>): void {
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch (err) {
        this.log.error({ err, seq: entry.seq }, 'patrol tap listener failed');
      }
    }
  }
}

/**
 * An accepted tap: `allow` true with the STAFF grant, and no unlock or raise action. Every
 * reader colours its LED by `allow` (the OSDP door adapter turns red on `allow: false` whatever
 * the indicate action says), so an accepted tap must allow to show green; nothing opens,
 * because devices release a lock or an arm only on an `unlock` or `raise_barrier` action, and a
 * station tap is handed to no other device of a lane.
 */
function accepted(guardId: string, text: Message): Decision {
  return {
    allow: true,
    reasons: [{ effect: 'grant', code: 'STAFF' }],
    subject: { kind: 'person', id: guardId, personKind: 'staff' },
    direction: 'in',
    actions: [{ type: 'indicate', led: 'green', buzzer: 'short', text }],
  };
}

/** A refused tap: the deny every refusal carries (UNKNOWN_CREDENTIAL: not a guard's card here). */
function refused(credential: PresentedCredential): Decision {
  return {
    allow: false,
    reasons: [{ effect: 'deny', code: 'UNKNOWN_CREDENTIAL', detail: { kind: credential.kind } }],
    subject: { kind: 'unknown' },
    direction: 'in',
    actions: [{ type: 'indicate', led: 'red', buzzer: 'long', text: NOT_A_GUARD }],
  };
}
