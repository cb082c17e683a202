import type { SiteMode } from '../domain/model.js';
import { isRefresh } from '../freshness/freshness.js';
import type { JournalEntry } from '../journal/events.js';
import { HOUSEHOLD_IDS, SUBJECT_IDS } from '../registry/dense-ids.js';
import type { DenyCode } from '../rules/reasons.js';
import type { GateRef, LaneContext, TemperatureReading } from '../rules/types.js';
import { DirectionTable, ExitTimes } from './indexed-state.js';
import { RecentTimes } from './recent-times.js';
import { type SiteStateSnapshot, STATE_SNAPSHOT_FORMAT } from './state-snapshot.js';

export interface SiteStateOptions {
  initialMode: SiteMode;
  temperatureWindowMs: number;
  escortWindowMs: number;
  /** How long household exits are remembered: at least the longest quota period. */
  exitMemoryMs: number;
  /** How long accepted QR code ids are remembered for replay detection. */
  codeMemoryMs: number;
  /**
   * `remeasure.withinMs` of the policy: how long a reading marked `required` stays pending and
   * counts for a credential. Default: the temperature window.
   */
  remeasureWithinMs?: number;
}

export interface LaneRef {
  gate: GateRef;
  lane: LaneContext['lane'];
}

export interface Outside {
  personId: string;
  householdId?: string;
  since: number;
  overdueAlarmed: boolean;
}

/** A failing credential means the presenter is not who the card says: not a valid escort. */
const CREDENTIAL_FAULTS: ReadonlySet<DenyCode> = new Set([
  'UNKNOWN_CREDENTIAL',
  'CREDENTIAL_EXPIRED',
  'CREDENTIAL_REVOKED',
  'IDCARD_INVALID',
  'INVALID_SIGNATURE',
  'REPLAYED_CODE',
]);

/**
 * The recent context the rules need, as a fold over journal entries. `apply` is the only way
 * state changes, live and on replay alike, so a restart rebuilds exactly what was there:
 * quotas are not forgotten and a card inside cannot pass back in.
 *
 * Contract: entries are applied in journal order (ascending seq), each exactly once.
 * Per-subject state (last direction, household exits) is kept by the process-wide dense
 * indices of registry/dense-ids.ts, the ones the registry snapshot links to each credential,
 * so it holds across snapshot reloads and the rules read it without hashing an id.
 */
export class SiteState {
  mode: SiteMode;
  fireActive = false;
  /**
   * The newest refresh of the registry, revocations or keys (freshness/freshness.ts `isRefresh`):
   * the `at` of the last such operator entry in journal order; undefined: none yet.
   */
  dataRefreshedAt: number | undefined;
  /** `detail.refreshedAt` of the last DATA_STALE alarm (0: raised while never refreshed). */
  staleAlarmedFor: number | undefined;
  /**
   * Set by the checkpoint, not folded from the journal: the journal cannot take appends and the
   * entries held in memory exceed their bound (held-entries.ts), so the lanes refuse.
   */
  journalUnavailable = false;
  private readonly temperatures = new Map<string, TemperatureReading[]>();
  /**
   * Per lane, the last reading marked `required` until a `taken` one or an allowed pass at the
   * lane ends it; kept apart from `temperatures` because that list forgets readings older than
   * the temperature window, and a high reading waits longer than that for its re-measure.
   */
  private readonly pendingRemeasures = new Map<string, TemperatureReading>();
  private readonly remeasureWithinMs: number;
  private readonly presentations = new Map<string, RecentTimes>();
  /** By subject index (SUBJECT_IDS), so the rules read it with the index the snapshot linked. */
  private readonly lastDirections = new DirectionTable();
  /** By household index (HOUSEHOLD_IDS). */
  private readonly householdExitTimes: ExitTimes;
  private readonly outside = new Map<string, Outside>();
  private readonly seenCodes: RecentTimes;
  private readonly contexts = new Map<string, LaneContext>();

  constructor(private readonly options: SiteStateOptions) {
    this.mode = options.initialMode;
    this.seenCodes = new RecentTimes(options.codeMemoryMs);
    this.householdExitTimes = new ExitTimes(options.exitMemoryMs);
    this.remeasureWithinMs = options.remeasureWithinMs ?? options.temperatureWindowMs;
  }

  apply(entry: JournalEntry): void {
    switch (entry.type) {
      case 'decision':
        this.applyDecision(entry as JournalEntry<'decision'>);
        break;
      case 'reading': {
        const { laneId, reading } = (entry as JournalEntry<'reading'>).payload;
        const list = this.temperatures.get(laneId) ?? [];
        list.push(reading);
        prune(list, reading.at - this.options.temperatureWindowMs, (r) => r.at);
        this.temperatures.set(laneId, list);
        if (reading.remeasure === 'required') this.pendingRemeasures.set(laneId, reading);
        else if (reading.remeasure === 'taken') this.pendingRemeasures.delete(laneId);
        break;
      }
      case 'mode':
        this.mode = (entry as JournalEntry<'mode'>).payload.to;
        break;
      case 'fire':
        this.fireActive = (entry as JournalEntry<'fire'>).payload.active;
        break;
      case 'passage': {
        const p = (entry as JournalEntry<'passage'>).payload;
        this.lastDirections.set(SUBJECT_IDS.indexOf(p.subjectId), p.direction, entry.at);
        // Passes made at another gateway of the site (mqtt/upstream/peers.ts): a return ends
        // the stay outside; a resident's exit counts toward the household quota.
        if (p.direction === 'in') this.outside.delete(p.subjectId);
        else if (p.householdId !== undefined)
          this.householdExitTimes.add(HOUSEHOLD_IDS.indexOf(p.householdId), entry.at);
        break;
      }
      case 'alarm': {
        const a = (entry as JournalEntry<'alarm'>).payload;
        const out =
          a.code === 'OVERDUE_RETURN' && a.subjectId !== undefined
            ? this.outside.get(a.subjectId)
            : undefined;
        if (out) out.overdueAlarmed = true;
        if (a.code === 'DATA_STALE' && typeof a.detail?.refreshedAt === 'number')
          this.staleAlarmedFor = a.detail.refreshedAt;
        break;
      }
      case 'operator': {
        const { action, operator } = (entry as JournalEntry<'operator'>).payload;
        if (isRefresh(action, operator)) this.dataRefreshedAt = entry.at;
        break;
      }
      case 'alarm_ack':
      case 'device':
        break;
    }
  }

  private applyDecision(entry: JournalEntry<'decision'>): void {
    const { request, decision } = entry.payload;
    const { subject, direction } = decision;
    const at = request.at;
    if (
      subject.kind === 'person' &&
      !decision.reasons.some((r) => r.effect === 'deny' && CREDENTIAL_FAULTS.has(r.code))
    ) {
      let lane = this.presentations.get(request.laneId);
      if (lane === undefined) {
        lane = new RecentTimes(this.options.escortWindowMs);
        this.presentations.set(request.laneId, lane);
      }
      lane.set(subject.id, at);
    }
    if (!decision.allow) return;
    // One reading admits one person: the next person at the lane needs a reading of their own.
    const readings = this.temperatures.get(request.laneId);
    if (readings) prune(readings, at + 1, (r) => r.at);
    const pending = this.pendingRemeasures.get(request.laneId);
    if (pending !== undefined && pending.at <= at) this.pendingRemeasures.delete(request.laneId);
    const codeId = request.credential?.codeId;
    if (codeId !== undefined) {
      this.seenCodes.set(codeId, at);
    }
    // A pass at a building's door neither enters nor leaves the community: whether the subject
    // is in or out (anti-passback), who is outside (overdue returns, occupancy) and household
    // exits (quota) are the perimeter's alone. The decision says so itself, so replay needs no layout.
    if (subject.kind === 'unknown' || decision.entrance !== undefined) return;
    this.lastDirections.set(SUBJECT_IDS.indexOf(subject.id), direction, at);
    if (subject.kind !== 'person') return;
    if (direction === 'in') {
      this.outside.delete(subject.id);
      return;
    }
    if (subject.personKind !== 'resident') return;
    const out: Outside = { personId: subject.id, since: at, overdueAlarmed: false };
    if (subject.householdId !== undefined) {
      out.householdId = subject.householdId;
      this.householdExitTimes.add(HOUSEHOLD_IDS.indexOf(subject.householdId), at);
    }
    this.outside.set(subject.id, out);
  }

  /** The folded state as data (state-snapshot.ts), by id. */
  snapshot(): SiteStateSnapshot {
    const subjectId = (i: number) => SUBJECT_IDS.idAt(i) as string;
    const householdId = (i: number) => HOUSEHOLD_IDS.idAt(i) as string;
    return {
      format: STATE_SNAPSHOT_FORMAT,
      mode: this.mode,
      fireActive: this.fireActive,
      dataRefreshedAt: this.dataRefreshedAt ?? null,
      staleAlarmedFor: this.staleAlarmedFor ?? null,
      temperatures: [...this.temperatures].map(([lane, list]) => [lane, [...list]]),
      pendingRemeasures: [...this.pendingRemeasures],
      presentations: [...this.presentations].map(([lane, times]) => [lane, times.snapshot()]),
      lastDirections: [...this.lastDirections.entries()].map(([i, d, at]) => [subjectId(i), d, at]),
      householdExits: [...this.householdExitTimes.entries()].map(([i, times]) => [
        householdId(i),
        [...times],
      ]),
      outside: [...this.outside.values()].map((o) => ({ ...o })),
      seenCodes: this.seenCodes.snapshot(),
    };
  }

  /** Becomes the state of `snapshot`; only on a fresh state, before any entry is applied. */
  restore(snapshot: SiteStateSnapshot): void {
    this.mode = snapshot.mode;
    this.fireActive = snapshot.fireActive;
    this.dataRefreshedAt = snapshot.dataRefreshedAt ?? undefined;
    this.staleAlarmedFor = snapshot.staleAlarmedFor ?? undefined;
    for (const [lane, list] of snapshot.temperatures) this.temperatures.set(lane, [...list]);
    for (const [lane, reading] of snapshot.pendingRemeasures) this.pendingRemeasures.set(lane, reading);
    for (const [lane, times] of snapshot.presentations) {
      const recent = new RecentTimes(this.options.escortWindowMs);
      recent.restore(times);
      this.presentations.set(lane, recent);
    }
    for (const [id, direction, at] of snapshot.lastDirections)
      this.lastDirections.set(SUBJECT_IDS.indexOf(id), direction, at);
    for (const [id, times] of snapshot.householdExits)
      this.householdExitTimes.restore(HOUSEHOLD_IDS.indexOf(id), times);
    for (const o of snapshot.outside) this.outside.set(o.personId, { ...o });
    this.seenCodes.restore(snapshot.seenCodes);
  }

  /** The rules' view of one lane. Cached per lane; every read reflects the current state. */
  contextFor(ref: LaneRef): LaneContext {
    const cached = this.contexts.get(ref.lane.id);
    if (cached) return cached;
    const state = this;
    const { temperatureWindowMs, escortWindowMs } = this.options;
    const remeasureWithinMs = this.remeasureWithinMs;
    const laneId = ref.lane.id;
    const ctx: LaneContext = {
      gate: ref.gate,
      lane: ref.lane,
      get fireAlarm() {
        return state.fireActive;
      },
      get dataRefreshedAt() {
        return state.dataRefreshedAt;
      },
      get journalUnavailable() {
        return state.journalUnavailable;
      },
      latestTemperature(at) {
        const list = state.temperatures.get(laneId);
        if (list !== undefined) {
          for (let i = list.length - 1; i >= 0; i--) {
            const r = list[i] as TemperatureReading;
            if (r.at > at || r.remeasure === 'waiting') continue;
            const window = r.remeasure === 'required' ? remeasureWithinMs : temperatureWindowMs;
            return at - r.at <= window ? r : undefined;
          }
        }
        // Later readings (those of the wait) may have pruned the high one from the list.
        const pending = state.pendingRemeasure(laneId, at);
        return pending !== undefined && pending.at <= at ? pending : undefined;
      },
      escortPresented(personIds, at) {
        const lane = state.presentations.get(laneId);
        if (!lane) return false;
        return personIds.some((id) => {
          const t = lane.get(id);
          return t !== undefined && t <= at && at - t <= escortWindowMs;
        });
      },
      lastDirection(subjectId, subjectIndex) {
        const index = subjectIndex ?? SUBJECT_IDS.find(subjectId);
        return index === undefined || index < 0 ? undefined : state.lastDirections.get(index);
      },
      householdExits(householdId, since, householdIndex) {
        const index = householdIndex ?? HOUSEHOLD_IDS.find(householdId);
        return index === undefined || index < 0 ? 0 : state.householdExitTimes.countSince(index, since);
      },
      codeSeen: (codeId, at) => state.seenCodes.seenWithinWindow(codeId, at),
    };
    this.contexts.set(laneId, ctx);
    return ctx;
  }

  /**
   * The reading marked `required` at this lane that still waits for its re-measure at `at`: not
   * followed by a `taken` reading or an allowed pass, and at most `remeasureWithinMs` before `at`.
   */
  pendingRemeasure(laneId: string, at: number): TemperatureReading | undefined {
    const pending = this.pendingRemeasures.get(laneId);
    return pending !== undefined && at - pending.at <= this.remeasureWithinMs ? pending : undefined;
  }

  /** Residents out longer than `returnWithinMs` whose overdue alarm has not been raised yet. */
  overdueReturns(now: number, returnWithinMs: number): Outside[] {
    const due: Outside[] = [];
    for (const o of this.outside.values())
      if (!o.overdueAlarmed && now - o.since > returnWithinMs) due.push(o);
    return due;
  }

  /** Who is out of the community now (residents let out and not yet back). */
  outsideNow(): readonly Outside[] {
    return [...this.outside.values()];
  }

  /** Drops remembered codes and presentations older than their windows; call from a timer. */
  prune(now: number): void {
    this.seenCodes.forgetOlderThanWindow(now);
    for (const lane of this.presentations.values()) lane.forgetOlderThanWindow(now);
  }
}

/** Removes leading elements older than `before` from a list sorted by time. */
function prune<T>(list: T[], before: number, time: (x: T) => number): void {
  let n = 0;
  while (n < list.length && time(list[n] as T) < before) n++;
  if (n > 0) list.splice(0, n);
}
