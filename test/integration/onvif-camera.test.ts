/**
 * The camera driver (CameraSession over the `onvif` package, CameraAdapter) against the ONVIF
 * camera simulator over loopback HTTP and UDP: discovery by unicast, readings with their masks
 * on the lane, plates presented, a camera restart survived, refused credentials, a camera
 * clock off ours, hostile replies, and a camera that goes away and comes back.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CameraAdapter } from '../../drivers/onvif/camera-adapter.js';
import { CameraSession, type CameraSessionOptions } from '../../drivers/onvif/camera-session.js';
import { probeCameras } from '../../drivers/onvif/discovery.js';
import { standardInterpreter } from '../../drivers/onvif/observations.js';
import { systemClock } from '../../drivers/shared/clock.js';
import type { DeviceAlarm, LanePort, ReadingPort } from '../../drivers/shared/lane-port.js';
import type { Decision, PresentedCredential, TemperatureReading } from '../../gateway/rules/types.js';
import type { OnvifCameraOptions } from '../../simulators/onvif/camera-options.js';
import { OnvifCameraSimulator } from '../../simulators/onvif/onvif-camera.js';
import { waitFor } from '../helpers/wait-for.js';

const LANE = 'north-ped-in';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What the camera's adapter handed the gateway, in order. */
class RecordingPort implements LanePort, ReadingPort {
  readonly readings: { laneId: string; reading: TemperatureReading; source: string }[] = [];
  readonly presented: { laneId: string; credential: PresentedCredential }[] = [];
  readonly alarms: DeviceAlarm[] = [];
  readonly states: string[] = [];

  reading(laneId: string, reading: TemperatureReading, source: string): TemperatureReading {
    this.readings.push({ laneId, reading, source });
    return reading;
  }
  present(laneId: string, credential: PresentedCredential): Decision {
    this.presented.push({ laneId, credential });
    return {
      allow: true,
      reasons: [],
      subject: { kind: 'unknown' },
      direction: 'in',
      actions: [],
    } as Decision;
  }
  alarm(alarm: DeviceAlarm): void {
    this.alarms.push(alarm);
  }
  deviceState(_deviceId: string, state: string): void {
    this.states.push(state);
  }
  fire(): void {}
  fireActive(): boolean {
    return false;
  }
  alarmCodes(): string[] {
    return this.alarms.map((a) => a.code);
  }
}

interface Rig {
  sim: OnvifCameraSimulator;
  session: CameraSession;
  port: RecordingPort;
}

async function rig(
  simOptions: OnvifCameraOptions = {},
  session: Partial<CameraSessionOptions> & { kind?: 'thermal' | 'plate' } = {},
): Promise<Rig> {
  const sim = new OnvifCameraSimulator({ discoveryPort: 0, lane: LANE, seed: 7, ...simOptions });
  const { port: httpPort } = await sim.start();
  cleanups.push(() => sim.stop());
  const port = new RecordingPort();
  const log = pino({ level: 'silent' });
  const adapter = new CameraAdapter(
    {
      deviceId: 'cam-1',
      laneId: LANE,
      kind: session.kind ?? simOptions.kind ?? 'thermal',
      maskWindowMs: 3000,
      silentAfterMs: 30_000,
      maxClockSkewMs: 5000,
    },
    port,
    systemClock,
    log,
  );
  const cameraSession = new CameraSession(
    {
      hostname: '127.0.0.1',
      port: httpPort,
      path: '/onvif/device_service',
      username: 'admin',
      password: 'admin',
      interpreter: standardInterpreter,
      clock: systemClock,
      log,
      heartbeatMs: 200,
      offlineAfterMs: 1500,
      requestTimeoutMs: 2000,
      backoff: { initialMs: 100, maxMs: 400 },
      ...session,
    },
    adapter,
  );
  cameraSession.start();
  cleanups.push(() => cameraSession.stop());
  return { sim, session: cameraSession, port };
}

const online = (r: Rig) => () => r.session.status().state === 'online';

/** A subscription exists on the simulator and the session's pull is waiting on it. */
const pulling = (r: Rig) => () => r.sim.hub.all().some((p) => p.waiting);

describe('ONVIF camera driver against the simulator', () => {
  it('finds the simulator by a unicast WS-Discovery probe', async () => {
    const sim = new OnvifCameraSimulator({ discoveryPort: 0, name: 'north-thermal', lane: LANE });
    const { discoveryPort } = await sim.start();
    cleanups.push(() => sim.stop());
    const found = await probeCameras({
      target: { address: '127.0.0.1', port: discoveryPort },
      timeoutMs: 1000,
    });
    expect(found.cameras).toHaveLength(1);
    expect(found.cameras[0]?.xaddrs).toContain(sim.deviceServiceUrl);
    expect(found.cameras[0]?.name).toBe('north-thermal');
    expect(found.cameras[0]?.location).toBe(LANE);
  });

  it('puts each person’s temperature, with the mask the camera saw, on the lane — and nothing for the initial state', async () => {
    const r = await rig();
    await waitFor('camera online and pulling', () => online(r)() && pulling(r)());
    await r.sim.person({ celsius: 36.6, mask: true });
    await r.sim.person({ celsius: 37.9, mask: false });
    await waitFor('two readings', () => r.port.readings.length >= 2);
    expect(r.port.readings.map((x) => [x.laneId, x.source, x.reading.celsius, x.reading.mask])).toEqual([
      [LANE, 'cam-1', 36.6, true],
      [LANE, 'cam-1', 37.9, false],
    ]);
    expect(r.port.readings.every((x) => x.reading.instrument === 'camera')).toBe(true);
    expect(r.port.states).toEqual(['online']);
    expect(r.port.alarms).toEqual([]);
  });

  it('reads spot and box radiometry readings as well', async () => {
    for (const topic of ['spot', 'box'] as const) {
      const r = await rig({ temperatureTopic: topic, maskEvents: false });
      await waitFor('pulling', pulling(r));
      await r.sim.person({ celsius: 36.9 });
      await waitFor(`${topic} reading`, () => r.port.readings.length === 1);
      expect(r.port.readings[0]?.reading).toMatchObject({ celsius: 36.9, mask: null });
    }
  });

  it('presents a plate camera’s plates as credentials, exactly as read', async () => {
    const r = await rig({ kind: 'plate' });
    await waitFor('pulling', pulling(r));
    await r.sim.vehicle('京A01234');
    await waitFor('a plate', () => r.port.presented.length === 1);
    expect(r.port.presented[0]).toEqual({ laneId: LANE, credential: { kind: 'plate', value: '京A01234' } });
  });

  it('survives a camera restart: the subscription is made again and readings flow', async () => {
    const r = await rig();
    await waitFor('pulling', pulling(r));
    await r.sim.person({ celsius: 36.5, mask: true });
    await waitFor('first reading', () => r.port.readings.length === 1);
    const before = r.session.status().counters.subscriptions ?? 0;
    await r.sim.reboot(300);
    await waitFor('a new subscription', () => (r.session.status().counters.subscriptions ?? 0) > before);
    await waitFor('pulling again', pulling(r));
    await r.sim.person({ celsius: 36.7, mask: true });
    await waitFor('reading after the restart', () => r.port.readings.length === 2);
    expect(r.port.readings[1]?.reading.celsius).toBe(36.7);
  });

  it('goes offline when the camera stops answering, with one alarm, and back online when it returns', async () => {
    const r = await rig();
    await waitFor('online', online(r));
    await r.sim.reboot(3000);
    await waitFor('back online', () => r.port.states.length >= 3 && online(r)(), 10_000);
    expect(r.port.states).toEqual(['online', 'offline', 'online']);
    expect(r.port.alarmCodes()).toEqual(['DEVICE_OFFLINE']);
    await waitFor('pulling', pulling(r));
    await r.sim.person({ celsius: 36.4, mask: true });
    await waitFor('reading after the outage', () => r.port.readings.length === 1);
  });

  it('says clearly when the camera refuses the password, and raises CAMERA_AUTH_FAILED once', async () => {
    const r = await rig({ password: 'the-right-one' });
    await waitFor('refused', () => r.session.status().state === 'refused');
    expect(r.port.states).toEqual(['error']);
    expect(r.port.alarms).toHaveLength(1);
    expect(r.port.alarms[0]).toMatchObject({
      code: 'CAMERA_AUTH_FAILED',
      severity: 'critical',
      laneId: LANE,
    });
    expect(String(r.port.alarms[0]?.detail?.reason)).toMatch(/refused the user or password/);
    // It keeps trying (slowly), without raising the alarm again.
    const refusedBefore = r.sim.counters.refused;
    await waitFor('another attempt', () => r.sim.counters.refused > refusedBefore);
    expect(r.port.alarms).toHaveLength(1);
  });

  it('tells the camera clock offset, alarms when it is too far off, and keeps working when it jumps', async () => {
    const r = await rig({ clockSkewSeconds: 30 });
    await waitFor('online', online(r));
    const offset = r.session.status().clockOffsetMs ?? 0;
    expect(Math.abs(offset - 30_000)).toBeLessThanOrEqual(1500);
    expect(r.port.alarmCodes()).toEqual(['CAMERA_CLOCK_SKEW']);
    await waitFor('pulling', pulling(r));
    // The camera's clock jumps after we connected: our tokens' times are off by 70 s now.
    r.sim.setClockSkew(-40);
    await r.sim.person({ celsius: 36.8, mask: true });
    await waitFor('reading after the jump', () => r.port.readings.length === 1, 10_000);
    expect(r.port.alarmCodes()).not.toContain('CAMERA_AUTH_FAILED');
  });

  it('refuses hostile replies (huge, deep, entities, garbage) without crashing and goes on reading', async () => {
    const r = await rig();
    for (const kind of ['huge', 'deep', 'entities', 'garbage'] as const) {
      await waitFor('pulling', pulling(r));
      const bad = r.session.status().counters.badReplies ?? 0;
      r.sim.serveHostile(kind);
      await r.sim.person({ celsius: 36.6, mask: true });
      await waitFor(`${kind} refused`, () => (r.session.status().counters.badReplies ?? 0) === bad + 1);
    }
    expect(r.session.status().state).toBe('online');
    await waitFor('pulling', pulling(r));
    await r.sim.person({ celsius: 36.2, mask: true });
    await waitFor('a reading after the hostile replies', () =>
      r.port.readings.some((x) => x.reading.celsius === 36.2),
    );
    expect(process.memoryUsage().rss).toBeLessThan(2 * 1024 ** 3);
  });
});
