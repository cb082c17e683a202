/**
 * The serial QR scanner stack over a real pseudo-terminal pair from socat: the built
 * `gatewarden-sim qr` command on one end (driven through its console on stdin), SerialScanner +
 * ScannerAdapter on the other with a LanePort that records what it is handed. Needs `socat` and
 * the compiled tree (`npx tsc -p tsconfig.json`; npm test builds first).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScannerAdapter } from '../../drivers/scanner/scanner-adapter.js';
import { SerialScanner } from '../../drivers/scanner/serial-scanner.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { childLogger } from '../../gateway/logging.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { memoryLog, recordingLanePort } from '../helpers/idcard-lane.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = resolve(import.meta.dirname, '../..');
const COMMAND = join(ROOT, 'dist/simulators/cli/main.js');
const BAUD = 115200;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(terminator: 'cr' | 'lf' | 'crlf') {
  if (!existsSync(COMMAND)) throw new Error(`${COMMAND} is missing: build first (npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'gw-qr-'));
  const pair = await new PtyPair(dir, 'qr').start();
  cleanups.push(async () => {
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const args = ['qr', '--port', pair.b, '--baud', String(BAUD), '--terminator', terminator, '--seed', '11'];
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [COMMAND, ...args], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  const lines = () => out.split('\n');
  await waitFor('the simulator ready', () => lines().some((l) => l.startsWith('ready qr')));

  const log = memoryLog();
  const scanner = new SerialScanner({
    transport: new SerialTransport({ path: pair.a, baudRate: BAUD }),
    terminator,
    maxLength: 256,
    reopenIntervalMs: 100,
    log: childLogger(log.logger, 'driver:qr-gate'),
  });
  const lane = recordingLanePort();
  const adapter = new ScannerAdapter(
    { deviceId: 'qr-gate', laneId: 'east-ped-in' },
    scanner,
    lane.port,
    childLogger(log.logger, 'driver:qr-gate'),
  );
  const events: string[] = [];
  scanner.on('online', () => events.push('online'));
  scanner.on('offline', () => events.push('offline'));
  scanner.on('rejected', (r) => events.push(`rejected ${r.reason}`));
  adapter.start();
  cleanups.push(async () => {
    adapter.stop();
    await scanner.stop();
  });
  expect(await scanner.start()).toBe(true);
  const command = (line: string) => child.stdin.write(`${line}\n`);
  const values = () => lane.presented.map((p) => p.credential.value);
  return { pair, child, exited, lines, err: () => err, scanner, lane, log, events, command, values };
}

describe('serial QR scanner over a socat pseudo-terminal pair', () => {
  it('scanned codes arrive at the lane as qr credentials; garbage and over-long lines do not', async () => {
    const t = await setUp('crlf');
    t.command('scan RES-0042-NORTH');
    await waitFor('the first code', () => t.values().length === 1);
    t.command('garbage 24');
    t.command('overlong 1000');
    t.command('split 3 访客 VIS-7781');
    await waitFor('the split code', () => t.values().length === 2);
    expect(t.lane.presented).toStrictEqual([
      { laneId: 'east-ped-in', source: 'qr-gate', credential: { kind: 'qr', value: 'RES-0042-NORTH' } },
      { laneId: 'east-ped-in', source: 'qr-gate', credential: { kind: 'qr', value: '访客 VIS-7781' } },
    ]);
    expect(t.events.filter((e) => e.startsWith('rejected'))).toEqual([
      expect.stringMatching(/^rejected (encoding|control-character)$/),
      'rejected too-long',
    ]);
    t.command('status');
    t.command('quit');
    expect(await t.exited).toBe(0);
    expect(t.lines()).toContain('terminator: crlf');
    expect(t.err()).toBe('');
    for (const secret of ['RES-0042-NORTH', 'VIS-7781', '访客']) expect(t.log.text()).not.toContain(secret);
  });

  it('goes offline when the pair is stopped (cable unplugged) and online again when it is restarted, then scans again', async () => {
    const t = await setUp('cr');
    t.command('scan BEFORE-1');
    await waitFor('the code before', () => t.values().length === 1);
    await t.pair.stop();
    await waitFor('the scanner offline', () => t.events.includes('offline'));
    expect(t.lane.states.at(-1)).toMatch(/^qr-gate offline/);
    expect(t.lane.alarms.map((a) => a.code)).toEqual(['DEVICE_OFFLINE']);
    await waitFor('the simulator link down', () => t.lines().some((l) => l.startsWith('link down')));

    await t.pair.start();
    await waitFor(
      'the scanner online again',
      () => t.events.filter((e) => e === 'online').length === 2,
      15_000,
    );
    await waitFor(
      'the simulator link up again',
      () => t.lines().filter((l) => l === 'link up').length >= 2,
      15_000,
    );
    expect(t.scanner.counters.reconnects).toBe(1);
    t.command('scan AFTER-2');
    await waitFor('the code after', () => t.values().length === 2);
    expect(t.values()).toEqual(['BEFORE-1', 'AFTER-2']);
    expect(t.lane.states).toEqual([
      'qr-gate online',
      expect.stringMatching(/^qr-gate offline /),
      'qr-gate online',
    ]);
  });
});
