import { freshnessPolicyOf } from '../config/freshness-schema.js';
import { heldEntriesPolicyOf } from '../config/journal-outage-schema.js';
import { loadConfig } from '../config/load.js';
import { type GatewardenConfig, policyFromConfig } from '../config/schema.js';
import { Checkpoint } from './checkpoint/checkpoint.js';
import { type Db, openDatabase } from './db.js';
import type { SiteMode } from './domain/model.js';
import { DutyBoard } from './duty/duty-board.js';
import type { JournalEntry, JournalEventType } from './journal/events.js';
import { type AnyJournalEntry, type AtRange, Journal } from './journal/journal.js';
import { pseudonymKey } from './registry/id-number.js';
import { RegistryStore } from './registry/store.js';
import type { Policy, RegistryView } from './rules/types.js';
import { shiftAt } from './util/site-time.js';

const DAY_MS = 24 * 3600_000;

/** Operator actions that change the registry: a checkpoint seeing one reloads its snapshot. */
const REGISTRY_ACTIONS = /^(registry|quarantine|visitor|pass)\./;

/** An entry after which the registry is not what the snapshot holds: a registry action, or a retention run that purged visitors (possibly by another process, `gatewarden retention run`). */
function changesRegistry(entry: JournalEntry): boolean {
  if (entry.type === 'operator')
    return REGISTRY_ACTIONS.test((entry as JournalEntry<'operator'>).payload.action);
  if (entry.type === 'retention')
    return ((entry as JournalEntry<'retention'>).payload.visitors?.purged ?? 0) > 0;
  return false;
}

export interface SiteOptions {
  configPath: string;
  now?: () => number;
  /** Another database than the configured one, e.g. `:memory:` to decide against a registry file. */
  database?: string;
  /** Checkpoint entries change memory only (see CheckpointOptions.dryRun). */
  dryRun?: boolean;
  /**
   * The running gateway (`gatewarden start`): its checkpoint holds entries while the journal
   * cannot take appends (`journalOutage`, held-entries.ts). A CLI command's fails instead.
   */
  gateway?: boolean;
}

/**
 * The composition root: one configuration, one database, the journal, the registry and the
 * checkpoint wired together. The CLI and `start` build everything through here, so a command
 * sees exactly what the running gateway sees.
 */
export class Site {
  readonly config: GatewardenConfig;
  readonly db: Db;
  readonly journal: Journal;
  readonly registry: RegistryStore;
  readonly checkpoint: Checkpoint;
  readonly key: Buffer;
  readonly now: () => number;
  /** The running gateway (SiteOptions.gateway), not a CLI command. */
  readonly gateway: boolean;
  /** The guards on duty now (kept from the journal's `duty` entries). */
  readonly duty: DutyBoard;
  private snapshot: RegistryView | undefined;
  private readonly policies = new Map<SiteMode, Policy>();

  constructor(options: SiteOptions) {
    this.now = options.now ?? Date.now;
    this.gateway = options.gateway === true;
    this.config = loadConfig(options.configPath);
    this.db = openDatabase(options.database ?? this.config.site.database);
    this.journal = Journal.open(this.db);
    this.key = pseudonymKey(this.config.registry.pseudonymKeyFile);
    this.registry = new RegistryStore(this.db, {
      key: this.key,
      timeZone: this.config.site.timezone,
      now: this.now,
    });
    this.duty = new DutyBoard(this.config.site.timezone, this.now, (window) =>
      this.journal.iterateRange({ fromAt: window.from, toAt: window.to, types: ['duty'] }),
    );
    this.checkpoint = new Checkpoint({
      journal: this.journal,
      layout: this.config,
      registry: () => this.registrySnapshot(),
      policy: (mode) => this.policy(mode),
      initialMode: this.config.mode,
      timezone: this.config.site.timezone,
      returnWithinMs: this.config.policy.returnWithinHours * 3600_000,
      now: this.now,
      dryRun: options.dryRun ?? false,
      onDuty: () => this.duty.guards(),
      ...(options.gateway ? { journalOutage: heldEntriesPolicyOf(this.config.journalOutage) } : {}),
      onEntry: (entry) => {
        this.duty.take(entry);
        if (changesRegistry(entry)) this.reloadRegistry();
      },
      snapshots: { db: this.db, key: this.key },
      // The duty board keeps the current shift's duty entries only: a day back is enough.
      onRestore: (seq) => {
        const range = {
          fromAt: this.now() - DAY_MS,
          toAt: Number.MAX_SAFE_INTEGER,
          types: ['duty' as const],
        };
        for (const entry of this.journal.iterateRange(range)) if (entry.seq <= seq) this.duty.take(entry);
      },
    });
  }

  policy(mode: SiteMode): Policy {
    let p = this.policies.get(mode);
    if (!p) {
      p = policyFromConfig(this.config, mode);
      const freshness = freshnessPolicyOf(this.config.freshness);
      if (freshness !== undefined) p.freshness = freshness;
      this.policies.set(mode, p);
    }
    return p;
  }

  /**
   * The registry the rules read, as `registry.view` chooses: the in-memory snapshot or the
   * database view. Made once, made again after `reloadRegistry()`.
   */
  registrySnapshot(): RegistryView {
    this.snapshot ??= this.registry.loadView(this.config.registry.view);
    return this.snapshot;
  }

  /** After a registry change: the next read makes a new view (a database view drops its cache). */
  reloadRegistry(): void {
    this.snapshot = undefined;
  }

  shiftNow() {
    return shiftAt(this.now(), this.config.site.timezone);
  }

  /**
   * Journals an entry: in the running gateway through its checkpoint, so it is held (and spilled)
   * while the journal cannot take appends and folded at once (held-entries.ts); in a CLI command
   * appended directly, so a full disk fails the command instead.
   */
  record<T extends JournalEntry['type']>(
    type: T,
    at: number,
    payload: JournalEntry<T>['payload'],
  ): JournalEntry<T> {
    return this.gateway ? this.checkpoint.record(type, at, payload) : this.journal.append(type, at, payload);
  }

  /**
   * Entries timed in `range` as the running gateway knows them: the journal's, then those held
   * during a journal outage (seq 0), which it acted on and will journal. For watchers that judge
   * from recent entries (patrol rounds), so a held tap or alarm counts.
   */
  *entriesIn<T extends JournalEventType>(range: AtRange<T>): Generator<AnyJournalEntry<T>, void, undefined> {
    yield* this.journal.iterateRange(range);
    for (const entry of this.checkpoint.heldEntries() as AnyJournalEntry<T>[]) {
      const typed = range.types === undefined || range.types.includes(entry.type as T);
      if (typed && entry.at >= range.fromAt && entry.at < range.toAt) yield entry;
    }
  }

  /** Journals an operator's change with who made it and in which shift. */
  recordOperator(action: string, operator: string, detail: Record<string, string | number | boolean>) {
    return this.record('operator', this.now(), { action, operator, shift: this.shiftNow(), detail });
  }

  /**
   * A file of the running gateway's beside the database (`<database><suffix>`): the held-entries
   * spill (`.held`, held-spill.ts), the instance lock (`.lock`); none for a database in memory.
   */
  besideDatabase(suffix: '.held' | '.lock'): string | undefined {
    const database = this.db.name;
    return database === ':memory:' || database === '' ? undefined : `${database}${suffix}`;
  }

  close(): void {
    this.checkpoint.close();
    if (this.db.open) this.db.close();
  }
}
