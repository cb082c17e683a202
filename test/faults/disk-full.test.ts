/**
 * Disk full on the data directory, for real (docs/journal.md "Disk full"): the built gateway runs
 * with its data directory on a small tmpfs in a mount namespace of its own; a QR scanner on a
 * socat pty decides at a lane whose door strike is a Tasmota relay on the embedded broker. The
 * disk is filled to the last byte, then freed.
 *
 * Asserted: while full, passes are still decided and the door opens (from memory); the held pass
 * counts for anti-passback; the log says JOURNAL_UNAVAILABLE; the journal shows nothing that was
 * not appended; past the bound the lane refuses with JOURNAL_UNAVAILABLE and the door stays shut.
 * Once freed, the held entries land in order, exactly once, behind the outage alarm, and the
 * chain verifies. Stopped (SIGTERM) or killed (SIGKILL, a power cut as the gateway sees it) while
 * full, the held entries are kept in the spill file: a restart on the still-full disk decides with
 * them, and they land once when there is room.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import type { AnyJournalEntry } from '../../gateway/journal/journal.js';
import { TasmotaRelaySimulator } from '../../simulators/mqtt/tasmota-relay-sim.js';
import { QrSerialSimulator } from '../../simulators/qr/serial-scanner-sim.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { freePort } from '../../simulators/site/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { ROOT, ScratchSite } from '../integration/helpers/cli.js';
import { addTasmotaStrike, STRIKE_PASSWORD } from '../integration/helpers/tasmota-strike.js';
import { canUnshareMounts, NamespacedGateway } from './namespaced-gateway.js';

const RESIDENTS = join(ROOT, 'test/fixtures/registry/residents.csv');
/** The scanner drops a repeat of the same code within a second. */
const PAST_DUPLICATE_MS = 1200;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A scratch site: scanner and relay on north-ped-in, open mode, held entries bounded at 4. */
async function prepare(brokerPort: number, scannerPath: string): Promise<ScratchSite> {
  const site = new ScratchSite(`
scanners:
  - { id: north-in-qr, lane: north-ped-in, serial: { path: ${scannerPath}, baud: 9600, terminator: cr } }
journalOutage: { maxHeldEntries: 4, retrySeconds: 1 }
`);
  cleanups.push(() => site.dispose());
  writeFileSync(
    site.config,
    readFileSync(site.config, 'utf8').replace(/\n {4}port: 0\n/, `\n    port: ${brokerPort}\n`),
  );
  addTasmotaStrike(site);
  for (const args of [
    ['registry', 'import', RESIDENTS, '--roster', 'residents'],
    ['mode', 'set', 'open', '--reason', 'test: no temperature screening'],
  ]) {
    const r = site.run(args);
    expect(r.status, r.stderr).toBe(0);
  }
  return site;
}

/** The journal as it is on the tmpfs, read beside the running gateway (WAL: one writer, readers). */
async function journal(
  gateway: NamespacedGateway,
): Promise<Pick<AnyJournalEntry, 'seq' | 'type' | 'payload'>[]> {
  const sqlite = JSON.stringify(join(ROOT, 'node_modules/better-sqlite3'));
  const db = JSON.stringify(join(gateway.dataDir, 'gatewarden.db'));
  const read = `const Db = require(${sqlite}); const db = new Db(${db}, { readonly: true });
    process.stdout.write(JSON.stringify(db.prepare('SELECT seq, type, payload FROM journal ORDER BY seq').all()));`;
  const r = await gateway.inside([process.execPath, '-e', read]);
  expect(r.status, r.stderr).toBe(0);
  const rows = JSON.parse(r.stdout) as { seq: number; type: string; payload: string }[];
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) }) as AnyJournalEntry);
}

/** Decisions and the outage alarm, in journal order, as `seq code` (the first reason). */
function story(entries: readonly Pick<AnyJournalEntry, 'type' | 'payload'>[]): string[] {
  return entries.flatMap((e) => {
    const entry = e as AnyJournalEntry;
    if (entry.type === 'decision') return [`decision ${entry.payload.decision.reasons[0]?.code}`];
    if (entry.type === 'alarm' && entry.payload.code === 'JOURNAL_UNAVAILABLE')
      return ['alarm JOURNAL_UNAVAILABLE'];
    return [];
  });
}

/** Frees the disk, waits for the held entries to land on the next retry, and reads the journal. */
async function freeAndLand(gateway: NamespacedGateway) {
  await gateway.free();
  await waitFor('the held entries appended', () => /journal takes appends again/.test(gateway.stderr));
  return journal(gateway);
}

/** The prepared site's gateway with its data on a 32-MB tmpfs, with its QR scanner on a socat pty; all undone afterwards. */
async function startRig() {
  const dir = mkdtempSync(join(tmpdir(), 'gw-disk-full-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const pair = await new PtyPair(dir).start();
  cleanups.push(() => pair.stop());
  const brokerPort = await freePort();
  const site = await prepare(brokerPort, pair.a);
  const scanner = new QrSerialSimulator({
    transport: new SerialTransport({ path: pair.b, baudRate: 9600 }),
    baudRate: 9600,
  });
  await scanner.start();
  cleanups.push(() => scanner.stop());
  const gateway = await NamespacedGateway.start(site, 32);
  cleanups.push(() => gateway.stop());
  return { brokerPort, scanner, gateway };
}

describe.skipIf(!canUnshareMounts())('disk full on the data directory', () => {
  it('decides from memory, opens the door, raises the alarm, refuses past the bound, lands the held entries once', async () => {
    const { brokerPort, scanner, gateway } = await startRig();
    const relay = new TasmotaRelaySimulator({
      connection: {
        url: `mqtt://127.0.0.1:${brokerPort}`,
        clientId: 'north-strike',
        username: 'north-strike',
        password: STRIKE_PASSWORD,
      },
      topic: 'north_strike',
    });
    let pulses = 0;
    relay.on('power', (_relay, on) => {
      if (on) pulses++;
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    for (
      let i = 0;
      !(await journal(gateway)).some((e) => e.type === 'device' && /north-strike/.test(JSON.stringify(e)));
      i++
    ) {
      if (i > 100) throw new Error('the relay never came online');
      await pause(100);
    }

    // Before: an unknown code, refused and journaled.
    await scanner.scan('QR-NOBODY');
    await waitFor('the first decision journaled', () => gateway.stderr.includes('code scanned'));
    const before = await journal(gateway);
    expect(story(before)).toEqual(['decision UNKNOWN_CREDENTIAL']);
    const headBefore = before.at(-1)?.seq ?? 0;

    await gateway.fill();
    expect((await gateway.inside(['df', '-k', gateway.dataDir])).stdout).toMatch(/100%/);
    // A CLI command cannot hold (it would exit with its entry in memory): it fails and says why.
    const modeSet = await gateway.cli(['mode', 'set', 'lockdown', '--reason', 'test: full disk']);
    expect(modeSet.status).not.toBe(0);
    expect(modeSet.stderr).toMatch(/journal cannot take appends \(SQLITE_FULL\): nothing was recorded/);

    // Full: Li Na's pass is decided from memory and the strike pulses.
    await scanner.scan('QR-LINA');
    await waitFor('the strike pulsed for a held pass', () => pulses === 1);
    await waitFor('the outage in the log', () => gateway.stderr.includes('JOURNAL_UNAVAILABLE'));
    expect(gateway.stderr).toMatch(/journal cannot take appends/);
    // The held pass counts: the same pass in again is anti-passback, not a second open.
    await pause(PAST_DUPLICATE_MS);
    await scanner.scan('QR-LINA');
    await waitFor('the second decision', () => /ANTI_PASSBACK/.test(gateway.stderr));
    // Nothing reported journaled that is not: the journal still ends where it did.
    const during = await journal(gateway);
    expect(during.at(-1)?.seq).toBe(headBefore);
    expect(story(during)).toEqual(['decision UNKNOWN_CREDENTIAL']);

    // Alarm, Li Na, Li Na again, and this one: 4 held, the bound.
    await scanner.scan('QR-NOBODY');
    await waitFor(
      'the third decision',
      () => (gateway.stderr.match(/UNKNOWN_CREDENTIAL/g) ?? []).length >= 2,
    );
    // Past the bound: refused, not recorded, the door stays shut.
    await pause(PAST_DUPLICATE_MS);
    await scanner.scan('QR-LINA');
    await waitFor('a JOURNAL_UNAVAILABLE refusal', () =>
      /"reasons":\[[^\]]*"JOURNAL_UNAVAILABLE"\]/.test(gateway.stderr),
    );
    expect(pulses).toBe(1);
    expect(gateway.stderr).toMatch(/held entries at their bound/);

    // Space returns: the held entries land on the next retry, in order, once.
    const after = await freeAndLand(gateway);
    expect(story(after)).toEqual([
      'decision UNKNOWN_CREDENTIAL',
      'alarm JOURNAL_UNAVAILABLE',
      'decision RESIDENT',
      'decision ANTI_PASSBACK',
      'decision UNKNOWN_CREDENTIAL',
    ]);
    expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => (after[0]?.seq ?? 0) + i));
    const verify = await gateway.cli(['journal', 'verify']);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/journal ok/);

    const stopped = await gateway.stop();
    expect(stopped.status).toBe(0);
  });

  it('stopped while the disk is full: keeps the held entries in the spill, says so without names, lands them at the next start', async () => {
    const { scanner, gateway } = await startRig();
    await gateway.fill();
    await scanner.scan('QR-LINA');
    await waitFor('the outage in the log', () => gateway.stderr.includes('journal cannot take appends'));
    await waitFor('the held pass decided', () => gateway.stderr.includes('code scanned'));

    const stopped = await gateway.kill('SIGTERM');
    expect(stopped.status).toBe(0);
    const line = stopped.stderr.split('\n').find((l) => l.includes('kept in the spill file'));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({
      held: 2,
      lost: 0,
      byType: { alarm: 1, decision: 1 },
      cause: expect.stringMatching(/^SQLITE_/),
    });
    expect(stopped.stderr).not.toMatch(/Li Na|310104198503151231|QR-LINA/);

    await gateway.free();
    await gateway.restart();
    expect(gateway.stderr).toMatch(/entries held when the gateway last stopped are in the journal/);
    expect(story(await journal(gateway))).toEqual(['alarm JOURNAL_UNAVAILABLE', 'decision RESIDENT']);
    expect((await gateway.stop()).status).toBe(0);
  });

  it('killed while the disk is full: the held pass survives, counts after a restart on the full disk, and lands once', async () => {
    const { scanner, gateway } = await startRig();
    await scanner.scan('QR-NOBODY');
    await waitFor('the first decision journaled', () => gateway.stderr.includes('code scanned'));
    const headBefore = (await journal(gateway)).at(-1)?.seq ?? 0;
    await gateway.fill();
    await scanner.scan('QR-LINA');
    await waitFor('the held pass decided', () => /"RESIDENT"/.test(gateway.stderr));

    // Power cut: no stop code runs.
    await gateway.kill();
    expect(await journal(gateway)).toHaveLength(headBefore);
    await gateway.restart();
    expect(gateway.stderr).toMatch(/the journal still cannot take appends: the spilled entries stay held/);
    // Li Na is in: in again is anti-passback, though the journal never got her pass.
    await scanner.scan('QR-LINA');
    await waitFor('the decision after the restart', () => /ANTI_PASSBACK/.test(gateway.stderr));

    const after = await freeAndLand(gateway);
    expect(story(after)).toEqual([
      'decision UNKNOWN_CREDENTIAL',
      'alarm JOURNAL_UNAVAILABLE',
      'decision RESIDENT',
      'decision ANTI_PASSBACK',
    ]);
    const verify = await gateway.cli(['journal', 'verify']);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);

    // And once only: another crash and start land nothing again.
    await gateway.kill();
    await gateway.restart();
    expect(story(await journal(gateway))).toEqual(story(after));
    expect((await gateway.stop()).status).toBe(0);
  });
});
