/**
 * MQTT through the real `gatewarden start` (the built CLI): the embedded broker with a user made
 * by `gatewarden mqtt user add`, the live tree read by mosquitto_sub as the dashboard user, a
 * refused login journaled, and the journal delivered to an upstream Mosquitto. Every server is
 * started here on loopback ports of its own.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { ScratchSite } from './helpers/cli.js';
import { type Mosquitto, startMosquitto } from './helpers/mosquitto.js';

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
function siteWith(port: number, upstream?: Mosquitto): ScratchSite {
  const site = new ScratchSite();
  cleanups.push(() => site.dispose());
  let yaml = readFileSync(site.config, 'utf8').replace(/\n {4}port: 0\n/, `\n    port: ${port}\n`);
  if (upstream)
    yaml = yaml.replace(
      '\nmqtt:\n',
      `\nmqtt:\n  upstream:\n    url: ${upstream.url}\n    gatewayId: north\n    reconnect: { initialSeconds: 0.2, maxSeconds: 1 }\n`,
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

  it('delivers the journal to an upstream broker with its birth message', async () => {
    const upstream = await startMosquitto();
    cleanups.push(() => upstream.dispose());
    const site = siteWith(await freePort(), upstream);
    const up = subscribe(['-p', String(upstream.port), '-t', 'gatewarden/demo-community/north/#', '-q', '1']);
    const gateway = await site.start();
    cleanups.push(() => gateway.stop());
    await waitFor('the birth message', () =>
      up.lines.some((l) => l.startsWith('gatewarden/demo-community/north/status ') && l.includes('"online"')),
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
});
