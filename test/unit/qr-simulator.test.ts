import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import { decodeScanBytes } from '../../drivers/scanner/scan-text.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { runQrControl } from '../../simulators/qr/controls.js';
import { QrSerialSimulator, type SimTerminator } from '../../simulators/qr/serial-scanner-sim.js';
import { seededRandom } from '../../simulators/shared/random.js';
import { drive, timerClock } from '../helpers/scanner-rig.js';

describe('QrSerialSimulator and its console', () => {
  const stops: (() => Promise<void>)[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    vi.useRealTimers();
  });

  async function setUp(terminator: SimTerminator = 'cr', baudRate = 9600) {
    const bus = new MemoryBus();
    const device = bus.attach('device');
    const sim = new QrSerialSimulator({
      transport: device,
      baudRate,
      terminator,
      clock: timerClock,
      random: seededRandom(3),
    });
    stops.push(() => sim.stop());
    await sim.start();
    const control = (line: string) => drive(runQrControl(sim, line));
    return { bus, device, sim, control };
  }

  it('scan sends the rest of the line (inner spaces kept) and the terminator', async () => {
    for (const [terminator, suffix] of [
      ['cr', '0d'],
      ['lf', '0a'],
      ['crlf', '0d0a'],
      [0x03, '03'],
    ] as const) {
      const t = await setUp(terminator);
      const size = Buffer.byteLength('访客 A  1') + suffix.length / 2;
      expect(await t.control('  scan  访客 A  1  ')).toEqual({ output: `sent ${size} bytes` });
      expect(t.bus.writes.map((w) => w.bytes.toString('hex'))).toEqual([
        Buffer.from('访客 A  1').toString('hex') + suffix,
      ]);
    }
  });

  it('paces writes at the baud rate', async () => {
    const t = await setUp('cr', 1200);
    const start = Date.now();
    await drive(t.sim.scan('0123456789'));
    // 11 bytes at 1200 baud, 8N1: about 92 ms on the wire.
    expect(Date.now() - start).toBeGreaterThanOrEqual(Math.floor(wireTimeMs(11, 1200)));
  });

  it('split sends a code in separate writes', async () => {
    const t = await setUp('crlf');
    expect(await t.control('split 3 ABCDEFG')).toEqual({ output: 'sent 9 bytes' });
    expect(t.bus.writes.map((w) => w.bytes.toString('latin1'))).toEqual(['ABC', 'DEF', 'G\r\n']);
  });

  it('garbage is never a valid code and never splits into two lines', async () => {
    const t = await setUp('cr');
    for (let n = 1; n <= 40; n++)
      expect(await t.control(`garbage ${n}`)).toEqual({ output: `sent ${n + 1} bytes` });
    for (const { bytes } of t.bus.writes) {
      const body = bytes.subarray(0, -1);
      expect(body.includes(0x0d) || body.includes(0x0a)).toBe(false);
      expect(decodeScanBytes(body, 'utf-8').ok).toBe(false);
    }
  });

  it('overlong, status, wait, help, quit and errors', async () => {
    const t = await setUp('lf');
    expect(await t.control('overlong 100')).toEqual({ output: 'sent 101 bytes' });
    expect((await t.control('status')).output).toMatch(
      /port:\s+device up\nterminator: lf\nsent:\s+0 codes, 0 garbage, 101 bytes/,
    );
    expect(await t.control('wait 250')).toEqual({ output: '', waitMs: 250 });
    expect((await t.control('help')).output).toContain('garbage <n>');
    expect(await t.control('quit')).toEqual({ output: 'bye', quit: true });
    expect(await t.control('')).toEqual({ output: '' });
    expect(await t.control('scan')).toEqual({ output: 'error: scan needs the text of a code' });
    expect(await t.control('garbage lots')).toEqual({ output: 'error: garbage needs a count in 1..1000000' });
    expect(await t.control('split 2')).toEqual({ output: 'error: split needs parts and a text' });
    expect(await t.control('wait soon')).toEqual({ output: 'error: wait needs milliseconds, not "soon"' });
    expect((await t.control('dance')).output).toMatch(/^error: unknown command "dance"/);
  });

  it('answers an error, not a crash, while its port is down, and reopens it', async () => {
    const t = await setUp('cr');
    const links: string[] = [];
    t.sim.on('link', (state) => links.push(state));
    t.device.unplug();
    expect((await t.control('scan X')).output).toMatch(/^error: device is not open/);
    t.device.plugIn();
    await vi.advanceTimersByTimeAsync(600);
    expect(links).toEqual(['down', 'up']);
    expect(await t.control('scan X')).toEqual({ output: 'sent 2 bytes' });
  });
});
