/**
 * `gatewarden cameras discover` and `gatewarden cameras check` (the built CLI) against the ONVIF
 * camera simulator on loopback. The CLI runs as an asynchronous child process: the simulator
 * lives in this process and must keep answering while the CLI waits for it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { OnvifCameraSimulator } from '../../simulators/onvif/onvif-camera.js';
import { CLI, ScratchSite } from './helpers/cli.js';

const run = promisify(execFile);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function camera(password = 'cam-secret') {
  const sim = new OnvifCameraSimulator({
    discoveryPort: 0,
    name: 'north-thermal',
    lane: 'north-ped-in',
    password,
  });
  const ports = await sim.start();
  cleanups.push(() => sim.stop());
  return { sim, ...ports };
}

function siteWithCamera(port: number): ScratchSite {
  const site = new ScratchSite(`
cameras:
  devices:
    - { id: north-in-thermal, lane: north-ped-in, kind: thermal, url: "http://127.0.0.1:${port}/onvif/device_service", username: admin, passwordFile: camera.pw }
`);
  cleanups.push(() => site.dispose());
  mkdirSync(join(site.dir, 'data'), { recursive: true });
  writeFileSync(join(site.dir, 'data/camera.pw'), 'cam-secret\n', { mode: 0o600 });
  return site;
}

const cli = (site: ScratchSite, args: string[]) =>
  run(process.execPath, [CLI, '--config', site.config, ...args], { encoding: 'utf8' }).then(
    (r) => ({ status: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      status: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );

describe('gatewarden cameras', () => {
  it('discover lists the camera that answers a unicast probe', async () => {
    const { sim, port, discoveryPort } = await camera();
    const site = siteWithCamera(port);
    const r = await cli(site, [
      'cameras',
      'discover',
      '--target',
      `127.0.0.1:${discoveryPort}`,
      '--timeout',
      '1',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('north-thermal');
    expect(r.stdout).toContain(`url: ${sim.deviceServiceUrl}`);
    const json = await cli(site, [
      'cameras',
      'discover',
      '--target',
      `127.0.0.1:${discoveryPort}`,
      '--timeout',
      '1',
      '--json',
    ]);
    expect(JSON.parse(json.stdout).cameras[0].location).toBe('north-ped-in');
  });

  it('discover refuses a target that is not host:port', async () => {
    const site = siteWithCamera(1);
    const r = await cli(site, ['cameras', 'discover', '--target', '127.0.0.1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--target must be host:port/);
  });

  it('check connects to a configured camera and says what it is, its clock offset and its subscription', async () => {
    const { port } = await camera();
    const site = siteWithCamera(port);
    const r = await cli(site, ['cameras', 'check', 'north-in-thermal']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/north-in-thermal: gatewarden sim-thermal/);
    expect(r.stdout).toMatch(/clock offset 时钟偏差: -?[01] s/);
    expect(r.stdout).toMatch(/event subscription 事件订阅: ok/);
  });

  it('check names the problem when the camera refuses the password', async () => {
    const { port } = await camera('another-password');
    const site = siteWithCamera(port);
    const r = await cli(site, ['cameras', 'check', 'north-in-thermal']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/camera "north-in-thermal": not-authorised: .*refused the user or password/);
  });
});
