import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SerialScanner, type SerialScannerOptions } from '../../drivers/scanner/serial-scanner.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { childLogger } from '../../gateway/logging.js';
import { QrSerialSimulator, type SimTerminator } from '../../simulators/qr/serial-scanner-sim.js';
import { seededRandom } from '../../simulators/shared/random.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { drive, timerClock } from '../helpers/scanner-rig.js';

const BAUD = 9600;

describe('SerialScanner over an in-memory line with the simulated scanner', () => {
  const stops: (() => Promise<void>)[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    vi.useRealTimers();
  });

  async function setUp(
    options: Partial<Omit<SerialScannerOptions, 'transport'>> & {
      simTerminator?: SimTerminator;
      chunkSize?: number;
    } = {},
  ) {
    const { simTerminator, chunkSize, ...scannerOptions } = options;
    const bus = new MemoryBus(chunkSize === undefined ? {} : { chunkSize });
    const host = bus.attach('host');
    const device = bus.attach('device');
    const log = memoryLog();
    const scanner = new SerialScanner({
      transport: host,
      reopenIntervalMs: 200,
      clock: timerClock,
      log: childLogger(log.logger, 'driver:qr-1'),
      ...scannerOptions,
    });
    const sim = new QrSerialSimulator({
      transport: device,
      baudRate: BAUD,
      terminator:
        simTerminator ??
        (typeof options.terminator === 'string' ? (options.terminator as SimTerminator) : 'cr'),
      clock: timerClock,
      random: seededRandom(7),
    });
    const events: string[] = [];
    const texts: string[] = [];
    scanner.on('scan', (s) => {
      texts.push(s.text);
      events.push(`scan ${s.text}`);
    });
    scanner.on('rejected', (r) => events.push(`rejected ${r.reason}`));
    scanner.on('online', () => events.push('online'));
    scanner.on('offline', () => events.push('offline'));
    stops.push(async () => {
      await scanner.stop();
      await sim.stop();
    });
    expect(await sim.start()).toBe(true);
    expect(await scanner.start()).toBe(true);
    /** Lets the in-memory line deliver and the scanner's timers run. */
    const settle = (ms = 50) => vi.advanceTimersByTimeAsync(ms);
    return { bus, host, device, scanner, sim, events, texts, log, settle };
  }

  for (const terminator of ['cr', 'lf', 'crlf'] as const) {
    it(`reads codes ended by ${terminator}`, async () => {
      const t = await setUp({ terminator, duplicateWindowMs: 0 });
      await drive(t.sim.scan('RES-0001'));
      await drive(t.sim.scan('访客 VIS-2'));
      await t.settle();
      expect(t.events).toEqual(['online', 'scan RES-0001', 'scan 访客 VIS-2']);
    });
  }

  it('takes a scanner set to CR LF on a port configured for CR (the LF is not an empty line)', async () => {
    const t = await setUp({ terminator: 'cr', simTerminator: 'crlf', duplicateWindowMs: 0 });
    await drive(t.sim.scan('A1'));
    await drive(t.sim.scan('B2'));
    await t.settle();
    expect(t.events).toEqual(['online', 'scan A1', 'scan B2']);
    expect(t.scanner.counters).toMatchObject({ scans: 2, rejected: 0 });
  });

  it('reassembles a code delivered one byte at a time and split across writes', async () => {
    const t = await setUp({ chunkSize: 1 });
    await drive(t.sim.split('SPLIT-CODE-42', 4));
    await t.settle();
    expect(t.texts).toEqual(['SPLIT-CODE-42']);
  });

  it('discards a partial code after the inter-character timeout; a prefix stops its tail from passing as a code', async () => {
    const plain = await setUp({ interCharTimeoutMs: 100 });
    await drive(plain.sim.split('HEAD-TAIL', 2, 500));
    await plain.settle();
    // Without framing the tail is indistinguishable from a short code: what a prefix is for.
    expect(plain.events).toEqual(['online', 'rejected incomplete', 'scan TAIL']);

    const framed = await setUp({ interCharTimeoutMs: 100, prefix: '#' });
    await drive(framed.sim.split('#HEAD-TAIL', 2, 500));
    await drive(framed.sim.scan('#WHOLE'));
    await framed.settle();
    expect(framed.events).toEqual(['online', 'rejected incomplete', 'rejected framing', 'scan WHOLE']);
  });

  it('flushes the partial line as a code in flush mode (terminator none)', async () => {
    const t = await setUp({ terminator: 'none', simTerminator: 'cr', interCharTimeoutMs: 80 });
    // A scanner without a suffix: bare codes.
    await t.device.write(Buffer.from('NO-SUFFIX-1'));
    await t.settle(79);
    expect(t.texts).toEqual([]);
    await t.settle(50);
    expect(t.texts).toEqual(['NO-SUFFIX-1']);
    expect(
      () => new SerialScanner({ transport: t.host, terminator: 'none', partialLine: 'discard' }),
    ).toThrow(/flush/);
  });

  it('rejects garbage and control characters, and logs an over-long line as an error, then reads on', async () => {
    const t = await setUp({ maxLength: 32 });
    for (let i = 0; i < 20; i++) await drive(t.sim.garbage(12));
    await drive(t.sim.overlong(5000));
    await drive(t.sim.scan(Buffer.from('AB\x07CD')));
    await drive(t.sim.scan('STILL-WORKS'));
    await t.settle();
    expect(t.texts).toEqual(['STILL-WORKS']);
    const reasons = t.events.filter((e) => e.startsWith('rejected')).map((e) => e.slice(9));
    expect(reasons).toHaveLength(22);
    for (const reason of reasons.slice(0, 20)) expect(['encoding', 'control-character']).toContain(reason);
    expect(reasons.slice(20)).toEqual(['too-long', 'control-character']);
    expect(t.scanner.pendingBytes).toBe(0);
    const tooLong = t.log.lines().filter((l) => l.msg === 'over-long code discarded');
    expect(tooLong).toMatchObject([{ level: 50, reason: 'too-long', ns: 'gw:driver:qr-1' }]);
  });

  it('holds at most maxLength + 1 bytes while an unterminated stream goes on', async () => {
    const t = await setUp({ maxLength: 64, interCharTimeoutMs: 1000 });
    let most = 0;
    t.host.onData(() => {
      most = Math.max(most, t.scanner.pendingBytes);
    });
    for (let i = 0; i < 50; i++) await t.device.write(Buffer.alloc(100, 0x41));
    await t.settle(10);
    expect(most).toBeLessThanOrEqual(65);
    expect(t.events.filter((e) => e === 'rejected too-long')).toHaveLength(1);
  });

  it('suppresses the same code within the duplicate window, also while it is held in front', async () => {
    const t = await setUp({ duplicateWindowMs: 1000 });
    await drive(t.sim.scan('HELD'));
    for (let i = 0; i < 8; i++) {
      await t.settle(400);
      await drive(t.sim.scan('HELD'));
    }
    await drive(t.sim.scan('OTHER'));
    await t.settle(1500);
    await drive(t.sim.scan('HELD'));
    await t.settle();
    expect(t.texts).toEqual(['HELD', 'OTHER', 'HELD']);
    expect(t.scanner.counters.duplicates).toBe(8);
  });

  it('decodes GB18030 when configured and rejects the same bytes as UTF-8', async () => {
    const gbk = Buffer.from('c4e3bac3', 'hex'); // "你好" in GBK
    const gb = await setUp({ encoding: 'gb18030' });
    await drive(gb.sim.scan(gbk));
    const utf = await setUp({ encoding: 'utf-8' });
    await drive(utf.sim.scan(gbk));
    await gb.settle();
    expect(gb.texts).toEqual(['你好']);
    expect(utf.events).toEqual(['online', 'rejected encoding']);
  });

  it('goes offline when unplugged, reopens when plugged back, and does not join a code across the gap', async () => {
    const t = await setUp();
    await t.device.write(Buffer.from('BEFORE-'));
    await t.settle(5);
    t.host.unplug();
    await t.settle(1000);
    expect(t.events).toEqual(['online', 'offline']);
    expect(t.scanner.isOnline).toBe(false);
    t.host.plugIn();
    await t.settle(250);
    expect(t.events).toEqual(['online', 'offline', 'online']);
    expect(t.scanner.counters.reconnects).toBe(1);
    await drive(t.sim.scan('AFTER'));
    await t.settle();
    expect(t.texts).toEqual(['AFTER']);
  });

  it('reports a port absent at start offline once, then online when it appears', async () => {
    const bus = new MemoryBus();
    const host = bus.attach('host');
    host.unplug();
    const scanner = new SerialScanner({ transport: host, reopenIntervalMs: 100, clock: timerClock });
    stops.push(() => scanner.stop());
    const events: string[] = [];
    scanner.on('online', () => events.push('online'));
    scanner.on('offline', (why) => events.push(`offline ${why}`));
    expect(await scanner.start()).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    host.plugIn();
    await vi.advanceTimersByTimeAsync(150);
    expect(events).toEqual(['offline host is not present', 'online']);
  });

  it('a deliberate stop is not an outage', async () => {
    const t = await setUp();
    await t.scanner.stop();
    await t.settle(1000);
    expect(t.events).toEqual(['online']);
  });
});
