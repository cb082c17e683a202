/**
 * A serial QR scanner configured in the real gateway process: a socat pty pair stands in for
 * its cable, the scanner simulator for the scanner. A resident's QR pass is decided, journaled
 * and allowed; an unknown code refused; garbage on the line decides nothing. The code text
 * never reaches the gateway's log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { QrSerialSimulator } from '../../simulators/qr/serial-scanner-sim.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { type CliResult, ROOT, ScratchSite } from './helpers/cli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function decisions(site: ScratchSite, n: number, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const out = site.run(['journal', 'tail', '-n', '20', '--type', 'decision']).stdout;
    if (out.trim().split('\n').filter(Boolean).length >= n) return out;
    if (Date.now() > deadline) throw new Error(`fewer than ${n} decisions journaled:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a serial QR scanner in the gateway', () => {
  it('decides scanned codes at its lane and ignores garbage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-qr-gw-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pair = await new PtyPair(dir).start();
    cleanups.push(() => pair.stop());
    const site = new ScratchSite(`
scanners:
  - { id: north-in-qr, lane: north-ped-in, serial: { path: ${pair.a}, baud: 9600, terminator: cr } }
`);
    cleanups.push(() => site.dispose());
    const roster = join(ROOT, 'test/fixtures/registry/residents.csv');
    expect(site.run(['registry', 'import', roster, '--roster', 'residents']).status).toBe(0);
    expect(site.run(['mode', 'set', 'open', '--reason', 'test: no temperature screening']).status).toBe(0);
    const scanner = new QrSerialSimulator({
      transport: new SerialTransport({ path: pair.b, baudRate: 9600 }),
      baudRate: 9600,
    });
    await scanner.start();
    cleanups.push(() => scanner.stop());

    const gateway = await site.start();
    let stopped: CliResult | undefined;
    cleanups.push(async () => {
      stopped ??= await gateway.stop();
    });
    await new Promise((r) => setTimeout(r, 500));
    await scanner.garbage(40);
    await scanner.scan('QR-LINA'); // Li Na's pass in the roster
    await decisions(site, 1);
    await new Promise((r) => setTimeout(r, 1200)); // past the duplicate window
    await scanner.scan('QR-NOBODY');
    const journal = await decisions(site, 2);
    expect(journal).toMatch(/north-ped-in in ALLOW person .*: RESIDENT/);
    expect(journal).toMatch(/north-ped-in in DENY\s+unknown: UNKNOWN_CREDENTIAL/);
    expect(journal.trim().split('\n')).toHaveLength(2); // the garbage decided nothing

    stopped = await gateway.stop();
    expect(stopped.status).toBe(0);
    expect(stopped.stderr).toMatch(/north-in-qr|scanner/);
    expect(stopped.stderr).not.toContain('QR-LINA');
    expect(stopped.stderr).not.toContain('QR-NOBODY');
  });
});
