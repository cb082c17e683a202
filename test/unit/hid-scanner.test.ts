import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeHidSource } from '../../drivers/scanner/hid-device-source.js';
import { HidScanner, type HidScannerOptions } from '../../drivers/scanner/hid-scanner.js';
import { childLogger } from '../../gateway/logging.js';
import { FakeHidScanner, FakeHidSource } from '../../simulators/qr/fake-hid.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { drive, timerClock } from '../helpers/scanner-rig.js';

const VID = 0x0c2e;
const PID = 0x0b61;

describe('HidScanner with the fake HID source', () => {
  const stops: (() => Promise<void>)[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    vi.useRealTimers();
  });

  function setUp(
    devices: { mode: 'pos' | 'keyboard'; serialNumber?: string; usagePage?: number }[],
    options: Partial<Omit<HidScannerOptions, 'source'>> = {},
  ) {
    const source = new FakeHidSource();
    const fakes = devices.map((d, i) =>
      source.add(
        new FakeHidScanner({
          vendorId: VID,
          productId: PID,
          mode: d.mode,
          ...(d.usagePage === undefined ? {} : { usagePage: d.usagePage, usage: 1 }),
          firstHidraw: 3 + i * 10,
          clock: timerClock,
          ...(d.serialNumber === undefined ? {} : { serialNumber: d.serialNumber }),
        }),
      ),
    );
    const log = memoryLog();
    const scanner = new HidScanner({
      source,
      match: { vendorId: VID, productId: PID },
      pollIntervalMs: 1000,
      clock: timerClock,
      log: childLogger(log.logger, 'driver:qr-hid'),
      ...options,
    });
    const events: string[] = [];
    scanner.on('scan', (s) => events.push(`scan ${s.text}${s.symbology ? ` ${s.symbology}` : ''}`));
    scanner.on('rejected', (r) => events.push(`rejected ${r.reason}`));
    scanner.on('online', () => events.push('online'));
    scanner.on('offline', (why) => events.push(`offline ${why}`));
    scanner.on('fault', (why) => events.push(`fault ${why}`));
    stops.push(() => scanner.stop());
    return { source, fakes, scanner, events, log };
  }

  it('reads HID POS codes with their symbology, and keyboard-wedge codes, telling the mode from the usage page', async () => {
    const pos = setUp([{ mode: 'pos' }]);
    expect(await pos.scanner.start()).toBe(true);
    expect(pos.scanner.mode).toBe('pos');
    await drive(pos.fakes[0]?.scan('通行证-A1') ?? Promise.resolve());
    expect(pos.events).toEqual(['online', 'scan 通行证-A1 ]Q1']);

    const kb = setUp([{ mode: 'keyboard' }]);
    expect(await kb.scanner.start()).toBe(true);
    expect(kb.scanner.mode).toBe('keyboard');
    await drive(kb.fakes[0]?.scan('Gate-7/B?', { style: 'rollover' }) ?? Promise.resolve());
    expect(kb.events).toEqual(['online', 'scan Gate-7/B?']);
  });

  it('unplugged: offline once, polls only while missing, finds it again under a new hidraw path, scans again', async () => {
    const t = setUp([{ mode: 'pos' }]);
    const fake = t.fakes[0] as FakeHidScanner;
    await t.scanner.start();
    // Online: no enumeration at all, however long.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.source.enumerations).toBe(1);
    fake.unplug();
    await vi.advanceTimersByTimeAsync(10_500);
    expect(t.events).toEqual(['online', 'offline could not read from HID device']);
    expect(t.source.enumerations).toBe(11);
    const oldPath = fake.path;
    fake.plugIn();
    expect(fake.path).not.toBe(oldPath);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.events.at(-1)).toBe('online');
    expect(t.scanner.counters.reconnects).toBe(1);
    await drive(fake.scan('AGAIN'));
    expect(t.events).toEqual([
      'online',
      'offline could not read from HID device',
      'online',
      'scan AGAIN ]Q1',
    ]);
    const enumerationsOnline = t.source.enumerations;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.source.enumerations).toBe(enumerationsOnline);
  });

  it('a scanner absent at start is reported offline once and found when plugged in', async () => {
    const t = setUp([{ mode: 'keyboard' }]);
    const fake = t.fakes[0] as FakeHidScanner;
    fake.unplug();
    expect(await t.scanner.start()).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.events).toEqual(['offline not connected']);
    fake.plugIn();
    await vi.advanceTimersByTimeAsync(1000);
    await drive(fake.scan('late'));
    expect(t.events).toEqual(['offline not connected', 'online', 'scan late']);
    expect(t.scanner.counters.reconnects).toBe(0);
  });

  it('a code cut off by the unplug is dropped, not completed by reports after the replug', async () => {
    const t = setUp([{ mode: 'keyboard' }]);
    const fake = t.fakes[0] as FakeHidScanner;
    await t.scanner.start();
    const { keyboardReports } = await import('../../simulators/qr/hid-report-writer.js');
    await drive(fake.send(keyboardReports('HALF', { terminator: null })));
    fake.unplug();
    fake.plugIn();
    await vi.advanceTimersByTimeAsync(1000);
    await drive(fake.scan('WHOLE'));
    expect(t.events.filter((e) => e.startsWith('scan'))).toEqual(['scan WHOLE']);
  });

  it('drops a keyboard code whose Enter never comes after the partial timeout', async () => {
    const t = setUp([{ mode: 'keyboard' }], { partialTimeoutMs: 300 });
    const fake = t.fakes[0] as FakeHidScanner;
    await t.scanner.start();
    await drive(fake.scan('NO-ENTER', { terminator: null }));
    await vi.advanceTimersByTimeAsync(250);
    expect(t.events).toEqual(['online']);
    await vi.advanceTimersByTimeAsync(100);
    await drive(fake.scan('OK'));
    expect(t.events).toEqual(['online', 'rejected incomplete', 'scan OK']);
  });

  it('suppresses duplicates and rejects an unknown key without logging the code', async () => {
    const t = setUp([{ mode: 'keyboard' }], { duplicateWindowMs: 1000 });
    const fake = t.fakes[0] as FakeHidScanner;
    await t.scanner.start();
    await drive(fake.scan('SAME-CODE-991'));
    await drive(fake.scan('SAME-CODE-991'));
    await drive(fake.send([Buffer.from('0000040000000000', 'hex'), Buffer.from('00003a0000000000', 'hex')]));
    await drive(fake.scan(''));
    expect(t.events).toEqual(['online', 'scan SAME-CODE-991', 'rejected unknown-key']);
    expect(t.scanner.counters).toMatchObject({ scans: 1, duplicates: 1, rejected: 1 });
    expect(t.log.text()).not.toContain('SAME-CODE-991');
  });

  it('prefers the HID POS interface of a composite device, matches by serial number, and ignores other devices', async () => {
    const t = setUp(
      [
        { mode: 'keyboard', serialNumber: 'S-1' },
        { mode: 'pos', serialNumber: 'S-1' },
        { mode: 'pos', serialNumber: 'S-2' },
      ],
      { match: { vendorId: VID, productId: PID, serialNumber: 'S-2' } },
    );
    t.source.others.push({
      vendorId: 0x046d,
      productId: 0xc31c,
      path: '/dev/hidraw0',
      usagePage: 1,
      usage: 6,
    });
    await t.scanner.start();
    expect(t.fakes[2]?.isOpen).toBe(true);
    expect(t.fakes.slice(0, 2).map((f) => f.isOpen)).toEqual([false, false]);

    const composite = setUp([
      { mode: 'keyboard', serialNumber: 'S-1' },
      { mode: 'pos', serialNumber: 'S-1' },
    ]);
    await composite.scanner.start();
    expect(composite.scanner.mode).toBe('pos');
    expect(composite.fakes[1]?.isOpen).toBe(true);
  });

  it('a configured mode overrides the usage page; an unknown page without one is a fault', async () => {
    const t = setUp([{ mode: 'keyboard', usagePage: 0xff00 }], { mode: 'keyboard' });
    await t.scanner.start();
    expect(t.scanner.mode).toBe('keyboard');

    const unknown = setUp([{ mode: 'keyboard', usagePage: 0xff00 }]);
    expect(await unknown.scanner.start()).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(unknown.events).toEqual([
      'fault cannot tell HID POS from keyboard (usage pages 0xff00); configure the mode',
    ]);
  });

  it('a device that is listed but cannot be opened stays offline and is retried', async () => {
    const t = setUp([{ mode: 'pos' }]);
    const open = t.source.open.bind(t.source);
    let refuse = true;
    t.source.open = (path) => (refuse ? Promise.reject(new Error('permission denied')) : open(path));
    expect(await t.scanner.start()).toBe(false);
    await vi.advanceTimersByTimeAsync(3000);
    expect(t.events).toEqual(['offline cannot open /dev/hidraw3: permission denied']);
    refuse = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.events.at(-1)).toBe('online');
  });

  it('stop() closes the device and ends polling; no offline follows', async () => {
    const t = setUp([{ mode: 'pos' }]);
    await t.scanner.start();
    await t.scanner.stop();
    expect(t.fakes[0]?.isOpen).toBe(false);
    const n = t.source.enumerations;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.source.enumerations).toBe(n);
    expect(t.events).toEqual(['online']);
  });
});

describe('NodeHidSource (the real node-hid, no device needed)', () => {
  it('loads node-hid from ESM, enumerates, and rejects a path that does not exist', async () => {
    const source = new NodeHidSource();
    const devices = await source.devices();
    expect(Array.isArray(devices)).toBe(true);
    for (const d of devices) expect(typeof d.vendorId).toBe('number');
    await expect(source.open('/dev/hidraw-gatewarden-none')).rejects.toThrow(/cannot open device/);
  });
});
