/**
 * The bridge killed with SIGKILL in the middle of publishing a backlog, twice, and started
 * again (a child process on the journal file, as the gateway runs it; a real Mosquitto; an
 * independent consumer): nothing that was acknowledged is missing, every entry arrives, and
 * what arrives twice lies in the batch that was in flight when the process died (after the
 * committed cursor, within one batch). The status topic shows the birth on every connection and
 * the last will when the process dies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UPSTREAM_CURSOR } from '../../gateway/mqtt/upstream/journal-publisher.js';
import { waitFor } from '../helpers/wait-for.js';
import type { Mosquitto } from './helpers/mosquitto.js';
import {
  range,
  SITE_ID,
  startUpstreamBroker,
  TempJournal,
  UpstreamConsumer,
  upstreamConfig,
} from './helpers/mqtt-upstream-rig.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD = join(import.meta.dirname, 'helpers/mqtt-upstream-bridge.mjs');
/** What the child imports, compiled: `npm test` builds before it runs vitest. */
const COMPILED = ['dist/gateway/mqtt/upstream/bridge.js', 'dist/gateway/journal/journal.js'];
/** Large batches, so that a kill lands in the middle of one. */
const BATCH = 500;

/** The bridge in a child process; resolves once it started. */
async function spawnBridge(dbPath: string, url: string): Promise<ChildProcess> {
  const config = upstreamConfig(url, { batchSize: BATCH, inFlight: 20 });
  const child = spawn(process.execPath, [CHILD, dbPath, SITE_ID, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-10_000);
  });
  await new Promise<void>((ok, fail) => {
    child.stdout?.setEncoding('utf8').once('data', () => ok());
    child.once('exit', (code, signal) => fail(new Error(`bridge exited (${code}, ${signal}):\n${stderr}`)));
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGKILL');
  await exited;
}

describe('upstream bridge killed with SIGKILL mid-publish', () => {
  let broker: Mosquitto | undefined;
  let consumer: UpstreamConsumer | undefined;
  let journal: TempJournal | undefined;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    for (const file of COMPILED) {
      if (!existsSync(join(ROOT, file)))
        throw new Error(`${file} is missing: run \`npm run build\` before this test (\`npm test\` does it)`);
    }
  });

  afterEach(async () => {
    if (child?.exitCode === null && child.signalCode === null) await kill(child);
    await consumer?.close();
    await broker?.dispose();
    journal?.close();
    child = consumer = broker = journal = undefined;
  });

  it('loses nothing acknowledged, re-sends at most the batch in flight, and shows birth and will', async () => {
    broker = await startUpstreamBroker();
    consumer = await UpstreamConsumer.connect(broker.url);
    journal = new TempJournal();
    const j = journal;
    const c = consumer;
    const cursor = j.journal.cursor(UPSTREAM_CURSOR);
    j.appendMix(6000);

    const resent: { after: number; upTo: number }[] = [];
    for (const killAt of [1237, 2861]) {
      child = await spawnBridge(j.path, broker.url);
      await waitFor('the birth', () => c.statuses.at(-1)?.state === 'online');
      await waitFor(`${killAt} entries upstream`, () => c.count >= killAt);
      await kill(child);
      // The cursor the dead process left: everything up to it was acknowledged by the broker.
      const committed = cursor.position;
      expect(committed).toBeLessThan(j.journal.lastSeq());
      resent.push({ after: committed, upTo: committed + BATCH });
      await waitFor('the last will', () => c.statuses.at(-1)?.state === 'offline');
      await waitFor('everything acknowledged upstream', () => range(1, committed).every((s) => c.message(s)));
      j.appendMix(200); // appended while the bridge is down
    }

    child = await spawnBridge(j.path, broker.url);
    await waitFor('every entry upstream', () => c.count === j.journal.lastSeq(), 30_000);
    await waitFor('the cursor caught up', () => cursor.lag() === 0);
    expect(c.malformed).toEqual([]);
    expect(c.firstArrivals()).toEqual(range(1, j.journal.lastSeq()));
    // Duplicates only in the re-sent window of each kill: after its cursor, within one batch.
    for (const seq of c.duplicates())
      expect(
        resent.some((w) => seq > w.after && seq <= w.upTo),
        `duplicate seq ${seq}`,
      ).toBe(true);
    expect(c.statuses.map((s) => s.state)).toEqual(['online', 'offline', 'online', 'offline', 'online']);
  }, 90_000);
});
