/**
 * An ID-card reader and an OSDP door on the same lane, through the real gateway process: the
 * card read at the SAM reader (its own serial line) is decided and journaled, and the door
 * module on the RS-485 line releases the strike and shows the outcome. Two socat pty pairs
 * stand in for the two cables.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LED_COLOR } from '../../drivers/osdp/messages/codes.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { TEST_DECK } from '../../simulators/idcard/deck.js';
import { IdCardSimulator } from '../../simulators/idcard/simulator.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';
import { type CliResult, ScratchSite } from './helpers/cli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('an ID-card reader beside an OSDP door', () => {
  it('opens the door for a registered resident’s ID card and refuses a card with a bad check digit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-idcard-gw-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const rs485 = await new PtyPair(dir, 'rs485').start();
    const usb = await new PtyPair(dir, 'sam').start();
    cleanups.push(() => rs485.stop());
    cleanups.push(() => usb.stop());
    const resident = TEST_DECK[0];
    const badCheck = TEST_DECK.findIndex((card) => card.label.includes('check'));
    if (!resident || badCheck < 0) throw new Error('the test deck lacks a resident or a bad-check card');
    const site = new ScratchSite(`
lines:
  - { id: north-485, path: ${rs485.a}, baud: 19200 }
  - { id: north-sam, path: ${usb.a}, baud: 115200 }
osdp:
  devices:
    - { id: north-in-door, line: north-485, address: 1, lane: north-ped-in, reader: 0, secure: off, door: {} }
idcard:
  devices:
    - { id: north-in-idcard, line: north-sam, lane: north-ped-in }
`);
    cleanups.push(() => site.dispose());
    const roster = join(dir, 'residents.csv');
    writeFileSync(
      roster,
      `building,unit,room,person_id,name,id_number,designated\n5,1,101,,测试住户,${resident.fields.idNumber},yes\n`,
    );
    expect(site.run(['registry', 'import', roster, '--roster', 'residents']).status).toBe(0);
    expect(site.run(['mode', 'set', 'open', '--reason', 'test: no temperature screening']).status).toBe(0);

    const door = new SimulatedPd({ address: 1, model: { door: true } });
    const bus = new BusSimulator({
      transport: new SerialTransport({ path: rs485.b, baudRate: 19200 }),
      pds: [door],
      baud: 19200,
    });
    await bus.start();
    cleanups.push(() => bus.stop());
    const sam = new IdCardSimulator({
      transport: new SerialTransport({ path: usb.b, baudRate: 115200 }),
      baudRate: 115200,
    });
    await sam.start();
    cleanups.push(() => sam.stop());
    const leds: number[] = [];
    door.model.on('led', (v) => leds.push(v.color));
    let polls = 0;
    door.model.on('command', (c) => {
      if (c.type === 'POLL') polls++;
    });

    const gateway = await site.start();
    let stopped: CliResult | undefined;
    cleanups.push(async () => {
      stopped ??= await gateway.stop();
    });
    await waitFor('the door module polled', () => polls > 3);
    await new Promise((r) => setTimeout(r, 500)); // the SAM session finds its reader

    sam.model.place(0);
    await waitFor('the strike released for the ID card', () => door.model.outputs()[0] === true);
    await waitFor('green at the door', () => leds.includes(LED_COLOR.GREEN));
    sam.model.remove();
    await new Promise((r) => setTimeout(r, 800));
    sam.model.place(badCheck);
    await waitFor('red at the door', () => leds.includes(LED_COLOR.RED));

    stopped = await gateway.stop();
    expect(stopped.status).toBe(0);
    const journal = site.run(['journal', 'tail', '-n', '30']).stdout;
    expect(journal).toMatch(/north-ped-in in ALLOW person .*: RESIDENT/);
    expect(journal).toMatch(/north-ped-in in DENY .*IDCARD_INVALID/);
    // The journal holds the keyed hash only: neither the name nor the number of the card.
    const raw = site.run(['journal', 'tail', '-n', '30', '--json']).stdout;
    expect(raw).not.toContain(resident.fields.idNumber);
    expect(raw).not.toContain(resident.fields.name);
  });
});
