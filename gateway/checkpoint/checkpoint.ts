import type { SiteMode } from '../domain/model.js';
import { GatewardenError } from '../errors.js';
import type { JournalEntry } from '../journal/events.js';
import type { AppendItem } from '../journal/journal.js';
import { normaliseCredentialValue } from '../registry/credential-value.js';
import { decide } from '../rules/decide.js';
import type { Decision, PassRequest, TemperatureReading } from '../rules/types.js';
import { shiftAt } from '../util/site-time.js';
import type { CheckpointOptions, IncomingRequest, Passed, StartResult } from './checkpoint-types.js';
import {
  DEFAULT_HELD_POLICY,
  HeldEntries,
  type HeldLoss,
  type HeldStatus,
  type OutageEvent,
  unjournaled,
} from './held-entries.js';
import { remeasureMark, withRemeasureMark } from './remeasure.js';
import { gateRef } from './site-layout.js';
import { type LaneRef, SiteState, type SiteStateOptions } from './site-state.js';
import { foldFingerprint, SnapshotSchedule, SnapshotStore } from './snapshot-store.js';
import { openSpill } from './spill-recovery.js';

export type { CheckpointOptions, IncomingRequest, Passed, StartResult } from './checkpoint-types.js';
export type { SiteLayout } from './site-layout.js';

/**
 * The site's checkpoint: decides every pass against the registry and the recent context, and
 * journals it before anyone acts on it. State is a fold over the journal (see SiteState), so
 * `start()` after a crash or restart rebuilds it exactly.
 *
 * Contract for callers: actuate (unlock, raise) only from the returned decision, i.e. after
 * the journal append has committed — or, while the data directory is full, after the entry was
 * held in its place, in memory and flushed to the spill when `start` opened one (`Passed.journal`,
 * held-entries.ts, docs/journal.md "Disk full").
 * An append that fails otherwise throws, and nothing may be actuated.
 */
export class Checkpoint {
  private readonly lanes = new Map<string, LaneRef>();
  private readonly state: SiteState;
  private readonly held: HeldEntries;
  /** The last journal seq folded into the state, and that entry's hash. */
  private applied = 0;
  private appliedHash = '';
  private readonly snapshots: SnapshotSchedule | undefined;

  constructor(private readonly options: CheckpointOptions) {
    for (const [i, gate] of options.layout.gates.entries()) {
      const ref = gateRef(gate, i);
      for (const lane of gate.lanes) this.lanes.set(lane.id, { gate: ref, lane: { ...lane } });
    }
    const policy = options.policy(options.initialMode);
    const fold: SiteStateOptions = {
      initialMode: options.initialMode,
      temperatureWindowMs: policy.temperatureWindowMs,
      escortWindowMs: policy.escortWindowMs,
      exitMemoryMs: Math.max(policy.householdQuota.periodMs, 7 * 24 * 3600_000),
      codeMemoryMs: 10 * 60_000,
      remeasureWithinMs: policy.remeasure?.withinMs,
    };
    this.state = new SiteState(fold);
    if (options.snapshots !== undefined && !options.dryRun) {
      const { db, key, every, quietMs } = options.snapshots;
      const store = new SnapshotStore(db, key, foldFingerprint({ ...fold }));
      this.snapshots = new SnapshotSchedule(store, { every, quietMs });
    }
    this.held = new HeldEntries({
      journal: options.journal,
      policy: options.journalOutage ?? DEFAULT_HELD_POLICY,
      hold: options.journalOutage !== undefined,
      onHold: (entry) => this.takeIn(entry),
      now: options.now,
    });
  }

  /**
   * Rebuilds the state: from the last snapshot that still holds and the entries after it, or
   * from the whole journal. `spillFile`: the running gateway's held-entries spill (held-spill.ts),
   * whose entries a crash left are landed first, or held again and folded last.
   */
  start(options: { spillFile?: string } = {}): StartResult {
    const { spillFile } = options;
    const policy = this.options.journalOutage ?? DEFAULT_HELD_POLICY;
    const spill =
      spillFile === undefined || this.options.dryRun
        ? undefined
        : openSpill(spillFile, policy, this.options.journal, this.held);
    const result = this.rebuild();
    for (const { item } of spill?.fold ?? []) this.takeIn(unjournaled(item));
    return spill === undefined ? result : { ...result, spill: spill.start };
  }

  private rebuild(): StartResult {
    const loaded = this.snapshots?.store.load();
    if (loaded !== undefined && 'found' in loaded) {
      this.state.restore(loaded.found.state);
      this.applied = loaded.found.seq;
      this.snapshots?.saved(loaded.found.seq);
      this.options.onRestore?.(loaded.found.seq);
      return { replayed: this.catchUp(), fromSnapshot: loaded.found.seq };
    }
    const replayed = this.catchUp();
    return loaded !== undefined && 'ignored' in loaded
      ? { replayed, snapshotIgnored: loaded.ignored }
      : { replayed };
  }

  /**
   * Saves a snapshot of the state when `every` entries came since the last and the journal has
   * been quiet for `quietMs` (saving serialises the whole state: ~100 ms at 20,000 persons, a
   * pause a person at a lane should not wait through), or when five times `every` came whatever
   * the traffic; with `force`, when any came (at a clean stop). Never while entries are held or
   * landing (the state would hold entries the journal has not, or not yet at their seq). Call
   * from a timer, not from a decision. Returns whether it saved.
   */
  saveSnapshot(force = false): boolean {
    const snapshots = this.snapshots;
    if (snapshots === undefined) return false;
    this.catchUp();
    if (!this.held.settled || !snapshots.due(this.applied, this.options.now(), force)) return false;
    snapshots.store.save(this.applied, this.appliedHash, this.state.snapshot(), this.options.now());
    snapshots.saved(this.applied);
    return true;
  }

  /**
   * Folds in journal entries appended since the last call, by this process or another one (a
   * CLI switching the mode, importing the registry). Entries are applied strictly in seq order.
   */
  catchUp(): number {
    // Held entries land first when the retry is due; folded when held, so skipped below.
    if (!this.options.dryRun) this.held.flush();
    // Asked before every decision: most often nothing is new, and knowing costs no read.
    if (this.options.journal.lastSeq() <= this.applied) return 0;
    let n = 0;
    for (const entry of this.options.journal.iterate(this.applied)) {
      this.fold(entry);
      n++;
    }
    if (n > 0) this.snapshots?.folded(this.options.now());
    return n;
  }

  private fold(entry: JournalEntry): void {
    // A held entry was taken in (state and onEntry) when it was held, not again when it lands.
    if (!this.held.takeLanded(entry.seq)) this.takeIn(entry);
    this.applied = entry.seq;
    this.appliedHash = entry.hash;
  }

  private takeIn(entry: JournalEntry): void {
    this.state.apply(entry);
    this.options.onEntry?.(entry);
  }

  get mode(): SiteMode {
    return this.state.mode;
  }

  /** Called on each change of the journal outage (held-entries.ts): log it, count it. */
  onJournalOutage(listener: (event: OutageEvent) => void): void {
    this.held.onEvent(listener);
  }

  /**
   * Call once at a stop, before the last snapshot: lands entries held during a journal outage
   * if the journal takes them now; returns what is lost otherwise (held-entries.ts).
   */
  landHeldBeforeStop(): HeldLoss | undefined {
    return this.options.dryRun ? undefined : this.held.beforeStop(this.options.now());
  }

  /** Closes the held-entries spill, if `start` opened one. */
  close(): void {
    this.held.releaseSpill();
  }

  /** Entries held during a journal outage, oldest first (seq 0): what the journal has yet to get. */
  heldEntries(): JournalEntry[] {
    return this.held.entries();
  }

  journalStatus(): HeldStatus {
    return this.held.status();
  }

  get fireActive(): boolean {
    return this.state.fireActive;
  }

  /** The freshness facts folded from the journal (see SiteState.dataRefreshedAt, staleAlarmedFor). */
  freshness(): { refreshedAt: number | undefined; alarmedFor: number | undefined } {
    return { refreshedAt: this.state.dataRefreshedAt, alarmedFor: this.state.staleAlarmedFor };
  }

  /**
   * Decides a request, journals the decision durably, then updates the state. Credential
   * values are brought to the registry's normal form here, whatever device read them.
   */
  present(incoming: IncomingRequest): Passed {
    const { ref, request, decision, latencyUs } = this.judge(incoming);
    const at = request.at;
    const guards = this.options.onDuty?.();
    const payload = {
      gateId: ref.gate.id,
      request,
      decision,
      latencyUs,
      ...(guards === undefined ? {} : { guards: [...guards] }),
    };
    if (this.state.journalUnavailable && !decision.allow) {
      // Past the bound nothing more is held; the refusal is counted and logged by the lane.
      this.held.countRefusedUnrecorded();
      return { decision, entry: unjournaled({ type: 'decision', at, payload }), journal: 'unrecorded' };
    }
    // Life safety is held past the bound: a fire release, an operator's override.
    const grant = decision.reasons[0]?.code;
    const force = grant === 'FIRE_RELEASE' || grant === 'EMERGENCY_OVERRIDE';
    const { entry, held } = this.write('decision', at, payload, force);
    return { decision, entry, journal: this.options.dryRun ? 'unrecorded' : held ? 'held' : 'appended' };
  }

  /**
   * What `present` would decide now, with nothing journaled and the state unchanged. For an
   * actuation that starts before the decision is durable and completes only once `present` has
   * journaled the same decision (the OSDP unlock: drivers/osdp/commit-gated-unlock.ts).
   */
  preview(incoming: IncomingRequest): Decision {
    return this.judge(incoming).decision;
  }

  /** Decides on everything journaled, whoever appended it; records nothing. */
  private judge(incoming: IncomingRequest) {
    const ref = this.laneRef(incoming.laneId);
    // The handheld re-measure an operator entered at the CLI a moment ago must count (an empty
    // read when nothing is new).
    this.catchUp();
    const at = incoming.at ?? this.options.now();
    const request: PassRequest = {
      ...incoming,
      at,
      shift: incoming.shift ?? shiftAt(at, this.options.timezone),
    };
    const c = incoming.credential;
    if (c !== undefined) request.credential = { ...c, value: normaliseCredentialValue(c.kind, c.value) };
    this.state.journalUnavailable = !this.options.dryRun && this.held.refusing();
    const started = performance.now();
    const decision = decide(
      this.options.policy(this.state.mode),
      this.options.registry(),
      this.state.contextFor(ref),
      request,
    );
    const latencyUs = Math.round((performance.now() - started) * 10_000) / 10;
    return { ref, request, decision, latencyUs };
  }

  /**
   * Journals a temperature reading at a lane, marked once here for the re-measure of a high
   * reading (see `remeasureMark`) against everything journaled so far, by this process or
   * another (a handheld reading entered at the CLI). A mark handed in is replaced.
   */
  reading(laneId: string, reading: TemperatureReading, source: string): JournalEntry<'reading'> {
    const ref = this.laneRef(laneId);
    this.catchUp();
    const mark = remeasureMark(
      reading,
      this.state.pendingRemeasure(laneId, reading.at),
      this.options.policy(this.state.mode),
    );
    return this.record('reading', reading.at, {
      gateId: ref.gate.id,
      laneId,
      reading: withRemeasureMark(reading, mark),
      source,
    });
  }

  /**
   * Journals a device's alarm or change of state through the outage buffer, as a decision is:
   * held while the journal cannot take appends and landed in order with the decisions around it.
   * Past the bound it is not recorded (throws JOURNAL_UNAVAILABLE).
   */
  recordDeviceEvent<T extends 'alarm' | 'device'>(
    type: T,
    payload: JournalEntry<T>['payload'],
  ): JournalEntry<T> {
    return this.record(type, this.options.now(), payload);
  }

  /**
   * Journals an entry of any kind through the outage buffer and folds it in at once, as a
   * decision is: for the running gateway's own entries (patrol taps, duty, alarms, operator
   * actions; `Site.record`). Throws JOURNAL_UNAVAILABLE past the bound, or when nothing is held.
   */
  record<T extends JournalEntry['type']>(
    type: T,
    at: number,
    payload: JournalEntry<T>['payload'],
  ): JournalEntry<T> {
    return this.write(type, at, payload, false).entry;
  }

  setMode(to: SiteMode, operator: string, reason: string): JournalEntry<'mode'> {
    return this.record('mode', this.options.now(), { from: this.state.mode, to, operator, reason });
  }

  setFire(active: boolean, source: string): JournalEntry<'fire'> | undefined {
    if (active === this.state.fireActive) return undefined;
    return this.write('fire', this.options.now(), { active, source }, true).entry;
  }

  /** Raises an overdue-return alarm, once, for each resident out longer than allowed. */
  tick(): JournalEntry<'alarm'>[] {
    const now = this.options.now();
    this.state.prune(now);
    return this.state.overdueReturns(now, this.options.returnWithinMs).map((o) => {
      const detail: Record<string, string | number> = { outSince: o.since };
      if (o.householdId !== undefined) detail.household = o.householdId;
      return this.record('alarm', now, {
        code: 'OVERDUE_RETURN',
        severity: 'warning',
        subjectId: o.personId,
        detail,
      });
    });
  }

  outsideNow() {
    return this.state.outsideNow();
  }

  /** The folded state as data (what a snapshot keeps): for tests and diagnostics. */
  stateSnapshot() {
    return this.state.snapshot();
  }

  private laneRef(laneId: string): LaneRef {
    const ref = this.lanes.get(laneId);
    if (!ref) {
      throw new GatewardenError('REQUEST_INVALID', `unknown lane "${laneId}"`, {
        problems: [{ field: 'laneId', message: `known lanes: ${[...this.lanes.keys()].join(', ')}` }],
      });
    }
    return ref;
  }

  /**
   * Journals an entry and folds it in; when the journal is out of space, holds it and folds it
   * in at once (held-entries.ts), so the next decision sees it. `force`: held past the bound.
   */
  private write<T extends JournalEntry['type']>(
    type: T,
    at: number,
    payload: JournalEntry<T>['payload'],
    force: boolean,
  ): { entry: JournalEntry<T>; held: boolean } {
    if (this.options.dryRun) {
      const entry = unjournaled({ type, at, payload });
      this.state.apply(entry);
      return { entry, held: false };
    }
    // A held entry (and the outage alarm before it) was taken in as it was held (`onHold`).
    const { entry, held } = this.held.write({ type, at, payload } as AppendItem, force);
    if (held) return { entry: entry as JournalEntry<T>, held };
    if (entry.seq === this.applied + 1 && this.held.settled) {
      // Nothing came between: fold the entry as the append returned it, without reading it back.
      this.fold(entry);
      this.snapshots?.folded(this.options.now());
    } else this.catchUp();
    return { entry: entry as JournalEntry<T>, held };
  }
}
