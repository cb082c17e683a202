/**
 * The built `gatewarden-sim barrier` command on one end of a socat pty pair, a Modbus session and
 * a barrier adapter on the other, driven through the simulator's console on stdin. Needs `socat`
 * and the compiled tree (`npx tsc -p tsconfig.json`; npm test builds first).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { BarrierAdapter } from '../../drivers/barrier/barrier-adapter.js';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { ModbusBoardSession } from '../../drivers/modbus/board-session.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { ALLOW, barrierLanePort, silentLog, standardBarrier } from '../helpers/barrier-rig.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = resolve(import.meta.dirname, '../..');
const COMMAND = join(ROOT, 'dist/simulators/cli/main.js');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('serves a barrier lane from the built subcommand and obeys its console', async () => {
  if (!existsSync(COMMAND)) throw new Error(`${COMMAND} is missing: build first (npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'gw-barrier-cli-'));
  const pair = await new PtyPair(dir, 'rs485').start();
  cleanups.push(async () => {
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const args = ['barrier', '--port', pair.b, '--units', '3,4', '--rise-ms', '300', '--fall-ms', '400'];
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
  await waitFor('ready', () => lines().includes(`ready barrier port ${pair.b} baud 9600 units 3,4`));

  const line = new HalfDuplexLine(new SerialTransport({ path: pair.a, baudRate: 9600 }), {
    baudRate: 9600,
    idleGapCharacters: 4,
  });
  const session = new ModbusBoardSession({
    line,
    board: { unit: 4, name: 'board-4', inputs: { address: 0, count: 8 } },
  });
  const lane = barrierLanePort();
  const timing = { pulseMs: 200, settleMs: 300, travelTimeoutMs: 3000, passTimeoutMs: 30_000 };
  const adapter = new BarrierAdapter(
    { ...standardBarrier('barrier-4'), timing },
    session,
    lane.port,
    silentLog,
  );
  cleanups.push(async () => {
    await adapter.stop();
    await session.stop();
    await line.stop();
  });
  adapter.start();
  await line.start();
  session.start();
  await waitFor('the board online', () => session.inputs !== undefined);

  adapter.onDecision(ALLOW);
  await waitFor('the arm up', () => lines().includes('arm 4 up'));
  child.stdin.write('car arrive 4\n');
  await waitFor('the loop seen', () => session.inputs?.[0] === true);
  child.stdin.write('car clear 4\n');
  await waitFor('the arm down', () => lines().includes('arm 4 down'));
  expect(lines().filter((l) => l.startsWith('coil 4 close on'))).toEqual(['coil 4 close on loop clear']);
  expect(lines()).toContain('loop 4 occupied');

  child.stdin.write('fault 4 silent on\n');
  await waitFor('DEVICE_OFFLINE', () => lane.codes().includes('DEVICE_OFFLINE'));
  child.stdin.write('fault 4 silent off\nstatus\nquit\n');
  expect(await exited).toBe(0);
  expect(out).toMatch(
    /^board 4: arm down, loop clear, fire off, coils 00000000, faults none, writes \d+, hazards 0$/m,
  );
  expect(out).toMatch(/^bus: 9600 baud, requests \d+/m);
  expect(err).toBe('');
});

it('refuses bad options with exit code 2', async () => {
  if (!existsSync(COMMAND)) throw new Error(`${COMMAND} is missing: build first (npx tsc -p tsconfig.json)`);
  const child = spawn(process.execPath, [COMMAND, 'barrier', '--port', '/dev/null', '--units', '1,1'], {
    cwd: ROOT,
  });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  expect(await new Promise((done) => child.once('exit', done))).toBe(2);
  expect(err).toContain('a unit is given twice');
});
