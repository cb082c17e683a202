import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdCardAdapter } from '../../drivers/idcard/idcard-adapter.js';
import { decodeTextBlock, writeTextFields } from '../../drivers/idcard/text-block.js';
import { childLogger } from '../../gateway/logging.js';
import { hashIdNumber, maskIdNumber } from '../../gateway/registry/id-number.js';
import { TEST_DECK } from '../../simulators/idcard/deck.js';
import { memoryLog, recordingLanePort } from '../helpers/idcard-lane.js';
import { idcardRig, timerClock } from '../helpers/idcard-rig.js';

const KEY = Buffer.alloc(32, 7);
const CONFIG = { deviceId: 'idcard-north', laneId: 'north-ped-in' };

const identity = (i: number) => {
  const id = TEST_DECK[i];
  if (!id) throw new Error(`no deck card ${i}`);
  return id;
};

/** Every piece of a deck card that identifies its holder, in the forms a careless log line might use. */
function personalData(): string[] {
  return TEST_DECK.flatMap(({ fields }) => [
    fields.name,
    fields.idNumber,
    fields.idNumber.toLowerCase(),
    maskIdNumber(fields.idNumber),
    fields.idNumber.slice(-6),
    fields.address,
    hashIdNumber(KEY, fields.idNumber),
    Buffer.from(fields.name, 'utf16le').toString('hex'),
  ]);
}

describe('IdCardAdapter', () => {
  let rig: ReturnType<typeof idcardRig> | undefined;

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    if (rig) {
      const stopped = rig.stop();
      await vi.advanceTimersByTimeAsync(5000);
      await stopped;
      rig = undefined;
    }
    vi.useRealTimers();
  });

  async function setUp() {
    const log = memoryLog();
    const lane = recordingLanePort();
    rig = idcardRig({ log: childLogger(log.logger, 'driver:idcard-north:session') });
    const adapter = new IdCardAdapter(
      CONFIG,
      rig.session,
      lane.port,
      KEY,
      childLogger(log.logger, 'driver:idcard-north'),
      timerClock,
    );
    adapter.start();
    await rig.start();
    await vi.advanceTimersByTimeAsync(300);
    return { log, lane, adapter, rig };
  }

  it('presents only the keyed hash and idNumberValid, and logs no name, number or address', async () => {
    const { log, lane, rig } = await setUp();
    // Noise makes the session resend and log its debug lines too.
    rig.sim.model.setFault({ kind: 'noise', probability: 0.2 });
    for (const index of TEST_DECK.keys()) {
      rig.sim.model.place(index);
      // A damaged read reply costs its 1.6-s timeout, the listen after it and a new sequence.
      await vi.advanceTimersByTimeAsync(3000);
      rig.sim.model.remove();
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(lane.presented.map((p) => p.credential)).toStrictEqual(
      TEST_DECK.map(({ fields }, i) => ({
        kind: 'idcard',
        value: hashIdNumber(KEY, fields.idNumber),
        idNumberValid: i !== 2 && i !== 3, // bad check digit, expired
      })),
    );
    expect(lane.presented.every((p) => p.laneId === CONFIG.laneId && p.source === CONFIG.deviceId)).toBe(
      true,
    );
    const text = log.text();
    // The log did record the reads, at trace level, so the absence below means something.
    expect(log.lines().filter((l) => l.msg === 'ID card presented')).toHaveLength(TEST_DECK.length);
    expect(log.lines().some((l) => l.msg === 'resending to the SAM')).toBe(true);
    for (const secret of personalData()) expect(text).not.toContain(secret);
  });

  it('logs reason codes: the card problem and the decision reasons', async () => {
    const { log, rig } = await setUp();
    rig.sim.model.place(3);
    await vi.advanceTimersByTimeAsync(1000);
    const line = log.lines().find((l) => l.msg === 'ID card presented');
    expect(line).toMatchObject({
      ns: 'gw:driver:idcard-north',
      cardType: 'resident',
      idNumberValid: false,
      problems: ['CARD_EXPIRED'],
      allow: false,
      reasons: ['VISITOR_NOT_REGISTERED'],
    });
  });

  it('emits the decision for the lane actuator', async () => {
    const { lane, adapter, rig } = await setUp();
    const decisions: unknown[] = [];
    adapter.on('decision', (d) => decisions.push(d));
    rig.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(decisions).toEqual(lane.decisions);
    expect(decisions).toHaveLength(1);
  });

  it('does not present a card type whose number is not a GB 11643 citizen number', async () => {
    const { log, lane, rig } = await setUp();
    const foreign = writeTextFields({ ...identity(0).fields, reserved: `${' '.repeat(14)}I` });
    rig.session.emit('read', { card: decodeTextBlock(foreign), serial: '00', at: 0, attempts: 1 });
    expect(lane.presented).toEqual([]);
    expect(log.lines().at(-1)).toMatchObject({
      cardType: 'foreign-permanent',
      reason: 'UNSUPPORTED_CARD_TYPE',
    });
    expect(log.text()).not.toContain(identity(0).fields.name);
  });

  it('raises CARD_UNREADABLE for a failed read, logs its status word, and actuates nothing when the journal refuses', async () => {
    const { log, lane, adapter, rig } = await setUp();
    rig.sim.model.setFault({ kind: 'read-error', status: 0x32, remaining: Number.POSITIVE_INFINITY });
    rig.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(1500);
    expect(log.lines().find((l) => l.msg?.toString().startsWith('ID card could not be read'))).toMatchObject({
      status: 'SAM_AUTH_CARD_FAILED',
      attempts: 3,
    });
    expect(lane.alarms).toEqual([
      {
        code: 'CARD_UNREADABLE',
        severity: 'warning',
        deviceId: 'idcard-north',
        laneId: CONFIG.laneId,
        detail: {
          problem: 'the SAM failed to authenticate the card',
          attempts: 3,
          status: 'SAM_AUTH_CARD_FAILED',
        },
      },
    ]);
    expect(lane.presented).toEqual([]);

    lane.port.present = () => {
      throw new Error('journal full');
    };
    const decisions: unknown[] = [];
    adapter.on('decision', (d) => decisions.push(d));
    rig.session.emit('read', {
      card: decodeTextBlock(writeTextFields(identity(1).fields)),
      serial: '',
      at: 0,
      attempts: 1,
    });
    expect(decisions).toEqual([]);
    expect(log.lines().at(-1)).toMatchObject({ msg: 'pass could not be recorded; nothing actuated' });
  });

  it('reports online, offline with an alarm, and SAM faults as device states', async () => {
    const { lane, rig } = await setUp();
    rig.sim.model.setFault({ kind: 'silence' });
    await vi.advanceTimersByTimeAsync(3000);
    rig.sim.model.setFault({ kind: 'sam-fault', status: 0x60 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(lane.states[0]).toBe('idcard-north online');
    expect(lane.states[1]).toMatch(/^idcard-north offline no valid reply for \d+ ms$/);
    // From offline, a probe answered with 0x60 goes straight to fault.
    expect(lane.states.slice(2)).toEqual(['idcard-north error SAM self-test failed; it accepts no commands']);
    expect(lane.alarms).toEqual([
      expect.objectContaining({ code: 'DEVICE_OFFLINE', severity: 'critical', deviceId: 'idcard-north' }),
    ]);
  });

  it('stop() removes its listeners and no others', async () => {
    const { lane, adapter, rig } = await setUp();
    const reads: unknown[] = [];
    rig.session.on('read', (r) => reads.push(r));
    adapter.stop();
    rig.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(lane.presented).toEqual([]);
    expect(reads).toHaveLength(1);
  });
});
