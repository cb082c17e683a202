import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HidScanner } from '../../drivers/scanner/hid-scanner.js';
import { ScannerAdapter } from '../../drivers/scanner/scanner-adapter.js';
import { SerialScanner } from '../../drivers/scanner/serial-scanner.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { childLogger } from '../../gateway/logging.js';
import type { Decision } from '../../gateway/rules/types.js';
import { FakeHidScanner, FakeHidSource } from '../../simulators/qr/fake-hid.js';
import { QrSerialSimulator } from '../../simulators/qr/serial-scanner-sim.js';
import { memoryLog, recordingLanePort } from '../helpers/idcard-lane.js';
import { drive, timerClock } from '../helpers/scanner-rig.js';

const CONFIG = { deviceId: 'qr-north', laneId: 'north-ped-in' };

/** Codes as personal as a scanned code gets: a resident pass with name and phone, a visitor code. */
const CODES = ['RES:ZHANG-SAN:13800138000:4711', 'VIS 620204', '访客-李四-5521'];
/** Pieces of them a careless log line might carry. */
const SECRETS = [
  ...CODES,
  'ZHANG-SAN',
  '13800138000',
  '620204',
  '李四',
  Buffer.from('13800138000').toString('hex'),
];

const ALLOW: Decision = {
  allow: true,
  reasons: [{ effect: 'grant', code: 'RESIDENT' }],
  subject: { kind: 'person', id: 'res1', personKind: 'resident' },
  direction: 'in',
  actions: [],
};

describe('ScannerAdapter', () => {
  const stops: (() => Promise<void>)[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    vi.useRealTimers();
  });

  async function serialRig(decide?: Parameters<typeof recordingLanePort>[0]) {
    const bus = new MemoryBus();
    const host = bus.attach('host');
    const log = memoryLog();
    const scanner = new SerialScanner({
      transport: host,
      maxLength: 48,
      reopenIntervalMs: 100,
      clock: timerClock,
      log: childLogger(log.logger, 'driver:qr-north:serial'),
    });
    const sim = new QrSerialSimulator({
      transport: bus.attach('device'),
      baudRate: 115200,
      clock: timerClock,
    });
    const lane = recordingLanePort(decide);
    const adapter = new ScannerAdapter(
      CONFIG,
      scanner,
      lane.port,
      childLogger(log.logger, 'driver:qr-north'),
    );
    const decisions: Decision[] = [];
    adapter.on('decision', (d) => decisions.push(d));
    adapter.start();
    stops.push(async () => {
      adapter.stop();
      await scanner.stop();
      await sim.stop();
    });
    await sim.start();
    await scanner.start();
    return { host, log, scanner, sim, lane, adapter, decisions };
  }

  it('presents each scan as a qr credential in normal form and emits the decision', async () => {
    const t = await serialRig((_lane, credential) => (credential.value === 'VIS 620204' ? ALLOW : denyAll()));
    await drive(t.sim.scan(`  ${CODES[1]}  `));
    await drive(t.sim.scan(CODES[0] as string));
    await vi.advanceTimersByTimeAsync(20);
    expect(t.lane.presented).toStrictEqual([
      { laneId: CONFIG.laneId, source: CONFIG.deviceId, credential: { kind: 'qr', value: 'VIS 620204' } },
      { laneId: CONFIG.laneId, source: CONFIG.deviceId, credential: { kind: 'qr', value: CODES[0] } },
    ]);
    expect(t.decisions).toEqual(t.lane.decisions);
    expect(t.decisions.map((d) => d.allow)).toEqual([true, false]);
  });

  it('never writes a code to the log — scans, repeats, rejections, failures — only its fingerprint', async () => {
    let failNext = false;
    const t = await serialRig(() => {
      if (failNext) throw new Error('journal full');
      return denyAll();
    });
    for (const code of CODES) await drive(t.sim.scan(code));
    await drive(t.sim.scan(CODES[2] as string)); // duplicate
    await drive(t.sim.scan(Buffer.from(`${CODES[0]}\x07`))); // control character
    await drive(t.sim.overlong(200));
    await drive(t.sim.scan(`${CODES[0]}-${CODES[0]}`)); // too long
    await drive(t.sim.split(CODES[1] as string, 2, 500)); // incomplete, then a tail
    failNext = true;
    await drive(t.sim.scan('RES:ZHANG-SAN:13800138000:9999'));
    await vi.advanceTimersByTimeAsync(200);

    const lines = t.log.lines();
    const scanned = lines.filter((l) => l.msg === 'code scanned');
    // The log did record every scan (trace level), so the absences below mean something.
    expect(scanned).toHaveLength(4);
    expect(scanned[0]).toMatchObject({
      ns: 'gw:driver:qr-north',
      code: { length: [...(CODES[0] as string)].length, fp: t.adapter.fingerprint(CODES[0] as string).fp },
      allow: false,
      reasons: ['VISITOR_NOT_REGISTERED'],
    });
    expect(lines.filter((l) => l.msg === 'scanned code rejected').length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => l.msg === 'over-long code discarded')).toBe(true);
    expect(lines.some((l) => l.msg === 'pass could not be recorded; nothing actuated')).toBe(true);
    expect(lines.some((l) => /duplicate window/.test(String(l.msg)))).toBe(true);
    const text = t.log.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    // Nothing is actuated for the scan the journal could not take.
    expect(t.decisions).toHaveLength(4);
  });

  it('does not present a code that is blank after normalisation', async () => {
    const t = await serialRig();
    await drive(t.sim.scan('   '));
    await vi.advanceTimersByTimeAsync(20);
    expect(t.lane.presented).toEqual([]);
    expect(t.log.lines().some((l) => l.msg === 'blank code not presented')).toBe(true);
  });

  it('turns link changes into device states and an offline alarm', async () => {
    const t = await serialRig();
    t.host.unplug();
    await vi.advanceTimersByTimeAsync(50);
    t.host.plugIn();
    await vi.advanceTimersByTimeAsync(150);
    expect(t.lane.states).toEqual([
      'qr-north online',
      'qr-north offline host disconnected',
      'qr-north online',
    ]);
    expect(t.lane.alarms).toEqual([
      {
        code: 'DEVICE_OFFLINE',
        severity: 'critical',
        deviceId: 'qr-north',
        laneId: 'north-ped-in',
        detail: { reason: 'host disconnected' },
      },
    ]);
  });

  it('works the same over a HID scanner, reporting a fault as the error state', async () => {
    const source = new FakeHidSource();
    const fake = source.add(
      new FakeHidScanner({ vendorId: 1, productId: 2, mode: 'pos', clock: timerClock }),
    );
    source.add(
      new FakeHidScanner({ vendorId: 1, productId: 3, mode: 'pos', usagePage: 0xff00, clock: timerClock }),
    );
    const log = memoryLog();
    const lane = recordingLanePort();
    for (const productId of [2, 3]) {
      const scanner = new HidScanner({ source, match: { vendorId: 1, productId }, clock: timerClock });
      const adapter = new ScannerAdapter(
        { ...CONFIG, deviceId: `hid-${productId}` },
        scanner,
        lane.port,
        childLogger(log.logger, 'driver:qr-hid'),
      );
      adapter.start();
      stops.push(async () => {
        adapter.stop();
        await scanner.stop();
      });
      await scanner.start();
    }
    await drive(fake.scan(CODES[2] as string));
    expect(lane.presented.map((p) => p.credential)).toEqual([{ kind: 'qr', value: CODES[2] }]);
    expect(lane.states).toEqual([
      'hid-2 online',
      'hid-3 error cannot tell HID POS from keyboard (usage pages 0xff00); configure the mode',
    ]);
    expect(log.lines().find((l) => l.msg === 'code scanned')).toMatchObject({ symbology: ']Q1' });
    for (const secret of SECRETS) expect(log.text()).not.toContain(secret);
  });

  it('stop() removes exactly its listeners', async () => {
    const t = await serialRig();
    t.adapter.stop();
    await drive(t.sim.scan('AFTER-STOP'));
    await vi.advanceTimersByTimeAsync(20);
    expect(t.lane.presented).toEqual([]);
    expect(t.scanner.listenerCount('scan')).toBe(0);
  });
});

function denyAll(): Decision {
  return {
    allow: false,
    reasons: [{ effect: 'deny', code: 'VISITOR_NOT_REGISTERED' }],
    subject: { kind: 'unknown' },
    direction: 'in',
    actions: [],
  };
}
