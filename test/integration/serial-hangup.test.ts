/**
 * A serial device that hangs up — a USB adapter pulled out; here the socat process behind a
 * pseudo-terminal pair killed — must close its port, whatever the port was doing at that moment.
 * The stock serialport binding reads a hung-up tty's end of file as "nothing yet" and retries
 * forever; `HangupAwareBinding` turns it into a disconnect (see its comment).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoDetect, type BindingPortInterface } from '@serialport/bindings-cpp';
import { afterEach, describe, expect, it } from 'vitest';
import { HangupAwareBinding, HangupError } from '../../drivers/transport/hangup-aware-binding.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-hangup-'));
  const p = await new PtyPair(dir, 'tty').start();
  cleanups.push(async () => {
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return p;
}

/** Opens `path` with `binding` and closes it after the test if it is still open. */
async function openPort(binding: typeof HangupAwareBinding, path: string): Promise<BindingPortInterface> {
  const port = await binding.open({ path, baudRate: 9600 });
  cleanups.push(async () => {
    if (port.isOpen) await port.close();
  });
  return port;
}

describe('a hung-up serial device', () => {
  it('ends a read with a disconnect error instead of reading end of file again and again', async () => {
    const p = await pair();
    const port = await openPort(HangupAwareBinding, p.a);
    await p.stop();
    const read = port.read(Buffer.alloc(16), 0, 16);
    await expect(read).rejects.toBeInstanceOf(HangupError);
    await expect(read).rejects.toMatchObject({ disconnect: true });
  });

  it('(the reason for the binding) never ends a read through the stock binding', async () => {
    const p = await pair();
    const port = await openPort(autoDetect(), p.a);
    await p.stop();
    let settled = false;
    const read = port.read(Buffer.alloc(16), 0, 16).then(
      () => 'resolved',
      (error: Error & { canceled?: boolean }) => (error.canceled ? 'canceled' : 'rejected'),
    );
    void read.then(() => {
      settled = true;
    });
    // Long enough for thousands of zero-byte reads; closing the port is what stops the loop.
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    await port.close();
    expect(await read).toBe('canceled');
  });

  it('closes both ends of a pair, every time, when the pair is killed while they talk', async () => {
    const p = await pair();
    const a = new SerialTransport({ path: p.a, baudRate: 115200 });
    const b = new SerialTransport({ path: p.b, baudRate: 115200 });
    const closes = { a: 0, b: 0 };
    a.onClose(() => closes.a++);
    b.onClose(() => closes.b++);
    // b echoes what a sends, so each side has reads and writes in flight when the pair dies.
    b.onData((bytes) => void b.write(bytes).catch(() => undefined));
    cleanups.push(async () => {
      await a.close();
      await b.close();
    });
    const rounds = 30;
    for (let round = 1; round <= rounds; round++) {
      await a.open();
      await b.open();
      const chatter = setInterval(() => void a.write(Buffer.from('ping')).catch(() => undefined), 1);
      await new Promise((r) => setTimeout(r, 5 + round));
      await p.stop();
      try {
        await waitFor(`both ends closed in round ${round}`, () => closes.a === round && closes.b === round);
      } finally {
        clearInterval(chatter);
      }
      expect([a.isOpen, b.isOpen]).toEqual([false, false]);
      await p.start();
    }
  });
});
