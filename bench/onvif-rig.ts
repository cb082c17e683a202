/**
 * The rig of bench/onvif.ts: simulated thermal cameras on loopback (ports chosen by the OS),
 * one pedestrian lane per camera over up to four gates, a configuration written to a temporary
 * folder (a password file per camera, owner-only, under dataDir), the real Site and DeviceHost,
 * and a ledger that matches every reading the gateway journals to the event its camera queued.
 *
 * The tap wraps `reading` on the DeviceHost's lane port instance: `SiteLanePort.reading`
 * returns once the checkpoint has appended the reading to the journal (one durable commit), so
 * the time taken after it returns is when the reading is journaled.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DeviceHost } from '../gateway/devices/device-host.js';
import type { TemperatureReading } from '../gateway/rules/types.js';
import { Site } from '../gateway/site.js';
import { OnvifCameraSimulator, type PersonEvent } from '../simulators/onvif/onvif-camera.js';

export interface RigCamera {
  deviceId: string;
  laneId: string;
  sim: OnvifCameraSimulator;
}

export interface Rig {
  site: Site;
  host: DeviceHost;
  cameras: RigCamera[];
  ledger: ReadingLedger;
  /** Stops the host, then every simulator, closes the site and removes the folder; never throws. */
  dispose(): Promise<void>;
}

export interface RigOptions {
  cameras: number;
  /** Each simulated camera's queue per subscription; beyond it the camera drops the oldest. */
  maxQueuedMessages: number;
  heartbeatSeconds: number;
}

interface Expected {
  celsius: number;
  mask: boolean;
  queuedAt: bigint;
}

/**
 * Per camera, the persons queued and not yet journaled, in order. A journaled reading is
 * matched to the oldest one of its camera: a reading with another temperature or mask, or one
 * with nothing queued, is a mismatch.
 */
export class ReadingLedger {
  /** Queued → journaled, ms, of the readings matched since the last `take`. */
  private delays: number[] = [];
  /** Queued → the lane port called (pull answered, parsed, interpreted), ms. */
  private beforePortMs: number[] = [];
  /** Time inside the lane port's `reading` (the checkpoint and the journal's commit), ms. */
  private portMs: number[] = [];
  private readonly queues = new Map<string, { items: Expected[]; head: number }>();
  readonly mismatches: string[] = [];
  journaled = 0;
  lastJournaledAt = 0n;

  expect(deviceId: string, event: PersonEvent): void {
    const queue = this.queues.get(deviceId) ?? { items: [], head: 0 };
    queue.items.push({ celsius: event.measuredCelsius, mask: event.mask, queuedAt: event.queuedAtHrtime });
    this.queues.set(deviceId, queue);
  }

  /** `calledAt`, `at`: when the lane port was called and when it returned (hrtime). */
  record(deviceId: string, reading: TemperatureReading, calledAt: bigint, at: bigint): void {
    this.journaled++;
    this.portMs.push(Number(at - calledAt) / 1e6);
    this.lastJournaledAt = at;
    const queue = this.queues.get(deviceId);
    const expected = queue?.items[queue.head];
    if (queue === undefined || expected === undefined) {
      this.mismatches.push(`${deviceId}: reading ${reading.celsius} °C with no person queued`);
      return;
    }
    queue.head++;
    if (queue.head > 4096 && queue.head * 2 > queue.items.length) {
      queue.items.splice(0, queue.head);
      queue.head = 0;
    }
    // Both temperatures are rounded to 0.01 °C; the tolerance only absorbs float noise.
    if (Math.abs(reading.celsius - expected.celsius) > 0.004 || reading.mask !== expected.mask) {
      this.mismatches.push(
        `${deviceId}: journaled ${reading.celsius} °C mask ${reading.mask}, ` +
          `queued ${expected.celsius} °C mask ${expected.mask}`,
      );
    }
    this.delays.push(Number(at - expected.queuedAt) / 1e6);
    this.beforePortMs.push(Number(calledAt - expected.queuedAt) / 1e6);
  }

  /** Persons queued and not journaled yet, over all cameras. */
  outstanding(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.items.length - q.head;
    return n;
  }

  /** The delays and lane-port times recorded since the last call, and forgets them. */
  take(): { delays: number[]; beforePortMs: number[]; portMs: number[] } {
    const taken = { delays: this.delays, beforePortMs: this.beforePortMs, portMs: this.portMs };
    this.delays = [];
    this.beforePortMs = [];
    this.portMs = [];
    return taken;
  }

  /**
   * Resolves once nothing is outstanding, or once no reading has been journaled for `stallMs`
   * while some are (the caller counts those as lost). Polls every 5 ms.
   */
  async settle(stallMs: number): Promise<void> {
    let seen = this.journaled;
    let progressAt = Date.now();
    while (this.outstanding() > 0) {
      if (this.journaled !== seen) {
        seen = this.journaled;
        progressAt = Date.now();
      } else if (Date.now() - progressAt > stallMs) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

const GATES = ['north', 'east', 'south', 'west'];

/** Lane k: gate ⌊k/2⌋ mod 4, in for even k and out for odd; a suffix past the eighth. */
function laneOf(k: number): { gate: string; id: string; direction: 'in' | 'out' } {
  const gate = GATES[Math.floor(k / 2) % GATES.length] as string;
  const direction = k % 2 === 0 ? 'in' : 'out';
  const round = Math.floor(k / (2 * GATES.length));
  return { gate, direction, id: `${gate}-ped-${direction}${round === 0 ? '' : `-${round + 1}`}` };
}

function configText(
  dataDir: string,
  cameras: { deviceId: string; lane: string; port: number }[],
  o: RigOptions,
) {
  const lanes = cameras.map((_, k) => laneOf(k));
  const gates = GATES.filter((g) => lanes.some((l) => l.gate === g)).map((gate) => {
    const own = lanes.filter((l) => l.gate === gate);
    const lines = own.map(
      (l) =>
        `      - { id: ${l.id}, name: { zh: ${l.id}, en: ${l.id} }, kind: pedestrian, direction: ${l.direction} }`,
    );
    return `  - id: ${gate}\n    name: { zh: ${gate}, en: ${gate} }\n    primary: true\n    lanes:\n${lines.join('\n')}`;
  });
  const devices = cameras.map(
    (c) =>
      `    - { id: ${c.deviceId}, lane: ${c.lane}, kind: thermal, ` +
      `url: "http://127.0.0.1:${c.port}/onvif/device_service", username: admin, ` +
      `passwordFile: ${c.deviceId}.pw, heartbeatSeconds: ${o.heartbeatSeconds} }`,
  );
  return `site: { id: bench, name: { zh: 基准, en: Bench }, dataDir: ${dataDir} }
mode: open
policy: { antiPassback: false }
gates:
${gates.join('\n')}
cameras:
  devices:
${devices.join('\n')}
`;
}

/** Starts the cameras, writes the configuration, starts Site and DeviceHost; cleans up on failure. */
export async function startRig(o: RigOptions): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-onvif-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const sims: OnvifCameraSimulator[] = [];
  let site: Site | undefined;
  let host: DeviceHost | undefined;
  const dispose = async () => {
    await host?.stop().catch((err: unknown) => console.error('DeviceHost.stop:', err));
    await Promise.all(sims.map((s) => s.stop().catch((err: unknown) => console.error('camera stop:', err))));
    site?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ledger = new ReadingLedger();
    const cameras: RigCamera[] = [];
    const listed: { deviceId: string; lane: string; port: number }[] = [];
    for (let k = 0; k < o.cameras; k++) {
      const deviceId = `thermal-${k + 1}`;
      const laneId = laneOf(k).id;
      const password = `bench-${deviceId}-secret`;
      const sim = new OnvifCameraSimulator({
        host: '127.0.0.1',
        port: 0,
        discoveryPort: 0,
        kind: 'thermal',
        name: deviceId,
        lane: laneId,
        password,
        seed: k + 1,
        maxQueuedMessages: o.maxQueuedMessages,
      });
      sims.push(sim);
      const { port } = await sim.start();
      const file = join(dataDir, `${deviceId}.pw`);
      writeFileSync(file, `${password}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
      sim.on('event', (event) => {
        if (event.kind === 'person') ledger.expect(deviceId, event);
      });
      cameras.push({ deviceId, laneId, sim });
      listed.push({ deviceId, lane: laneId, port });
    }
    const config = join(dir, 'gatewarden.yaml');
    writeFileSync(config, configText(dataDir, listed, o));
    site = new Site({ configPath: config, gateway: true });
    site.checkpoint.start();
    host = new DeviceHost({ site, log: pino({ level: 'silent' }) });
    const port = host.port;
    const reading = port.reading.bind(port);
    port.reading = (laneId, r, source) => {
      const called = process.hrtime.bigint();
      const journaled = reading(laneId, r, source);
      const returned = process.hrtime.bigint();
      ledger.record(source, journaled, called, returned);
      return journaled;
    };
    await host.start();
    const ready = () =>
      (host as DeviceHost).states().every((s) => s.online) &&
      cameras.every((c) => c.sim.hub.all().some((p) => p.waiting));
    const deadline = Date.now() + 30_000;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error('the cameras did not come online and pulling within 30 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    return { site, host, cameras, ledger, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
