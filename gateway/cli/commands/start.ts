import { systemClock } from '../../../drivers/shared/clock.js';
import { outOfSpaceCause } from '../../checkpoint/held-entries.js';
import { logHeldAtStop, logJournalOutage, logSpillStart } from '../../checkpoint/journal-outage-log.js';
import { DeviceHost } from '../../devices/device-host.js';
import { DutyWatch } from '../../duty/duty-watch.js';
import { GatewardenError } from '../../errors.js';
import { checkFreshness } from '../../freshness/freshness-watch.js';
import { RetentionWatch } from '../../journal/retention-watch.js';
import { readVerifiedMark, writeVerifiedMark } from '../../journal/verified-mark.js';
import { type VerifyResult, verifyJournal } from '../../journal/verify.js';
import { verifyInBackground } from '../../journal/verify-worker.js';
import { childLogger, createLogger, type Logger } from '../../logging.js';
import { PatrolWatch } from '../../patrol/patrol-watch.js';
import type { Site } from '../../site.js';
import { InstanceLock } from '../../util/instance-lock.js';
import { collectGarbageNow, compactHeapOnFullGc } from '../heap-tuning.js';
import { type GlobalOptions, openSite } from '../io.js';

/** How often the gateway folds in entries other processes appended (CLI mode switches, imports). */
const FOLLOW_MS = 1000;
/** How often overdue returns are checked. */
const TICK_MS = 30_000;

/** `gatewarden start`: loaded only when that command runs (see start-command.ts). */
export async function startGateway(globals: GlobalOptions): Promise<void> {
  compactHeapOnFullGc();
  const site = await openSite(globals, { gateway: true });
  // better-sqlite3's default page cache is 16 MB, which a large registry's reads fill and keep
  // as RSS; the gateway's reads are point lookups and journal appends, served as fast from
  // 2 MB and the OS's file cache (docs/performance.md "Footprint with 100,000 residents").
  site.db.pragma('cache_size = -2000');
  const log = createLogger({
    level: site.config.log.level,
    site: site.config.site.id,
    ...(site.config.log.file ? { file: site.config.log.file } : {}),
  });
  let verification: ReturnType<typeof checkJournal>;
  let lock: InstanceLock | undefined;
  try {
    // Before anything the running gateway owns is touched (the spill, the serial lines).
    const lockFile = site.besideDatabase('.lock');
    lock = lockFile === undefined ? undefined : InstanceLock.acquire(lockFile);
    verification = checkJournal(site, log);
    const { spill, ...rebuilt } = site.checkpoint.start({ spillFile: site.besideDatabase('.held') });
    if (spill !== undefined) logSpillStart(childLogger(log, 'checkpoint'), spill);
    site.registrySnapshot();
    if (rebuilt.snapshotIgnored !== undefined)
      log.warn(
        { why: rebuilt.snapshotIgnored },
        'checkpoint snapshot not used: the whole journal was replayed',
      );
    log.info({ ...rebuilt, mode: site.checkpoint.mode }, 'state rebuilt from the journal');
  } catch (err) {
    lock?.release();
    site.close();
    throw err;
  }
  // First what deciding needs: the serial lines and the readers, locks and barriers on them.
  const devices = new DeviceHost({ site, log });
  // Patrol alarms (docs/patrol.md): late taps heard from the station desk, missed points at round ends.
  const patrol = new PatrolWatch({
    site,
    log: childLogger(log, 'patrol'),
    clock: { ...systemClock, now: site.now },
    taps: devices.port.stations,
  });
  patrol.start();
  // CHECKPOINT_UNATTENDED (docs/duty.md), checked with the overdue returns.
  const duty = new DutyWatch({
    // Held alarms too: during a journal outage the one raised for this period is not journaled yet.
    journal: { iterateRange: (range) => site.entriesIn(range) },
    board: site.duty,
    config: site.config.duty,
    timezone: site.config.site.timezone,
    now: site.now,
    record: (type, at, payload) => site.record(type, at, payload),
  });
  await devices.startSerial();
  const decidingMs = Math.round(performance.now());
  log.info({ msSinceStart: decidingMs }, 'deciding passes');
  process.stderr.write(`gatewarden deciding passes ${decidingMs} ms after start 开始判定\n`);
  verification.background?.();
  // Retention (docs/journal.md): now, then daily; a purge of a large backlog waits for no pass.
  const retention = new RetentionWatch({ site, log: childLogger(log, 'retention') });
  retention.start();

  // Then the network side, each part loaded only now (docs/performance.md "Footprint"): the
  // broker and the MQTT devices, cameras, telemetry, the upstream bridge and the API.
  const { MqttGateway } = await import('../../mqtt/mqtt-gateway.js');
  const mqtt = await MqttGateway.create({ site, log });
  const bus = await mqtt.startBroker();
  await devices.startNetwork(bus);
  const telemetry = await startTelemetry(site, log, devices);
  await mqtt.start((laneId, decision) => devices.port.actuate(laneId, decision));
  const api =
    site.config.api === undefined
      ? undefined
      : await (await import('./start-api.js')).startApi(site, log, devices);
  const loopLog = childLogger(log, 'checkpoint');
  site.checkpoint.onJournalOutage((event) => logJournalOutage(loopLog, event));
  const follow = setInterval(
    () =>
      guard(loopLog, () => {
        site.checkpoint.catchUp();
        site.checkpoint.saveSnapshot();
        devices.follow();
        mqtt.follow();
        api?.follow();
      }),
    FOLLOW_MS,
  );
  const tick = setInterval(
    () =>
      guard(loopLog, () => {
        for (const alarm of [...site.checkpoint.tick(), duty.check(), checkFreshness(site)])
          if (alarm !== undefined) loopLog.warn({ seq: alarm.seq, code: alarm.payload.code }, 'alarm raised');
      }),
    TICK_MS,
  );

  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      clearInterval(follow);
      clearInterval(tick);
      patrol.stop();
      retention.stop();
      void Promise.all([
        devices.stop().catch((err: unknown) => log.error({ err }, 'devices did not stop cleanly')),
        telemetry?.stop().catch((err: unknown) => log.error({ err }, 'telemetry did not stop cleanly')),
        mqtt.stop().catch((err: unknown) => log.error({ err }, 'MQTT did not stop cleanly')),
        api?.close().catch((err: unknown) => log.error({ err }, 'the API did not stop cleanly')),
      ]).finally(() => {
        guard(loopLog, () => {
          const loss = site.checkpoint.landHeldBeforeStop();
          if (loss !== undefined) logHeldAtStop(log, loss);
        });
        guard(loopLog, () => site.checkpoint.saveSnapshot(true));
        site.close();
        lock?.release();
        log.info({ signal }, 'gateway stopped');
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  const lanes = site.config.gates.flatMap((g) =>
    g.lanes.map(
      (l) =>
        `${g.id}/${l.id}${g.kind === 'building' ? ` (building ${g.building}${g.unit ? `-${g.unit}` : ''})` : g.primary ? '' : ' (secondary)'}`,
    ),
  );
  // Counting scans every person's row (~60 ms at 100,000): not before the gateway is up.
  const counts = site.registry.counts();
  log.info(
    { gates: site.config.gates.length, lanes, devices: devices.deviceCount, persons: counts.persons },
    'gateway ready',
  );
  if (devices.deviceCount === 0) {
    log.warn('no devices configured: passes come only from the CLI (gatewarden decide)');
  }
  process.stderr.write(
    `gatewarden ready: ${site.config.site.name.zh} ${site.config.site.name.en}, mode ${site.checkpoint.mode}, ` +
      `${lanes.length} lanes, ${devices.deviceCount} devices, journal #${site.journal.lastSeq()}. Ctrl-C stops.\n`,
  );
  collectGarbageNow();

  await stopped;
}

/** Telemetry when InfluxDB or the metrics endpoint is configured; otherwise nothing is loaded. */
async function startTelemetry(site: Site, log: Logger, devices: DeviceHost) {
  const { influx, metrics } = site.config.telemetry;
  if (influx === undefined && metrics === undefined) return undefined;
  const { Telemetry } = await import('../../telemetry/telemetry.js');
  const telemetry = new Telemetry({ site, log, devices: () => devices.states(), lanePort: devices.port });
  await telemetry.start();
  return telemetry;
}

/** A failing periodic job is logged and retried next time; it never stops the gateway. */
function guard(log: Logger, job: () => unknown): void {
  try {
    job();
  } catch (err) {
    log.error({ err }, 'periodic job failed');
  }
}

/**
 * A journal whose chain is broken is reported and journaled as an alarm; the gateway still
 * starts, since refusing every pass would lock people in. A journal that cannot take appends at
 * all (head behind the rows) stops the start: no decision could be made durable.
 *
 * Before the first decision only the rows after the last start's mark (verified-mark.ts) and
 * the head are checked, so start-up does not grow with the journal; the whole chain is then
 * verified in a worker thread (`background`), with the same alarm if an older row was edited.
 */
function checkJournal(site: Site, log: Logger): { background?: () => void } {
  const mark = readVerifiedMark(site.db);
  const result = verifyJournal(site.db, mark === undefined ? {} : { after: mark });
  if (result.ok) {
    log.info({ entries: result.checked, after: mark?.seq ?? 0 }, 'journal verified');
    try {
      writeVerifiedMark(site.db, { seq: result.lastSeq, hash: result.lastHash }, site.now());
    } catch (err) {
      // A start on a full disk still opens the gate; the next start verifies these entries again.
      const cause = outOfSpaceCause(err);
      if (cause === undefined) throw err;
      log.warn({ cause }, 'the verified mark could not be saved: the next start verifies again');
    }
    if (mark === undefined) return {};
    return { background: () => verifyWhole(site, log) };
  }
  tampered(site, log, result);
  return {};
}

function verifyWhole(site: Site, log: Logger): void {
  verifyInBackground(site.db.name)
    .then((whole) => {
      if (whole.ok) log.info({ entries: whole.checked }, 'whole journal verified');
      else if (site.db.open) tampered(site, log, whole);
    })
    .catch((err: unknown) => log.error({ err }, 'the whole journal could not be verified'));
}

function tampered(site: Site, log: Logger, result: VerifyResult): void {
  log.error({ problems: result.problems.slice(0, 10) }, 'journal verification failed');
  if (result.problems.some((p) => p.kind === 'head_mismatch')) {
    throw new GatewardenError(
      'JOURNAL_CORRUPT',
      'the journal head does not match its newest entries: run `gatewarden journal verify`',
    );
  }
  site.journal.append('alarm', site.now(), {
    code: 'JOURNAL_TAMPERED',
    severity: 'critical',
    detail: { problems: result.problems.length, firstSeq: result.problems[0]?.seq ?? 0 },
  });
}
