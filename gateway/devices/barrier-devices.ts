import type { BarrierConfigEntry, ModbusBoardConfigEntry } from '../../config/devices-schema.js';
import { BarrierAdapter } from '../../drivers/barrier/barrier-adapter.js';
import { ModbusBoardSession } from '../../drivers/modbus/board-session.js';
import { childLogger } from '../logging.js';
import type { DeviceContext, DeviceModule } from './device-module.js';

/**
 * One Modbus session per relay/IO board, one barrier adapter per barrier on a board. A barrier
 * acts on its lane's decisions (plate, card, ID card) through the lane port's actuators.
 */
export function buildBarriers(context: DeviceContext): DeviceModule[] {
  const { site, log, port } = context;
  return site.config.modbus.boards.map((board) => {
    const boardLog = childLogger(log, `modbus:${board.id}`);
    const session = new ModbusBoardSession({
      line: context.line(board.line),
      board: { unit: board.unit, name: board.id, inputs: board.inputs },
      log: boardLog,
    });
    session.on('offline', (reason) => boardLog.warn({ reason }, 'board offline'));
    session.on('online', () => boardLog.info('board online'));
    const wired = site.config.barriers
      .filter((b) => b.board === board.id)
      .map((config) => ({
        config,
        adapter: new BarrierAdapter(
          barrierConfig(config),
          session,
          port,
          childLogger(log, `barrier:${config.id}`),
        ),
      }));
    const barriers = wired.map((w) => w.adapter);
    return {
      devices: 1 + wired.length,
      actuators: wired.map(({ config, adapter }) => ({
        laneId: config.lane,
        actuator: { deviceId: config.id, actuate: (decision) => adapter.onDecision(decision) },
      })),
      states: () => [
        { deviceId: board.id, online: session.online, counters: { ...session.counters } },
        ...wired.map(({ config }) => ({ deviceId: config.id, online: session.online })),
      ],
      start: () => {
        for (const b of barriers) b.start();
        session.start();
      },
      stop: async () => {
        for (const b of barriers) await b.stop();
        await session.stop();
      },
      setFire: (active) => {
        for (const b of barriers) b.setFire(active);
      },
    };
  });
}

function barrierConfig(b: BarrierConfigEntry): ConstructorParameters<typeof BarrierAdapter>[0] {
  return {
    deviceId: b.id,
    laneId: b.lane,
    coils: b.coils,
    inputs: b.inputs,
    timing: {
      pulseMs: b.pulseSeconds * 1000,
      settleMs: b.settleSeconds * 1000,
      travelTimeoutMs: b.travelSeconds * 1000,
      passTimeoutMs: b.passSeconds * 1000,
    },
  };
}

/** Lines that carry Modbus boards need the RTU silence of 3.5 characters between frames. */
export function linesWithModbus(boards: readonly ModbusBoardConfigEntry[]): Set<string> {
  return new Set(boards.map((b) => b.line));
}
