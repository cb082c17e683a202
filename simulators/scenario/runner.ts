import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { ApiClient } from '../site/api-client.js';
import { type Community, generateCommunity } from '../site/community.js';
import { JournalWatch, type WatchedEntry } from '../site/journal-watch.js';
import { SiteLauncher } from '../site/launcher.js';
import { resolveUpstream, type SiteUpstream, type UpstreamChoice, waitDelivered } from '../site/upstream.js';
import { packageRoot } from '../site/work-dir.js';
import { FaultDriver, type FaultPorts, siteFaultPorts } from './fault-driver.js';
import { type DayStep, type ScheduledFault, scheduleDay } from './faults.js';
import {
  consoleLine,
  type Expectation,
  type PlannedAction,
  type PlanOptions,
  planScenario,
  type ScenarioPlan,
  scenarioClock,
  scenarioPolicy,
} from './plan.js';
import { Schedule } from './schedule.js';
import { compareDecision, type ObservedDecision } from './verdict.js';

/**
 * Plays a scenario plan against the simulated site, started in this process: the launcher of
 * `gatewarden-sim site` with its console fed from here, so every action goes through the same
 * SiteActions and the same simulated devices a person at the console would use. Each action's
 * decision is read from the gateway's journal (read-only, journal-watch.ts), matched by lane and
 * subject, and compared with the plan's expectation.
 *
 * Time: scenario time runs `speed` times faster (60: a scenario minute per second); each step is
 * played when due, counted from the first (schedule.ts), never before the previous action has its
 * decision; the site's quota period is compressed alike (plan.ts, `scenarioPolicy`). An action with no decision within
 * DECISION_WAIT_MS is a lost event and counts as a disagreement.
 */
export interface ScenarioOptions {
  dir?: string;
  ports: 'fixed' | 'free';
  seed: number;
  households?: number;
  speed: number;
  verbose: boolean;
  /** A real InfluxDB and Mosquitto upstream (simulators/site/upstream.ts); default none. */
  upstream?: UpstreamChoice;
  /** Scheduled faults (faults.ts); checked against the site before the day starts. */
  faults?: readonly ScheduledFault[];
  /** The plan's sizes (a shorter day for a test); the seed is `seed`. */
  plan?: Omit<PlanOptions, 'seed'>;
  /**
   * Plays only the plan's actions before this scenario time (ms since 06:00 of day 1). A prefix
   * of the plan, so every expectation still holds: each depends only on the actions before it.
   */
  untilMs?: number;
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
  /** The day as played: faults and held actions (faults.ts). */
  steps: DayStep[];
  /** A device fault the gateway did not see come or go, a sink that did not catch up: each fails the run. */
  faultProblems: string[];
}

/** What a caller (the end-to-end test) may inspect while the site still runs, after the last action. */
export interface PlayedSite {
  dir: string;
  community: Community;
  dashboardUrl: string;
  adminPassword: string;
  /** The site's InfluxDB and Mosquitto, when it has them. */
  upstream?: SiteUpstream;
}

const DECISION_WAIT_MS = 20_000;
const READY_WAIT_MS = 90_000;
const SETTLE_MS = 2500;
/** After the day: how long the sinks may take to deliver the backlog of the outages. */
const DELIVERY_WAIT_MS = 60_000;

/**
 * `onReady` runs once the site is up, before the first action (the end-to-end test subscribes
 * upstream there); `onPlayed` after the last action, while the site still runs.
 */
export async function runScenario(
  options: ScenarioOptions,
  io: ScenarioIo,
  onPlayed?: (site: PlayedSite) => Promise<void>,
  onReady?: (site: PlayedSite) => Promise<void>,
): Promise<ScenarioReport> {
  if (!(options.speed > 0)) throw new RangeError(`speed: ${options.speed} is not a positive number`);
  const dir = options.dir ?? join(packageRoot(), 'data/sim-scenario');
  const community = generateCommunity({
    seed: options.seed,
    now: Date.now(),
    ...(options.households === undefined ? {} : { households: options.households }),
  });
  const whole = planScenario(community, { ...options.plan, seed: options.seed });
  const until = options.untilMs ?? Number.POSITIVE_INFINITY;
  const plan = { ...whole, actions: whole.actions.filter((a) => a.at < until) };
  const faults = options.faults ?? [];
  const steps = scheduleDay(plan.actions, faults);
  FaultDriver.check(faults, resolveUpstream(options.upstream ?? 'none'));
  const site = new SiteUnderTest(dir, options, io);
  try {
    const dashboardUrl = await site.ready();
    const upstream = site.upstream;
    const played = {
      dir,
      community,
      dashboardUrl,
      adminPassword: adminPassword(dir),
      ...(upstream ? { upstream } : {}),
    };
    await onReady?.(played);
    const driver = new FaultDriver(site.faultPorts(played), options.speed, io.print);
    const outcomes = await play(steps, site, options.speed, io, driver);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const faultProblems = [...driver.problems];
    if (upstream?.active)
      for (const late of await waitDelivered(
        join(dir, 'data/gatewarden.db'),
        upstream.cursorNames(),
        DELIVERY_WAIT_MS,
      ))
        faultProblems.push(`not delivered upstream after the day: ${late}`);
    await onPlayed?.(played);
    const disagreements = outcomes.filter((o) => !o.agreed);
    return { plan, outcomes, disagreements, steps, faultProblems };
  } finally {
    await site.stop();
  }
}

/** Plays the day's steps (faults.ts): faults begin and end between the actions, at their times. */
async function play(
  steps: readonly DayStep[],
  site: SiteUnderTest,
  speed: number,
  io: ScenarioIo,
  faults: FaultDriver,
): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  const schedule = new Schedule(steps[0]?.at ?? 0, speed);
  for (const step of steps) {
    const waitMs = schedule.waitMs(step.at, step.kind === 'fault-end');
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    if (step.kind === 'fault-start') await faults.begin(step.fault);
    if (step.kind === 'fault-end') await faults.end(step.fault);
    if (step.kind !== 'action') continue;
    const { action } = step;
    const held = step.heldBy.length > 0 ? ` (held by ${step.heldBy.map((f) => f.spec).join(', ')})` : '';
    io.print(`${clock(step.at)} ${action.story}: ${action.kind} ${action.lane} ${action.who}${held}`);
    const { decision, consoleError } = await site.perform(action);
    // Decided later than its slack, the expectation no longer follows from the plan: say that instead.
    const verdict = schedule.lateness(action, decision) ?? compareDecision(action.expect, decision);
    // A console error (an MQTT lock that did not open after the pass) fails the action too.
    const outcome: ActionOutcome = {
      action,
      decision,
      agreed: verdict === undefined && consoleError === undefined,
    };
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
        ...(options.upstream === undefined ? {} : { upstream: options.upstream }),
        policy: scenarioPolicy(options.speed),
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
    this.input.write(`${consoleLine(action)}\n`);
    const entry = (await seen) as WatchedEntry<'decision'> | undefined;
    const consoleError = this.errors.slice(errorsBefore).find((l) => l.startsWith('error:'));
    return {
      ...(entry === undefined ? {} : { decision: observed(entry) }),
      ...(consoleError === undefined ? {} : { consoleError }),
    };
  }

  get upstream(): SiteUpstream | undefined {
    return this.launcher.upstream;
  }

  /** What the scheduled faults act on: the site's simulators and upstream, the gateway's device list. */
  faultPorts(site: PlayedSite): FaultPorts {
    const sims = this.launcher.devices;
    if (sims === undefined) throw new Error('the site is not ready');
    return siteFaultPorts(sims, new ApiClient(site.dashboardUrl, 'admin', site.adminPassword), site.upstream);
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
    at: entry.at,
    allow: decision.allow,
    codes: decision.reasons.filter((r) => r.effect !== 'notice').map((r) => r.code),
    notices: decision.reasons.filter((r) => r.effect === 'notice').map((r) => r.code),
  };
}

function adminPassword(dir: string): string {
  const text = readFileSync(join(dir, 'credentials.txt'), 'utf8');
  return /^admin (\S+)$/m.exec(text)?.[1] ?? '';
}

/** Scenario time, `d<day> HH:MM`: the plan starts at 06:00 of day 1. */
export function clock(atMs: number): string {
  return scenarioClock(atMs);
}

export function describeExpectation(e: Expectation): string {
  return `${e.allow ? 'allow' : 'deny'} ${e.codes.join('+')}`;
}
