import type { ApiClient } from '../site/api-client.js';
import type { DeviceSims } from '../site/device-sims.js';
import type { SiteUpstream } from '../site/upstream.js';
import type { ScheduledFault } from './faults.js';

/**
 * Makes the scheduled faults of faults.ts happen to the running site, and checks that the
 * gateway saw each device fault come and go:
 * - `reader-offline`: the reader stops answering; the fault is in effect once the gateway lists
 *   it offline (at most DEVICE_WAIT_MS, else a problem). At the end it answers again, and the
 *   held actions wait until the gateway lists it online.
 * - `camera-reboot`: the camera is powered off for the fault's real duration (its scenario
 *   duration divided by the speed), then boots; at the end the held actions wait until the
 *   gateway lists it online again. A reboot shorter than the gateway's polling may go unseen,
 *   so being seen offline is not required.
 * - `influx-down`, `upstream-down`: the server is stopped, and started again at the end on the
 *   same port and folder.
 * Each problem (a device never seen offline or never back, a part the site does not have) is
 * a line for the scenario's report: the run fails on any.
 */
export interface FaultPorts {
  /** The reader with this device id stops (true) or resumes (false) answering polls. */
  setReaderSilent(deviceId: string, silent: boolean): void;
  /** Powers the camera off for `downMs`; resolves when it is back. */
  rebootCamera(deviceId: string, downMs: number): Promise<void>;
  /** Whether the gateway lists the device online now (undefined: cannot tell right now). */
  deviceOnline(deviceId: string): Promise<boolean | undefined>;
  influx?: { stop(): Promise<void>; restart(): Promise<void> };
  upstreamBroker?: { stop(): Promise<void>; start(): Promise<void> };
}

const DEVICE_WAIT_MS = 30_000;
const POLL_MS = 200;

export class FaultDriver {
  readonly problems: string[] = [];
  private readonly reboots = new Map<ScheduledFault, Promise<void>>();

  constructor(
    private readonly ports: FaultPorts,
    private readonly speed: number,
    private readonly print: (line: string) => void,
  ) {}

  /** Throws naming the fault when the site lacks what it takes away (no InfluxDB, no upstream broker). */
  static check(faults: readonly ScheduledFault[], has: { influx: boolean; mqtt: boolean }): void {
    for (const f of faults) {
      if (f.kind === 'influx-down' && !has.influx)
        throw new RangeError(`--fault ${f.spec}: the site has no InfluxDB (use --upstream influx or both)`);
      if (f.kind === 'upstream-down' && !has.mqtt)
        throw new RangeError(
          `--fault ${f.spec}: the site has no upstream broker (use --upstream mqtt or both)`,
        );
    }
  }

  async begin(fault: ScheduledFault): Promise<void> {
    this.print(`fault 故障 begins: ${fault.spec}`);
    const { ports } = this;
    switch (fault.kind) {
      case 'reader-offline': {
        const id = need(fault.device);
        ports.setReaderSilent(id, true);
        if (!(await this.until(id, false)))
          this.problems.push(
            `${fault.spec}: the gateway did not list ${id} offline within ${DEVICE_WAIT_MS / 1000} s`,
          );
        return;
      }
      case 'camera-reboot': {
        const downMs = (fault.endMs - fault.startMs) / this.speed;
        const back = ports.rebootCamera(need(fault.device), downMs).catch((err: Error) => {
          this.problems.push(`${fault.spec}: the camera did not boot again: ${err.message}`);
        });
        this.reboots.set(fault, back);
        return;
      }
      case 'influx-down':
        return ports.influx?.stop();
      case 'upstream-down':
        return ports.upstreamBroker?.stop();
    }
  }

  async end(fault: ScheduledFault): Promise<void> {
    const { ports } = this;
    switch (fault.kind) {
      case 'reader-offline':
        ports.setReaderSilent(need(fault.device), false);
        await this.back(fault);
        break;
      case 'camera-reboot':
        await this.reboots.get(fault);
        this.reboots.delete(fault);
        await this.back(fault);
        break;
      case 'influx-down':
        await ports.influx?.restart();
        break;
      case 'upstream-down':
        await ports.upstreamBroker?.start();
        break;
    }
    this.print(`fault 故障 ends: ${fault.spec}`);
  }

  private async back(fault: ScheduledFault): Promise<void> {
    const id = need(fault.device);
    if (!(await this.until(id, true)))
      this.problems.push(`${fault.spec}: ${id} was not online again within ${DEVICE_WAIT_MS / 1000} s`);
  }

  /** Polls the gateway until the device's online state is `online`; false after DEVICE_WAIT_MS. */
  private async until(deviceId: string, online: boolean): Promise<boolean> {
    const deadline = Date.now() + DEVICE_WAIT_MS;
    while (Date.now() < deadline) {
      if ((await this.ports.deviceOnline(deviceId)) === online) return true;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return false;
  }
}

function need(device: string | undefined): string {
  if (device === undefined) throw new Error('a device fault without a device');
  return device;
}

/** The ports on the simulated site: its simulators, its upstream, the gateway's device list. */
export function siteFaultPorts(sims: DeviceSims, api: ApiClient, upstream?: SiteUpstream): FaultPorts {
  return {
    setReaderSilent: (id, silent) => sims.setReaderSilent(id, silent),
    rebootCamera: async (id, downMs) => {
      const camera = sims.cameras.get(id);
      if (camera === undefined) throw new Error(`no camera ${id}`);
      await camera.reboot(downMs);
    },
    deviceOnline: async (id) => {
      try {
        return (await api.devices()).find((d) => d.deviceId === id)?.online;
      } catch {
        return undefined; // the gateway between two answers: ask again
      }
    },
    ...(upstream?.influxd ? { influx: upstream.influxd } : {}),
    ...(upstream?.mosquitto ? { upstreamBroker: upstream.mosquitto } : {}),
  };
}
