/**
 * The control panel's commit-gated commands (drivers/osdp/link/commit-gate.ts) against a
 * simulated PD on an in-memory line: the commit runs exactly once, whichever way the command
 * ends, and a gated command goes before everything else queued on the line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { OsdpCommandError, OsdpControlPanel } from '../../drivers/osdp/link/control-panel.js';
import { OUT_CONTROL } from '../../drivers/osdp/messages/codes.js';
import type { OsdpCommand } from '../../drivers/osdp/messages/commands.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { waitFor } from '../helpers/wait-for.js';

const OUT: OsdpCommand = {
  type: 'OUT',
  outputs: [{ output: 0, control: OUT_CONTROL.TEMP_ON, timer100ms: 5 }],
};
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function rig(options: { start?: boolean } = {}) {
  const bus = new MemoryBus();
  const pd = new SimulatedPd({ address: 3, model: { door: true } });
  const sim = new BusSimulator({ transport: bus.attach('pd'), pds: [pd], baud: 115200 });
  await sim.start();
  const line = new HalfDuplexLine(bus.attach('cp'), { baudRate: 115200 });
  const panel = new OsdpControlPanel({ line, pds: [{ address: 3, name: 'door-3', secure: 'off' }] });
  const commands: string[] = [];
  pd.model.on('command', (c) => commands.push(c.type));
  await line.start();
  stops.push(async () => {
    await panel.stop();
    await line.stop();
    await sim.stop();
    pd.dispose();
  });
  if (options.start !== false) {
    panel.start();
    await waitFor('the PD online', () => panel.status(3).online);
  }
  return { pd, sim, panel, commands };
}

describe('commit-gated OSDP commands', () => {
  it('go before commands queued earlier, and run their commit once, on the wire', async () => {
    const r = await rig();
    const calls: boolean[] = [];
    const first = r.panel.send(3, { type: 'LSTAT' });
    const second = r.panel.send(3, { type: 'ISTAT' });
    const gated = r.panel.send(3, OUT, { commit: (onWire) => calls.push(onWire) > 0 });
    await Promise.all([first, second, gated]);
    const sent = r.commands.filter((c) => c !== 'POLL');
    expect(sent.slice(-3)).toEqual(['OUT', 'LSTAT', 'ISTAT']);
    expect(calls).toEqual([true]);
    expect(r.pd.model.outputs()[0]).toBe(true);
  });

  it('go out in the order they were queued, each before the ungated ones', async () => {
    const r = await rig();
    const order: string[] = [];
    const first = r.panel.send(3, { type: 'LSTAT' });
    const gatedA = r.panel.send(3, OUT, { commit: () => order.push('A') > 0 });
    const gatedB = r.panel.send(3, OUT, { commit: () => order.push('B') > 0 });
    await Promise.all([first, gatedA, gatedB]);
    expect(order).toEqual(['A', 'B']);
    expect(r.commands.filter((c) => c !== 'POLL').slice(-3)).toEqual(['OUT', 'OUT', 'LSTAT']);
  });

  it('are sent whole, without a second commit, when the reply to the first sending was lost', async () => {
    const r = await rig();
    r.sim.setFaults(3, { dropReplies: 1 });
    r.sim.on('fault', () => r.sim.clearFaults(3));
    let calls = 0;
    const reply = await r.panel.send(3, OUT, {
      commit: () => {
        calls++;
        return true;
      },
    });
    expect(reply.type).toBe('OSTATR');
    expect(calls).toBe(1);
    expect(r.panel.status(3).counters.retries).toBe(1);
    expect(r.pd.model.outputs()[0]).toBe(true);
  });

  it('fail alone when they cannot be encoded, with their commit run with false; the PD stays online', async () => {
    const r = await rig();
    const calls: boolean[] = [];
    const bad: OsdpCommand = {
      type: 'TEXT',
      reader: 0,
      control: 1,
      tempSeconds: 0,
      row: 1,
      column: 1,
      text: '入口',
    };
    await expect(r.panel.send(3, bad, { commit: (onWire) => calls.push(onWire) > 0 })).rejects.toMatchObject({
      reason: 'invalid',
    });
    expect(calls).toEqual([false]);
    expect(r.panel.status(3).online).toBe(true);
    expect((await r.panel.send(3, { type: 'LSTAT' })).type).toBe('LSTATR');
  });

  it('run their commit with false when they can never reach the wire: PD offline, panel stopped', async () => {
    const offline = await rig({ start: false });
    const calls: boolean[] = [];
    await expect(offline.panel.send(3, OUT, { commit: (onWire) => calls.push(onWire) > 0 })).rejects.toThrow(
      OsdpCommandError,
    );
    expect(calls).toEqual([false]);

    const r = await rig();
    r.sim.setFaults(3, { silent: true });
    const pending = r.panel.send(3, { type: 'LSTAT' });
    const gated = r.panel.send(3, OUT, { commit: (onWire) => calls.push(onWire) > 0 });
    await r.panel.stop();
    await expect(pending).rejects.toMatchObject({ reason: 'stopped' });
    const outcome = await gated.then(
      () => 'sent',
      (e: OsdpCommandError) => e.reason,
    );
    // Either it went out (commit on the wire) before the stop, or it was failed with commit(false).
    expect(calls.slice(1)).toEqual(outcome === 'stopped' ? [false] : [true]);
    expect(calls).toHaveLength(2);
  });
});
