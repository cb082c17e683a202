/**
 * What the simulated site has, where: every device of the default site's gates, the serial line
 * (socat pair) or loopback service it is reached by, and the lane it serves. One table read by
 * the configuration writer (site-config.ts), the simulators (device-sims.ts), the console (which
 * lane has which device) and the test (every device online). Ids are the gateway's device ids.
 *
 * North (primary) gate: the pedestrian lanes share one RS-485 line with an OSDP reader and door
 * module each; north-ped-in also has an ID-card reader, a thermal camera and a handheld
 * thermometer; north-ped-out a QR scanner and a thermal camera; each vehicle lane a barrier on
 * a Modbus relay board (both boards on one line) and a plate camera. East (secondary) gate:
 * a Tasmota relay and a serial QR scanner (the cheapest reader of the site) on the way in, a
 * Zigbee2MQTT lock and door contact on the way out, over the embedded broker. Building 1's
 * entrance (a gate of kind `building`, added to the default configuration's gates by
 * site-config.ts): a serial QR scanner and a Zigbee2MQTT lock of the building's own bridge.
 */

export const LANES = {
  northPedIn: 'north-ped-in',
  northPedOut: 'north-ped-out',
  northVehicleIn: 'north-vehicle-in',
  northVehicleOut: 'north-vehicle-out',
  eastPedIn: 'east-ped-in',
  eastPedOut: 'east-ped-out',
  building1In: 'building-1-in',
} as const;

/** A socat pseudo-terminal pair: the gateway opens `<dir>/tty-<name>`, the simulator `<dir>/tty-<name>-sim`. */
export interface PtyLine {
  name: string;
  baud: number;
}

export const PTY_LINES = {
  osdp: { name: 'north-ped-485', baud: 9600 },
  modbus: { name: 'north-vehicle-485', baud: 9600 },
  sam: { name: 'north-in-sam', baud: 115200 },
  qr: { name: 'north-out-qr', baud: 9600 },
  thermometer: { name: 'north-in-thermometer', baud: 9600 },
  eastQr: { name: 'east-in-qr', baud: 9600 },
  buildingQr: { name: 'building-1-qr', baud: 9600 },
} as const satisfies Record<string, PtyLine>;

export interface OsdpReaderPlan {
  id: string;
  lane: string;
  address: number;
  lock: 'fail-secure' | 'fail-safe';
  /** The simulated PD's standard door wiring: contact 0, exit button 1, fire 2. */
  fire: boolean;
}

export const OSDP_READERS: readonly OsdpReaderPlan[] = [
  { id: 'north-in-reader', lane: LANES.northPedIn, address: 1, lock: 'fail-secure', fire: true },
  { id: 'north-out-reader', lane: LANES.northPedOut, address: 2, lock: 'fail-safe', fire: false },
];

export interface BarrierPlan {
  id: string;
  board: string;
  unit: number;
  lane: string;
}

export const BARRIERS: readonly BarrierPlan[] = [
  { id: 'north-vehicle-in-barrier', board: 'north-vehicle-in-board', unit: 1, lane: LANES.northVehicleIn },
  { id: 'north-vehicle-out-barrier', board: 'north-vehicle-out-board', unit: 2, lane: LANES.northVehicleOut },
];

export const IDCARD_READER = { id: 'north-in-idcard', lane: LANES.northPedIn } as const;
export const QR_SCANNER = { id: 'north-out-qr', lane: LANES.northPedOut } as const;

export interface QrScannerPlan {
  id: string;
  lane: string;
  line: (typeof PTY_LINES)['qr' | 'eastQr' | 'buildingQr'];
}

/** Every serial QR scanner: the north exit's, the east gate's (GATE_CLOSED in closed mode), building 1's. */
export const QR_SCANNERS: readonly QrScannerPlan[] = [
  { ...QR_SCANNER, line: PTY_LINES.qr },
  { id: 'east-in-qr', lane: LANES.eastPedIn, line: PTY_LINES.eastQr },
  { id: 'building-1-qr', lane: LANES.building1In, line: PTY_LINES.buildingQr },
];
export const THERMOMETER = { id: 'north-in-thermometer', lane: LANES.northPedIn } as const;

export interface CameraPlan {
  id: string;
  lane: string;
  kind: 'thermal' | 'plate';
}

export const CAMERAS: readonly CameraPlan[] = [
  { id: 'north-in-thermal', lane: LANES.northPedIn, kind: 'thermal' },
  { id: 'north-out-thermal', lane: LANES.northPedOut, kind: 'thermal' },
  { id: 'north-in-plate', lane: LANES.northVehicleIn, kind: 'plate' },
  { id: 'north-out-plate', lane: LANES.northVehicleOut, kind: 'plate' },
];

/** The ONVIF user the gateway logs in to every simulated camera with. */
export const CAMERA_USER = 'gatewarden';

export const TASMOTA_RELAY = {
  id: 'east-in-strike',
  lane: LANES.eastPedIn,
  topic: 'east_in_strike',
} as const;
export const Z2M_DOOR = {
  lockId: 'east-out-lock',
  contactId: 'east-out-door',
  lane: LANES.eastPedOut,
  baseTopic: 'zigbee2mqtt',
  lockName: 'east/out-lock',
  contactName: 'east/out-door',
} as const;

/**
 * Building 1's entrance: a gate of kind `building` (never primary, never shut by the mode; its
 * own residents in, others NOT_THIS_BUILDING), one lane in. Exits are by the exit button.
 */
export const BUILDING_GATE = {
  id: 'building-1',
  name: { zh: '1号楼入口', en: 'Building 1 entrance' },
  kind: 'building',
  building: '1',
  lanes: [
    {
      id: LANES.building1In,
      name: { zh: '1号楼入口', en: 'Building 1 in' },
      kind: 'pedestrian',
      direction: 'in',
    },
  ],
} as const;

/** The building's Zigbee2MQTT lock, on the building's own bridge (its own base topic and broker user). */
export const BUILDING_LOCK = {
  lockId: 'building-1-lock',
  lane: LANES.building1In,
  baseTopic: 'z2m-building-1',
  lockName: 'entrance/lock',
} as const;

/** Every device id the gateway lists in /api/devices for this site. */
export function plannedDeviceIds(): string[] {
  return [
    ...OSDP_READERS.map((r) => r.id),
    ...BARRIERS.flatMap((b) => [b.board, b.id]),
    IDCARD_READER.id,
    ...QR_SCANNERS.map((q) => q.id),
    THERMOMETER.id,
    ...CAMERAS.map((c) => c.id),
    TASMOTA_RELAY.id,
    Z2M_DOOR.lockId,
    Z2M_DOOR.contactId,
    BUILDING_LOCK.lockId,
  ];
}

/** The lanes that have a device of one kind, for the console's "no … at <lane>" answers. */
export const LANES_WITH = {
  reader: OSDP_READERS.map((r) => r.lane),
  idcard: [IDCARD_READER.lane],
  qr: QR_SCANNERS.map((q) => q.lane),
  thermal: CAMERAS.filter((c) => c.kind === 'thermal').map((c) => c.lane),
  plate: CAMERAS.filter((c) => c.kind === 'plate').map((c) => c.lane),
  thermometer: [THERMOMETER.lane],
  /** Lanes whose lock is an MQTT lock the site actions watch open (building entrances). */
  mqttLock: [BUILDING_LOCK.lane],
} as const;

/** Lanes of the primary (north) gate: elsewhere closed mode answers GATE_CLOSED (building doors aside). */
export const PRIMARY_LANES: readonly string[] = [
  LANES.northPedIn,
  LANES.northPedOut,
  LANES.northVehicleIn,
  LANES.northVehicleOut,
];
