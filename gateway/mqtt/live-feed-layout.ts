/**
 * The site as the live feed and Home Assistant discovery see it: lanes with their gate, and the
 * configured devices with their lane, read once from the configuration.
 */
import type { GatewardenConfig } from '../../config/schema.js';
import type { Direction, LaneKind, SiteMode } from '../domain/model.js';

export interface LiveLane {
  id: string;
  gate: string;
  kind: LaneKind;
  direction: Direction;
  name: { zh: string; en: string };
}

export interface LiveGate {
  id: string;
  name: { zh: string; en: string };
  lanes: LiveLane[];
}

export interface LiveDevice {
  id: string;
  /** The lane it serves; absent for devices of no one lane (a relay board). */
  lane?: string;
}

export interface LiveLayout {
  siteId: string;
  siteName: { zh: string; en: string };
  timezone: string;
  initialMode: SiteMode;
  feverThresholdC: number;
  /** How long a granted pass keeps a lock released (or, approximately, a barrier up). */
  unlockMs: number;
  gates: LiveGate[];
  lanes: ReadonlyMap<string, LiveLane>;
  devices: ReadonlyMap<string, LiveDevice>;
}

/** The parts of the configuration the layout reads. */
export type LiveLayoutConfig = Pick<
  GatewardenConfig,
  | 'site'
  | 'mode'
  | 'policy'
  | 'gates'
  | 'osdp'
  | 'idcard'
  | 'modbus'
  | 'barriers'
  | 'scanners'
  | 'mqtt'
  | 'cameras'
  | 'thermometers'
>;

export function liveLayout(config: LiveLayoutConfig): LiveLayout {
  const gates: LiveGate[] = config.gates.map((g) => ({
    id: g.id,
    name: g.name,
    lanes: g.lanes.map((l) => ({ id: l.id, gate: g.id, kind: l.kind, direction: l.direction, name: l.name })),
  }));
  const lanes = new Map(gates.flatMap((g) => g.lanes.map((l) => [l.id, l] as const)));
  const devices = new Map<string, LiveDevice>();
  const add = (id: string, lane?: string) => devices.set(id, lane === undefined ? { id } : { id, lane });
  for (const d of config.osdp.devices) add(d.id, d.lane);
  for (const d of config.idcard.devices) add(d.id, d.lane);
  for (const b of config.modbus.boards) add(b.id);
  for (const b of config.barriers) add(b.id, b.lane);
  for (const c of config.cameras.devices) add(c.id, c.lane);
  for (const t of config.thermometers) add(t.id, t.lane);
  for (const s of config.scanners) add(s.id, s.lane);
  for (const d of config.mqtt.devices) add(d.id, d.lane);
  return {
    siteId: config.site.id,
    siteName: config.site.name,
    timezone: config.site.timezone,
    initialMode: config.mode,
    feverThresholdC: config.policy.feverThresholdC,
    unlockMs: Math.round(config.policy.unlockSeconds * 1000),
    gates,
    lanes,
    devices,
  };
}
