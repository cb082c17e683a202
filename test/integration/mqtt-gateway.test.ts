/**
 * MQTT through the real `gatewarden start` (the built CLI): the embedded broker with a user made
 * by `gatewarden mqtt user add`, the live tree read by mosquitto_sub as the dashboard user, a
 * refused login journaled, and the journal delivered to an upstream Mosquitto. Every server is
 * started here on loopback ports of its own.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { TasmotaRelaySimulator } from '../../simulators/mqtt/tasmota-relay-sim.js';
import { QrSerialSimulator } from '../../simulators/qr/serial-scanner-sim.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';
import { ROOT, ScratchSite } from './helpers/cli.js';

const RESIDENTS = join(ROOT, 'test/fixtures/registry/residents.csv');

import { type Mosquitto, startMosquitto } from './helpers/mosquitto.js';
import { addTasmotaStrike, STRIKE_PASSWORD } from './helpers/tasmota-strike.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}

/** A scratch site whose broker listens on `port`, with `upstream` lines under `mqtt:` if given. */
function siteWith(port: number, upstream?: Mosquitto, gatewayId = 'north', extraYaml = ''): ScratchSite {
  const site = new ScratchSite(extraYaml);
  cleanups.push(() => site.dispose());
  let yaml = readFileSync(site.config, 'utf8').replace(/\n {4}port: 0\n/, `\n    port: ${port}\n`);
  if (upstream)
    yaml = yaml.replace(
      '\nmqtt:\n',
      `\nmqtt:\n  upstream:\n    url: ${upstream.url}\n    gatewayId: ${gatewayId}\n    reconnect: { initialSeconds: 0.2, maxSeconds: 1 }\n`,
    );
  writeFileSync(site.config, yaml);
  return site;
}

/** mosquitto_sub until stopped; `lines` are `topic payload`. */
function subscribe(args: string[]): { lines: string[]; stop: () => void } {
  const child = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-v', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  const stop = () => {
    child.kill();
  };
  cleanups.push(stop);
  return { lines, stop };
}

/** A socat pair standing in for a serial QR scanner's cable, and the `scanners:` lines naming it. */
async function scannerCable(): Promise<{ pair: PtyPair; yaml: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-qr-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const pair = await new PtyPair(dir).start();
  cleanups.push(() => pair.stop());
  const yaml = `
scanners:
  - { id: north-in-qr, lane: north-ped-in, serial: { path: ${pair.a}, baud: 9600, terminator: cr } }
`;
  return { pair, yaml };
}

/**
 * Imports the roster, opens the site (no temperature screening, so a QR scan alone decides),
 * starts the scanner simulator on the cable's other end, then the gateway.
 */
async function runWithScanner(site: ScratchSite, pair: PtyPair): Promise<QrSerialSimulator> {
  expect(site.run(['registry', 'import', RESIDENTS, '--roster', 'residents']).status).toBe(0);
  expect(site.run(['mode', 'set', 'open', '--reason', 'test: no temperature screening']).status).toBe(0);
  const scanner = new QrSerialSimulator({
    transport: new SerialTransport({ path: pair.b, baudRate: 9600 }),
    baudRate: 9600,
  });
  await scanner.start();
  cleanups.push(() => scanner.stop());
  const gateway = await site.start();
  cleanups.push(() => gateway.stop());
  return scanner;
}

describe('MQTT in the running gateway', () => {
  it('serves the live tree to the dashboard user and journals a refused login', async () => {
    const port = await freePort();
    const site = siteWith(port);
    const passwordFile = join(site.dir, 'dash.pw');
    writeFileSync(passwordFile, 'dashboard-secret\n', { mode: 0o600 });
    const added = site.run([
      'mqtt',
      'user',
      'add',
      'dash',
      '--role',
      'dashboard',
      '--password-file',
      passwordFile,
    ]);
    expect(added.status, added.stderr).toBe(0);
    const gateway = await site.start();
    cleanups.push(() => gateway.stop());

    const dash = subscribe([
      '-p',
      String(port),
      '-u',
      'dash',
      '-P',
      'dashboard-secret',
      '-t',
      'gatewarden/#',
    ]);
    // The retained mode is there for a client that connects after the gateway started.
    await waitFor('the retained mode', () =>
      dash.lines.some((l) => /^gatewarden\/demo-community\/mode /.test(l)),
    );
    expect(site.run(['mode', 'set', 'open', '--reason', 'test: MQTT live tree']).status).toBe(0);
    await waitFor('the mode switch on the live tree', () =>
      dash.lines.some((l) => /^gatewarden\/demo-community\/mode .*"open"/.test(l)),
    );

    const intruder = spawn(
      'mosquitto_sub',
      ['-h', '127.0.0.1', '-p', String(port), '-u', 'dash', '-P', 'wrong', '-t', '#', '-C', '1'],
      {
        stdio: 'ignore',
      },
    );
    const code = await new Promise<number | null>((done) => intruder.once('exit', done));
    expect(code).not.toBe(0);
    await waitFor('the refused login in the journal', () =>
      site.run(['journal', 'tail', '--type', 'alarm', '--json']).stdout.includes('MQTT_AUTH_FAILED'),
    );
    const stopped = await gateway.stop();
    expect(stopped.status).toBe(0);
  });

  it('delivers the journal and the daily report to an upstream broker, with birth and goodbye', async () => {
    const upstream = await startMosquitto();
    cleanups.push(() => upstream.dispose());
    const site = siteWith(await freePort(), upstream);
    const up = subscribe(['-p', String(upstream.port), '-t', 'gatewarden/demo-community/north/#', '-q', '1']);
    const gateway = await site.start();
    cleanups.push(() => gateway.stop());
    await waitFor('the birth message', () =>
      up.lines.some((l) => l.startsWith('gatewarden/demo-community/north/status ') && l.includes('"online"')),
    );
    // The first start sends the last day's report due: a zero report on a new site.
    await waitFor('the daily report', () =>
      up.lines.some(
        (l) =>
          l.startsWith('gatewarden/demo-community/north/report/daily ') && l.includes('"zeroReport":true'),
      ),
    );
    expect(site.run(['mode', 'set', 'lockdown', '--reason', 'test: upstream']).status).toBe(0);
    await waitFor('the mode entry upstream', () =>
      up.lines.some(
        (l) => l.startsWith('gatewarden/demo-community/north/journal/mode ') && l.includes('lockdown'),
      ),
    );
    const stopped = await gateway.stop();
    expect(stopped.status).toBe(0);
    await waitFor('the goodbye', () =>
      up.lines.some(
        (l) => l.startsWith('gatewarden/demo-community/north/status ') && l.includes('"offline"'),
      ),
    );
  });

  it('shares passes between two gateways of the site: a pass that entered at A is refused re-entry at B', async () => {
    const upstream = await startMosquitto();
    cleanups.push(() => upstream.dispose());
    const status = subscribe(['-p', String(upstream.port), '-t', 'gatewarden/demo-community/+/status']);
    /** A gateway with a serial QR scanner (socat pair + simulator) at its north-ped-in lane. */
    const gatewayWithScanner = async (id: string, keyOf?: ScratchSite) => {
      const { pair, yaml } = await scannerCable();
      const site = siteWith(await freePort(), upstream, id, yaml);
      // The gateways of one site share its key, so they derive the same person ids from a roster.
      if (keyOf) {
        mkdirSync(join(site.dir, 'data/keys'), { recursive: true, mode: 0o700 });
        copyFileSync(join(keyOf.dir, 'data/keys/pseudonym.key'), join(site.dir, 'data/keys/pseudonym.key'));
      }
      return { site, scanner: await runWithScanner(site, pair) };
    };
    const a = await gatewayWithScanner('a');
    const b = await gatewayWithScanner('b', a.site);
    await waitFor('both gateways online upstream', () =>
      ['a', 'b'].every((g) =>
        status.lines.some(
          (l) => l.startsWith(`gatewarden/demo-community/${g}/status `) && l.includes('"online"'),
        ),
      ),
    );
    const decisions = (site: ScratchSite) =>
      site
        .run(['journal', 'tail', '-n', '20', '--type', 'decision'])
        .stdout.trim()
        .split('\n')
        .filter(Boolean);
    const passages = (site: ScratchSite) =>
      site
        .run(['journal', 'tail', '-n', '20', '--type', 'passage'])
        .stdout.trim()
        .split('\n')
        .filter(Boolean);

    await a.scanner.scan('QR-LINA'); // Li Na's pass in the roster
    await waitFor('her entry at A', () => decisions(a.site).length === 1);
    expect(decisions(a.site)[0]).toMatch(/north-ped-in in ALLOW person .*: RESIDENT/);
    await waitFor('her entry at A journaled at B as a passage', () => passages(b.site).length === 1);
    await b.scanner.scan('QR-LINA');
    await waitFor('her attempt at B', () => decisions(b.site).length === 1);
    expect(decisions(b.site)[0]).toMatch(/north-ped-in in DENY .*ANTI_PASSBACK/);
  });

  it('drives a Tasmota relay on a lane through the embedded broker: online, pulsed for a pass', async () => {
    const port = await freePort();
    const { pair, yaml } = await scannerCable();
    const site = siteWith(port, undefined, 'north', yaml);
    addTasmotaStrike(site);
    const scanner = await runWithScanner(site, pair);

    const relay = new TasmotaRelaySimulator({
      connection: {
        url: `mqtt://127.0.0.1:${port}`,
        clientId: 'north-strike',
        username: 'north-strike',
        password: STRIKE_PASSWORD,
      },
      topic: 'north_strike',
    });
    const switched: boolean[] = [];
    relay.on('power', (_relay, on) => switched.push(on));
    await relay.start();
    cleanups.push(() => relay.stop());
    const states = () => site.run(['journal', 'tail', '-n', '20', '--type', 'device']).stdout;
    await waitFor('the relay online in the journal', () => /north-strike.*online/.test(states()));

    await scanner.scan('QR-LINA');
    await waitFor('the strike pulsed on and off', () => switched.includes(true) && switched.at(-1) === false);
  });
});
