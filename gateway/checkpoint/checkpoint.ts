import type { Direction, GateKind, LaneKind, SiteMode } from '../domain/model.js';
import { GatewardenError } from '../errors.js';
import type { JournalEntry } from '../journal/events.js';
import type { Journal } from '../journal/journal.js';
import { normaliseCredentialValue } from '../registry/credential-value.js';
import { decide } from '../rules/decide.js';
import type {
  Decision,
  GateRef,
  PassRequest,
  Policy,
  RegistryView,
  TemperatureReading,
} from '../rules/types.js';
import { shiftAt } from '../util/site-time.js';
import { remeasureMark, withRemeasureMark } from './remeasure.js';
import { type LaneRef, SiteState } from './site-state.js';

export interface SiteLayout {
  gates: readonly {
    id: string;
    primary: boolean;
    /** Absent: perimeter. A building gate needs `building`; `unit` makes it one unit's door. */
    kind?: GateKind;
    building?: string;
    unit?: string;
    lanes: readonly { id: string; kind: LaneKind; direction: Direction }[];
  }[];
}

export interface CheckpointOptions {
  journal: Journal;
  layout: SiteLayout;
  /** The registry snapshot to decide against; called per decision so a reload takes effect at once. */
  registry: () => RegistryView;
  /** The policy for a mode, from the configuration. */
  policy: (mode: SiteMode) => Policy;
  initialMode: SiteMode;
  timezone: string;
  returnWithinMs: number;
  now: () => number;
  /**
   * What-if mode for `gatewarden decide`: entries change the in-memory state only and are never
   * journaled. Never set on a checkpoint that drives a gate.
   */
  dryRun?: boolean;
  /** Called for every journal entry the state takes in, in order, whoever appended it. */
  onEntry?: (entry: JournalEntry) => void;
  /** The guards on duty now (ids), journaled with every decision; absent: not journaled. */
  onDuty?: () => readonly string[];
}

/** A request as a device or operator hands it in: time and shift are stamped here when absent. */
export type IncomingRequest = Omit<PassRequest, 'at' | 'shift'> & Partial<Pick<PassRequest, 'at' | 'shift'>>;

export interface Passed {
  decision: Decision;
  entry: JournalEntry<'decision'>;
}

/**
 * The site's checkpoint: decides every pass against the registry and the recent context, and
 * journals it before anyone acts on it. State is a fold over the journal (see SiteState), so
 * `start()` after a crash or restart rebuilds it exactly.
 *
 * Contract for callers: actuate (unlock, raise) only from the returned decision, i.e. after
 * the journal append has committed.
 */
export class Checkpoint {
  private readonly lanes = new Map<string, LaneRef>();
  private readonly state: SiteState;
  /** The last journal seq folded into the state. */
  private applied = 0;

  constructor(private readonly options: CheckpointOptions) {
    for (const [i, gate] of options.layout.gates.entries()) {
      const ref = gateRef(gate, i);
      for (const lane of gate.lanes) this.lanes.set(lane.id, { gate: ref, lane: { ...lane } });
    }
    const policy = options.policy(options.initialMode);
    this.state = new SiteState({
      initialMode: options.initialMode,
      temperatureWindowMs: policy.temperatureWindowMs,
      escortWindowMs: policy.escortWindowMs,
      exitMemoryMs: Math.max(policy.householdQuota.periodMs, 7 * 24 * 3600_000),
      codeMemoryMs: 10 * 60_000,
      remeasureWithinMs: policy.remeasure?.withinMs,
    });
  }

  /** Rebuilds the state from the whole journal. Returns how many entries were replayed. */
  start(): number {
    return this.catchUp();
  }

  /**
   * Folds in journal entries appended since the last call, by this process or another one (a
   * CLI switching the mode, importing the registry). Entries are applied strictly in seq order.
   */
  catchUp(): number {
    let n = 0;
    for (const entry of this.options.journal.iterate(this.applied)) {
      this.state.apply(entry);
      this.applied = entry.seq;
      this.options.onEntry?.(entry);
      n++;
    }
    return n;
  }

  get mode(): SiteMode {
    return this.state.mode;
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
    const ref = this.laneRef(incoming.laneId);
    // Decide on everything journaled, whoever appended it: the handheld re-measure an operator
    // entered at the CLI a moment ago must count (an empty read when nothing is new).
    this.catchUp();
    const at = incoming.at ?? this.options.now();
    const request: PassRequest = {
      ...incoming,
      at,
      shift: incoming.shift ?? shiftAt(at, this.options.timezone),
    };
    const c = incoming.credential;
    if (c !== undefined) request.credential = { ...c, value: normaliseCredentialValue(c.kind, c.value) };
    const started = performance.now();
    const decision = decide(
      this.options.policy(this.state.mode),
      this.options.registry(),
      this.state.contextFor(ref),
      request,
    );
    const latencyUs = Math.round((performance.now() - started) * 10_000) / 10;
    const guards = this.options.onDuty?.();
    const entry = this.record('decision', at, {
      gateId: ref.gate.id,
      request,
      decision,
      latencyUs,
      ...(guards === undefined ? {} : { guards: [...guards] }),
    });
    return { decision, entry };
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

  setMode(to: SiteMode, operator: string, reason: string): JournalEntry<'mode'> {
    return this.record('mode', this.options.now(), { from: this.state.mode, to, operator, reason });
  }

  setFire(active: boolean, source: string): JournalEntry<'fire'> | undefined {
    if (active === this.state.fireActive) return undefined;
    return this.record('fire', this.options.now(), { active, source });
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

  private laneRef(laneId: string): LaneRef {
    const ref = this.lanes.get(laneId);
    if (!ref) {
      throw new GatewardenError('REQUEST_INVALID', `unknown lane "${laneId}"`, {
        problems: [{ field: 'laneId', message: `known lanes: ${[...this.lanes.keys()].join(', ')}` }],
      });
    }
    return ref;
  }

  private record<T extends JournalEntry['type']>(
    type: T,
    at: number,
    payload: JournalEntry<T>['payload'],
  ): JournalEntry<T> {
    if (this.options.dryRun) {
      const entry = { seq: 0, at, type, payload, hash: '', prevHash: '' };
      this.state.apply(entry);
      return entry;
    }
    const entry = this.options.journal.append(type, at, payload);
    this.catchUp();
    return entry;
  }
}

/** The rules' view of a configured gate; a building gate without its building is refused (the config schema says so first). */
function gateRef(gate: SiteLayout['gates'][number], index: number): GateRef {
  if (gate.kind === undefined || gate.kind === 'perimeter') return { id: gate.id, primary: gate.primary };
  if (gate.building === undefined || gate.primary) {
    throw new GatewardenError('CONFIG_INVALID', `building gate "${gate.id}" is invalid`, {
      problems: [
        gate.building === undefined
          ? {
              field: `gates.${index}.building`,
              message: 'a building gate needs the building it is the entrance of',
            }
          : { field: `gates.${index}.primary`, message: 'a building gate cannot be primary' },
      ],
    });
  }
  const entrance =
    gate.unit === undefined ? { building: gate.building } : { building: gate.building, unit: gate.unit };
  return { id: gate.id, kind: 'building', primary: false, entrance };
}
