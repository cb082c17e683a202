/**
 * Barrier lanes over a real pseudo-terminal pair from socat standing in for the RS-485 pair, at
 * 9600 baud with every reply paced at wire speed: HalfDuplexLine + ModbusBoardSession +
 * BarrierAdapter on one end, BarrierBusSimulator (relay boards wired to simulated barrier arms)
 * on the other. Decisions come from the real rules (`decide`) over the rule-test world
 * (test/helpers/world.ts), where 京A12345 is a resident's car with a permit and 沪C99999 an
 * outside vehicle. The last test puts two relay boards and an OSDP reader on one line: one
 * HalfDuplexLine on the gateway end, one SerialTransport shared by both simulators on the other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BarrierAdapter } from '../../drivers/barrier/barrier-adapter.js';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { ModbusBoardSession } from '../../drivers/modbus/board-session.js';
import { modbusIdleGapCharacters } from '../../drivers/modbus/timing.js';
import { OsdpControlPanel } from '../../drivers/osdp/link/control-panel.js';
import type { OsdpReply } from '../../drivers/osdp/messages/replies.js';
import { systemClock } from '../../drivers/shared/clock.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { decide } from '../../gateway/rules/decide.js';
import type { Decision } from '../../gateway/rules/types.js';
import { RelayBoardModel } from '../../simulators/barrier/board-model.js';
import { BarrierBusSimulator } from '../../simulators/barrier/bus-simulator.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { barrierLanePort, silentLog, standardBarrier } from '../helpers/barrier-rig.js';
import { waitFor } from '../helpers/wait-for.js';
import { laneContext, NOW, policy, registry } from '../helpers/world.js';

const BAUD = 9600;
const TIMING = { pulseMs: 200, settleMs: 400, travelTimeoutMs: 2500, passTimeoutMs: 20_000 };
const PD_ADDRESS = 5;

function plateDecision(plate: string): Decision {
  const ctx = laneContext({ kind: 'vehicle' });
  return decide(policy('closed'), registry, ctx, {
    at: NOW,
    laneId: ctx.lane.id,
    shift: 'day',
    credential: { kind: 'plate', value: plate },
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(units: number[], withReader = false) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-barrier-'));
  const pair = await new PtyPair(dir, 'rs485').start();
  cleanups.push(async () => {
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  // The far end of the pair: relay boards and (optionally) an OSDP reader on one transport.
  const deviceEnd = new SerialTransport({ path: pair.b, baudRate: BAUD });
  const models = units.map(
    (unit) => new RelayBoardModel({ unit, clock: systemClock, riseMs: 600, fallMs: 800 }),
  );
  const boardSim = new BarrierBusSimulator({ transport: deviceEnd, boards: models, baud: BAUD });
  const pd = withReader ? new SimulatedPd({ address: PD_ADDRESS, model: {} }) : undefined;
  const readerSim = pd ? new BusSimulator({ transport: deviceEnd, pds: [pd], baud: BAUD }) : undefined;
  // The gateway end: one owner of the line for every device on it.
  const line = new HalfDuplexLine(new SerialTransport({ path: pair.a, baudRate: BAUD }), {
    baudRate: BAUD,
    idleGapCharacters: modbusIdleGapCharacters(BAUD),
    reopenIntervalMs: 100,
  });
  const sessions = units.map(
    (unit) =>
      new ModbusBoardSession({
        line,
        board: { unit, name: `board-${unit}`, inputs: { address: 0, count: 8 } },
        timing: { pollIntervalMs: 100, offlineAfterMs: 2000 },
      }),
  );
  const panel = withReader
    ? new OsdpControlPanel({ line, pds: [{ address: PD_ADDRESS, name: 'reader', secure: 'off' }] })
    : undefined;
  const lanes = units.map((unit, i) => {
    const lane = barrierLanePort();
    const session = sessions[i] as ModbusBoardSession;
    const adapter = new BarrierAdapter(
      { ...standardBarrier(`barrier-${unit}`), timing: TIMING },
      session,
      lane.port,
      silentLog,
    );
    return { lane, adapter, model: models[i] as RelayBoardModel, session };
  });
  cleanups.push(async () => {
    for (const l of lanes) await l.adapter.stop();
    await panel?.stop();
    for (const s of sessions) await s.stop();
    await line.stop();
    await readerSim?.stop();
    await boardSim.stop();
    await deviceEnd.close();
    for (const m of models) m.dispose();
    pd?.dispose();
  });
  await boardSim.start();
  await readerSim?.start();
  expect(await line.start()).toBe(true);
  for (const l of lanes) l.adapter.start();
  for (const s of sessions) s.start();
  panel?.start();
  await waitFor('the boards online', () => sessions.every((s) => s.online && s.inputs !== undefined));
  return { line, lanes, panel, pd, readerSim, boardSim };
}

const closures = (model: RelayBoardModel, role: 'open' | 'close' | 'stop') =>
  model.coilLog.filter((w) => w.role === role && w.value);

describe('barrier lanes over a socat pty at 9600 baud', () => {
  it('raises for a car with a permit, and lowers only after it has crossed and cleared the loop', async () => {
    const { lanes } = await setUp([1]);
    const { adapter, model, lane } = lanes[0] as (typeof lanes)[number];
    const decision = plateDecision('京A12345');
    expect(decision).toMatchObject({
      allow: true,
      actions: expect.arrayContaining([{ type: 'raise_barrier' }]),
    });
    adapter.onDecision(decision);
    await waitFor('the arm up', () => model.arm.upLimit);
    model.carArrive();
    await pause(1500); // on the loop for longer than the settle time
    expect(closures(model, 'close')).toEqual([]);
    expect(model.arm.upLimit).toBe(true);
    model.carClear();
    const clearedAt = Date.now();
    await waitFor('the arm down', () => model.arm.downLimit);
    const [close] = closures(model, 'close');
    expect(close).toMatchObject({ loopOccupied: false, acted: true });
    expect(close?.at).toBeGreaterThanOrEqual(clearedAt + TIMING.settleMs - 5);
    expect(lane.alarms).toEqual([]);
    expect(model.counters.hazards).toBe(0);
  });

  it('keeps the barrier down for an outside vehicle', async () => {
    const { lanes } = await setUp([1]);
    const { adapter, model } = lanes[0] as (typeof lanes)[number];
    const decision = plateDecision('沪C99999');
    expect(decision.allow).toBe(false);
    adapter.onDecision(decision);
    await pause(1500);
    expect(model.coilLog.filter((w) => w.value)).toEqual([]);
    expect(model.arm.downLimit).toBe(true);
  });

  it('raises BARRIER_STUCK for a jammed arm', async () => {
    const { lanes } = await setUp([1]);
    const { adapter, model, lane } = lanes[0] as (typeof lanes)[number];
    model.setFaults({ stuck: true });
    adapter.onDecision(plateDecision('京A12345'));
    await waitFor('the stuck alarm', () => lane.alarms.length > 0, TIMING.travelTimeoutMs + 3000);
    expect(lane.alarms).toEqual([
      expect.objectContaining({
        code: 'BARRIER_STUCK',
        deviceId: 'barrier-1',
        detail: expect.objectContaining({ expected: 'up' }),
      }),
    ]);
    expect(closures(model, 'open')).toHaveLength(1);
  });

  it('shares one bus between two relay boards and an OSDP reader, all online and working', async () => {
    const { lanes, panel, pd, readerSim, line } = await setUp([1, 2], true);
    if (!panel || !pd || !readerSim) throw new Error('no reader');
    await waitFor('the reader online', () => panel.status(PD_ADDRESS).online);
    const reads: OsdpReply[] = [];
    panel.on('report', (_address, reply) => {
      if (reply.type === 'RAW') reads.push(reply);
    });
    const [one, two] = lanes as [(typeof lanes)[number], (typeof lanes)[number]];
    // Cars at both barriers and cards at the reader, all at once.
    for (let i = 0; i < 3; i++) {
      one.adapter.onDecision(plateDecision('京A12345'));
      pd.model.presentCard({ format: 'wiegand26', facility: 7, card: 100 + i });
      await waitFor(`the card ${i + 1}`, () => reads.length === i + 1);
      two.adapter.onDecision(plateDecision('京A12345'));
      await waitFor('both arms up', () => one.model.arm.upLimit && two.model.arm.upLimit);
      one.model.carArrive();
      two.model.carArrive();
      await pause(300);
      one.model.carClear();
      two.model.carClear();
      await waitFor('both arms down', () => one.model.arm.downLimit && two.model.arm.downLimit);
    }
    expect(reads).toHaveLength(3);
    for (const { model, lane } of lanes) {
      expect(closures(model, 'open')).toHaveLength(3);
      expect(closures(model, 'close')).toHaveLength(3);
      expect(model.coilLog.filter((w) => w.role === 'close' && w.value && w.loopOccupied)).toEqual([]);
      expect(lane.alarms).toEqual([]);
    }
    // Nobody talked over anybody: no damaged frames, no NAKs, nobody dropped offline.
    const pdStatus = panel.status(PD_ADDRESS);
    expect(pdStatus).toMatchObject({
      online: true,
      counters: { naks: 0, corrupt: 0, offlineTransitions: 0 },
    });
    for (const { session } of lanes) {
      expect(session.status()).toMatchObject({
        state: 'online',
        counters: { crcErrors: 0, malformed: 0, exceptions: 0, offlineTransitions: 0, writeFailures: 0 },
      });
    }
    const timeouts = {
      osdp: pdStatus.counters.timeouts,
      modbus: lanes.map((l) => l.session.counters.timeouts),
      line: line.counters.timeouts,
    };
    expect(timeouts).toEqual({ osdp: 0, modbus: [0, 0], line: 0 });
    // …while all three were polled all along.
    expect(pdStatus.counters.commands).toBeGreaterThan(50);
    for (const { session } of lanes) expect(session.counters.polls).toBeGreaterThan(20);
    if (process.env.BARRIER_PTY_REPORT)
      console.log(
        JSON.stringify({
          line: line.counters,
          pd: pdStatus.counters,
          boards: lanes.map((l) => l.session.counters),
          readerSim: readerSim.counters,
        }),
      );
    expect(readerSim.counters).toMatchObject({ corrupted: 0, busy: 0 });
  });
});
