/**
 * The built `gatewarden-sim idcard` command on one end of a socat pty pair, the reader
 * session on the other, driven through the simulator's console on stdin. Needs `socat` and
 * the compiled tree (`npx tsc -p tsconfig.json`; npm test builds first).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { IdCardReaderSession } from '../../drivers/idcard/reader-session.js';
import type { IdCardRead } from '../../drivers/idcard/reader-types.js';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = resolve(import.meta.dirname, '../..');
const COMMAND = join(ROOT, 'dist/simulators/cli/main.js');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('serves the reader session from the built subcommand and obeys its console', async () => {
  if (!existsSync(COMMAND)) throw new Error(`${COMMAND} is missing: build first (npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'gw-idcard-cli-'));
  const pair = await new PtyPair(dir, 'idcard').start();
  cleanups.push(async () => {
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const args = ['idcard', '--port', pair.b, '--place', '0', '--read-ms', '20'];
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
  await waitFor('ready', () => lines().some((l) => l.startsWith('ready idcard')));

  const line = new HalfDuplexLine(new SerialTransport({ path: pair.a, baudRate: 115200 }), {
    baudRate: 115200,
    reopenIntervalMs: 100,
  });
  const session = new IdCardReaderSession({ line, timing: { pollIntervalMs: 30 } });
  const reads: IdCardRead[] = [];
  let removed = 0;
  session.on('read', (read) => reads.push(read));
  session.on('removed', () => removed++);
  cleanups.push(async () => {
    await session.stop();
    await line.stop();
  });
  await line.start();
  session.start();

  await waitFor('the card placed at start read', () => reads.length === 1);
  child.stdin.write('remove\n');
  await waitFor('the removal', () => removed === 1);
  child.stdin.write('place 1\n');
  await waitFor('the second card read', () => reads.length === 2);
  child.stdin.write('status\nfault sam-fault 61\nquit\n');
  expect(await exited).toBe(0);

  expect(reads.map((r) => r.card.birthDate)).toEqual(['19900307', '19850612']);
  expect(err).toBe('error: sam-fault status is 60 or 66\n');
  expect(lines()).toEqual([
    expect.stringMatching(
      /^placed 0: visitor \(register it to test an allowed visit\) \[1101\*{10}\d{3}[\dX]\]$/,
    ),
    'link up',
    `ready idcard port ${pair.b} baud 115200 deck 6`,
    'read 0',
    'card removed',
    expect.stringMatching(/^placed 1: visitor nobody registered \[3101\*+/),
    'read 1',
    expect.stringMatching(/^card: {5}1: visitor nobody registered/),
    'fault:    none',
    expect.stringMatching(/^commands: \d+, reads: 2$/),
    'bye',
    '',
  ]);
});
