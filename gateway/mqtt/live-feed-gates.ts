/**
 * Each lane's gate as the gateway commanded it, for `gate/<gate>/<lane>/state`. Approximate by
 * design, from what the journal holds:
 * - A granted pass with an `unlock` action releases the lock for its duration; one that raises
 *   the barrier counts it up for the policy's unlock time (the real arm comes down when the
 *   vehicle has cleared the loop, which is not journaled).
 * - While the fire input is active every lane is open (every lock released, every barrier up).
 * - Door contacts are not journaled; only their alarms are. `alarm` is the lane's newest door or
 *   barrier alarm until it is acknowledged.
 * Neither the lock's nor the arm's own position is known here: `open` is what was commanded.
 */
import type { AlarmCode, JournalEntry } from '../journal/events.js';
import type { LiveLane, LiveLayout } from './live-feed-layout.js';
import type { GateStateMessage } from './local-topics.js';

/** Alarms about a lane's door or barrier, shown on the lane's state until acknowledged. */
const LANE_ALARM_CODES: ReadonlySet<string> = new Set<AlarmCode>([
  'DOOR_FORCED_OPEN',
  'DOOR_HELD_OPEN',
  'BARRIER_STUCK',
  'TAILGATING',
]);

interface LaneGate {
  lane: LiveLane;
  /** End of the release by a pass (epoch ms); null when none is pending. */
  releasedUntil: number | null;
  alarm: GateStateMessage['alarm'];
  lastPass: GateStateMessage['lastPass'];
}

export class GateStates {
  private readonly lanes = new Map<string, LaneGate>();

  constructor(private readonly layout: LiveLayout) {
    for (const lane of layout.lanes.values()) {
      this.lanes.set(lane.id, { lane, releasedUntil: null, alarm: null, lastPass: null });
    }
  }

  laneIds(): string[] {
    return [...this.lanes.keys()];
  }

  /** A decision at a configured lane; returns the lane, or undefined for a lane not configured. */
  decision(entry: JournalEntry<'decision'>, now: number): string | undefined {
    const { request, decision } = entry.payload;
    const gate = this.lanes.get(request.laneId);
    if (gate === undefined) return undefined;
    const deny = decision.reasons.find((r) => r.effect === 'deny');
    gate.lastPass = {
      seq: entry.seq,
      at: entry.at,
      outcome: decision.allow ? 'granted' : 'refused',
      reason: decision.allow
        ? (decision.reasons.find((r) => r.effect === 'grant')?.code ?? null)
        : (deny?.code ?? null),
    };
    if (decision.allow) {
      let until: number | undefined;
      for (const action of decision.actions) {
        if (action.type === 'unlock') until = entry.at + action.durationMs;
        else if (action.type === 'raise_barrier') until = entry.at + this.layout.unlockMs;
      }
      // A release that ended before now (an old entry, replayed) leaves the gate as it is.
      if (until !== undefined && until > now) gate.releasedUntil = Math.max(gate.releasedUntil ?? 0, until);
    }
    return gate.lane.id;
  }

  /** A door or barrier alarm at a configured lane; returns the lane when it changed. */
  alarm(entry: JournalEntry<'alarm'>): string | undefined {
    const { code, laneId } = entry.payload;
    if (laneId === undefined || !LANE_ALARM_CODES.has(code)) return undefined;
    const gate = this.lanes.get(laneId);
    if (gate === undefined) return undefined;
    gate.alarm = { seq: entry.seq, at: entry.at, code: code as AlarmCode };
    return laneId;
  }

  /** An acknowledgement; returns the lanes whose shown alarm it cleared. */
  acknowledged(alarmSeq: number): string[] {
    const cleared: string[] = [];
    for (const gate of this.lanes.values()) {
      if (gate.alarm?.seq !== alarmSeq) continue;
      gate.alarm = null;
      cleared.push(gate.lane.id);
    }
    return cleared;
  }

  /** Lanes whose release by a pass has ended by `now` (each returned once), now closed again. */
  expire(now: number): string[] {
    const ended: string[] = [];
    for (const gate of this.lanes.values()) {
      if (gate.releasedUntil === null || gate.releasedUntil > now) continue;
      gate.releasedUntil = null;
      ended.push(gate.lane.id);
    }
    return ended;
  }

  /** The earliest pending end of a release, for the timer that publishes it. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const gate of this.lanes.values()) {
      if (gate.releasedUntil !== null && (next === undefined || gate.releasedUntil < next))
        next = gate.releasedUntil;
    }
    return next;
  }

  message(laneId: string, now: number, fire: boolean, devicesDown: string[]): GateStateMessage | undefined {
    const gate = this.lanes.get(laneId);
    if (gate === undefined) return undefined;
    const { lane } = gate;
    const byPass = gate.releasedUntil !== null && gate.releasedUntil > now;
    const open = fire || byPass;
    return {
      at: now,
      gate: lane.gate,
      lane: lane.id,
      kind: lane.kind,
      direction: lane.direction,
      open,
      ...(lane.kind === 'pedestrian'
        ? { lock: open ? ('unlocked' as const) : ('locked' as const) }
        : { barrier: open ? ('up' as const) : ('down' as const) }),
      releasedBy: fire ? 'fire' : byPass ? 'pass' : null,
      releasedUntil: byPass ? gate.releasedUntil : null,
      fire,
      alarm: gate.alarm,
      lastPass: gate.lastPass,
      devicesDown,
    };
  }
}
