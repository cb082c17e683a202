import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { ModbusBoardSession } from '../../drivers/modbus/board-session.js';
import { decodeAdu, decodeRequest, encodeAdu } from '../../drivers/modbus/codec.js';
import { ModbusError } from '../../drivers/modbus/errors.js';
import { encodeResponse } from '../../drivers/modbus/responses.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { FAST_MODBUS_TIMING, modbusRig, timerClock } from '../helpers/barrier-rig.js';

type Rig = ReturnType<typeof modbusRig>;

/** Session events as strings, in order. */
function record(session: ModbusBoardSession): string[] {
  const seen: string[] = [];
  session.on('online', () => seen.push('online'));
  session.on('offline', (reason) => seen.push(`offline ${reason}`));
  session.on('inputs', (v) => seen.push(`inputs ${v.map((b) => (b ? 1 : 0)).join('')}`));
  return seen;
}

describe('ModbusBoardSession against simulated relay boards', () => {
  let rig: Rig | undefined;

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    if (rig) {
      const stopped = rig.stop();
      await vi.advanceTimersByTimeAsync(2000);
      await stopped;
      rig = undefined;
    }
    vi.useRealTimers();
  });

  async function started(options: Parameters<typeof modbusRig>[0] = {}): Promise<Rig> {
    rig = modbusRig(options);
    await rig.start();
    await vi.advanceTimersByTimeAsync(200);
    return rig;
  }

  it('polls the inputs and reports each change once', async () => {
    rig = modbusRig();
    const seen = record(rig.session(1));
    await rig.start();
    await vi.advanceTimersByTimeAsync(200);
    expect(seen).toEqual(['online', 'inputs 00100000']); // down limit closed
    rig.model(1).carArrive();
    await vi.advanceTimersByTimeAsync(200);
    rig.model(1).carClear();
    await vi.advanceTimersByTimeAsync(200);
    expect(seen).toEqual(['online', 'inputs 00100000', 'inputs 10100000', 'inputs 00100000']);
    const status = rig.session(1).status();
    expect(status).toMatchObject({
      state: 'online',
      inputs: [false, false, true, false, false, false, false, false],
    });
    expect(status.counters).toMatchObject({ timeouts: 0, crcErrors: 0, exceptions: 0, retries: 0 });
    expect(status.counters.polls).toBeGreaterThan(8);
    expect(status.lastRoundTripMs).toBeGreaterThan(0);
  });

  it('writes coils ahead of polls and the board logs them', async () => {
    const r = await started();
    const at = Date.now();
    await Promise.all([r.session(1).writeCoil(0, true), vi.advanceTimersByTimeAsync(100)]);
    expect(r.model(1).coilLog).toEqual([
      expect.objectContaining({ address: 0, value: true, role: 'open', acted: true }),
    ]);
    expect(r.model(1).coilLog[0]?.at).toBeLessThan(at + 60); // at most one poll ahead of it
    expect(r.session(1).counters).toMatchObject({ writes: 1, writeFailures: 0 });
    const values = r.session(1).readInputs();
    await vi.advanceTimersByTimeAsync(100);
    expect(await values).toHaveLength(8);
  });

  it('runs a guarded write as a fresh read, the guard, and the write, with nothing in between', async () => {
    // One board: another session on the same line may take its turn between the two exchanges
    // (HalfDuplexLine serialises exchanges, not pairs of them): with two boards this gap is ≈ 35 ms.
    const r = await started();
    const seen: (readonly boolean[])[] = [];
    r.model(1).carArrive();
    const refused = r.session(1).writeCoilIf(1, true, (inputs) => {
      seen.push(inputs);
      return inputs[0] ? 'loop occupied' : undefined;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(await refused).toEqual({ written: false, refusal: 'loop occupied' });
    expect(seen).toEqual([[true, false, true, false, false, false, false, false]]);
    expect(r.session(1).inputs?.[0]).toBe(true); // the fresh reading became the session's too
    r.model(1).carClear();
    let guardAt = 0;
    const written = r.session(1).writeCoilIf(1, true, () => {
      guardAt = Date.now();
      return undefined;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(await written).toEqual({ written: true });
    expect(r.model(1).coilLog).toEqual([
      expect.objectContaining({ role: 'close', value: true, loopOccupied: false }),
    ]);
    // The write reached the board one request after the reading: idle gap (4 characters) and its
    // own 8 bytes at 9600 baud, 12.5 ms; a poll in between would have added another 20 ms.
    expect((r.model(1).coilLog[0]?.at ?? 0) - guardAt).toBeLessThan(15);
  });

  it('turns exception responses into ModbusError with the code, and the board stays online', async () => {
    const r = await started();
    const write = r
      .session(1)
      .writeCoil(20, true)
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    const error = (await write) as ModbusError;
    expect(error).toBeInstanceOf(ModbusError);
    expect(error).toMatchObject({ reason: 'exception', exceptionCode: 2, retryable: false });
    r.model(1).setFaults({ dead: 'exception' });
    const dead = r
      .session(1)
      .writeCoil(0, true)
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await dead).toMatchObject({ reason: 'exception', exceptionCode: 4 });
    expect(r.session(1).online).toBe(true);
    expect(r.session(1).counters).toMatchObject({ exceptions: 2, writeFailures: 2, retries: 0 });
  });

  it('goes offline when the board falls silent, fails writes at once, and comes back', async () => {
    const r = await started();
    const seen = record(r.session(1));
    r.model(1).setFaults({ silent: true });
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([expect.stringMatching(/^offline no valid reply for \d+ ms$/)]);
    expect(r.session(1).inputs).toBeUndefined();
    await expect(r.session(1).writeCoil(0, true)).rejects.toMatchObject({
      reason: 'offline',
      retryable: true,
    });
    const probesBefore = r.session(1).counters.requests;
    await vi.advanceTimersByTimeAsync(1000);
    // Offline: one probe per reconnect interval, one attempt each.
    expect(r.session(1).counters.requests - probesBefore).toBeLessThanOrEqual(6);
    r.model(1).setFaults({ silent: false });
    await vi.advanceTimersByTimeAsync(400);
    expect(seen.slice(1)).toEqual(['online', 'inputs 00100000']);
    expect(r.session(1).counters).toMatchObject({ offlineTransitions: 1 });
    expect(r.session(1).counters.timeouts).toBeGreaterThan(3);
  });

  it('survives damaged replies and noise by resending, counting CRC errors', async () => {
    const r = await started({ seed: 3 });
    r.sim.setNoise({ ratePerSecond: 20, corruptReplies: 0.3 });
    const seen = record(r.session(1));
    for (let i = 0; i < 20; i++) {
      const write = r.session(1).writeCoil(5, i % 2 === 0); // an unwired relay: the arm stays put
      await vi.advanceTimersByTimeAsync(150);
      await write;
    }
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen).toEqual([]);
    const c = r.session(1).counters;
    expect(c.crcErrors).toBeGreaterThan(0);
    expect(c.retries).toBeGreaterThanOrEqual(c.crcErrors);
    expect(c.writeFailures).toBe(0);
    expect(r.line.counters.unsolicitedBytes).toBeGreaterThan(0); // the noise between exchanges
  });

  it('shares the line: two boards polled in turn, both online', async () => {
    const r = await started({ units: [1, 2] });
    r.model(2).carArrive();
    await vi.advanceTimersByTimeAsync(500);
    expect(r.session(1).inputs?.[0]).toBe(false);
    expect(r.session(2).inputs?.[0]).toBe(true);
    const [a, b] = [r.session(1).counters, r.session(2).counters];
    expect(Math.abs(a.polls - b.polls)).toBeLessThanOrEqual(2);
    expect(a.timeouts + b.timeouts).toBe(0);
  });

  it('goes offline with its line and comes back when the adapter is plugged in again', async () => {
    const r = await started();
    const seen = record(r.session(1));
    r.master.unplug();
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual(['offline line down']);
    r.master.plugIn();
    await vi.advanceTimersByTimeAsync(1500);
    expect(seen).toEqual(['offline line down', 'online', 'inputs 00100000']);
  });

  it('starts offline when the board never answers', async () => {
    rig = modbusRig();
    rig.model(1).setFaults({ silent: true });
    const seen = record(rig.session(1));
    await rig.start();
    await vi.advanceTimersByTimeAsync(300);
    expect(seen).toEqual([expect.stringMatching(/^offline no reply/)]);
    expect(rig.session(1).counters.offlineTransitions).toBe(0);
  });
});

describe('ModbusBoardSession against a hand-made board', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends again after a busy exception, within its attempts', async () => {
    const bus = new MemoryBus();
    const board = bus.attach('board');
    await board.open();
    let writes = 0;
    board.onData((bytes) => {
      const adu = decodeAdu(bytes);
      const decoded = decodeRequest(adu);
      if (decoded.kind !== 'request') return;
      const request = decoded.request;
      const busy = request.fn === 'write-single-coil' && writes++ < 2;
      const reply = busy
        ? encodeAdu(1, Buffer.from([0x85, 0x06]))
        : encodeResponse(
            request,
            request.fn === 'write-single-coil' ? { kind: 'ok' } : { kind: 'bits', values: [false] },
          );
      setTimeout(() => void board.write(reply), 3);
    });
    const line = new HalfDuplexLine(bus.attach('master'), {
      baudRate: 19200,
      idleGapCharacters: 4,
      clock: timerClock,
    });
    const session = new ModbusBoardSession({
      line,
      board: { unit: 1, name: 'busy', inputs: { address: 0, count: 1 } },
      timing: FAST_MODBUS_TIMING,
      clock: timerClock,
    });
    await line.start();
    session.start();
    await vi.advanceTimersByTimeAsync(100);
    const write = session.writeCoil(0, true);
    await vi.advanceTimersByTimeAsync(500);
    await expect(write).resolves.toBeUndefined();
    expect(session.counters).toMatchObject({ exceptions: 2, retries: 2, writeFailures: 0 });
    writes = -10;
    const refused = session.writeCoil(0, true).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    expect(await refused).toMatchObject({ reason: 'exception', exceptionCode: 6 });
    const stopped = session.stop();
    await vi.advanceTimersByTimeAsync(200);
    await stopped;
    await line.stop();
  });

  it('is never offline at start for a board that misses its first reply but answers the resend', async () => {
    const bus = new MemoryBus();
    const board = bus.attach('board');
    await board.open();
    let polls = 0;
    board.onData((bytes) => {
      const decoded = decodeRequest(decodeAdu(bytes));
      if (decoded.kind !== 'request' || polls++ === 0) return; // the first probe goes unanswered
      const reply = encodeResponse(decoded.request, { kind: 'bits', values: [false] });
      setTimeout(() => void board.write(reply), 3);
    });
    const line = new HalfDuplexLine(bus.attach('master'), {
      baudRate: 19200,
      idleGapCharacters: 4,
      clock: timerClock,
    });
    const session = new ModbusBoardSession({
      line,
      board: { unit: 1, name: 'slow-start', inputs: { address: 0, count: 1 } },
      timing: FAST_MODBUS_TIMING,
      clock: timerClock,
    });
    const seen = record(session);
    await line.start();
    session.start();
    await vi.advanceTimersByTimeAsync(500);
    expect(seen[0]).toBe('online');
    expect(seen.some((e) => e.startsWith('offline'))).toBe(false);
    expect(session.counters.retries).toBeGreaterThanOrEqual(1);
    const stopped = session.stop();
    await vi.advanceTimersByTimeAsync(200);
    await stopped;
    await line.stop();
  });

  it('refuses a request no board would accept without queueing it', async () => {
    const line = new HalfDuplexLine(new MemoryBus().attach('m'), { baudRate: 9600 });
    const session = new ModbusBoardSession({
      line,
      board: { unit: 1, name: 'x', inputs: { address: 0, count: 1 } },
    });
    await expect(session.writeCoil(0, true)).rejects.toMatchObject({ reason: 'stopped' });
    expect(
      () => new ModbusBoardSession({ line, board: { unit: 0, name: 'x', inputs: { address: 0, count: 1 } } }),
    ).toThrow(RangeError);
  });
});
