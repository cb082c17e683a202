import { afterEach, describe, expect, it } from 'vitest';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import { crc16AugCcitt } from '../../drivers/osdp/framing/checks.js';
import { encodeFrame } from '../../drivers/osdp/framing/codec.js';
import { encodeWiegand26, encodeWiegand34, parseWiegand } from '../../drivers/osdp/messages/card-data.js';
import { NAK } from '../../drivers/osdp/messages/codes.js';
import type { OsdpCommand } from '../../drivers/osdp/messages/commands.js';
import type { OsdpReply } from '../../drivers/osdp/messages/replies.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { PdModel, type PdModelEvents, type PdModelOptions } from '../../simulators/osdp/pd-model.js';
import { SimulatedPd, type SimulatedPdOptions } from '../../simulators/osdp/pd-responder.js';
import { seededRandom } from '../../simulators/shared/random.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { type CpResult, MiniCp } from '../helpers/osdp-cp.js';

const KEY_A = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const KEY_B = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
const BAUD = 9600;

interface PdSpec extends Omit<SimulatedPdOptions, 'model'> {
  model?: Omit<PdModelOptions, 'clock'>;
}

const running: BusSimulator[] = [];
afterEach(async () => {
  for (const bus of running.splice(0)) {
    await bus.stop();
    for (const pd of bus.pds) pd.dispose();
  }
});

/** A MemoryBus line with the simulator on one end and a MiniCp on the other, all on one ManualClock. */
async function line(specs: PdSpec[] = [{ address: 1 }], options: { mark?: boolean } = {}) {
  const clock = new ManualClock();
  const memory = new MemoryBus();
  const cpEnd = memory.attach('cp');
  const simEnd = memory.attach('sim');
  const pds = specs.map(
    (s) =>
      new SimulatedPd({
        ...s,
        model: new PdModel({ clock, secureChannel: s.secure !== undefined, ...s.model }),
        randomBytes: (n) => Buffer.alloc(n, 0xa5),
      }),
  );
  const bus = new BusSimulator({ transport: simEnd, pds, clock, baud: BAUD, random: seededRandom(7) });
  await cpEnd.open();
  await bus.start();
  running.push(bus);
  const cp = new MiniCp(cpEnd, {
    address: specs[0]?.address ?? 1,
    clock,
    baud: BAUD,
    mark: options.mark ?? true,
  });
  const pd = pds[0] as SimulatedPd;
  return { clock, memory, bus, pds, pd, model: pd.model, cp };
}

function replyOf(result: CpResult): OsdpReply {
  if (result.kind !== 'reply') throw new Error(`expected a reply, got ${result.kind}`);
  return result.reply;
}

function packetOf(result: CpResult): Buffer {
  if (result.kind !== 'reply') throw new Error(`expected a reply, got ${result.kind}`);
  return result.packet;
}

function record<K extends keyof PdModelEvents>(model: PdModel, event: K): PdModelEvents[K][0][] {
  const seen: PdModelEvents[K][0][] = [];
  (model.on as (e: K, l: (v: PdModelEvents[K][0]) => void) => PdModel)(event, (v) => seen.push(v));
  return seen;
}

/** ID with SQN 0: resets the PD's sequence, as a CP's first command does. */
async function connect(cp: MiniCp): Promise<void> {
  expect(replyOf(await cp.exchange({ type: 'ID' })).type).toBe('PDID');
}

describe('SimulatedPd over a BusSimulator: basic commands', () => {
  it('answers ID with the identity and CAP with capabilities consistent with the hardware', async () => {
    const { cp } = await line([
      { address: 1, model: { identity: { serial: 0x1234_5678, vendor: 0xabcdef }, door: true } },
    ]);
    expect(replyOf(await cp.exchange({ type: 'ID' }))).toEqual({
      type: 'PDID',
      vendor: 0xabcdef,
      model: 1,
      version: 1,
      serial: 0x1234_5678,
      firmware: { major: 1, minor: 0, build: 0 },
    });
    const cap = replyOf(await cp.exchange({ type: 'CAP' }));
    if (cap.type !== 'PDCAP') throw new Error(cap.type);
    const byFunc = new Map(cap.capabilities.map((c) => [c.func, c]));
    expect(byFunc.get(1)?.items).toBe(4);
    expect(byFunc.get(2)?.items).toBe(2);
    expect(byFunc.get(4)?.items).toBe(1);
    expect(byFunc.get(8)?.compliance).toBe(1);
    expect(byFunc.get(10)).toEqual({ func: 10, compliance: 0, items: 1 });
    expect(byFunc.has(9)).toBe(false);
  });

  it('answers POLL with ACK, with CRC, echoing the SQN and mirroring the mark byte', async () => {
    for (const mark of [true, false]) {
      const { cp, memory } = await line([{ address: 1 }], { mark });
      await connect(cp);
      const result = await cp.exchange({ type: 'POLL' });
      expect(replyOf(result)).toEqual({ type: 'ACK' });
      const frame = result.kind === 'reply' ? result.frame : undefined;
      expect(frame).toMatchObject({ address: 1, reply: true, sequence: 1, useCrc: true });
      const written = memory.writes.filter((w) => w.from === 'sim').at(-1)?.bytes;
      expect(written?.[0]).toBe(mark ? 0xff : 0x53);
    }
  });

  it('answers a broadcast with address 0x7F and the reply bit (0xFF)', async () => {
    const { cp } = await line([{ address: 9 }]);
    const result = await cp.exchange({ type: 'ID' }, { address: 0x7f });
    expect(replyOf(result).type).toBe('PDID');
    expect(result.kind === 'reply' && result.packet[1]).toBe(0xff);
  });

  it('queues a presented card and reports it as RAW on the next POLL only', async () => {
    const { cp, model } = await line();
    await connect(cp);
    model.presentCard({ format: 'wiegand26', facility: 12, card: 34567 });
    model.presentCard({ format: 'wiegand34', facility: 4000, card: 65000 }, { badParity: true });
    const raw = replyOf(await cp.exchange({ type: 'POLL' }));
    expect(raw).toEqual({ type: 'RAW', reader: 0, format: 1, ...encodeWiegand26(12, 34567) });
    if (raw.type !== 'RAW') throw new Error(raw.type);
    expect(parseWiegand(raw.bitCount, raw.data)).toMatchObject({ facility: 12, card: 34567, parityOk: true });
    const second = replyOf(await cp.exchange({ type: 'POLL' }));
    if (second.type !== 'RAW') throw new Error(second.type);
    expect(second.bitCount).toBe(34);
    expect(second.data).not.toEqual(encodeWiegand34(4000, 65000).data);
    expect(parseWiegand(second.bitCount, second.data)).toMatchObject({
      facility: 4000,
      card: 65000,
      parityOk: false,
    });
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'ACK' });
  });

  it('reports raw bits, keypad entries, input changes and tamper in order', async () => {
    const { cp, model } = await line([{ address: 1, model: { door: true } }]);
    await connect(cp);
    model.presentCard({ format: 'raw', bitCount: 12, data: Buffer.from([0xab, 0xcf]) });
    model.enterKeys('12*#');
    model.openDoor();
    model.setTamper(true);
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(replyOf(await cp.exchange({ type: 'POLL' })));
    expect(replies).toEqual([
      { type: 'RAW', reader: 0, format: 1, bitCount: 12, data: Buffer.from([0xab, 0xc0]) },
      { type: 'KEYPAD', reader: 0, keys: '12*#' },
      { type: 'ISTATR', inputs: [1, 0, 0, 0] },
      { type: 'LSTATR', tamper: 1, power: 0 },
      { type: 'ACK' },
    ]);
    expect(replyOf(await cp.exchange({ type: 'ISTAT' }))).toEqual({ type: 'ISTATR', inputs: [1, 0, 0, 0] });
    expect(replyOf(await cp.exchange({ type: 'LSTAT' }))).toEqual({ type: 'LSTATR', tamper: 1, power: 0 });
  });

  it('holds the exit button for exitPressMs: two ISTATR reports', async () => {
    const { cp, model, clock } = await line([{ address: 1, model: { door: true, exitPressMs: 300 } }]);
    await connect(cp);
    const inputs = record(model, 'input');
    model.pressExit();
    clock.advance(300);
    expect(inputs.map((e) => [e.index, e.active])).toEqual([
      [1, true],
      [1, false],
    ]);
    expect(inputs[1]?.at).toBe((inputs[0]?.at ?? 0) + 300);
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'ISTATR', inputs: [0, 1, 0, 0] });
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'ISTATR', inputs: [0, 0, 0, 0] });
    expect(() => new PdModel().openDoor()).toThrow(/no door contact/);
  });
});

describe('sequence numbers and check characters', () => {
  it('resends the cached reply bytes for a repeated SQN without draining a second report', async () => {
    const { cp, model } = await line();
    await connect(cp);
    model.presentCard({ format: 'wiegand26', facility: 1, card: 2 });
    model.presentCard({ format: 'wiegand26', facility: 3, card: 4 });
    const first = await cp.exchange({ type: 'POLL' });
    const again = await cp.retry();
    expect(packetOf(again)).toEqual(packetOf(first));
    const commands = record(model, 'command');
    await cp.retry();
    expect(commands).toEqual([expect.objectContaining({ type: 'POLL', retry: true })]);
    const next = replyOf(await cp.exchange({ type: 'POLL' }));
    expect(next).toMatchObject({ type: 'RAW', ...encodeWiegand26(3, 4) });
  });

  it('answers NAK 0x04 to a skipped SQN and to a fresh PD not started with SQN 0', async () => {
    const { cp } = await line();
    expect(replyOf(await cp.exchange({ type: 'POLL' }, { sequence: 1 }))).toEqual({
      type: 'NAK',
      code: 0x04,
    });
    await connect(cp);
    expect(replyOf(await cp.exchange({ type: 'POLL' }, { sequence: 2 }))).toEqual({
      type: 'NAK',
      code: 0x04,
    });
    expect(replyOf(await cp.exchange({ type: 'POLL' }, { sequence: 1 }))).toEqual({ type: 'ACK' });
    expect(replyOf(await cp.exchange({ type: 'POLL' }, { sequence: 2 }))).toEqual({ type: 'ACK' });
    expect(replyOf(await cp.exchange({ type: 'POLL' }, { sequence: 3 }))).toEqual({ type: 'ACK' });
    expect(replyOf(await cp.exchange({ type: 'POLL' }, { sequence: 1 }))).toEqual({ type: 'ACK' });
  });

  it('answers NAK 0x01 to a bad CRC, and processes the intact retry afresh', async () => {
    const { cp } = await line();
    await connect(cp);
    const good = cp.build({ type: 'POLL' });
    const bad = Buffer.from(good);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x01;
    expect(replyOf(await cp.sendRaw(bad))).toEqual({ type: 'NAK', code: NAK.CHECK_CHARACTER });
    expect(replyOf(await cp.sendRaw(good))).toEqual({ type: 'ACK' });
  });

  it('answers NAK 0x03 to an unknown code and NAK 0x02 to a wrong payload length', async () => {
    const { cp } = await line();
    await connect(cp);
    const unknown = { type: 'UNKNOWN', code: 0x7a, data: Buffer.alloc(0) } as const;
    expect(replyOf(await cp.exchange(unknown))).toEqual({ type: 'NAK', code: NAK.UNKNOWN_COMMAND });
    const longId = { type: 'UNKNOWN', code: 0x61, data: Buffer.from([0, 0]) } as const;
    expect(replyOf(await cp.exchange(longId))).toEqual({ type: 'NAK', code: NAK.COMMAND_LENGTH });
    const out: OsdpCommand = { type: 'OUT', outputs: [{ output: 7, control: 2, timer100ms: 0 }] };
    expect(replyOf(await cp.exchange(out))).toEqual({ type: 'NAK', code: NAK.UNABLE_TO_PROCESS });
  });
});

describe('the device model under CP commands', () => {
  it('OUT temporary ON answers OSTATR and reverts when the timer runs out', async () => {
    const { cp, model, clock } = await line();
    await connect(cp);
    const outputs = record(model, 'output');
    const out: OsdpCommand = { type: 'OUT', outputs: [{ output: 0, control: 5, timer100ms: 50 }] };
    expect(replyOf(await cp.exchange(out))).toEqual({ type: 'OSTATR', outputs: [1, 0] });
    expect(model.outputs()).toEqual([true, false]);
    const onAt = outputs[0]?.at ?? Number.NaN;
    clock.advance(onAt + 4999 - clock.now());
    expect(model.outputs()).toEqual([true, false]);
    clock.advance(1);
    expect(model.outputs()).toEqual([false, false]);
    expect(outputs.map((o) => [o.index, o.active])).toEqual([
      [0, true],
      [0, false],
    ]);
    expect((outputs[1]?.at ?? 0) - (outputs[0]?.at ?? 0)).toBe(5000);
    expect(replyOf(await cp.exchange({ type: 'OSTAT' }))).toEqual({ type: 'OSTATR', outputs: [0, 0] });
  });

  it('OUT permanent codes: 4 lets the timed state finish, 1 aborts it', async () => {
    const model = new PdModel({ clock: new ManualClock() });
    const clock = model.clock as ManualClock;
    model.applyOutputs([{ output: 1, control: 6, timer100ms: 10 }]);
    model.applyOutputs([{ output: 1, control: 4, timer100ms: 0 }]);
    expect(model.outputs()).toEqual([false, false]);
    clock.advance(1000);
    expect(model.outputs()).toEqual([false, true]);
    model.applyOutputs([
      { output: 1, control: 5, timer100ms: 10 },
      { output: 1, control: 1, timer100ms: 0 },
    ]);
    clock.advance(2000);
    expect(model.outputs()).toEqual([false, false]);
  });

  it('LED, buzzer and text commands change what the reader shows, with timed parts reverting', async () => {
    const { cp, model, clock } = await line();
    await connect(cp);
    const leds = record(model, 'led');
    const texts = record(model, 'text');
    const buzzers = record(model, 'buzzer');
    const led = {
      reader: 0,
      led: 0,
      tempControl: 2,
      tempOn100ms: 5,
      tempOff100ms: 5,
      tempOnColor: 1,
      tempOffColor: 0,
      tempTimer100ms: 30,
      permControl: 1,
      permOn100ms: 0,
      permOff100ms: 0,
      permOnColor: 2,
      permOffColor: 2,
    };
    expect(replyOf(await cp.exchange({ type: 'LED', leds: [led] }))).toEqual({ type: 'ACK' });
    expect(leds.map((l) => [l.color, l.flashingWith])).toEqual([[1, 0]]);
    const text = {
      type: 'TEXT',
      reader: 0,
      control: 3,
      tempSeconds: 2,
      row: 1,
      column: 1,
      text: 'NOT REGISTERED',
    } as const;
    expect(replyOf(await cp.exchange(text))).toEqual({ type: 'ACK' });
    const buz: OsdpCommand = {
      type: 'BUZ',
      buzzers: [{ reader: 0, tone: 2, on100ms: 2, off100ms: 1, count: 2 }],
    };
    expect(replyOf(await cp.exchange(buz))).toEqual({ type: 'ACK' });
    clock.advance(3000);
    expect(leds.map((l) => [l.color, l.flashingWith])).toEqual([
      [1, 0],
      [2, undefined],
    ]);
    expect(texts.map((t) => t.text)).toEqual(['NOT REGISTERED', '']);
    expect(buzzers.map((b) => b.sounding)).toEqual([true, false]);
    expect((buzzers[1]?.at ?? 0) - (buzzers[0]?.at ?? 0)).toBe(600);
  });

  it('COMSET answers COM with the new settings and moves the PD once the reply is out', async () => {
    const { cp, bus, pd } = await line();
    await connect(cp);
    const seen: number[] = [];
    pd.on('comset', ({ address }) => seen.push(address));
    expect(replyOf(await cp.exchange({ type: 'COMSET', address: 5, baud: 19200 }))).toEqual({
      type: 'COM',
      address: 5,
      baud: 19200,
    });
    expect(seen).toEqual([5]);
    expect(bus.baud).toBe(19200);
    expect(bus.pd(5)).toBe(pd);
    const moved = new MiniCp(cp.transport, {
      address: 5,
      clock: cp.options.clock as ManualClock,
      baud: 19200,
    });
    expect(replyOf(await moved.exchange({ type: 'ID' })).type).toBe('PDID');
  });
});

describe('line pacing', () => {
  it('stamps command and reply with the modelled wire times', async () => {
    const { cp, model, clock } = await line();
    await connect(cp);
    const commands = record(model, 'command');
    const sent = record(model, 'reportSent');
    const t0 = clock.now();
    const poll = cp.build({ type: 'POLL' });
    const result = await cp.sendRaw(poll);
    const reply = packetOf(result).length + 1;
    expect(commands[0]?.receivedAt).toBeCloseTo(t0 + wireTimeMs(poll.length, BAUD), 9);
    expect(sent[0]?.startedAt).toBeCloseTo((commands[0]?.receivedAt ?? 0) + 1, 9);
    expect(sent[0]?.finishedAt).toBeCloseTo((sent[0]?.startedAt ?? 0) + wireTimeMs(reply, BAUD), 9);
    expect(sent[0]).toMatchObject({ type: 'ACK', command: 'POLL' });
    expect(clock.now()).toBeCloseTo(sent[0]?.finishedAt ?? 0, 9);
  });

  it('receives a packet whose last byte came late when that byte has left the wire, as a UART sends it', async () => {
    const { cp, model, clock } = await line();
    await connect(cp);
    const commands = record(model, 'command');
    const deliver = () => new Promise((r) => setImmediate(r));
    for (const lateMs of [5, 20]) {
      const poll = cp.build({ type: 'POLL' });
      const t0 = clock.now();
      await cp.transport.write(poll.subarray(0, -1));
      await deliver();
      clock.advance(lateMs);
      await cp.transport.write(poll.subarray(-1));
      await deliver();
      while (commands.length === 0 && clock.runNext()) await deliver();
      // 5 ms: the last byte was handed over while the others were still going out (8.3 ms at
      // 9600 baud), so the packet ends as if sent whole. 20 ms: after they had gone, so it ends
      // one character time after that byte came; within the 20 ms inter-character timeout
      // counted from the end of the others, so still one packet.
      const expected = Math.max(t0 + wireTimeMs(poll.length, BAUD), t0 + lateMs + wireTimeMs(1, BAUD));
      expect(commands.shift()?.receivedAt).toBeCloseTo(expected, 9);
      while (clock.runNext()) await deliver();
      cp.heard.length = 0;
    }
  });

  it('answers a packet with a bad check (a withdrawn command) a turnaround after its last byte', async () => {
    const { cp, model, clock } = await line();
    await connect(cp);
    const sent = record(model, 'reportSent');
    const poll = cp.build({ type: 'POLL' });
    poll[poll.length - 1] = (poll[poll.length - 1] as number) ^ 0xff;
    const t0 = clock.now();
    const result = await cp.sendRaw(poll);
    expect(replyOf(result)).toEqual({ type: 'NAK', code: 0x01 });
    // The parser rescans the bytes after the bad packet's SOM; they are still part of it.
    expect(sent[0]?.startedAt).toBeCloseTo(t0 + wireTimeMs(poll.length, BAUD) + 1, 9);
  });

  it('refuses a turnaround of 200 ms or more', () => {
    const transport = new MemoryBus().attach('x');
    expect(() => new BusSimulator({ transport, pds: [], turnaroundMs: 200 })).toThrow(/turnaround/);
  });
});

describe('multi-drop', () => {
  it('answers only for hosted addresses and ignores other PDs replies', async () => {
    const { cp, memory, bus, clock } = await line([{ address: 1 }, { address: 2 }]);
    const two = new MiniCp(cp.transport, { address: 2, clock: cp.options.clock as ManualClock, baud: BAUD });
    expect(replyOf(await two.exchange({ type: 'ID' }))).toMatchObject({ type: 'PDID' });
    const three = new MiniCp(cp.transport, {
      address: 3,
      clock: cp.options.clock as ManualClock,
      baud: BAUD,
    });
    expect((await three.exchange({ type: 'ID' })).kind).toBe('timeout');
    const before = { ...bus.counters };
    const ack = {
      address: 1,
      reply: true,
      sequence: 1,
      useCrc: true,
      code: 0x40,
      data: Buffer.alloc(0),
    } as const;
    memory.inject(encodeFrame(ack, { mark: true }));
    await settle(clock, 100);
    expect(bus.counters.replies).toBe(before.replies);
    expect(bus.counters.ignored).toBe(before.ignored + 1);
  });
});

describe('secure channel', () => {
  it('establishes a session with the SCBK and seals POLL/ACK and ID/PDID', async () => {
    const { cp, pd } = await line([{ address: 1, secure: { scbk: KEY_A } }]);
    await connect(cp);
    const states: string[] = [];
    pd.on('secure', ({ state }) => states.push(state));
    expect(replyOf(await cp.handshake(KEY_A)).type).toBe('RMAC_I');
    expect(pd.secureChannelEstablished).toBe(true);
    expect(states).toEqual(['established']);
    const ack = await cp.exchange({ type: 'POLL' });
    expect(replyOf(ack)).toEqual({ type: 'ACK' });
    expect(ack.kind === 'reply' && ack.frame.securityBlock?.type).toBe(0x16);
    const id = await cp.exchange({ type: 'ID' });
    expect(replyOf(id).type).toBe('PDID');
    expect(id.kind === 'reply' && id.frame.securityBlock?.type).toBe(0x18);
    const cached = await cp.retry();
    expect(packetOf(cached)).toEqual(packetOf(id));
  });

  it('refuses plain commands in a session (0x06), handshakes on a PD without SC (0x05), SCBK-D outside install mode', async () => {
    const secure = await line([{ address: 1, secure: { scbk: KEY_A } }]);
    await connect(secure.cp);
    expect(replyOf(await secure.cp.handshake('default'))).toEqual({ type: 'NAK', code: 0x06 });
    expect(replyOf(await secure.cp.handshake(KEY_A)).type).toBe('RMAC_I');
    const plain = await secure.cp.exchange({ type: 'POLL' }, { seal: false });
    expect(replyOf(plain)).toEqual({ type: 'NAK', code: 0x06 });
    const bare = await line();
    await connect(bare.cp);
    expect(replyOf(await bare.cp.handshake(KEY_A))).toEqual({ type: 'NAK', code: 0x05 });
  });

  it('when required, allows only ID and CAP before the session', async () => {
    const { cp } = await line([{ address: 1, secure: { scbk: KEY_A, required: true } }]);
    await connect(cp);
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'NAK', code: 0x06 });
    expect(replyOf(await cp.exchange({ type: 'CAP' }))).toMatchObject({ type: 'PDCAP' });
    expect(replyOf(await cp.handshake(KEY_A)).type).toBe('RMAC_I');
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'ACK' });
  });

  it('KEYSET under SC installs the new key, ends the session and install mode', async () => {
    const { cp, pd } = await line([{ address: 1, secure: { installMode: true } }]);
    await connect(cp);
    expect(replyOf(await cp.exchange(MiniCp.keyset(KEY_B)))).toEqual({ type: 'NAK', code: 0x06 });
    expect(replyOf(await cp.handshake('default')).type).toBe('RMAC_I');
    const keys: Buffer[] = [];
    pd.on('keyChanged', ({ scbk }) => keys.push(scbk));
    const ack = await cp.exchange(MiniCp.keyset(KEY_B));
    expect(replyOf(ack)).toEqual({ type: 'ACK' });
    expect(keys).toEqual([KEY_B]);
    expect(pd.secureChannelEstablished).toBe(false);
    expect(replyOf(await cp.handshake('default'))).toEqual({ type: 'NAK', code: 0x06 });
    expect(replyOf(await cp.handshake(KEY_B)).type).toBe('RMAC_I');
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'ACK' });
  });

  it('drops a session idle for longer than the timeout', async () => {
    const { cp, pd, clock } = await line([{ address: 1, secure: { scbk: KEY_A, timeoutMs: 8000 } }]);
    await connect(cp);
    await cp.handshake(KEY_A);
    const reasons: string[] = [];
    pd.on('secure', ({ state, reason }) => reasons.push(`${state} ${reason}`));
    clock.advance(7000);
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'ACK' });
    clock.advance(8001);
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'NAK', code: 0x06 });
    expect(reasons).toEqual(['closed timeout']);
  });

  it('drops the session on a bad MAC and after SQN 0', async () => {
    const { cp, pd } = await line([{ address: 1, secure: { scbk: KEY_A } }]);
    await connect(cp);
    await cp.handshake(KEY_A);
    const sealed = cp.build({ type: 'POLL' });
    const tampered = Buffer.from(sealed);
    const macAt = tampered.length - 3;
    tampered[macAt] = (tampered[macAt] ?? 0) ^ 0xff;
    const fixed = recheck(tampered);
    expect(replyOf(await cp.sendRaw(fixed))).toEqual({ type: 'NAK', code: 0x06 });
    expect(pd.secureChannelEstablished).toBe(false);
    await cp.handshake(KEY_A);
    expect(pd.secureChannelEstablished).toBe(true);
    cp.channel = undefined;
    await cp.exchange({ type: 'ID' }, { sequence: 0 });
    expect(pd.secureChannelEstablished).toBe(false);
  });
});

describe('fault injection', () => {
  it('silent: no answer at all, and the PD does not move', async () => {
    const { cp, bus, model } = await line();
    await connect(cp);
    bus.setFaults(1, { silent: true });
    model.presentCard({ format: 'wiegand26', facility: 1, card: 1 });
    expect((await cp.exchange({ type: 'POLL' })).kind).toBe('timeout');
    expect(model.queuedReports).toBe(1);
    expect(bus.counters.silenced).toBe(1);
    bus.clearFaults(1);
    expect(replyOf(await cp.retry()).type).toBe('RAW');
  });

  it('dropReplies: the reply is lost but the retry gets the cached one', async () => {
    const { cp, bus, model } = await line();
    await connect(cp);
    model.presentCard({ format: 'wiegand26', facility: 9, card: 99 });
    bus.setFaults('bus', { dropReplies: 1 });
    expect((await cp.exchange({ type: 'POLL' })).kind).toBe('timeout');
    expect(model.queuedReports).toBe(0);
    bus.setFaults('bus', { dropReplies: 0 });
    expect(replyOf(await cp.retry())).toMatchObject({ type: 'RAW', ...encodeWiegand26(9, 99) });
    expect(bus.counters.dropped).toBe(1);
  });

  it('lateReplyMs: the reply misses a 200 ms timeout and arrives 300 ms late', async () => {
    const { cp, bus, model } = await line();
    await connect(cp);
    bus.setFaults(1, { lateReplyMs: 300 });
    const commands = record(model, 'command');
    const sent = record(model, 'reportSent');
    expect((await cp.exchange({ type: 'POLL' }, { timeoutMs: 200 })).kind).toBe('timeout');
    expect(replyOf(await cp.listen(1000))).toEqual({ type: 'ACK' });
    expect((sent[0]?.startedAt ?? 0) - (commands[0]?.receivedAt ?? 0)).toBeCloseTo(301, 9);
  });

  it('busy: BUSY with SQN 0 to the next command, which the retry then gets through', async () => {
    const { cp, bus } = await line();
    await connect(cp);
    bus.setFaults(1, { busyNext: 1 });
    const busy = await cp.exchange({ type: 'POLL' });
    expect(replyOf(busy)).toEqual({ type: 'BUSY' });
    expect(busy.kind === 'reply' && busy.frame.sequence).toBe(0);
    expect(replyOf(await cp.retry())).toEqual({ type: 'ACK' });
    bus.setFaults(1, { busyProbability: 1 });
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'BUSY' });
    expect(bus.counters.busy).toBe(2);
  });

  it('corruptCheck: the CP sees a packet whose check fails', async () => {
    const { cp, bus } = await line();
    await connect(cp);
    bus.setFaults(1, { corruptCheck: 1 });
    expect((await cp.exchange({ type: 'POLL' })).kind).toBe('corrupt');
    bus.setFaults(1, { corruptCheck: 0 });
    expect(replyOf(await cp.retry())).toEqual({ type: 'ACK' });
  });

  it('noise: random bursts between exchanges, which the CP skips over', async () => {
    const { cp, bus, memory, clock } = await line();
    await connect(cp);
    bus.setNoise({ ratePerSecond: 50, maxBytes: 6 });
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(bus.counters.noiseBytes).toBeGreaterThan(0);
    const noise = memory.writes.filter((w) => w.from === 'sim').slice(1);
    expect(noise.length).toBeGreaterThan(10);
    bus.setNoise(undefined);
    expect(replyOf(await cp.exchange({ type: 'POLL' }))).toEqual({ type: 'ACK' });
  });
});

/** Recomputes the CRC of a packet (with its mark byte) after a test changed a byte before it. */
function recheck(packet: Buffer): Buffer {
  const copy = Buffer.from(packet);
  copy.writeUInt16LE(crc16AugCcitt(copy.subarray(1, copy.length - 2)), copy.length - 2);
  return copy;
}

async function settle(clock: ManualClock, ms: number): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  clock.advance(ms);
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}
