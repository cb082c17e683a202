/**
 * End to end through the real gateway: `gatewarden start` (the built CLI) owns one end of a
 * socat pseudo-terminal pair as its RS-485 line; a simulated OSDP reader with a door sits on the
 * other end, still on the install key. The gateway provisions it (KEYSET), then a registered
 * card unlocks the strike and turns the reader green, an unknown card turns it red with the
 * reason, a door opened without a pass is an alarm, a pulled cable is an alarm and heals by
 * itself — and all of it is in the journal.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LED_COLOR } from '../../drivers/osdp/messages/codes.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';
import { type CliResult, ScratchSite } from './helpers/cli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('an OSDP reader and door driven by the gateway', () => {
  it('provisions the reader, unlocks for a registered card, refuses an unknown one, survives a pulled cable, and journals it all', async () => {
    const ptyDir = mkdtempSync(join(tmpdir(), 'gw-pty-'));
    cleanups.push(() => rmSync(ptyDir, { recursive: true, force: true }));
    const pair = await new PtyPair(ptyDir).start();
    cleanups.push(() => pair.stop());
    // The default site plus one line and one reader with a door on the north entry lane.
    const site = new ScratchSite(`
lines:
  - { id: north-485, path: ${pair.a}, baud: 19200 }
osdp:
  devices:
    - id: north-in-reader
      line: north-485
      address: 1
      lane: north-ped-in
      reader: 0
      installKey: true
      door: { output: 0, lock: fail-secure, contactInput: 0, rexInput: 1, fireInput: 2 }
passes:
  unsigned: refuse
`);
    cleanups.push(() => site.dispose());
    const roster = join(site.dir, 'residents.csv');
    // Card 0C0159 is Wiegand 26 facility 12, card 345 (docs/osdp.md).
    writeFileSync(
      roster,
      'building,unit,room,person_id,name,id_number,card,designated\n3,2,501,,Wang Fang,11010519491231002X,0C0159,yes\n',
    );
    expect(site.run(['registry', 'import', roster, '--roster', 'residents']).status).toBe(0);
    expect(site.run(['mode', 'set', 'open', '--reason', 'test: no temperature screening']).status).toBe(0);

    const keys: Buffer[] = [];
    const leds: number[] = [];
    const texts: string[] = [];
    const commands: string[] = [];
    /** The reader on the far end of the line; `scbk` absent = fresh from the factory (SCBK-D). */
    const plugInReader = async (scbk?: Buffer) => {
      const reader = new SimulatedPd({ address: 1, model: { door: true }, secure: scbk ? { scbk } : {} });
      const bus = new BusSimulator({
        transport: new SerialTransport({ path: pair.b, baudRate: 19200 }),
        pds: [reader],
        baud: 19200,
      });
      await bus.start();
      reader.on('keyChanged', (e) => keys.push(e.scbk));
      reader.model.on('led', (v) => leds.push(v.color));
      reader.model.on('text', (v) => texts.push(v.text));
      reader.model.on('command', (c) => commands.push(c.type));
      return { reader, bus };
    };
    let { reader: pd, bus: sim } = await plugInReader();
    cleanups.push(() => sim.stop());

    const gateway = await site.start();
    let stopped: CliResult | undefined;
    cleanups.push(async () => {
      stopped ??= await gateway.stop();
    });
    await waitFor('the reader provisioned with its own key', () => keys.length === 1);
    await waitFor('a Secure Channel on the new key', () => pd.secureChannelEstablished);

    // An unknown card: red, the reason on the display, the strike stays locked.
    pd.model.presentCard({ format: 'wiegand26', facility: 99, card: 999 });
    await waitFor('red LED', () => leds.includes(LED_COLOR.RED));
    await waitFor('the reason on the display', () => texts.some((t) => t.length > 0));
    expect(pd.model.outputs()[0]).toBe(false);
    // A code typed on the keypad goes through the pass layer: unsigned codes are refused here.
    const beepsBefore = commands.filter((c) => c === 'BUZ').length;
    pd.model.enterKeys('4711#');
    await waitFor('the refusal of the code', () => commands.filter((c) => c === 'BUZ').length > beepsBefore);
    // Someone pushes the locked door open.
    pd.model.openDoor();
    await new Promise((r) => setTimeout(r, 300));
    pd.model.closeDoor();

    // The registered card: the strike is released, green LED (and no text: a pass shows none).
    const textsBefore = texts.length;
    pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('the strike released', () => pd.model.outputs()[0] === true);
    await waitFor('green LED', () => leds.includes(LED_COLOR.GREEN));
    expect(texts.slice(textsBefore).filter((t) => t.length > 0)).toEqual([]);

    // The reader's cable is pulled (the pty pair goes away) and plugged back in: the gateway
    // notices, raises an alarm, and reconnects by itself with the key it installed.
    await sim.stop();
    await pair.stop();
    await new Promise((r) => setTimeout(r, 2500));
    await pair.start();
    ({ reader: pd, bus: sim } = await plugInReader(keys[0]));
    await waitFor('the reader back on its own key', () => pd.secureChannelEstablished);
    // The same resident again on the way in: refused by anti-passback, so reads work again.
    const ledsBefore = leds.length;
    pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('a red LED after reconnecting', () => leds.slice(ledsBefore).includes(LED_COLOR.RED));

    stopped = await gateway.stop();
    expect(stopped.status).toBe(0);
    const journal = site.run(['journal', 'tail', '-n', '50']).stdout;
    expect(journal).toMatch(/device .*"north-in-reader".*"online"/);
    expect(journal).toMatch(/north-ped-in in DENY\s+unknown/);
    expect(journal).toMatch(/north-ped-in in DENY .*INVALID_SIGNATURE/);
    expect(journal).toMatch(/north-ped-in in ALLOW person /);
    expect(journal).toMatch(/north-ped-in in DENY\s+person .*ANTI_PASSBACK/);
    expect(journal).toMatch(/alarm .*"DOOR_FORCED_OPEN".*"north-in-reader"/);
    // The pulled cable: offline with an alarm, then online again; the clean stop adds none.
    expect(journal.match(/"DEVICE_OFFLINE"/g)).toHaveLength(1);
    expect(journal.match(/"deviceId":"north-in-reader".*"state":"online"/g)).toHaveLength(2);
    // The deny came before the allow, in journal order.
    expect(journal.indexOf('DENY')).toBeLessThan(journal.indexOf('ALLOW'));
    // The reader's display got the reason in ASCII (OSDP text), not an empty or garbled line.
    expect(texts.filter((t) => t.length > 0)[0]).toMatch(/^[ -~]+$/);
    // The master key the reader's key derives from exists, readable by the owner only.
    const key = statSync(join(site.dir, 'data', 'keys', 'osdp-master.key'));
    expect(key.mode & 0o077).toBe(0);
    expect(key.size).toBe(16);
  });
});
