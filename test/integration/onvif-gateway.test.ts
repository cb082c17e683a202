/**
 * The fused decision end to end, through the real `gatewarden start` (the built CLI): a thermal
 * camera simulator (ONVIF over loopback HTTP) and a serial QR scanner (simulator on a socat
 * pair) at the same pedestrian lane, in closed mode. A person's temperature and mask come from
 * the camera, the pass from the scanner; the gate decides on both.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { OnvifCameraSimulator } from '../../simulators/onvif/onvif-camera.js';
import { QrSerialSimulator } from '../../simulators/qr/serial-scanner-sim.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';
import { ROOT, ScratchSite } from './helpers/cli.js';

const RESIDENTS = join(ROOT, 'test/fixtures/registry/residents.csv');
const LANE = 'north-ped-in';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Entry {
  seq: number;
  type: string;
  payload: Record<string, unknown> & {
    code?: string;
    severity?: string;
    reading?: { celsius: number; mask: boolean | null; remeasure?: string; instrument?: string };
    decision?: {
      allow: boolean;
      reasons: { code: string; effect: string }[];
      actions: { type: string; code?: string; severity?: string }[];
    };
    state?: string;
  };
}

async function gatewayWithCameraAndScanner() {
  const camera = new OnvifCameraSimulator({ discoveryPort: 0, lane: LANE, password: 'cam-secret', seed: 3 });
  const { port } = await camera.start();
  cleanups.push(() => camera.stop());
  const dir = mkdtempSync(join(tmpdir(), 'gw-onvif-qr-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const pair = await new PtyPair(dir).start();
  cleanups.push(() => pair.stop());
  const site = new ScratchSite(`
policy: { antiPassback: false, temperatureWindowSeconds: 4 }
scanners:
  - { id: north-in-qr, lane: ${LANE}, serial: { path: ${pair.a}, baud: 9600, terminator: cr } }
cameras:
  devices:
    - id: north-in-thermal
      lane: ${LANE}
      kind: thermal
      url: http://127.0.0.1:${port}/onvif/device_service
      username: admin
      passwordFile: camera.pw
      heartbeatSeconds: 0.5
      offlineAfterSeconds: 3
      silentAfterSeconds: 1
`);
  cleanups.push(() => site.dispose());
  mkdirSync(join(site.dir, 'data'), { recursive: true });
  writeFileSync(join(site.dir, 'data/camera.pw'), 'cam-secret\n', { mode: 0o600 });
  expect(site.run(['registry', 'import', RESIDENTS, '--roster', 'residents']).status).toBe(0);
  const scanner = new QrSerialSimulator({
    transport: new SerialTransport({ path: pair.b, baudRate: 9600 }),
    baudRate: 9600,
  });
  await scanner.start();
  cleanups.push(() => scanner.stop());
  const gateway = await site.start();
  cleanups.push(() => gateway.stop());

  // Read straight from the database: a CLI run per poll (spawnSync) would stall this process,
  // and with it the camera simulator the gateway is talking to.
  const db = new Database(join(site.dir, 'data/gatewarden.db'), { readonly: true });
  cleanups.push(() => db.close());
  const select = db.prepare<[string], { seq: number; type: string; payload: string }>(
    'SELECT seq, type, payload FROM journal WHERE type = ? ORDER BY seq',
  );
  const journal = (type: string): Entry[] =>
    select.all(type).map((r) => ({ seq: r.seq, type: r.type, payload: JSON.parse(r.payload) }));
  const decisions = () => journal('decision');
  const readings = () => journal('reading');
  /**
   * Scans Li Na's pass and returns the decision's reason codes. The scanner drops a repeat of
   * the same code within its duplicate window (1 s), so scans are spaced beyond it.
   */
  let lastScanAt = 0;
  const scan = async () => {
    const since = Date.now() - lastScanAt;
    if (since < 1200) await new Promise((r) => setTimeout(r, 1200 - since));
    lastScanAt = Date.now();
    const before = decisions().length;
    await scanner.scan('QR-LINA');
    await waitFor('a decision', () => decisions().length > before);
    const decision = decisions().at(-1)?.payload.decision;
    const alarms = decision?.actions.filter((a) => a.type === 'alarm').map((a) => `${a.code}:${a.severity}`);
    return { allow: decision?.allow, codes: decision?.reasons.map((r) => r.code), alarms };
  };
  await waitFor('the camera online in the journal', () =>
    journal('device').some((e) => e.payload.deviceId === 'north-in-thermal' && e.payload.state === 'online'),
  );
  await waitFor('the gateway pulling events', () => camera.hub.all().some((p) => p.waiting));
  return { site, camera, scan, readings, journal };
}

describe('thermal camera + card at one lane, through gatewarden start', () => {
  it('lets a person through on a normal reading with a mask, asks for a re-measure on a high one, refuses FEVER when the handheld confirms it, and TEMPERATURE_REQUIRED without a reading', async () => {
    const { site, camera, scan, readings, journal } = await gatewayWithCameraAndScanner();

    // 1. Normal temperature and a mask, then the pass: allowed.
    await camera.person({ celsius: 36.6, mask: true });
    await waitFor('the reading journaled', () => readings().length === 1);
    expect(readings()[0]?.payload.reading).toMatchObject({ celsius: 36.6, mask: true, instrument: 'camera' });
    expect(await scan()).toEqual({ allow: true, codes: ['RESIDENT'], alarms: [] });

    // 2. A high camera reading: asked to re-measure (a warning for the operator), not FEVER yet.
    await camera.person({ celsius: 38.4, mask: true });
    await waitFor('the high reading journaled', () => readings().length === 2);
    expect(readings()[1]?.payload.reading?.remeasure).toBe('required');
    expect(await scan()).toEqual({
      allow: false,
      codes: ['TEMPERATURE_REMEASURE'],
      alarms: ['TEMPERATURE_REMEASURE:warning'],
    });

    // 3. The guard's handheld thermometer confirms it: FEVER and a critical alarm.
    const handheld = site.run(['reading', LANE, '38.3', '--handheld', '--operator', 'guard-1']);
    expect(handheld.status).toBe(0);
    expect(handheld.stdout).toMatch(/re-measure recorded: 38\.3 °C/);
    expect(await scan()).toEqual({ allow: false, codes: ['FEVER'], alarms: ['FEVER:critical'] });
    expect(readings().map((e) => e.payload.reading?.remeasure)).toEqual([undefined, 'required', 'taken']);

    // 4. Nobody measured: TEMPERATURE_REQUIRED, and the camera that sent nothing is called out.
    await new Promise((r) => setTimeout(r, 4500)); // past the 4 s window of the last reading
    expect(await scan()).toEqual({ allow: false, codes: ['TEMPERATURE_REQUIRED'], alarms: [] });
    await waitFor('CAMERA_SILENT', () => journal('alarm').some((e) => e.payload.code === 'CAMERA_SILENT'));
  });
});
