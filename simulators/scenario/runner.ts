import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { type Community, generateCommunity } from '../site/community.js';
import { JournalWatch, type WatchedEntry } from '../site/journal-watch.js';
import { SiteLauncher } from '../site/launcher.js';
import { packageRoot } from '../site/work-dir.js';
import { type Expectation, type PlannedAction, planScenario, type ScenarioPlan } from './plan.js';
import { compareDecision, type ObservedDecision } from './verdict.js';

/**
 * Plays a scenario plan against the simulated site, started in this process: the launcher of
 * `gatewarden-sim site` with its console fed from here, so every action goes through the same
 * SiteActions and the same simulated devices a person at the console would use. Each action's
 * decision is read from the gateway's journal (read-only, journal-watch.ts), matched by lane and
 * subject, and compared with the plan's expectation.
 *
 * Time: the plan's gaps are divided by `speed` (60: a scenario minute per second); an action
 * never starts before the previous one has its decision. An action with no decision within
 * DECISION_WAIT_MS is a lost event and counts as a disagreement.
 */
export interface ScenarioOptions {
  dir?: string;
  ports: 'fixed' | 'free';
  seed: number;
  households?: number;
  speed: number;
  verbose: boolean;
}

export interface ScenarioIo {
  print: (line: string) => void;
  printError: (line: string) => void;
}

export interface ActionOutcome {
  action: PlannedAction;
  decision: ObservedDecision | undefined;
  agreed: boolean;
  /** Why it disagreed (or the console's error), for the summary. */
  problem?: string;
}

export interface ScenarioReport {
  plan: ScenarioPlan;
  outcomes: ActionOutcome[];
  disagreements: ActionOutcome[];
}

/** What a caller (the end-to-end test) may inspect while the site still runs, after the last action. */
export interface PlayedSite {
  dir: string;
  community: Community;
  dashboardUrl: string;
  adminPassword: string;
}

const DECISION_WAIT_MS = 20_000;
const READY_WAIT_MS = 90_000;
const SETTLE_MS = 2500;

export async function runScenario(
  options: ScenarioOptions,
  io: ScenarioIo,
  onPlayed?: (site: PlayedSite) => Promise<void>,
): Promise<ScenarioReport> {
  if (!(options.speed > 0)) throw new RangeError(`speed: ${options.speed} is not a positive number`);
  const dir = options.dir ?? join(packageRoot(), 'data/sim-scenario');
  const community = generateCommunity({
    seed: options.seed,
    now: Date.now(),
    ...(options.households === undefined ? {} : { households: options.households }),
  });
  const plan = planScenario(community, { seed: options.seed });
  const site = new SiteUnderTest(dir, options, io);
  try {
    const dashboardUrl = await site.ready();
    const outcomes = await play(plan, site, options.speed, io);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    await onPlayed?.({ dir, community, dashboardUrl, adminPassword: adminPassword(dir) });
    const disagreements = outcomes.filter((o) => !o.agreed);
    return { plan, outcomes, disagreements };
  } finally {
    await site.stop();
  }
}

async function play(
  plan: ScenarioPlan,
  site: SiteUnderTest,
  speed: number,
  io: ScenarioIo,
): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  let previousAt = plan.actions[0]?.at ?? 0;
  for (const action of plan.actions) {
    const waitMs = Math.max(0, (action.at - previousAt) / speed);
    previousAt = action.at;
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    io.print(`${clock(action.at)} ${action.story}: ${action.kind} ${action.lane} ${action.who}`);
    const { decision, consoleError } = await site.perform(action);
    const verdict = compareDecision(action.expect, decision);
    const outcome: ActionOutcome = { action, decision, agreed: verdict === undefined };
    const problem = [verdict, consoleError].filter(Boolean).join('; ');
    if (problem !== '') outcome.problem = problem;
    outcomes.push(outcome);
  }
  return outcomes;
}

/** The launcher in this process, its console on a stream this side writes to. */
class SiteUnderTest {
  private readonly input = new PassThrough();
  private readonly launcher: SiteLauncher;
  private readonly finished: Promise<number>;
  private watch: JournalWatch | undefined;
  private readonly lines: string[] = [];
  private readonly errors: string[] = [];
  private lineSeen: (() => void) | undefined;

  constructor(
    private readonly dir: string,
    options: ScenarioOptions,
    io: ScenarioIo,
  ) {
    const keep = (line: string, into: string[], show: (l: string) => void) => {
      into.push(line);
      if (options.verbose) show(line);
      this.lineSeen?.();
    };
    this.launcher = new SiteLauncher(
      {
        dir,
        ports: options.ports,
        seed: options.seed,
        ...(options.households === undefined ? {} : { households: options.households }),
        verbose: false,
      },
      {
        print: (line) => keep(line, this.lines, io.print),
        printError: (line) => keep(line, this.errors, io.printError),
        input: this.input,
        output: new Writable({ write: (_c, _e, done) => done() }),
      },
    );
    this.finished = this.launcher.run();
  }

  /** Resolves the dashboard URL once every planned device is online; throws with the launcher's words otherwise. */
  async ready(): Promise<string> {
    let ended = false;
    void this.finished.then(() => {
      ended = true;
      this.lineSeen?.();
    });
    const deadline = Date.now() + READY_WAIT_MS;
    for (;;) {
      if (this.lines.some((l) => /^all \d+ devices online/.test(l))) break;
      const problem = this.errors.find((l) => /cannot start|still offline|stopped|died|exited/.test(l));
      if (ended || problem !== undefined || Date.now() > deadline)
        throw new Error(
          `the simulated site did not come up: ${problem ?? (this.errors.join(' | ') || 'timeout')}`,
        );
      await new Promise<void>((r) => {
        this.lineSeen = r;
        setTimeout(r, 250);
      });
    }
    const dashboard = this.lines.map((l) => /^dashboard 管理界面: (\S+)$/.exec(l)?.[1]).find(Boolean);
    const watch = new JournalWatch(join(this.dir, 'data/gatewarden.db'), () => undefined);
    watch.start();
    this.watch = watch;
    return (dashboard ?? '').replace(/\/$/, '');
  }

  /** Types the action at the site's console and waits for its decision in the journal. */
  async perform(action: PlannedAction): Promise<{ decision?: ObservedDecision; consoleError?: string }> {
    const watch = this.watch;
    if (watch === undefined) throw new Error('the site is not ready');
    const errorsBefore = this.errors.length;
    const seen = watch.next((e) => matches(e, action), DECISION_WAIT_MS);
    this.input.write(`${action.kind} ${action.lane} ${action.who}\n`);
    const entry = (await seen) as WatchedEntry<'decision'> | undefined;
    const consoleError = this.errors.slice(errorsBefore).find((l) => l.startsWith('error:'));
    return {
      ...(entry === undefined ? {} : { decision: observed(entry) }),
      ...(consoleError === undefined ? {} : { consoleError }),
    };
  }

  async stop(): Promise<void> {
    this.watch?.stop();
    await this.launcher.stop(0);
    await this.finished;
    this.input.end();
  }
}

/** The decision of this action: at its lane, about its subject (any unknown subject for 'unknown'). */
function matches(entry: WatchedEntry, action: PlannedAction): boolean {
  if (entry.type !== 'decision') return false;
  const { request, decision } = (entry as WatchedEntry<'decision'>).payload;
  if (request.laneId !== action.lane) return false;
  return action.who === 'unknown'
    ? decision.subject.kind === 'unknown'
    : subjectId(entry as WatchedEntry<'decision'>) === action.who;
}

function subjectId(entry: WatchedEntry<'decision'>): string | undefined {
  const subject = entry.payload.decision.subject;
  return subject.kind === 'unknown' ? undefined : subject.id;
}

function observed(entry: WatchedEntry<'decision'>): ObservedDecision {
  const { decision } = entry.payload;
  return {
    seq: entry.seq,
    allow: decision.allow,
    codes: decision.reasons.filter((r) => r.effect !== 'notice').map((r) => r.code),
    notices: decision.reasons.filter((r) => r.effect === 'notice').map((r) => r.code),
  };
}

function adminPassword(dir: string): string {
  const text = readFileSync(join(dir, 'credentials.txt'), 'utf8');
  return /^admin (\S+)$/m.exec(text)?.[1] ?? '';
}

/** Scenario time of day: the plan starts at 06:00. */
export function clock(atMs: number): string {
  const minutes = 6 * 60 + Math.floor(atMs / 60_000);
  return `${String(Math.floor(minutes / 60) % 24).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export function describeExpectation(e: Expectation): string {
  return `${e.allow ? 'allow' : 'deny'} ${e.codes.join('+')}`;
}
