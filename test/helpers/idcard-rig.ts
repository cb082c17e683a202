import type { Logger } from 'pino';
import { IdCardReaderSession } from '../../drivers/idcard/reader-session.js';
import type { SamTiming } from '../../drivers/idcard/timing.js';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import type { Clock } from '../../drivers/shared/clock.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { IdCardSimulator } from '../../simulators/idcard/simulator.js';
import { seededRandom } from '../../simulators/shared/random.js';

/** A clock over the global timers, so `vi.useFakeTimers()` drives the line, session and simulator. */
export const timerClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export const FAST_TIMING: Partial<SamTiming> = {
  pollIntervalMs: 100,
  offlineAfterMs: 1000,
  reconnectIntervalMs: 200,
};

/**
 * A reader session and a simulated SAM back to back on an in-memory line (115200 baud): the
 * host end owned by a HalfDuplexLine, the device end by the simulator. Start with `start()`.
 */
export interface IdcardRigOptions {
  chunkSize?: number;
  timing?: Partial<SamTiming>;
  seed?: number;
  log?: Logger;
}

export function idcardRig(options: IdcardRigOptions = {}) {
  const bus = new MemoryBus(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize });
  const host = bus.attach('host');
  const device = bus.attach('device');
  const line = new HalfDuplexLine(host, { baudRate: 115200, reopenIntervalMs: 50, clock: timerClock });
  const sim = new IdCardSimulator({
    transport: device,
    baudRate: 115200,
    clock: timerClock,
    processing: { shortMs: 5, readMs: 80 },
    random: seededRandom(options.seed ?? 1),
    reopenIntervalMs: 50,
  });
  const session = new IdCardReaderSession({
    line,
    clock: timerClock,
    timing: { ...FAST_TIMING, ...options.timing },
    ...(options.log ? { log: options.log } : {}),
  });
  const seen: string[] = [];
  session.on('online', () => seen.push('online'));
  session.on('offline', () => seen.push('offline'));
  session.on('fault', (s) => seen.push(`fault ${s.name}`));
  session.on('read', (r) => seen.push(`read ${r.card.birthDate}`));
  session.on('readFailed', (f) => seen.push(`failed ${f.status?.name ?? f.detail} x${f.attempts}`));
  session.on('removed', () => seen.push('removed'));
  return {
    bus,
    host,
    device,
    line,
    sim,
    session,
    /** Session events in order: `online`, `read <birth date>`, `failed <status> x<attempts>`, … */
    seen,
    async start() {
      await sim.start();
      await line.start();
      session.start();
    },
    async stop() {
      await session.stop();
      await line.stop();
      await sim.stop();
    },
  };
}
