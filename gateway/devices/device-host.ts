import type { Logger } from 'pino';
import type { SerialLineConfig } from '../../config/devices-schema.js';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { OsdpDoorAdapter } from '../../drivers/osdp/door-adapter.js';
import { OsdpControlPanel, type PdStatus } from '../../drivers/osdp/link/control-panel.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { childLogger } from '../logging.js';
import type { Site } from '../site.js';
import { loadOrCreateKey } from '../util/key-file.js';
import { SiteLanePort } from './site-lane-port.js';

export interface DeviceHostOptions {
  site: Site;
  log: Logger;
  /** Another transport than the serial port for a line: tests hand in memory buses. */
  transportFor?: (line: SerialLineConfig) => ByteTransport;
}

/**
 * Every device of the site, wired from the configuration: one HalfDuplexLine per serial line,
 * one OSDP control panel per line that has PDs, one door adapter per PD. Lifecycle (style H5):
 * the constructor only builds; `start()` opens lines (a missing adapter is retried in the
 * background, never fatal) and starts polling; `stop()` releases everything.
 */
export class DeviceHost {
  readonly port: SiteLanePort;
  private readonly lines = new Map<string, HalfDuplexLine>();
  private readonly panels = new Map<string, OsdpControlPanel>();
  private readonly adapters: OsdpDoorAdapter[] = [];
  private fireSeen: boolean;

  constructor(private readonly options: DeviceHostOptions) {
    const { site, log } = options;
    this.port = new SiteLanePort(site);
    this.fireSeen = site.checkpoint.fireActive;
    const osdp = site.config.osdp;
    const masterKey = osdp.devices.some((d) => d.secure === 'required')
      ? loadOrCreateKey(osdp.masterKeyFile, 16, 'OSDP master key')
      : undefined;
    for (const lineConfig of site.config.lines) {
      const transport =
        options.transportFor?.(lineConfig) ??
        new SerialTransport({ path: lineConfig.path, baudRate: lineConfig.baud });
      const line = new HalfDuplexLine(transport, { baudRate: lineConfig.baud });
      const lineLog = childLogger(log, `line:${lineConfig.id}`);
      line.onState((state, error) => {
        if (state === 'up') lineLog.info({ path: transport.name }, 'serial line open');
        else
          lineLog.warn({ path: transport.name, err: error }, 'serial line down; reopening in the background');
      });
      this.lines.set(lineConfig.id, line);
      const devices = osdp.devices.filter((d) => d.line === lineConfig.id);
      if (devices.length === 0) continue;
      const panel = new OsdpControlPanel({
        line,
        pds: devices.map((d) => ({
          address: d.address,
          name: d.id,
          secure: d.secure,
          installKey: d.installKey,
          ...(masterKey ? { masterKey } : {}),
        })),
        timing: { offlineAfterMs: osdp.offlineAfterSeconds * 1000 },
      });
      const panelLog = childLogger(log, `osdp:${lineConfig.id}`);
      panel.on('online', (s: PdStatus) =>
        panelLog.info({ pd: s.name, secure: s.secure, identity: s.identity }, 'PD online'),
      );
      panel.on('offline', (s: PdStatus, reason: string) =>
        panelLog.warn({ pd: s.name, reason }, 'PD offline'),
      );
      panel.on('refused', (s: PdStatus, reason: string) =>
        panelLog.error({ pd: s.name, reason }, 'PD refused'),
      );
      panel.on('keyInstalled', (s: PdStatus) =>
        panelLog.warn({ pd: s.name }, 'PD provisioned with its own key; remove installKey'),
      );
      this.panels.set(lineConfig.id, panel);
      for (const d of devices) {
        const adapter = new OsdpDoorAdapter(
          {
            deviceId: d.id,
            laneId: d.lane,
            address: d.address,
            ...(d.reader !== undefined ? { reader: d.reader } : {}),
            ...(d.door
              ? {
                  door: {
                    output: d.door.output,
                    lock: d.door.lock,
                    ...(d.door.contactInput !== undefined ? { contactInput: d.door.contactInput } : {}),
                    ...(d.door.rexInput !== undefined ? { rexInput: d.door.rexInput } : {}),
                    ...(d.door.fireInput !== undefined ? { fireInput: d.door.fireInput } : {}),
                    heldOpenMs: d.door.heldOpenSeconds * 1000,
                    rexReleaseMs: d.door.rexReleaseSeconds * 1000,
                  },
                }
              : {}),
          },
          panel,
          this.port,
          childLogger(log, `osdp:${d.id}`),
        );
        this.adapters.push(adapter);
        this.port.addActuator(d.lane, adapter);
      }
    }
    this.port.onFire((active) => {
      this.fireSeen = active;
      for (const adapter of this.adapters) adapter.setFire(active);
    });
  }

  get deviceCount(): number {
    return this.adapters.length;
  }

  async start(): Promise<void> {
    for (const adapter of this.adapters) adapter.start();
    await Promise.all([...this.lines.values()].map((line) => line.start()));
    for (const panel of this.panels.values()) panel.start();
  }

  /** Picks up a fire state switched by another process (seen through the journal). */
  follow(): void {
    const fire = this.options.site.checkpoint.fireActive;
    if (fire !== this.fireSeen) this.port.notifyFire(fire);
  }

  statuses(): PdStatus[] {
    return [...this.panels.values()].flatMap((p) => p.statuses());
  }

  async stop(): Promise<void> {
    for (const adapter of this.adapters) adapter.stop();
    await Promise.all([...this.panels.values()].map((p) => p.stop()));
    await Promise.all([...this.lines.values()].map((l) => l.stop()));
  }
}
