/**
 * A commit-gated unlock over a real pseudo-terminal pair (socat), with the CP in a process of
 * its own: when that process dies inside the commit (a crash or power cut while the pass is
 * being journaled), the PD has all of the OUT but its last byte, discards it, and the strike
 * never moves. The same OUT whose commit succeeds releases the strike.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = resolve(import.meta.dirname, '../..');
const WRITER = join(import.meta.dirname, 'helpers/gated-out-writer.mjs');
const BAUD = 9600;

function runWriter(device: string, mode: 'die' | 'commit' | 'slow', baud = BAUD) {
  return new Promise<{ stdout: string; signal: NodeJS.Signals | null }>((done, fail) => {
    const child = spawn(process.execPath, [WRITER, device, String(baud), mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal === null) fail(new Error(`writer exited with ${code}:\n${stderr}`));
      else done({ stdout, signal });
    });
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(baud = BAUD) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-gated-'));
  const pair = await new PtyPair(dir).start();
  const pd = new SimulatedPd({ address: 1, model: { door: true } });
  const sim = new BusSimulator({
    transport: new SerialTransport({ path: pair.b, baudRate: baud }),
    pds: [pd],
    baud,
  });
  await sim.start();
  cleanups.push(async () => {
    await sim.stop();
    pd.dispose();
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { pair, pd, sim };
}

describe('commit-gated OSDP unlock over a pty', () => {
  beforeAll(() => {
    for (const file of ['dist/drivers/line/half-duplex-line.js', 'dist/drivers/osdp/framing/codec.js']) {
      if (!existsSync(join(ROOT, file)))
        throw new Error(`${file} is missing: run \`npm run build\` before this test (\`npm test\` does it)`);
    }
  });

  it('leaves the strike locked when the CP dies inside the commit, and releases it when the commit succeeds', async () => {
    const { pair, pd, sim } = await rig();
    const died = await runWriter(pair.a, 'die');
    expect(died.signal).toBe('SIGKILL');
    expect(died.stdout).toBe('committing\n');
    // Everything but the last byte reached the PD; past the inter-character timeout it is dropped.
    await waitFor('the partial OUT discarded', () => sim.counters.discardedBytes > 0, 2000);
    expect(sim.counters.rxBytes).toBeGreaterThan(10);
    expect(sim.counters.commands).toBe(0);
    expect(pd.model.outputs()[0]).toBe(false);

    const committed = await runWriter(pair.a, 'commit');
    expect(committed.stdout).toBe('committing\nsent\n');
    await waitFor('the strike released', () => pd.model.outputs()[0] === true, 2000);
    expect(sim.counters.commands).toBe(1);
  });

  it('drops an OUT whose last byte came after the inter-character timeout; the whole retry releases the strike', async () => {
    // At 115200 baud the other bytes leave in ~1.5 ms; a 150-ms commit leaves the line quiet
    // past the PD's 20 ms: the PD discards the partial packet and then the lone last byte.
    const { pair, pd, sim } = await rig(115200);
    const run = await runWriter(pair.a, 'slow', 115200);
    expect(run.stdout).toBe('committing\nsent\nsent\n');
    await waitFor('the strike released', () => pd.model.outputs()[0] === true, 2000);
    expect(sim.counters.commands).toBe(1); // the retry only
    expect(sim.counters.discardedBytes).toBeGreaterThan(0);
  });
});
