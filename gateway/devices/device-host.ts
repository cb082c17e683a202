import type { Logger } from 'pino';
import type { SerialLineConfig } from '../../config/devices-schema.js';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { modbusIdleGapCharacters } from '../../drivers/modbus/timing.js';
import type { ScanCredentials } from '../../drivers/shared/code-credentials.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { childLogger } from '../logging.js';
import type { MessageBus } from '../mqtt/bus.js';
import { siteScanCredentials } from '../passes/site-passes.js';
import type { Site } from '../site.js';
import { buildBarriers, linesWithModbus } from './barrier-devices.js';
import type { DeviceContext, DeviceModule, DeviceState } from './device-module.js';
import { buildIdCards } from './idcard-devices.js';
import { buildOsdp } from './osdp-devices.js';
import { buildScanners } from './scanner-devices.js';
import { SiteLanePort } from './site-lane-port.js';
import { buildThermometers } from './thermometer-devices.js';

export interface DeviceHostOptions {
  site: Site;
  log: Logger;
  /**
   * The embedded broker's local bus, for devices that speak MQTT, when it is known at
   * construction (tests); the gateway hands it to `startNetwork` once the broker listens.
   */
  bus?: MessageBus;
  /** Another transport than the serial port for a line: tests hand in memory buses. */
  transportFor?: (line: SerialLineConfig) => ByteTransport;
}

/**
 * Every device of the site, wired from the configuration: one HalfDuplexLine per serial line
 * (shared by every device on it), and the modules each device family builds on those lines.
 * Lifecycle (style H5): the constructor only builds the serial side; `startSerial()` opens the
 * lines (a missing adapter is retried in the background, never fatal) and starts their devices:
 * from then on a card, code or ID card presented is decided. `startNetwork(bus)` then loads,
 * builds and starts the network devices — ONVIF cameras and MQTT devices — which come online
 * as they answer, like a reader finishing its handshake; their modules (onvif, xml2js) are
 * loaded only then, so that they do not delay the first decision (docs/performance.md
 * "Footprint"). `start()` does both; `stop()` stops the modules, then closes the lines.
 */
export class DeviceHost {
  readonly port: SiteLanePort;
  private readonly lines = new Map<string, HalfDuplexLine>();
  private readonly modules: DeviceModule[];
  private readonly context: DeviceContext;
  private fireSeen: boolean;

  constructor(private readonly options: DeviceHostOptions) {
    const { site, log } = options;
    this.port = new SiteLanePort(site, childLogger(log, 'stations'));
    this.fireSeen = site.checkpoint.fireActive;
    const modbusLines = linesWithModbus(site.config.modbus.boards);
    for (const config of site.config.lines) {
      const transport =
        options.transportFor?.(config) ?? new SerialTransport({ path: config.path, baudRate: config.baud });
      // A line that carries Modbus boards keeps the RTU silence between frames (3.5 characters).
      const idleGapCharacters = modbusLines.has(config.id)
        ? Math.max(2, modbusIdleGapCharacters(config.baud))
        : 2;
      const line = new HalfDuplexLine(transport, { baudRate: config.baud, idleGapCharacters });
      const lineLog = childLogger(log, `line:${config.id}`);
      line.onState((state, error) => {
        if (state === 'up') lineLog.info({ path: transport.name }, 'serial line open');
        else
          lineLog.warn({ path: transport.name, err: error }, 'serial line down; reopening in the background');
      });
      this.lines.set(config.id, line);
    }
    let passes: ScanCredentials | undefined;
    const context: DeviceContext = {
      site,
      log,
      port: this.port,
      passCredentials: () => {
        passes ??= siteScanCredentials(site, childLogger(log, 'passes'));
        return passes;
      },
      line: (id) => {
        const line = this.lines.get(id);
        if (!line) throw new Error(`no line "${id}" (the configuration check should have caught this)`);
        return line;
      },
    };
    this.context = context;
    this.modules = [];
    this.add([
      ...buildOsdp(context),
      ...buildIdCards(context),
      ...buildBarriers(context),
      ...buildScanners(context),
      ...buildThermometers(context),
    ]);
    this.port.onFire((active) => {
      this.fireSeen = active;
      for (const module of this.modules) module.setFire?.(active);
    });
  }

  get deviceCount(): number {
    return this.modules.reduce((n, m) => n + m.devices, 0);
  }

  async start(): Promise<void> {
    await this.startSerial();
    await this.startNetwork();
  }

  /** Opens the serial lines and starts the devices on them. */
  async startSerial(): Promise<void> {
    await Promise.all([...this.lines.values()].map((line) => line.start()));
    this.startModules(this.modules);
  }

  /**
   * Builds and starts the cameras and, with a bus, the MQTT devices. A configuration without
   * cameras never loads the ONVIF stack.
   */
  async startNetwork(bus: MessageBus | undefined = this.options.bus): Promise<void> {
    const config = this.options.site.config;
    const network: DeviceModule[] = [];
    if (config.cameras.devices.length > 0) {
      const { buildCameras } = await import('./camera-devices.js');
      network.push(...buildCameras(this.context));
    }
    if (bus !== undefined) {
      const { buildMqttDevices } = await import('./mqtt-devices.js');
      network.push(...buildMqttDevices(this.context, bus));
    }
    // Told of fire changes from now on; the state at their start they read from the port.
    this.add(network);
    this.startModules(network);
  }

  private add(modules: DeviceModule[]): void {
    for (const module of modules) {
      this.modules.push(module);
      for (const { laneId, actuator } of module.actuators ?? []) this.port.addActuator(laneId, actuator);
    }
  }

  // One device family failing to start (a bad certificate, a broken configuration the schema
  // could not see) is logged; the others start, so the gate keeps working with what it has.
  private startModules(modules: readonly DeviceModule[]): void {
    for (const module of modules) {
      try {
        module.start();
      } catch (err) {
        this.options.log.error({ err, devices: module.devices }, 'a device module failed to start');
      }
    }
  }

  states(): DeviceState[] {
    return this.modules.flatMap((m) => m.states());
  }

  /** Picks up a fire state switched by another process (seen through the journal). */
  follow(): void {
    const fire = this.options.site.checkpoint.fireActive;
    if (fire !== this.fireSeen) this.port.notifyFire(fire);
  }

  async stop(): Promise<void> {
    await Promise.all(this.modules.map((m) => m.stop()));
    await Promise.all([...this.lines.values()].map((l) => l.stop()));
  }
}
