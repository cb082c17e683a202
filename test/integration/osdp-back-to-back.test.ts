/**
 * The CP (HalfDuplexLine + OsdpControlPanel) against four simulated PDs on one bus, once over
 * an in-memory line and once over a real pseudo-terminal pair from socat: the same scenario
 * for both (style H22). Every PD runs the Secure Channel with its own key derived from the
 * site master key. Fault injection is seeded, so a run is repeatable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { OsdpControlPanel } from '../../drivers/osdp/link/control-panel.js';
import type { OsdpReply } from '../../drivers/osdp/messages/replies.js';
import { deriveScbk } from '../../drivers/osdp/secure/keys.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import { MemoryBus, type MemoryEndpoint } from '../../drivers/transport/memory-bus.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';

const BAUD = 38400;
const MASTER = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const ADDRESSES = [1, 2, 3, 4];
const cuidOf = (address: number) => Buffer.from(`c0ffee0000000${address}`.padEnd(16, '0'), 'hex');

/** A seeded generator (mulberry32) so injected faults are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rig {
  /** The CP's end and the simulator's end of the line. */
  cpTransport: ByteTransport;
  simTransport: () => ByteTransport;
  /** Takes the line away (adapter unplugged) and brings a new one up under the same name. */
  unplug(): Promise<void>;
  plugIn(): Promise<void>;
  dispose(): Promise<void>;
}

function memoryRig(): Rig {
  const bus = new MemoryBus({ chunkSize: 7 });
  const cp = bus.attach('cp');
  const sim = bus.attach('pds');
  return {
    cpTransport: cp,
    simTransport: () => sim,
    unplug: async () => (cp as MemoryEndpoint).unplug(),
    plugIn: async () => (cp as MemoryEndpoint).plugIn(),
    dispose: async () => {},
  };
}

async function ptyRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-osdp-'));
  const pair = await new PtyPair(dir).start();
  return {
    cpTransport: new SerialTransport({ path: pair.a, baudRate: BAUD }),
    simTransport: () => new SerialTransport({ path: pair.b, baudRate: BAUD }),
    unplug: () => pair.stop(),
    plugIn: async () => {
      await pair.start();
    },
    dispose: async () => {
      await pair.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(makeRig: () => Rig | Promise<Rig>) {
  const rig = await makeRig();
  cleanups.push(() => rig.dispose());
  const line = new HalfDuplexLine(rig.cpTransport, { baudRate: BAUD, reopenIntervalMs: 100 });
  const panel = new OsdpControlPanel({
    line,
    pds: ADDRESSES.map((address) => ({
      address,
      name: `pd-${address}`,
      secure: 'required',
      masterKey: MASTER,
    })),
    timing: { offlineAfterMs: 800, reconnectIntervalMs: 300 },
  });
  const online = new Set<number>();
  const events: string[] = [];
  const reports: { address: number; reply: OsdpReply }[] = [];
  panel.on('online', (s) => {
    online.add(s.address);
    events.push(`online ${s.address}${s.secure ? ' secure' : ''}`);
  });
  panel.on('offline', (s) => {
    online.delete(s.address);
    events.push(`offline ${s.address}`);
  });
  panel.on('refused', (s, reason) => events.push(`refused ${s.address}: ${reason}`));
  panel.on('report', (address, reply) => reports.push({ address, reply }));

  let simulator: BusSimulator | undefined;
  const startSimulator = async () => {
    const pds = ADDRESSES.map(
      (address) =>
        new SimulatedPd({
          address,
          cuid: cuidOf(address),
          model: { door: true },
          secure: { scbk: deriveScbk(MASTER, cuidOf(address)), required: true },
        }),
    );
    simulator = new BusSimulator({ transport: rig.simTransport(), pds, baud: BAUD, random: seeded(7) });
    await simulator.start();
    return simulator;
  };
  const sim = await startSimulator();
  cleanups.push(async () => {
    await panel.stop();
    await line.stop();
    await simulator?.stop();
  });
  await line.start();
  panel.start();
  await waitFor('all four PDs online', () => online.size === 4);
  return {
    rig,
    panel,
    line,
    online,
    events,
    reports,
    sim: () => simulator ?? sim,
    startSimulator,
    stopSimulator: async () => simulator?.stop(),
  };
}

const cardsFrom = (reports: { address: number; reply: OsdpReply }[], address: number) =>
  reports.filter((r) => r.address === address && r.reply.type === 'RAW').length;

describe.each([
  ['an in-memory line', memoryRig],
  ['a socat pseudo-terminal pair', ptyRig],
])('OSDP CP and four simulated PDs on %s', (_name, makeRig) => {
  it('brings every PD online over the Secure Channel, reads cards and drives outputs', async () => {
    const t = await setUp(makeRig);
    expect(t.events.filter((e) => e.startsWith('online'))).toHaveLength(4);
    expect(t.events.every((e) => !e.startsWith('online') || e.endsWith('secure'))).toBe(true);
    for (const address of ADDRESSES) expect(t.panel.status(address).identity?.serial).toBeDefined();

    t.sim().pd(3)?.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('the card from PD 3', () => cardsFrom(t.reports, 3) === 1);
    const raw = t.reports.find((r) => r.address === 3)?.reply;
    expect(raw?.type === 'RAW' && raw.bitCount).toBe(26);

    const reply = await t.panel.send(2, {
      type: 'OUT',
      outputs: [{ output: 0, control: 5, timer100ms: 20 }],
    });
    expect(['ACK', 'OSTATR']).toContain(reply.type);
    expect(t.sim().pd(2)?.model.outputs()[0]).toBe(true);
    expect(t.sim().pd(1)?.model.outputs()[0]).toBe(false);
  });

  it('takes a silent PD offline without disturbing the others, and back online when it answers', async () => {
    const t = await setUp(makeRig);
    t.sim().setFaults(4, { silent: true });
    await waitFor('PD 4 offline', () => !t.online.has(4));
    // The others keep working while PD 4 is silent.
    t.sim().pd(1)?.model.presentCard({ format: 'wiegand34', facility: 0x1234, card: 0x5678 });
    await waitFor('a card from PD 1', () => cardsFrom(t.reports, 1) === 1);
    expect([...t.online].sort()).toEqual([1, 2, 3]);
    t.sim().clearFaults(4);
    await waitFor('PD 4 back online', () => t.online.has(4));
    expect(t.events.filter((e) => e.startsWith('offline'))).toEqual(['offline 4']);
  });

  it('delivers a card whose report was lost while its PD went offline, by retrying the POLL before any reset', async () => {
    const t = await setUp(makeRig);
    const before = t.events.length;
    // PD 3 answers every command, but no reply gets back: the RAW sits in its reply cache.
    t.sim().setFaults(3, { dropReplies: 1 });
    t.sim().pd(3)?.model.presentCard({ format: 'wiegand26', facility: 3, card: 333 });
    await waitFor('PD 3 offline', () => !t.online.has(3));
    t.sim().clearFaults(3);
    await waitFor('PD 3 back online', () => t.online.has(3));
    await waitFor('the card from PD 3', () => cardsFrom(t.reports, 3) === 1);
    expect(t.panel.status(3).counters.recoveredReports).toBe(1);
    // The reconnect was the identical retry, not a new Secure Channel: the session went on.
    expect(t.events.slice(before)).toEqual(['offline 3', 'online 3 secure']);
    // It is delivered once, and PD 3 goes on reading.
    t.sim().pd(3)?.model.presentCard({ format: 'wiegand26', facility: 3, card: 334 });
    await waitFor('the second card from PD 3', () => cardsFrom(t.reports, 3) === 2);
  });

  it('rides out lost, late, busy and corrupted replies and line noise with identical retries', async () => {
    const t = await setUp(makeRig);
    t.sim().setFaults('bus', { dropReplies: 0.15, corruptCheck: 0.1 });
    t.sim().setFaults(2, { busyNext: 3 });
    t.sim().setNoise({ ratePerSecond: 20, maxBytes: 6 });
    for (let i = 0; i < 5; i++) {
      const address = ADDRESSES[i % 4] as number;
      t.sim()
        .pd(address)
        ?.model.presentCard({ format: 'wiegand26', facility: 1, card: 100 + i });
      await waitFor(`card ${i}`, () => t.reports.filter((r) => r.reply.type === 'RAW').length === i + 1);
    }
    const out = await t.panel.send(2, { type: 'OUT', outputs: [{ output: 1, control: 2, timer100ms: 0 }] });
    expect(['ACK', 'OSTATR']).toContain(out.type);
    const retries = t.panel.statuses().reduce((n, s) => n + s.counters.retries, 0);
    const busy = t.panel.status(2).counters.busy;
    expect(retries).toBeGreaterThan(0);
    expect(busy).toBeGreaterThanOrEqual(1);
    // Cards are neither lost nor delivered twice despite the retries.
    expect(t.reports.filter((r) => r.reply.type === 'RAW')).toHaveLength(5);
  });

  it('sees the line vanish (adapter unplugged), takes every PD offline, and recovers without a restart', async () => {
    const t = await setUp(makeRig);
    await t.stopSimulator();
    await t.rig.unplug();
    await waitFor('every PD offline', () => t.online.size === 0);
    await t.rig.plugIn();
    await t.startSimulator();
    await waitFor('every PD back online', () => t.online.size === 4, 15_000);
    t.sim().pd(2)?.model.presentCard({ format: 'wiegand26', facility: 9, card: 9 });
    await waitFor('a card after recovery', () => cardsFrom(t.reports, 2) === 1);
    expect(t.line.counters.reopens).toBeGreaterThanOrEqual(1);
  });
});
