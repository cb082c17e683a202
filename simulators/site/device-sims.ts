import { deriveScbk } from '../../drivers/osdp/secure/keys.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { IdCardSimulator } from '../idcard/simulator.js';
import type { SimConnection } from '../mqtt/sim-link.js';
import { TasmotaRelaySimulator } from '../mqtt/tasmota-relay-sim.js';
import { Zigbee2MqttDoorSimulator } from '../mqtt/z2m-door-sim.js';
import { OnvifCameraSimulator } from '../onvif/onvif-camera.js';
import { BusSimulator } from '../osdp/bus-simulator.js';
import { SimulatedPd } from '../osdp/pd-responder.js';
import { QrSerialSimulator } from '../qr/serial-scanner-sim.js';
import { ThermometerSerialSimulator } from '../thermometer/serial-thermometer-sim.js';
import { BarrierProcess } from './barrier-process.js';
import type { Community } from './community.js';
import { communityDeck } from './idcard-deck.js';
import { ptyPath } from './site-config.js';
import {
  BARRIERS,
  BUILDING_LOCK,
  CAMERA_USER,
  CAMERAS,
  OSDP_READERS,
  PTY_LINES,
  QR_SCANNER,
  QR_SCANNERS,
  TASMOTA_RELAY,
  Z2M_DOOR,
} from './site-plan.js';
import { MQTT_USERS, type SiteSecrets } from './site-setup.js';

const STOP_TIMEOUT_MS = 5000;

/**
 * Every simulator of the site on the simulator ends of the ptys and on loopback: in this
 * process, except the relay boards (barrier-process.ts says why). Started in three steps because each needs what the one before made: the cameras
 * first (the configuration needs their URLs), the serial devices once the ptys exist, the MQTT
 * devices once the gateway's broker listens. `stop()` undoes whatever was started, in any state.
 * Lookups by lane are what the console acts on.
 */
export class DeviceSims {
  readonly cameras = new Map<string, OnvifCameraSimulator>();
  readonly readers = new Map<string, SimulatedPd>();
  readonly sam: IdCardSimulator;
  /** Every QR scanner, by lane. */
  readonly scanners = new Map<string, QrSerialSimulator>();
  /** The north exit's QR scanner (`scanners.get('north-ped-out')`). */
  readonly scanner: QrSerialSimulator;
  readonly thermometer: ThermometerSerialSimulator;
  private readonly osdp: BusSimulator;
  private readonly barriers: BarrierProcess;
  private relay: TasmotaRelaySimulator | undefined;
  private door: Zigbee2MqttDoorSimulator | undefined;
  private readonly locks = new Map<string, Zigbee2MqttDoorSimulator>();
  private readonly stoppers: (() => Promise<unknown>)[] = [];
  private stopped = false;

  constructor(
    private readonly options: {
      dir: string;
      community: Community;
      secrets: SiteSecrets;
      seed: number;
      /** dist/simulators/cli/main.js, for the barrier simulator's process */
      simCli: string;
      onDied: (message: string) => void;
      /** What the gates do, seen from the device side: a lock released, an arm up, a relay on. */
      report: (line: string) => void;
    },
  ) {
    const serial = (line: { name: string; baud: number }) =>
      new SerialTransport({ path: ptyPath(options.dir, line, 'sim'), baudRate: line.baud });
    for (const r of OSDP_READERS) {
      // A commissioned reader: its own cUID, and the key the gateway derives from its master key.
      const cuid = Buffer.from([0x47, 0x57, 0x53, 0x49, 0x4d, 0x00, 0x00, r.address]);
      const scbk = deriveScbk(options.secrets.osdpMaster, cuid);
      const pd = new SimulatedPd({ address: r.address, model: { door: true }, secure: { scbk }, cuid });
      // The lock output: a strike (fail-secure) is released when energised, a magnetic lock when not.
      pd.model.on('output', ({ index, active }) => {
        if (index === 0)
          options.report(
            `gate  ${r.id} ${active === (r.lock === 'fail-secure') ? 'released 开锁' : 'locked 上锁'}`,
          );
      });
      this.readers.set(r.lane, pd);
    }
    this.osdp = new BusSimulator({
      transport: serial(PTY_LINES.osdp),
      pds: [...this.readers.values()],
      baud: PTY_LINES.osdp.baud,
    });
    this.barriers = new BarrierProcess({
      cli: options.simCli,
      port: ptyPath(options.dir, PTY_LINES.modbus, 'sim'),
      baud: PTY_LINES.modbus.baud,
      units: BARRIERS.map((b) => b.unit),
      onDied: options.onDied,
      onArm: (unit, state) => {
        const barrier = BARRIERS.find((b) => b.unit === unit);
        if (barrier !== undefined && (state === 'up' || state === 'down'))
          options.report(`gate  ${barrier.id} arm ${state === 'up' ? 'up 抬杆' : 'down 落杆'}`);
      },
    });
    this.sam = new IdCardSimulator({
      transport: serial(PTY_LINES.sam),
      baudRate: PTY_LINES.sam.baud,
      deck: communityDeck(options.community),
      processing: { readMs: 300 },
    });
    for (const q of QR_SCANNERS)
      this.scanners.set(q.lane, new QrSerialSimulator({ transport: serial(q.line), baudRate: q.line.baud }));
    const north = this.scanners.get(QR_SCANNER.lane);
    if (north === undefined) throw new Error('site-plan.ts lists no QR scanner at the north exit');
    this.scanner = north;
    this.thermometer = new ThermometerSerialSimulator({
      transport: serial(PTY_LINES.thermometer),
      baudRate: PTY_LINES.thermometer.baud,
    });
  }

  /** Starts the cameras on loopback; resolves with each camera's device service URL. */
  async startCameras(): Promise<Record<string, string>> {
    const urls: Record<string, string> = {};
    for (const [i, c] of CAMERAS.entries()) {
      const camera = new OnvifCameraSimulator({
        host: '127.0.0.1',
        port: 0,
        discoveryPort: 0,
        kind: c.kind,
        name: c.id,
        lane: c.lane,
        user: CAMERA_USER,
        password: this.options.secrets.cameras[c.id] ?? '',
        seed: this.options.seed + i,
      });
      await camera.start();
      this.stoppers.push(() => camera.stop());
      this.cameras.set(c.id, camera);
      urls[c.id] = camera.deviceServiceUrl;
    }
    return urls;
  }

  /** Opens the simulator end of every pty: the readers, the boards, the SAM, the scanner, the thermometer. */
  async startSerial(): Promise<void> {
    await this.osdp.start();
    this.stoppers.push(async () => {
      await this.osdp.stop();
      for (const pd of this.readers.values()) pd.dispose();
    });
    this.ensureRunning();
    this.stoppers.push(() => this.barriers.stop());
    await this.barriers.start();
    for (const device of [this.sam, ...this.scanners.values(), this.thermometer]) {
      if (!(await device.start())) throw new Error(`cannot open ${device.transportName}`);
      this.stoppers.push(() => device.stop());
    }
  }

  /**
   * Connects the east gate's Tasmota relay and Zigbee2MQTT lock, and building 1's Zigbee2MQTT
   * bridge with its lock, to the gateway's broker; resolves once all are connected. Called before the gateway starts: they keep trying until its broker
   * listens, and their first connect's work is done before the gateway's devices start.
   */
  async startMqtt(brokerUrl: string): Promise<void> {
    const connection = (user: string, password: string): SimConnection => ({
      url: brokerUrl,
      clientId: user,
      username: user,
      password,
    });
    const relay = new TasmotaRelaySimulator({
      connection: connection(MQTT_USERS.relay, this.options.secrets.mqtt.relay),
      topic: TASMOTA_RELAY.topic,
    });
    relay.on('power', (_n, on) =>
      this.options.report(`gate  ${TASMOTA_RELAY.id} relay ${on ? 'on 开锁' : 'off 上锁'}`),
    );
    this.relay = relay;
    // The launcher stops the gateway, and with it the broker, first: nobody is left to hear a
    // goodbye (and a QoS 1 goodbye to a broker that just died would wait for ever). Cut the line.
    this.stoppers.push(() => relay.crash());
    const door = new Zigbee2MqttDoorSimulator({
      connection: connection(MQTT_USERS.z2m, this.options.secrets.mqtt.z2m),
      baseTopic: Z2M_DOOR.baseTopic,
      lockName: Z2M_DOOR.lockName,
      contactName: Z2M_DOOR.contactName,
    });
    door.on('bolt', (state) => this.options.report(`gate  ${Z2M_DOOR.lockId} bolt ${state}`));
    this.door = door;
    this.stoppers.push(() => door.crash());
    const building = new Zigbee2MqttDoorSimulator({
      connection: connection(MQTT_USERS.building, this.options.secrets.mqtt.building),
      baseTopic: BUILDING_LOCK.baseTopic,
      lockName: BUILDING_LOCK.lockName,
    });
    building.on('bolt', (state) => this.options.report(`gate  ${BUILDING_LOCK.lockId} bolt ${state}`));
    this.locks.set(BUILDING_LOCK.lane, building);
    this.stoppers.push(() => building.crash());
    await Promise.all([relay.start(), door.start(), building.start()]);
  }

  /** The MQTT lock of a lane whose lock the site actions watch (building entrances), once connected. */
  /**
   * Unplugs an OSDP reader (by device id) or plugs it back: it stops answering on its bus, as a
   * reader whose cable was pulled. Queued card reads wait in it until it answers again.
   */
  setReaderSilent(deviceId: string, silent: boolean): void {
    const reader = OSDP_READERS.find((r) => r.id === deviceId);
    if (reader === undefined) throw new Error(`no OSDP reader "${deviceId}" on the simulated site`);
    this.osdp.setFaults(reader.address, { silent });
  }

  mqttLockAt(lane: string): Zigbee2MqttDoorSimulator | undefined {
    return this.locks.get(lane);
  }

  /** The barrier of a vehicle lane: whether its arm is up, and a car on or off its loop. */
  barrierAt(lane: string): { isUp(): boolean; car(on: 'arrive' | 'clear'): void } | undefined {
    const plan = BARRIERS.find((b) => b.lane === lane);
    if (plan === undefined) return undefined;
    return { isUp: () => this.barriers.isUp(plan.unit), car: (on) => this.barriers.car(plan.unit, on) };
  }

  cameraAt(lane: string, kind: 'thermal' | 'plate'): OnvifCameraSimulator | undefined {
    const plan = CAMERAS.find((c) => c.lane === lane && c.kind === kind);
    return plan === undefined ? undefined : this.cameras.get(plan.id);
  }

  get eastDoor(): Zigbee2MqttDoorSimulator | undefined {
    return this.door;
  }

  get eastRelay(): TasmotaRelaySimulator | undefined {
    return this.relay;
  }

  /** A start step after stop() would leave something running that nobody stops. */
  private ensureRunning(): void {
    if (this.stopped) throw new Error('the simulators were stopped while starting');
  }

  /**
   * Stops everything started, newest first. A simulator that fails to stop, or takes over 5 s,
   * is reported and does not keep the others running.
   */
  async stop(): Promise<string[]> {
    this.stopped = true;
    const problems: string[] = [];
    for (const stop of this.stoppers.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((r) => {
        timer = setTimeout(() => r('a simulator did not stop within 5 s'), STOP_TIMEOUT_MS);
      });
      try {
        const problem = await Promise.race([stop().then(() => undefined), late]);
        if (problem !== undefined) problems.push(problem);
      } catch (err) {
        problems.push((err as Error).message);
      } finally {
        clearTimeout(timer);
      }
    }
    return problems;
  }
}
