import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeRequest } from '../../drivers/idcard/framing/codec.js';
import { SamFrameParser } from '../../drivers/idcard/framing/parser.js';
import { decodeReply, encodeCommand, type SamCommand } from '../../drivers/idcard/messages.js';
import { decodeTextBlock } from '../../drivers/idcard/text-block.js';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { registerIdcard } from '../../simulators/cli/idcard-command.js';
import { parseFault, runControl } from '../../simulators/idcard/controls.js';
import { TEST_DECK } from '../../simulators/idcard/deck.js';
import { SamModel } from '../../simulators/idcard/sam-model.js';
import { SamResponder } from '../../simulators/idcard/sam-responder.js';
import { REQUESTS } from '../fixtures/idcard/frames.hex.js';
import { timerClock } from '../helpers/idcard-rig.js';

const answer = (model: SamModel, command: SamCommand) => {
  const response = model.answer(command);
  if (!response) throw new Error('no answer');
  return { sw3: response.sw3, reply: decodeReply(command, response), data: response.data };
};

describe('SamModel', () => {
  it('follows find → select → read, and needs both again before the next read', () => {
    const model = new SamModel();
    expect(answer(model, { type: 'find-card' }).sw3).toBe(0x80);
    model.place(3);
    expect(answer(model, { type: 'select-card' }).sw3).toBe(0x81);
    expect(answer(model, { type: 'find-card' }).reply).toEqual({ type: 'card-found' });
    expect(answer(model, { type: 'select-card' }).reply).toEqual({
      type: 'card-selected',
      serial: TEST_DECK[3]?.serial.toString('hex'),
    });
    const read = answer(model, { type: 'read-base' });
    expect(read.data.length).toBe(4 + 256 + 1024);
    expect(read.reply.type === 'base-message' && decodeTextBlock(read.reply.text).validUntil).toBe(
      '20200101',
    );
    expect(answer(model, { type: 'read-base' }).sw3).toBe(0x23);
    expect(model.counters.reads).toBe(1);
  });

  it('answers the fingerprint read without templates (1297 bytes), the appended address with 0x91', () => {
    const model = new SamModel();
    model.place(0);
    answer(model, { type: 'find-card' });
    answer(model, { type: 'select-card' });
    expect(answer(model, { type: 'read-appended-address' }).reply).toMatchObject({ present: false });
    answer(model, { type: 'find-card' });
    answer(model, { type: 'select-card' });
    const read = answer(model, { type: 'read-base-fingerprint' });
    expect(read.data.length + 11).toBe(1297);
    expect(read.reply).toMatchObject({ type: 'base-message', fingerprintBytes: 0 });
  });

  it('answers management commands, 0x21 to an unknown command, 0x10 to a damaged frame', () => {
    const model = new SamModel();
    expect(answer(model, { type: 'sam-status' }).sw3).toBe(0x90);
    expect(answer(model, { type: 'reset-sam' }).sw3).toBe(0x90);
    expect(answer(model, { type: 'set-baud', baudRate: 9600 }).sw3).toBe(0x90);
    expect(answer(model, { type: 'read-sam-id' }).data.length).toBe(16);
    expect(model.answer(undefined)?.sw3).toBe(0x21);
    expect(model.answerDamaged()?.sw3).toBe(0x10);
    model.setFault({ kind: 'silence' });
    expect(model.answer({ type: 'sam-status' })).toBeUndefined();
    expect(model.answerDamaged()).toBeUndefined();
    model.setFault({ kind: 'sam-fault', status: 0x66 });
    expect(answer(model, { type: 'find-card' }).sw3).toBe(0x66);
  });

  it('refuses a deck index out of range', () => {
    expect(() => new SamModel().place(TEST_DECK.length)).toThrow(RangeError);
    expect(() => new SamModel().place(-1)).toThrow(RangeError);
  });
});

describe('SamResponder', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function pair() {
    const bus = new MemoryBus();
    const host = bus.attach('host');
    const device = bus.attach('device');
    const model = new SamModel({ clock: timerClock });
    new SamResponder(device, model, {
      baudRate: 9600,
      clock: timerClock,
      processing: { shortMs: 10, readMs: 100 },
    }).attach();
    await host.open();
    await device.open();
    const parser = new SamFrameParser('response');
    const received: { at: number; sw3: number; length: number }[] = [];
    const start = Date.now();
    host.onData((bytes) => {
      for (const e of parser.push(bytes)) {
        if (e.kind === 'frame')
          received.push({ at: Date.now() - start, sw3: e.frame.sw3, length: e.packet.length });
      }
    });
    return { bus, host, model, received };
  }

  it('holds each reply for request wire time + processing + reply wire time at the baud rate', async () => {
    const { host, model, received } = await pair();
    model.place(0);
    const find = REQUESTS.find((r) => r.command.type === 'find-card')?.packet ?? Buffer.alloc(0);
    await host.write(find);
    const due = wireTimeMs(10, 9600) + 10 + wireTimeMs(15, 9600); // ≈ 36 ms at 9600 baud
    await vi.advanceTimersByTimeAsync(Math.floor(due) - 1);
    expect(received).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    expect(received).toEqual([{ at: expect.any(Number), sw3: 0x9f, length: 15 }]);
    // A read reply of 1295 bytes takes 1.35 s on the wire at 9600 baud.
    await host.write(encodeRequest(encodeCommand({ type: 'select-card' })));
    await host.write(encodeRequest(encodeCommand({ type: 'read-base' })));
    await vi.advanceTimersByTimeAsync(1000);
    expect(received.map((r) => r.sw3)).toEqual([0x9f, 0x90]);
    await vi.advanceTimersByTimeAsync(600);
    expect(received.map((r) => r.length)).toEqual([15, 19, 1295]);
  });

  it('answers a damaged request with 0x10 and adds noise and damage under the noise fault', async () => {
    const { host, model, received, bus } = await pair();
    const damaged = Buffer.from(REQUESTS[0]?.packet ?? Buffer.alloc(0));
    damaged[damaged.length - 1] = (damaged.at(-1) ?? 0) ^ 0xff;
    await host.write(damaged);
    await vi.advanceTimersByTimeAsync(100);
    expect(received.map((r) => r.sw3)).toEqual([0x10]);
    model.setFault({ kind: 'noise', probability: 1 });
    const writes = bus.writes.length;
    await host.write(encodeRequest(encodeCommand({ type: 'sam-status' })));
    await vi.advanceTimersByTimeAsync(100);
    const reply = bus.writes.slice(writes).find((w) => w.from === 'device')?.bytes ?? Buffer.alloc(0);
    expect(reply.length).toBeGreaterThan(11); // noise before the 11-byte frame
    expect(received).toHaveLength(1); // and the frame itself damaged: no good frame parsed
  });
});

describe('simulator console', () => {
  it('places, removes, sets faults, reports status and lists the deck with masked numbers', () => {
    const model = new SamModel();
    expect(runControl(model, 'place 2').output).toMatch(/^placed 2: bad check digit \[4403\*+\d{3}[\dX]\]$/);
    expect(model.placed).toBe(2);
    expect(runControl(model, 'fault read-error 32 2').output).toBe(
      'fault: read-error 0x32 (the SAM failed to authenticate the card), 2 more',
    );
    expect(runControl(model, 'status').output).toContain('card:     2: bad check digit');
    expect(runControl(model, 'remove').output).toBe('card removed');
    expect(model.placed).toBeUndefined();
    const deck = runControl(model, 'deck').output.split('\n');
    expect(deck).toHaveLength(TEST_DECK.length);
    for (const { fields } of TEST_DECK) expect(deck.join('\n')).not.toContain(fields.idNumber);
    expect(runControl(model, 'wait 250')).toEqual({ output: '', waitMs: 250 });
    expect(runControl(model, 'quit')).toEqual({ output: 'bye', quit: true });
    expect(runControl(model, '   ')).toEqual({ output: '' });
  });

  it('parses every fault and explains a bad line without throwing', () => {
    expect(parseFault(['none'])).toEqual({ kind: 'none' });
    expect(parseFault(['no-card'])).toEqual({ kind: 'no-card' });
    expect(parseFault(['silence'])).toEqual({ kind: 'silence' });
    expect(parseFault(['read-error'])).toEqual({ kind: 'read-error', status: 0x41, remaining: Infinity });
    expect(parseFault(['noise'])).toEqual({ kind: 'noise', probability: 0.3 });
    expect(parseFault(['sam-fault', '66'])).toEqual({ kind: 'sam-fault', status: 0x66 });
    expect(parseFault(['slow', '300'])).toEqual({ kind: 'slow', extraMs: 300, remaining: 1 });
    expect(parseFault(['slow', '300', '2', 'select-card'])).toEqual({
      kind: 'slow',
      extraMs: 300,
      remaining: 2,
      command: 'select-card',
    });
    const model = new SamModel();
    expect(runControl(model, 'place 99').output).toMatch(/^error: deck index 99/);
    expect(runControl(model, 'fault sam-fault 41').output).toMatch(/^error: sam-fault status is 60 or 66/);
    expect(runControl(model, 'fault noise 2').output).toMatch(/^error: probability/);
    expect(runControl(model, 'fault read-error zz').output).toMatch(/^error: "zz" is not a hex byte/);
    expect(runControl(model, 'fault melt').output).toMatch(/^error: unknown fault "melt"/);
    expect(runControl(model, 'fault slow').output).toMatch(
      /^error: slow needs a delay in whole milliseconds/,
    );
    expect(runControl(model, 'fault slow 5 0').output).toMatch(
      /^error: count "0" is not a whole number above 0/,
    );
    expect(runControl(model, 'fault slow 5 1 fly').output).toMatch(
      /^error: unknown command "fly"; one of reset-sam/,
    );
    expect(runControl(model, 'fault slow 250 2 find-card').output).toBe(
      'fault: slow +250 ms, 2 more replies to find-card',
    );
    expect(runControl(model, 'dance').output).toBe('unknown command "dance"; type help');
    expect(runControl(model, 'help').output).toContain('place <deck-index>');
  });

  it('registers `idcard` with its options and the console help', () => {
    const program = new Command('gatewarden-sim').exitOverride();
    registerIdcard(program);
    let help = '';
    const idcard = program.commands.find((c) => c.name() === 'idcard');
    idcard
      ?.configureOutput({
        writeOut: (s) => {
          help += s;
        },
        writeErr: () => undefined,
      })
      .exitOverride();
    expect(() => program.parse(['idcard', '--help'], { from: 'user' })).toThrow();
    for (const text of ['--port <path>', '--baud <rate>', '--place <index>', 'fault read-error', 'quit'])
      expect(help).toContain(text);
    expect(() => program.parse(['idcard', '--port', 'x', '--baud', '1234'], { from: 'user' })).toThrow(
      /baud must be one of 115200/,
    );
  });
});
