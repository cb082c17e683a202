/**
 * Rotation of the OSDP site master key, back to back: the gateway's CP (HalfDuplexLine +
 * OsdpControlPanel) and three simulated PDs on an in-memory line. After `rekey`, each PD that
 * refuses the new key is reached with its old one and moved with KEYSET, without restarting
 * the CP or the PDs; a PD unplugged during the rotation moves when it comes back; once the old
 * key is retired, a PD still on it is refused, never run in plain text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { OsdpControlPanel } from '../../drivers/osdp/link/control-panel.js';
import { deriveScbk } from '../../drivers/osdp/secure/keys.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { waitFor } from '../helpers/wait-for.js';

const BAUD = 38400;
const OLD = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const NEW = Buffer.from('f0e1d2c3b4a5968778695a4b3c2d1e0f', 'hex');
const ADDRESSES = [1, 2, 3];
const cuidOf = (address: number) => Buffer.from(`c0ffee0000000${address}`.padEnd(16, '0'), 'hex');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp() {
  const bus = new MemoryBus({ chunkSize: 7 });
  const line = new HalfDuplexLine(bus.attach('cp'), { baudRate: BAUD, reopenIntervalMs: 100 });
  const panel = new OsdpControlPanel({
    line,
    pds: ADDRESSES.map((address) => ({ address, name: `pd-${address}`, secure: 'required', masterKey: OLD })),
    timing: { offlineAfterMs: 800, reconnectIntervalMs: 300 },
  });
  const pds = ADDRESSES.map(
    (address) =>
      new SimulatedPd({
        address,
        cuid: cuidOf(address),
        model: { door: true },
        secure: { scbk: deriveScbk(OLD, cuidOf(address)), required: true },
      }),
  );
  const keys = new Map<number, Buffer>(ADDRESSES.map((a) => [a, deriveScbk(OLD, cuidOf(a))]));
  for (const pd of pds) pd.on('keyChanged', ({ scbk }) => keys.set(pd.address, scbk));
  const sim = new BusSimulator({ transport: bus.attach('pds'), pds, baud: BAUD });
  await sim.start();
  const online = new Set<number>();
  const events: string[] = [];
  panel.on('online', (s) => {
    online.add(s.address);
    events.push(`online ${s.address}${s.secure ? ' secure' : ''}`);
  });
  panel.on('offline', (s) => online.delete(s.address));
  panel.on('keyInstalled', (s) => events.push(`key ${s.address}`));
  panel.on('refused', (s, reason) => events.push(`refused ${s.address}: ${reason}`));
  cleanups.push(async () => {
    await panel.stop();
    await line.stop();
    await sim.stop();
  });
  await line.start();
  panel.start();
  await waitFor('all PDs online', () => online.size === ADDRESSES.length);
  return { panel, sim, online, events, keys };
}

describe('OSDP site key rotation', () => {
  it('moves every PD to the new key with KEYSET under the old one, an unplugged PD when it returns', async () => {
    const t = await setUp();
    t.sim.setFaults(3, { silent: true }); // PD 3 misses the rotation
    await waitFor('PD 3 offline', () => !t.online.has(3));
    t.events.length = 0;

    t.panel.rekey(NEW, OLD);
    await waitFor('PDs 1 and 2 on the new key', () =>
      [1, 2].every((a) => t.online.has(a) && t.keys.get(a)?.equals(deriveScbk(NEW, cuidOf(a)))),
    );
    expect(t.events.filter((e) => e.startsWith('key'))).toEqual(expect.arrayContaining(['key 1', 'key 2']));
    expect(t.keys.get(3)?.equals(deriveScbk(OLD, cuidOf(3)))).toBe(true);

    t.sim.clearFaults(3);
    await waitFor(
      'PD 3 back on the new key',
      () => t.online.has(3) && !!t.keys.get(3)?.equals(deriveScbk(NEW, cuidOf(3))),
    );
    expect(t.events.filter((e) => e.startsWith('online')).every((e) => e.endsWith('secure'))).toBe(true);

    // The PDs work on the new key: an output command goes through the new session.
    const reply = await t.panel.send(2, {
      type: 'OUT',
      outputs: [{ output: 0, control: 5, timer100ms: 20 }],
    });
    expect(['ACK', 'OSTATR']).toContain(reply.type);

    // The old key retired: every PD is on the new one and stays online through a reconnection.
    t.events.length = 0;
    t.panel.rekey(NEW, undefined);
    await waitFor('all PDs back online', () => t.online.size === ADDRESSES.length);
    expect(t.events.some((e) => e.startsWith('key') || e.startsWith('refused'))).toBe(false);
  });

  it('refuses a PD still on the old key once the old key is retired (no plain-text fallback)', async () => {
    const t = await setUp();
    t.events.length = 0;
    t.panel.rekey(NEW, undefined);
    await waitFor('every PD refused', () =>
      ADDRESSES.every((a) => t.events.some((e) => e.startsWith(`refused ${a}:`))),
    );
    expect(t.online.size).toBe(0);
    expect(t.events.find((e) => e.startsWith('refused 1:'))).toMatch(/does not accept our key/);
  });
});
