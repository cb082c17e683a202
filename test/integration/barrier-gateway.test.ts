/**
 * A vehicle lane through the real gateway process: one RS-485 line (a socat pty pair) carries
 * both an OSDP card reader at the barrier and the Modbus relay board that drives the barrier;
 * on the far end one serial port hosts both simulators, as one cable would. A resident's card
 * raises the barrier; it comes down only after the car has left the loop; an unknown card
 * leaves it down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../drivers/shared/clock.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { RelayBoardModel } from '../../simulators/barrier/board-model.js';
import { BarrierBusSimulator } from '../../simulators/barrier/bus-simulator.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';
import { type CliResult, ROOT, ScratchSite } from './helpers/cli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a barrier and a card reader sharing one RS-485 line', () => {
  it('raises for a resident, lowers only after the car has cleared the loop, stays down for an unknown card', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-barrier-gw-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pair = await new PtyPair(dir).start();
    cleanups.push(() => pair.stop());
    const site = new ScratchSite(`
lines:
  - { id: north-485, path: ${pair.a}, baud: 9600 }
osdp:
  devices:
    - { id: north-vehicle-reader, line: north-485, address: 1, lane: north-vehicle-in, reader: 0, secure: off }
modbus:
  boards:
    - { id: north-vehicle-board, line: north-485, unit: 2 }
barriers:
  - id: north-vehicle-in-barrier
    lane: north-vehicle-in
    board: north-vehicle-board
    coils: { open: 0, close: 1, stop: 2 }
    inputs: { loop: 0, upLimit: 1, downLimit: 2, fire: 3 }
    settleSeconds: 0.3
`);
    cleanups.push(() => site.dispose());
    const roster = join(ROOT, 'test/fixtures/registry/residents.csv');
    expect(site.run(['registry', 'import', roster, '--roster', 'residents']).status).toBe(0);
    expect(site.run(['mode', 'set', 'open', '--reason', 'test: no temperature screening']).status).toBe(0);

    // One cable end, two simulators on it: every byte reaches both, each answers its own.
    const port = new SerialTransport({ path: pair.b, baudRate: 9600 });
    await port.open();
    cleanups.push(() => port.close());
    const reader = new SimulatedPd({ address: 1 });
    const osdp = new BusSimulator({ transport: port, pds: [reader], baud: 9600 });
    const board = new RelayBoardModel({ unit: 2, clock: systemClock, riseMs: 600, fallMs: 600 });
    const modbus = new BarrierBusSimulator({ transport: port, boards: [board], baud: 9600 });
    await osdp.start();
    await modbus.start();
    cleanups.push(() => osdp.stop());
    cleanups.push(() => modbus.stop());
    let polls = 0;
    reader.model.on('command', (c) => {
      if (c.type === 'POLL') polls++;
    });

    const gateway = await site.start();
    let stopped: CliResult | undefined;
    cleanups.push(async () => {
      stopped ??= await gateway.stop();
    });
    await waitFor('the reader polled and the arm down', () => polls > 3 && board.arm.downLimit);

    // Zhang Wei's card (04A22B9C in the roster), read as 32 raw bits.
    reader.model.presentCard({
      format: 'raw',
      bitCount: 32,
      data: Buffer.from('04A22B9C', 'hex'),
      wiegand: false,
    });
    await waitFor('the arm up', () => board.arm.upLimit);
    board.carArrive();
    await new Promise((r) => setTimeout(r, 1500)); // the car stands on the loop, well past the settle time
    expect(board.arm.upLimit).toBe(true);
    board.carClear();
    await waitFor('the arm down after the car left', () => board.arm.downLimit);
    expect(board.coilLog.filter((w) => w.role === 'close' && w.value && w.loopOccupied)).toEqual([]);

    const opensBefore = board.coilLog.filter((w) => w.role === 'open' && w.value).length;
    reader.model.presentCard({ format: 'wiegand26', facility: 99, card: 999 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(board.coilLog.filter((w) => w.role === 'open' && w.value)).toHaveLength(opensBefore);
    expect(board.arm.downLimit).toBe(true);

    stopped = await gateway.stop();
    expect(stopped.status).toBe(0);
    const journal = site.run(['journal', 'tail', '-n', '30']).stdout;
    expect(journal).toMatch(/north-vehicle-in in ALLOW person .*: RESIDENT/);
    expect(journal).toMatch(/north-vehicle-in in DENY\s+unknown: UNKNOWN_CREDENTIAL/);
    expect(journal).not.toMatch(/DEVICE_OFFLINE|RELAY_FAILURE|BARRIER_STUCK|TAILGATING/);
  });
});
