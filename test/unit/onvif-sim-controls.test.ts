/**
 * The ONVIF camera simulator's console (simulators/onvif/controls.ts), the commands a
 * technician types into `gatewarden-sim onvif-camera`, against a simulator on loopback.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runOnvifControl } from '../../simulators/onvif/controls.js';
import { OnvifCameraSimulator } from '../../simulators/onvif/onvif-camera.js';

let sim: OnvifCameraSimulator;

beforeEach(async () => {
  sim = new OnvifCameraSimulator({ port: 0, discoveryPort: 0, seed: 5 });
  await sim.start();
});

afterEach(async () => {
  await sim.stop();
});

it('injects people with the given temperature and mask', async () => {
  expect((await runOnvifControl(sim, 'person 38.2 nomask')).output).toMatch(
    /^person id=1 celsius=38\.2 reported=38\.2 kelvin=311\.35 mask=no alarm=yes utc=\S+Z subscriptions=0$/,
  );
  expect((await runOnvifControl(sim, 'person')).output).toMatch(/^person id=2 celsius=3\d\.\d /);
  expect(await runOnvifControl(sim, 'person 38 maybe')).toEqual({
    output: 'error: say mask or nomask, not "maybe"',
    error: true,
  });
  expect((await runOnvifControl(sim, 'vehicle 京A12345')).output).toBe(
    'error: a thermal camera reads no plates',
  );
});

it('sets the faults', async () => {
  await runOnvifControl(sim, 'skew -30');
  await runOnvifControl(sim, 'slow 500');
  await runOnvifControl(sim, 'drift 0.8');
  await runOnvifControl(sim, 'hostile deep');
  expect(sim.settings).toMatchObject({ skewSeconds: -30, slowMs: 500, driftCelsius: 0.8, hostile: 'deep' });
  expect((await runOnvifControl(sim, 'hostile lots')).error).toBe(true);
  expect((await runOnvifControl(sim, 'slow soon')).error).toBe(true);
  expect((await runOnvifControl(sim, 'person 36.6 mask')).output).toContain('reported=37.4 kelvin=310.55');
});

it('reboots without waiting, pauses and quits', async () => {
  const up = new Promise<void>((resolve) =>
    sim.once('power', (s) => s === 'down' && sim.once('power', () => resolve())),
  );
  expect((await runOnvifControl(sim, 'reboot 50')).output).toBe('rebooting, down for 50 ms');
  expect(sim.down).toBe(true);
  await up;
  expect(sim.settings.boots).toBe(2);
  await runOnvifControl(sim, 'pause');
  expect(sim.paused).toBe(true);
  await runOnvifControl(sim, 'resume');
  expect(sim.paused).toBe(false);
  expect((await runOnvifControl(sim, 'status')).output).toContain('boot 2');
  expect(await runOnvifControl(sim, 'quit')).toEqual({ output: 'bye', quit: true });
  expect((await runOnvifControl(sim, 'dance')).output).toBe('error: unknown command "dance"; type help');
});
