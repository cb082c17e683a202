/**
 * The crowd scenario through the whole stack with its upstream (issue 9 §3, issue 10 §3): the
 * simulated site on free loopback ports with a real InfluxDB and a real Mosquitto
 * (simulators/site/upstream.ts), the compressed days of the plan with 2 shoppers and 2 arrivals
 * (39 actions for seed 7) and three scheduled faults on day 2's busy morning: InfluxDB down, the
 * upstream broker down (overlapping), and a card reader offline (the action needing it is held
 * until it is back). A command centre (a real
 * MQTT.js client, persistent session) subscribes to `#` on Mosquitto before the first action.
 *
 * Asserted: zero disagreements and no fault problem; every pass, refusal and alarm of the
 * journal exactly once in InfluxDB (count, seq and content) and on the upstream journal topics
 * (content equal to the journal's payload) after the outages; the shift report's totals equal
 * the journal's; and the PII audit: no name or ID number of the registry in any gateway log
 * line, any journal message as the bridge encodes it for upstream, any report, any MQTT message
 * seen on Mosquitto, or any InfluxDB point of any measurement. Needs socat, influxd, mosquitto
 * and the compiled gateway (`npm run build`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { toEntry } from '../../gateway/journal/journal.js';
import { UpstreamChainCheck } from '../../gateway/mqtt/upstream/chain-check.js';
import { decodeJournalMessage, encodeJournalMessage } from '../../gateway/mqtt/upstream/journal-message.js';
import type { Decision } from '../../gateway/rules/types.js';
import { devicesNeeded, faultTime, parseFault } from '../../simulators/scenario/faults.js';
import { type PlannedAction, planScenario } from '../../simulators/scenario/plan.js';
import { type PlayedSite, runScenario } from '../../simulators/scenario/runner.js';
import { type Community, generateCommunity } from '../../simulators/site/community.js';
import { OSDP_READERS } from '../../simulators/site/site-plan.js';
import { SITE_INFLUX_DATABASE } from '../../simulators/site/upstream.js';
import { PiiAudit } from './helpers/pii-audit.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SEED = 7;
const PLAN = { shoppers: 2, arrivals: 2 };
/** The whole plan (a shorter prefix would do: every expectation depends only on the actions before it). */
const UNTIL_MS = Number.POSITIVE_INFINITY;
/** As scenario.test.ts: the plan's 60 scenario hours in 15 s, less than the actions take themselves. */
const SPEED = 14_400;
const MESSAGES_WAIT_MS = 15_000;
const GATHER_ATTEMPTS = 4;
const MINUTE_MS = 60_000;
/** Faults go where the plan is busiest: the morning of day 2 (or the start, for a shorter plan). */
const BUSY_FROM_MS = 24 * 3600_000;

/**
 * Fault windows placed on the plan's own actions, so each covers some whatever the plan holds:
 * counting from the first action of day 2, InfluxDB down over actions 2–6, the broker down over
 * 5–10 (both down for a while), and a card reader offline from a minute before the first action
 * at one from the 7th on, for five minutes (that action is held until the reader is back).
 */
function faultsOn(actions: readonly PlannedAction[]): string[] {
  const busiest = Math.max(
    0,
    actions.findIndex((a) => a.at >= BUSY_FROM_MS),
  );
  const at = (i: number) => actions[Math.min(busiest + i, actions.length - 1)]?.at ?? 0;
  const window = (from: number, to: number) => {
    const start = Math.floor(from / MINUTE_MS) * MINUTE_MS;
    return `@${faultTime(start)}+${Math.floor((to - start) / MINUTE_MS) + 1}m`;
  };
  const readerOf = (a: PlannedAction) => OSDP_READERS.find((r) => devicesNeeded(a).includes(r.id));
  const card = actions.find((a, i) => i >= busiest + 6 && readerOf(a) !== undefined);
  const reader = card === undefined ? undefined : readerOf(card);
  if (card === undefined || reader === undefined)
    throw new Error('the plan has no action at a card reader after its 6th');
  return [
    `influx-down${window(at(1), at(5))}`,
    `upstream-down${window(at(4), at(9))}`,
    `reader-offline:${reader.lane}@${faultTime(card.at - MINUTE_MS)}+5m`,
  ];
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Row {
  seq: number;
  at: number;
  type: string;
  payload: string;
  hash: string;
  prev_hash: string;
}

interface ShiftReport {
  date: string;
  shift: string;
  window: { from: number; to: number };
  counts: {
    passes: number;
    refusals: number;
    buildingEntrances: { passes: number; refusals: number };
    refusalsByReason: Record<string, number>;
    alarms: { raised: number; byCode: Record<string, number> };
  };
}

/** Everything gathered while the site still runs; judged after it stopped. */
interface Seen {
  community: Community;
  journal: Row[];
  influx: Record<string, Record<string, unknown>[]>;
  messages: { topic: string; payload: string }[];
  reports: ShiftReport[];
  logLines: string[];
  exported: string[];
  topicBase: string;
}

describe('gatewarden-sim scenario with InfluxDB and Mosquitto upstream', () => {
  it('the compressed days with influx-down, upstream-down and reader-offline: every decision agrees, every pass, refusal and alarm reaches InfluxDB once and the upstream topics, the shift report adds up, and no name or ID number leaves the gateway', async () => {
    for (const part of ['dist/gateway/cli/main.js', 'dist/simulators/cli/main.js'])
      if (!existsSync(join(ROOT, part))) throw new Error(`${part} is missing: build first (npm run build)`);
    const community = generateCommunity({ seed: SEED, now: Date.now() });
    const planned = planScenario(community, { ...PLAN, seed: SEED }).actions.filter((a) => a.at < UNTIL_MS);
    const FAULTS = faultsOn(planned);
    const dir = mkdtempSync(join(tmpdir(), 'gw-scenario-upstream-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const output: string[] = [];
    const t0 = Date.now();
    /** Each line of the run with the seconds since the start, for a failure's message. */
    const note = (line: string) => output.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
    const messages: { topic: string; payload: string }[] = [];
    let firstShift: { date: string; shift: string } | undefined;
    /** Entries up to here may have gone upstream before the command centre subscribed. */
    let subscribedAfter = 0;
    let seen: Seen | undefined;

    const report = await runScenario(
      {
        dir,
        ports: 'free',
        seed: SEED,
        speed: SPEED,
        verbose: false,
        upstream: 'both',
        faults: FAULTS.map(parseFault),
        plan: PLAN,
        untilMs: UNTIL_MS,
      },
      { print: note, printError: note },
      async (site) => {
        note('played; gathering');
        seen = await gather(site, messages, firstShift, subscribedAfter);
        note('gathered');
      },
      async (site) => {
        const url = site.upstream?.mosquitto?.url;
        if (url === undefined) throw new Error('the site started no Mosquitto');
        const client = await commandCentre(url, messages);
        cleanups.push(() => client.endAsync(true));
        subscribedAfter = lastSeq(site);
        firstShift = pick(await shiftReport(site));
        note('command centre subscribed');
      },
    );

    const log = output.join('\n');
    expect(
      report.disagreements.map((d) => `${d.action.story}: ${d.problem}`),
      log,
    ).toEqual([]);
    expect(report.faultProblems, log).toEqual([]);
    expect(report.outcomes.every((o) => o.decision !== undefined)).toBe(true);
    // Each fault was in effect while the gate worked: actions during each, the reader's held.
    for (const spec of FAULTS) expect(actionsDuring(report.steps, spec), spec).toBeGreaterThan(0);
    expect(report.steps.some((s) => s.kind === 'action' && s.heldBy.length > 0)).toBe(true);
    console.info(`faults ${FAULTS.join(', ')}; ${report.outcomes.length} actions`);

    if (seen === undefined) throw new Error('nothing gathered');
    const s = seen;
    const decisions = s.journal.filter((r) => r.type === 'decision');
    const alarms = s.journal.filter((r) => r.type === 'alarm');
    expect(decisions.length).toBe(report.plan.actions.length);

    // InfluxDB: each pass, refusal and alarm exactly once, with its content.
    const passPoints = s.influx.pass ?? [];
    expect(passPoints.length).toBe(decisions.length);
    expect(passPoints.map((p) => p.seq).sort(byNumber)).toEqual(decisions.map((d) => d.seq));
    for (const row of decisions) {
      const { request, decision } = JSON.parse(row.payload) as {
        request: { laneId: string };
        decision: Decision;
      };
      const point = passPoints.find((p) => p.seq === row.seq);
      expect(point, `pass ${row.seq}`).toMatchObject({
        lane: request.laneId,
        outcome: decision.allow ? 'granted' : 'refused',
        reasons: decision.reasons.map((r) => r.code).join(','),
      });
    }
    const alarmPoints = s.influx.alarm ?? [];
    expect(alarmPoints.map((p) => p.seq).sort(byNumber)).toEqual(alarms.map((a) => a.seq));
    for (const row of alarms) {
      const { code, severity } = JSON.parse(row.payload) as { code: string; severity: string };
      expect(alarmPoints.find((p) => p.seq === row.seq)).toMatchObject({ code, severity });
    }

    // Upstream MQTT: every decision and alarm on its journal topic, as journaled.
    const upstream = new Map<number, unknown>();
    for (const m of s.messages)
      if (/\/journal\/(decision|alarm)$/.test(m.topic) && m.topic.startsWith(s.topicBase)) {
        const message = JSON.parse(m.payload) as { seq: number; payload: unknown };
        upstream.set(message.seq, message.payload);
      }
    const sinceSubscribed = [...decisions, ...alarms].filter((r) => r.seq > subscribedAfter);
    expect(sinceSubscribed.length).toBeGreaterThanOrEqual(decisions.length);
    for (const row of sinceSubscribed)
      expect(upstream.get(row.seq), `journal ${row.seq} upstream`).toEqual(JSON.parse(row.payload));

    // The chain upstream: what arrived, in seq order, hashes to its content and links up without a gap.
    const chain = new UpstreamChainCheck();
    const journalMessages = s.messages
      .filter((m) => m.topic.startsWith(`${s.topicBase}/journal/`))
      .flatMap((m) => {
        const decoded = decodeJournalMessage(m.payload);
        return decoded.ok ? [decoded.message] : [];
      })
      .sort((a, b) => a.seq - b.seq);
    expect(journalMessages.flatMap((m) => chain.add(m))).toEqual([]);
    expect(chain.head?.seq).toBe(Math.max(...journalMessages.map((m) => m.seq)));

    // The shift report(s) covering the day against the journal.
    for (const r of s.reports) {
      const inWindow = (x: Row) => x.at >= r.window.from && x.at < r.window.to;
      const expected = tally(decisions.filter(inWindow), alarms.filter(inWindow));
      expect({
        passes: r.counts.passes,
        refusals: r.counts.refusals,
        buildingEntrances: r.counts.buildingEntrances,
        refusalsByReason: nonZero(r.counts.refusalsByReason),
        alarms: r.counts.alarms.raised,
        alarmsByCode: r.counts.alarms.byCode,
      }).toEqual(expected);
    }
    const counted = (r: (typeof s.reports)[number]) =>
      r.counts.passes +
      r.counts.refusals +
      r.counts.buildingEntrances.passes +
      r.counts.buildingEntrances.refusals;
    expect(s.reports.reduce((n, r) => n + counted(r), 0)).toBe(decisions.length);

    // The PII audit: it finds a planted name (so it can fail), then nothing in what was seen.
    const audit = new PiiAudit(s.community);
    const someone = s.community.persons[0];
    expect(audit.found(`{"note":"${someone?.name}"}`)).not.toEqual([]);
    audit.scan('gateway log lines', s.logLines);
    audit.scan('journal messages for upstream', s.exported);
    audit.scan(
      'shift reports',
      s.reports.map((r) => JSON.stringify(r)),
    );
    audit.scan(
      'MQTT messages on Mosquitto',
      s.messages.map((m) => `${m.topic}\n${m.payload}`),
    );
    for (const [measurement, points] of Object.entries(s.influx))
      audit.scan(
        `InfluxDB points`,
        points.map(
          (p) => `${measurement} ${JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        ),
      );
    console.info(
      `PII audit: scanned ${JSON.stringify(audit.scanned)}; journal messages upstream ${s.messages.length}, distinct ${new Set(s.messages.map((m) => `${m.topic} ${seqOf(m.payload)}`)).size}`,
    );
    expect(audit.findings).toEqual([]);
    expect(audit.scanned['gateway log lines']).toBeGreaterThan(0);
    expect(audit.scanned['InfluxDB points']).toBeGreaterThan(decisions.length);
  }, 120_000);
});

/** A command-centre subscriber: persistent session, QoS 1, every topic; resolves once subscribed. */
async function commandCentre(url: string, into: { topic: string; payload: string }[]): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    clientId: 'command-centre-test',
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 200,
  });
  client.on('message', (topic, payload) => into.push({ topic, payload: payload.toString('utf8') }));
  await client.subscribeAsync('#', { qos: 1 });
  return client;
}

/**
 * What the site shows, as one consistent picture: the gateway keeps journaling while it is read
 * (its duty watch raises CHECKPOINT_UNATTENDED on its own 30-s tick when nobody logged in to the
 * shift, whenever that falls), so everything is gathered between two reads of the journal and
 * gathered again until nothing was appended in between.
 */
async function gather(
  site: PlayedSite,
  messages: { topic: string; payload: string }[],
  firstShift: { date: string; shift: string } | undefined,
  subscribedAfter: number,
): Promise<Seen> {
  for (let attempt = 1; attempt <= GATHER_ATTEMPTS; attempt++) {
    const seen = await gatherOnce(site, messages, firstShift, subscribedAfter);
    if (lastSeq(site) === seen.journal.at(-1)?.seq) return seen;
  }
  throw new Error(
    `the journal grew during each of ${GATHER_ATTEMPTS} attempts to gather what the site shows`,
  );
}

async function gatherOnce(
  site: PlayedSite,
  messages: { topic: string; payload: string }[],
  firstShift: { date: string; shift: string } | undefined,
  subscribedAfter: number,
): Promise<Seen> {
  const influxd = site.upstream?.influxd;
  const topics = site.upstream?.topics;
  if (influxd === undefined || topics === undefined) throw new Error('the site started no InfluxDB');
  const db = new Database(join(site.dir, 'data/gatewarden.db'), { readonly: true, fileMustExist: true });
  let journal: Row[];
  try {
    journal = db
      .prepare<[], Row>('SELECT seq, at, type, payload, hash, prev_hash FROM journal ORDER BY seq')
      .all();
  } finally {
    db.close();
  }
  const wanted = journal
    .filter((r) => (r.type === 'decision' || r.type === 'alarm') && r.seq > subscribedAfter)
    .map((r) => r.seq);
  await waitFor(() => {
    const got = new Set(messages.map((m) => seqOf(m.payload)));
    return wanted.every((seq) => got.has(seq));
  }, MESSAGES_WAIT_MS);
  const readInflux = async () => {
    const points: Record<string, Record<string, unknown>[]> = {};
    const measurements = await influxd.series('SHOW MEASUREMENTS', SITE_INFLUX_DATABASE);
    for (const { name } of measurements as { name: string }[])
      points[name] = await influxd.series(`SELECT * FROM "${name}"`, SITE_INFLUX_DATABASE);
    return points;
  };
  // The sink may still be writing the newest entries: wait (as long as for the messages) until
  // every pass, refusal and alarm read is there, then judge what is.
  const expectedPoints = journal.filter((r) => r.type === 'decision' || r.type === 'alarm').length;
  let influx = await readInflux();
  for (const deadline = Date.now() + MESSAGES_WAIT_MS; Date.now() < deadline; influx = await readInflux()) {
    if ((influx.pass?.length ?? 0) + (influx.alarm?.length ?? 0) >= expectedPoints) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const last = await shiftReport(site);
  const reports = [last];
  if (firstShift !== undefined && (firstShift.date !== last.date || firstShift.shift !== last.shift))
    reports.unshift(await shiftReport(site, firstShift));
  return {
    community: site.community,
    journal,
    influx,
    messages: [...messages],
    reports,
    logLines: readFileSync(join(site.dir, 'gateway.log'), 'utf8').split('\n').filter(Boolean),
    exported: journal.map((r) => encodeJournalMessage(toEntry(r), topics).payload),
    topicBase: site.upstream?.topicBase ?? '',
  };
}

async function shiftReport(site: PlayedSite, which?: { date: string; shift: string }): Promise<ShiftReport> {
  const login = await fetch(`${site.dashboardUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'admin', password: site.adminPassword }),
  });
  const { token } = (await login.json()) as { token: string };
  const query = which === undefined ? '' : `?date=${which.date}&shift=${which.shift}`;
  const res = await fetch(`${site.dashboardUrl}/api/reports/shift${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`/api/reports/shift answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as ShiftReport;
}

/** What a report counts, tallied here from the journal rows; building entrances apart (Decision.entrance). */
function tally(decisions: Row[], alarms: Row[]) {
  const byReason: Record<string, number> = {};
  let passes = 0;
  let refusals = 0;
  const buildingEntrances = { passes: 0, refusals: 0 };
  for (const row of decisions) {
    const { decision } = JSON.parse(row.payload) as { decision: Decision };
    if (decision.entrance !== undefined) buildingEntrances[decision.allow ? 'passes' : 'refusals']++;
    else if (decision.allow) passes++;
    else {
      refusals++;
      for (const code of new Set(decision.reasons.filter((r) => r.effect === 'deny').map((r) => r.code)))
        byReason[code] = (byReason[code] ?? 0) + 1;
    }
  }
  const alarmsByCode: Record<string, number> = {};
  for (const row of alarms) {
    const { code } = JSON.parse(row.payload) as { code: string };
    alarmsByCode[code] = (alarmsByCode[code] ?? 0) + 1;
  }
  return {
    passes,
    refusals,
    buildingEntrances,
    refusalsByReason: byReason,
    alarms: alarms.length,
    alarmsByCode: Object.fromEntries(Object.entries(alarmsByCode).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** Actions played during the fault written `spec`, or (a device fault) held until its end. */
function actionsDuring(steps: Awaited<ReturnType<typeof runScenario>>['steps'], spec: string): number {
  const start = steps.findIndex((s) => s.kind === 'fault-start' && s.fault.spec === spec);
  const end = steps.findIndex((s) => s.kind === 'fault-end' && s.fault.spec === spec);
  const held = steps.filter((s) => s.kind === 'action' && s.heldBy.some((f) => f.spec === spec));
  return steps.slice(start, end).filter((s) => s.kind === 'action').length + held.length;
}

function lastSeq(site: PlayedSite): number {
  const db = new Database(join(site.dir, 'data/gatewarden.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM journal').get()?.seq ?? 0;
  } finally {
    db.close();
  }
}

function seqOf(payload: string): number | undefined {
  try {
    return (JSON.parse(payload) as { seq?: number }).seq;
  } catch {
    return undefined;
  }
}

function pick(r: ShiftReport) {
  return { date: r.date, shift: r.shift };
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

const byNumber = (a: unknown, b: unknown) => Number(a) - Number(b);

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}
