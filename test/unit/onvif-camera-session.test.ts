import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CameraCallError, type CameraLink, type PullPoint } from '../../drivers/onvif/camera-link.js';
import { CameraSession, type CameraState } from '../../drivers/onvif/camera-session.js';
import type { CameraObservation } from '../../drivers/onvif/observations.js';
import { standardInterpreter } from '../../drivers/onvif/observations.js';
import { ManualClock } from '../helpers/manual-clock.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/onvif');
const BODY_TEMPERATURE = readFileSync(join(FIXTURES, 'pull-body-temperature.xml'), 'utf8');
const NOT_AUTHORIZED = readFileSync(join(FIXTURES, 'fault-not-authorized.xml'), 'utf8');

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
const networkError = (call: string) =>
  new CameraCallError(
    call,
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    undefined,
  );

/** A camera as the session sees it through CameraLink; the test decides every answer. */
class FakeCamera {
  connectAt: number[] = [];
  refuseConnect: CameraCallError | undefined;
  dead = false;
  offsetMs = 0;
  pulls: Deferred<string>[] = [];
  subscriptions = 0;
  renewals = 0;
  unsubscribed = 0;

  constructor(private readonly clock: ManualClock) {}

  connect = async (): Promise<CameraLink> => {
    this.connectAt.push(this.clock.now());
    if (this.dead) throw networkError('connect');
    if (this.refuseConnect) throw this.refuseConnect;
    const camera = this;
    const clock = this.clock;
    const point = (): PullPoint => ({
      address: 'http://cam/sub',
      currentTime: clock.now(),
      terminationTime: clock.now() + 120_000,
    });
    return {
      systemTime: () =>
        camera.dead ? new Promise(() => {}) : Promise.resolve(new Date(clock.now() + camera.offsetMs)),
      deviceInformation: async () => ({ manufacturer: 'fake', model: 'cam' }),
      createPullPoint: async () => {
        camera.subscriptions++;
        return point();
      },
      pull: () => {
        const d = deferred<string>();
        camera.pulls.push(d);
        return d.promise;
      },
      renew: async () => {
        camera.renewals++;
        return clock.now() + 120_000 + camera.offsetMs;
      },
      unsubscribe: async () => {
        camera.unsubscribed++;
      },
    };
  };

  get lastPull(): Deferred<string> {
    const d = this.pulls.at(-1);
    if (!d) throw new Error('no pull yet');
    return d;
  }
}

function session(options: { offlineAfterMs?: number } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const camera = new FakeCamera(clock);
  const states: [CameraState, string | undefined][] = [];
  const seen: CameraObservation[] = [];
  const s = new CameraSession(
    {
      hostname: 'cam',
      port: 80,
      path: '/onvif/device_service',
      interpreter: standardInterpreter,
      clock,
      log: pino({ level: 'silent' }),
      heartbeatMs: 1000,
      offlineAfterMs: options.offlineAfterMs ?? 3000,
      requestTimeoutMs: 2000,
      backoff: { initialMs: 500, maxMs: 4000 },
      renewMarginMs: 70_000,
      connect: camera.connect,
      random: () => 0.5,
    },
    {
      observations: (list) => seen.push(...list),
      state: (state, detail) => states.push([state, detail]),
    },
  );
  return { s, clock, camera, states, seen };
}

describe('CameraSession', () => {
  it('connects, subscribes, pulls and hands on what the camera reports', async () => {
    const { s, camera, states, seen } = session();
    s.start();
    await flush();
    expect(states).toEqual([['online', 'fake cam']]);
    expect(camera.subscriptions).toBe(1);
    camera.lastPull.resolve(BODY_TEMPERATURE);
    await flush();
    expect(seen.some((o) => o.kind === 'temperature')).toBe(true);
    expect(camera.pulls).toHaveLength(2);
    await s.stop();
    expect(camera.unsubscribed).toBe(1);
  });

  it('counts and logs values it refuses (an impossible temperature), keeping the rest of the reply', async () => {
    const { s, camera, seen } = session();
    s.start();
    await flush();
    camera.lastPull.resolve(BODY_TEMPERATURE.replace('Value="310.25"', 'Value="999.5"'));
    await flush();
    expect(s.status().counters.refusedValues).toBe(1);
    expect(
      seen.filter((o) => o.kind === 'temperature').map((o) => o.kind === 'temperature' && o.celsius),
    ).toEqual([39.2]);
    await s.stop();
  });

  it('creates a new pull point when the camera forgot the subscription, without going offline', async () => {
    const { s, camera, states } = session();
    s.start();
    await flush();
    camera.lastPull.reject(
      new CameraCallError(
        'PullMessages',
        new Error('ONVIF SOAP Fault: ResourceUnknownFault: no such subscription'),
        undefined,
      ),
    );
    await flush();
    expect(camera.subscriptions).toBe(2);
    expect(s.status().counters.resubscriptions).toBe(1);
    expect(camera.connectAt).toHaveLength(1);
    expect(states.map(([st]) => st)).toEqual(['online']);
    await s.stop();
  });

  it('renews the pull point before it expires', async () => {
    const { s, clock, camera } = session();
    s.start();
    await flush();
    for (let i = 0; i < 55; i++) {
      clock.advance(1000);
      await flush();
    }
    expect(camera.renewals).toBe(0);
    camera.lastPull.resolve(
      BODY_TEMPERATURE.replace(/<tev:TerminationTime>[^<]*<\/tev:TerminationTime>/, ''),
    );
    await flush();
    expect(camera.renewals).toBe(1);
    expect(camera.connectAt).toHaveLength(1);
    await s.stop();
  });

  it('goes offline when the camera stops answering while a pull hangs, drops the late reply, and reconnects with back-off', async () => {
    const { s, clock, camera, states, seen } = session();
    s.start();
    await flush();
    const hanging = camera.lastPull;
    camera.dead = true;
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      await flush();
    }
    expect(states.map(([st]) => st)).toEqual(['online', 'offline']);
    expect(states[1]?.[1]).toMatch(/no answer/);
    hanging.resolve(BODY_TEMPERATURE);
    await flush();
    expect(seen).toEqual([]);
    for (let i = 0; i < 20; i++) {
      clock.advance(500);
      await flush();
    }
    const gaps = camera.connectAt.slice(1).map((t, i) => t - (camera.connectAt[i] as number));
    // 500 ms after the offline, then doubling to the 4 s ceiling.
    expect(gaps.slice(1, 4)).toEqual([1000, 2000, 4000]);
    camera.dead = false;
    clock.advance(4000);
    await flush();
    expect(states.map(([st]) => st)).toEqual(['online', 'offline', 'online']);
    await s.stop();
  });

  it('reconnects once when a token is refused after connecting (clock moved), and is refused for good the second time', async () => {
    const { s, clock, camera, states } = session();
    s.start();
    await flush();
    const refused = () =>
      new CameraCallError(
        'PullMessages',
        new Error('ONVIF SOAP Fault: Sender not Authorized'),
        NOT_AUTHORIZED,
      );
    camera.lastPull.reject(refused());
    await flush();
    clock.advance(600);
    await flush();
    expect(camera.connectAt).toHaveLength(2);
    expect(states.map(([st]) => st)).toEqual(['online']);
    camera.lastPull.reject(refused());
    await flush();
    expect(states.map(([st]) => st)).toEqual(['online', 'refused']);
    await s.stop();
  });

  it('is refused when the camera refuses us at connect', async () => {
    const { s, camera, states } = session();
    camera.refuseConnect = new CameraCallError(
      'connect',
      new Error('ONVIF SOAP Fault: Sender not Authorized'),
      NOT_AUTHORIZED,
    );
    s.start();
    await flush();
    expect(states).toEqual([['refused', 'connect: the camera refused the user or password']]);
    await s.stop();
  });

  it('measures the camera clock offset at every heartbeat', async () => {
    const { s, clock, camera } = session();
    camera.offsetMs = 30_000;
    s.start();
    await flush();
    expect(s.status().clockOffsetMs).toBe(30_000);
    camera.offsetMs = -4000;
    clock.advance(1000);
    await flush();
    expect(s.status().clockOffsetMs).toBe(-4000);
    await s.stop();
  });
});
