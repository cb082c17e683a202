import type { Logger } from 'pino';
import { BarrierAdapter } from '../../drivers/barrier/barrier-adapter.js';
import type { BarrierConfig } from '../../drivers/barrier/barrier-config.js';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { ModbusBoardSession } from '../../drivers/modbus/board-session.js';
import { type ModbusTiming, modbusIdleGapCharacters } from '../../drivers/modbus/timing.js';
import type { Clock } from '../../drivers/shared/clock.js';
import type { DeviceAlarm, LanePort } from '../../drivers/shared/lane-port.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { createLogger } from '../../gateway/logging.js';
import type { Decision } from '../../gateway/rules/types.js';
import { RelayBoardModel, STANDARD_WIRING } from '../../simulators/barrier/board-model.js';
import { BarrierBusSimulator } from '../../simulators/barrier/bus-simulator.js';
import { seededRandom } from '../../simulators/shared/random.js';
import { timerClock } from './idcard-rig.js';

export { timerClock };

export const FAST_MODBUS_TIMING: Partial<ModbusTiming> = {
  pollIntervalMs: 50,
  processingMs: 50,
  offlineAfterMs: 500,
  reconnectIntervalMs: 200,
};

export interface ModbusRigOptions {
  units?: number[];
  baud?: number;
  chunkSize?: number;
  timing?: Partial<ModbusTiming>;
  riseMs?: number;
  fallMs?: number;
  interlock?: boolean;
  seed?: number;
  clock?: Clock;
}

/**
 * Modbus sessions and simulated relay boards back to back on an in-memory RS-485 line: the
 * master end owned by a HalfDuplexLine (idle gap t3.5), the board end by a BarrierBusSimulator
 * hosting one RelayBoardModel per unit (STANDARD_WIRING). Timers run on `clock` (default: the
 * global timers, so vi.useFakeTimers() drives everything). Start with `start()`.
 */
export function modbusRig(options: ModbusRigOptions = {}) {
  const clock = options.clock ?? timerClock;
  const baud = options.baud ?? 9600;
  const units = options.units ?? [1];
  const bus = new MemoryBus(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize });
  const master = bus.attach('master');
  const boardEnd = bus.attach('boards');
  const line = new HalfDuplexLine(master, {
    baudRate: baud,
    idleGapCharacters: modbusIdleGapCharacters(baud),
    reopenIntervalMs: 50,
    clock,
  });
  const models = units.map(
    (unit) =>
      new RelayBoardModel({
        unit,
        clock,
        riseMs: options.riseMs ?? 2000,
        fallMs: options.fallMs ?? 2500,
        interlock: options.interlock ?? false,
      }),
  );
  const sim = new BarrierBusSimulator({
    transport: boardEnd,
    boards: models,
    baud,
    clock,
    random: seededRandom(options.seed ?? 1),
  });
  const sessions = units.map(
    (unit) =>
      new ModbusBoardSession({
        line,
        board: { unit, name: `board-${unit}`, inputs: { address: 0, count: 8 } },
        timing: { ...FAST_MODBUS_TIMING, ...options.timing },
        clock,
      }),
  );
  const model = (unit: number) => models[units.indexOf(unit)] as RelayBoardModel;
  const session = (unit: number) => sessions[units.indexOf(unit)] as ModbusBoardSession;
  return {
    bus,
    master,
    line,
    sim,
    models,
    sessions,
    model,
    session,
    async start() {
      await sim.start();
      await line.start();
      for (const s of sessions) s.start();
    },
    async stop() {
      for (const s of sessions) await s.stop();
      await line.stop();
      await sim.stop();
      for (const m of models) m.dispose();
    },
  };
}

/** A LanePort that records alarms, device states and fire reports; `fireActive` is settable. */
export function barrierLanePort() {
  const alarms: DeviceAlarm[] = [];
  const states: string[] = [];
  const fires: boolean[] = [];
  let siteFire = false;
  const port: LanePort = {
    present: () => {
      throw new Error('barriers present no credentials');
    },
    alarm: (alarm) => alarms.push(alarm),
    deviceState: (deviceId, state, detail) =>
      states.push(`${deviceId} ${state}${detail ? ` ${detail}` : ''}`),
    fire: (active) => fires.push(active),
    fireActive: () => siteFire,
  };
  return {
    port,
    alarms,
    states,
    fires,
    codes: () => alarms.map((a) => a.code as string),
    setSiteFire(active: boolean) {
      siteFire = active;
    },
  };
}

/** The lane wiring of STANDARD_WIRING. */
export function standardBarrier(deviceId: string, laneId = 'east-vehicle-in'): BarrierConfig {
  return { deviceId, laneId, coils: { ...STANDARD_WIRING.coils }, inputs: { ...STANDARD_WIRING.inputs } };
}

export const ALLOW: Decision = {
  allow: true,
  reasons: [{ effect: 'grant', code: 'VEHICLE_PERMIT' }],
  subject: { kind: 'vehicle', id: 'v-res', vehicleKind: 'resident' },
  direction: 'in',
  actions: [{ type: 'raise_barrier' }],
};

/** An allow decision for another vehicle. */
export function allowFor(vehicleId: string): Decision {
  return { ...ALLOW, subject: { kind: 'vehicle', id: vehicleId, vehicleKind: 'resident' } };
}

export const DENY: Decision = {
  allow: false,
  reasons: [{ effect: 'deny', code: 'VEHICLE_NO_PERMIT' }],
  subject: { kind: 'unknown' },
  direction: 'in',
  actions: [],
};

export const silentLog: Logger = createLogger({ level: 'silent' });

/** An adapter on a rig's board, with a recording lane port. */
export function barrierOnRig(
  rig: ReturnType<typeof modbusRig>,
  unit: number,
  config?: Partial<BarrierConfig>,
) {
  const lane = barrierLanePort();
  const adapter = new BarrierAdapter(
    { ...standardBarrier(`barrier-${unit}`), ...config },
    rig.session(unit),
    lane.port,
    silentLog,
    timerClock,
  );
  return { adapter, lane };
}
