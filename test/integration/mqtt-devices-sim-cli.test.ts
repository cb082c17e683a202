/**
 * The built `gatewarden-sim mqtt-relay` and `mqtt-lock` commands as separate processes against
 * a real Mosquitto, the gateway side as in mqtt-devices.test.ts. Killing the relay process with
 * SIGKILL makes the broker publish its last will: the device is journaled offline; a new process
 * brings it back. The lock obeys a pass, is jammed from its console (an error state), and quits
 * in order (offline). Needs the compiled tree (`npx tsc -p tsconfig.json`; npm test builds first).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { type Mosquitto, startMosquitto } from './helpers/mosquitto.js';
import { type MqttDeviceSite, RESIDENT_CARD, startMqttDeviceSite } from './helpers/mqtt-devices-site.js';

const ROOT = resolve(import.meta.dirname, '../..');
const COMMAND = join(ROOT, 'dist/simulators/cli/main.js');

const DEVICES = `
mqtt:
  devices:
    - { convention: zigbee2mqtt, id: north-lock, lane: north-ped-in, kind: lock, friendlyName: north-lock }
    - { convention: tasmota, id: side-strike, lane: north-side-in, kind: relay, topic: side_strike }
`;

interface Sim {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  write: (line: string) => void;
  exited: Promise<number | null>;
}

let broker: Mosquitto;
let gateway: MqttDeviceSite;
const cleanups: (() => Promise<void>)[] = [];

function sim(args: string[]): Sim {
  const child = spawn(process.execPath, [COMMAND, ...args, '--url', broker.url], { cwd: ROOT });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  return { child, out: () => out, write: (line) => child.stdin.write(`${line}\n`), exited };
}

const states = (deviceId: string) =>
  gateway
    .entries('device')
    .filter((e) => e.payload.deviceId === deviceId)
    .map((e) => e.payload.state);

beforeEach(async () => {
  if (!existsSync(COMMAND)) throw new Error(`${COMMAND} is missing: build first (npx tsc -p tsconfig.json)`);
  broker = await startMosquitto();
  cleanups.push(() => broker.dispose());
  gateway = await startMqttDeviceSite(broker.url, DEVICES);
  cleanups.push(() => gateway.dispose());
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('pulses the relay process, sees it offline when killed (its will) and online when started again', async () => {
  const first = sim(['mqtt-relay', '--topic', 'side_strike']);
  await waitFor('the relay online', () => gateway.online('side-strike'));
  expect(first.out()).toMatch(/^ready mqtt-relay mqtt:\/\/127\.0\.0\.1:\d+ topic side_strike$/m);
  gateway.port.present('north-side-in', RESIDENT_CARD, 'test-reader');
  await waitFor('the pulse', () => first.out().includes('power 1 off pulse end'));
  expect(first.out()).toContain('command PulseTime 10');
  expect(first.out()).toContain('power 1 on POWER ON');

  first.child.kill('SIGKILL');
  await first.exited;
  await waitFor('the relay offline', () => states('side-strike').at(-1) === 'offline');
  expect(gateway.entries('alarm').map((e) => e.payload.code)).toEqual(['DEVICE_OFFLINE']);

  sim(['mqtt-relay', '--topic', 'side_strike']);
  await waitFor('the relay online again', () => gateway.online('side-strike'));
  expect(states('side-strike')).toEqual(['online', 'offline', 'online']);
});

it('unlocks the lock process for a pass, reports its jam from the console, and sees it quit', async () => {
  const lock = sim(['mqtt-lock', '--lock', 'north-lock']);
  await waitFor('the lock online', () => gateway.online('north-lock'));
  gateway.port.present('north-ped-in', RESIDENT_CARD, 'test-reader');
  await waitFor('unlocked and locked again', () => /bolt unlocked\n(.*\n)*bolt locked/.test(lock.out()));
  expect(lock.out()).toContain('command {"state":"UNLOCK"}');

  lock.write('jam on');
  await waitFor('the jam journaled', () => states('north-lock').at(-1) === 'error');
  lock.write('quit');
  expect(await lock.exited).toBe(0);
  await waitFor('the lock offline', () => states('north-lock').at(-1) === 'offline');
});
