import { afterEach, describe, expect, it } from 'vitest';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import { decodeAdu, encodeAdu, encodeRequest } from '../../drivers/modbus/codec.js';
import { decodeResponse } from '../../drivers/modbus/responses.js';
import { MemoryBus, type MemoryEndpoint } from '../../drivers/transport/memory-bus.js';
import { BarrierArm } from '../../simulators/barrier/arm-model.js';
import { RelayBoardModel } from '../../simulators/barrier/board-model.js';
import { BarrierBusSimulator } from '../../simulators/barrier/bus-simulator.js';
import { runConsoleLine } from '../../simulators/barrier/console.js';
import { seededRandom } from '../../simulators/shared/random.js';
import { hex, OSDP_POLL } from '../fixtures/modbus/frames.hex.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('BarrierArm', () => {
  it('takes its travel time, reverses from where it is, and stops on STOP', () => {
    const clock = new ManualClock();
    const arm = new BarrierArm({ riseMs: 2000, fallMs: 4000, clock });
    const motions: string[] = [];
    arm.on('motion', (m) => motions.push(`${m.motion}@${m.at}`));
    expect(arm.downLimit).toBe(true);
    arm.open();
    clock.advance(1000);
    expect(arm.position()).toBeCloseTo(0.5);
    expect(arm.downLimit || arm.upLimit).toBe(false);
    clock.advance(1000);
    expect(arm.upLimit).toBe(true);
    arm.close();
    clock.advance(1000); // a quarter of the way down
    arm.open(); // reversal: a quarter of the rise time back up
    clock.advance(499);
    expect(arm.upLimit).toBe(false);
    clock.advance(1);
    expect(arm.upLimit).toBe(true);
    arm.close();
    clock.advance(2000);
    arm.stop();
    clock.advance(10_000);
    expect(arm.position()).toBeCloseTo(0.5);
    expect(motions).toEqual([
      'rising@0',
      'still@2000',
      'falling@2000',
      'rising@3000',
      'still@3500',
      'falling@3500',
      'still@5500',
    ]);
  });

  it('ignores every contact while stuck', () => {
    const clock = new ManualClock();
    const arm = new BarrierArm({ riseMs: 1000, fallMs: 1000, clock });
    arm.open();
    clock.advance(300);
    arm.setStuck(true);
    clock.advance(2000);
    arm.close();
    clock.advance(2000);
    expect(arm.position()).toBeCloseTo(0.3);
    arm.setStuck(false);
    arm.open();
    clock.advance(700);
    expect(arm.upLimit).toBe(true);
  });
});

describe('RelayBoardModel', () => {
  const board = (options: Partial<ConstructorParameters<typeof RelayBoardModel>[0]> = {}) => {
    const clock = new ManualClock();
    return { clock, model: new RelayBoardModel({ unit: 1, clock, riseMs: 1000, fallMs: 1000, ...options }) };
  };

  it('closes a contact when a coil turns on, logs every write with the loop state, and reads its inputs', () => {
    const { clock, model } = board();
    expect(model.inputs().slice(0, 4)).toEqual([false, false, true, false]);
    model.writeCoils(0, [true]);
    model.writeCoils(0, [false]);
    clock.advance(1000);
    model.carArrive();
    model.setFire(true);
    expect(model.inputs().slice(0, 4)).toEqual([true, true, false, true]);
    model.writeCoils(1, [true]);
    expect(model.coilLog.map((w) => `${w.role}:${w.value}:${w.loopOccupied}:${w.acted}`)).toEqual([
      'open:true:false:true',
      'open:false:false:false',
      'close:true:true:true',
    ]);
    expect(model.counters.hazards).toBe(1); // the arm started down onto the car
    expect(model.readInputs(6, 3)).toEqual({ exception: 2 });
    expect(model.writeCoils(7, [true, true])).toEqual({ exception: 2 });
  });

  it('counts a car driving under a falling arm; with the interlock the controller reverses it', () => {
    for (const interlock of [false, true]) {
      const { clock, model } = board({ interlock });
      model.writeCoils(0, [true, false]);
      clock.advance(1000);
      model.writeCoils(0, [false, true]);
      clock.advance(300);
      model.carArrive();
      clock.advance(100);
      expect(model.counters.hazards).toBe(1);
      expect(model.arm.motion).toBe(interlock ? 'rising' : 'falling');
    }
  });

  it('has dead relays that acknowledge without acting, or refuse with 0x04', () => {
    const { clock, model } = board();
    model.setFaults({ dead: 'ack' });
    expect(model.writeCoils(0, [true])).toEqual({ ok: true });
    clock.advance(2000);
    expect(model.arm.downLimit).toBe(true);
    expect(model.coilStates()[0]).toBe(true); // read back as written
    model.setFaults({ dead: 'exception' });
    expect(model.writeCoils(0, [false])).toEqual({ exception: 4 });
  });
});

describe('BarrierBusSimulator', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setUp(units = [1, 2]) {
    const clock = new ManualClock();
    const bus = new MemoryBus();
    const master = bus.attach('master');
    const heard: Buffer[] = [];
    master.onData((b) => heard.push(b));
    await master.open();
    const boards = units.map((unit) => new RelayBoardModel({ unit, clock, riseMs: 1000, fallMs: 1000 }));
    const sim = new BarrierBusSimulator({
      transport: bus.attach('boards'),
      boards,
      clock,
      random: seededRandom(5),
    });
    await sim.start();
    cleanups.push(async () => {
      await sim.stop();
      for (const b of boards) b.dispose();
    });
    const send = async (bytes: Buffer, endpoint: MemoryEndpoint = master) => {
      await endpoint.write(bytes);
      await new Promise((r) => setImmediate(r));
    };
    return { clock, bus, master, heard, boards, sim, send };
  }

  it('answers at wire speed: request received, turnaround, reply on the line', async () => {
    const { clock, heard, sim, send } = await setUp();
    const request = { fn: 'read-discrete-inputs', unit: 2, address: 0, quantity: 8 } as const;
    await send(encodeRequest(request));
    const replyLength = 6;
    const due = wireTimeMs(8, 9600) + 2 + wireTimeMs(replyLength, 9600);
    clock.advance(due - 0.5);
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual([]);
    clock.advance(0.5);
    await new Promise((r) => setImmediate(r));
    expect(heard).toHaveLength(1);
    expect(decodeResponse(request, decodeAdu(heard[0] as Buffer))).toEqual({
      kind: 'bits',
      values: [false, false, true, false, false, false, false, false],
    });
    expect(sim.counters).toMatchObject({ requests: 1, replies: 1, exceptions: 0 });
  });

  it('hears its requests between OSDP packets and noise, and answers only its own units', async () => {
    const { clock, heard, sim, send, boards } = await setUp();
    const write = encodeRequest({ fn: 'write-single-coil', unit: 1, address: 5, value: true });
    await send(Buffer.concat([OSDP_POLL, hex('01 02 03'), write.subarray(0, 3)]));
    await send(Buffer.concat([write.subarray(3), OSDP_POLL]));
    await send(encodeRequest({ fn: 'write-single-coil', unit: 9, address: 5, value: true }));
    clock.advance(100);
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual([write]); // the echo
    expect(boards[0]?.coilStates()[5]).toBe(true);
    expect(sim.counters.requests).toBe(1);
  });

  it('refuses what the board cannot do, applies broadcasts silently, and stays silent when told', async () => {
    const { clock, heard, send, boards } = await setUp();
    await send(encodeAdu(1, hex('05 00 00 55 00'))); // FC05 with a non-standard value
    await send(encodeRequest({ fn: 'write-single-register', unit: 1, address: 0, value: 1 }));
    await send(encodeRequest({ fn: 'read-holding-registers', unit: 2, address: 0, quantity: 1 }));
    await send(encodeRequest({ fn: 'write-single-coil', unit: 0, address: 6, value: true }));
    clock.advance(200); // requests are handled once received: let these be
    boards[1]?.setFaults({ silent: true });
    await send(encodeRequest({ fn: 'read-coils', unit: 2, address: 0, quantity: 8 }));
    clock.advance(200);
    await new Promise((r) => setImmediate(r));
    expect(heard.map((b) => b.toString('hex'))).toEqual([
      encodeAdu(1, hex('85 03')).toString('hex'), // illegal data value
      encodeAdu(1, hex('86 01')).toString('hex'), // illegal function
      encodeAdu(2, hex('03 02 00 02')).toString('hex'), // its own unit address
    ]);
    expect(boards.map((b) => b.coilStates()[6])).toEqual([true, true]);
  });

  it('writes noise only while the line is idle, and damages replies when asked', async () => {
    const { clock, heard, sim, send } = await setUp();
    sim.setNoise({ ratePerSecond: 50, corruptReplies: 1 });
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(sim.counters.noiseBytes).toBeGreaterThan(0);
    heard.length = 0;
    sim.setNoise({ ratePerSecond: 0, corruptReplies: 1 });
    const write = encodeRequest({ fn: 'write-single-coil', unit: 1, address: 5, value: true });
    await send(write);
    clock.advance(100);
    await new Promise((r) => setImmediate(r));
    expect(heard).toHaveLength(1);
    expect(heard[0]).not.toEqual(write);
    expect(sim.counters.corrupted).toBe(1);
  });
});

describe('the barrier console', () => {
  it('drives cars, faults, fire and noise, and answers errors without throwing', () => {
    const clock = new ManualClock();
    const boards = [1, 2].map((unit) => new RelayBoardModel({ unit, clock }));
    const sim = new BarrierBusSimulator({ transport: new MemoryBus().attach('x'), boards, clock });
    const run = (line: string) => runConsoleLine(sim, line);
    expect(run('car arrive 2')).toEqual({ output: 'loop 2 occupied' });
    expect(run('car clear 2').output).toBe('loop 2 clear');
    expect(run('fault 1 stuck on').output).toBe('board 1 faults: stuck');
    expect(run('fault 1 dead exception').output).toBe('board 1 faults: stuck dead(exception)');
    expect(run('fault 1 dead on').output).toBe('board 1 faults: stuck dead(ack)');
    expect(run('fault 1 silent on').output).toBe('board 1 faults: stuck dead(ack) silent');
    expect(run('fire on').output).toBe('fire on 1,2');
    expect(run('fire off 2').output).toBe('fire off 2');
    expect(run('noise on 5').output).toBe('bus noise on 5/s');
    expect(run('noise off').output).toBe('bus noise off');
    expect(run('status').output).toMatch(
      /^board 1: arm down, loop clear, fire on, coils 00000000, faults stuck dead\(ack\) silent/,
    );
    expect(run('wait 250')).toEqual({ output: '', waitMs: 250 });
    expect(run('quit')).toEqual({ output: 'bye', quit: true });
    expect(run('car arrive 7')).toEqual({ output: 'error: no board "7" (hosted units: 1, 2)', error: true });
    expect(run('fault 1 melted on').error).toBe(true);
    expect(run('fire maybe').error).toBe(true);
    expect(run('fly').output).toBe('error: unknown command "fly"; type help');
    expect(run('help').output).toContain('car arrive <unit>');
  });
});
