import { describe, expect, it } from 'vitest';
import { encodeAdu, encodeRequest, type ModbusRequest } from '../../drivers/modbus/codec.js';
import { FrameScanner } from '../../drivers/modbus/frame-scanner.js';
import { ModbusReplyCollector } from '../../drivers/modbus/reply-collector.js';
import { hex, OSDP_ACK, OSDP_POLL, VECTORS } from '../fixtures/modbus/frames.hex.js';

const READ_INPUTS: ModbusRequest = { fn: 'read-discrete-inputs', unit: 1, address: 0, quantity: 8 };
const REPLY = hex('01 02 01 03 E1 89'); // inputs 0 and 1 on (protocols.md §3.3)
const WRITE: ModbusRequest = { fn: 'write-single-coil', unit: 1, address: 0, value: true };

/** Pushes chunks one by one and returns what the collector completed, and after which chunk. */
function collect(request: ModbusRequest, ...chunks: Buffer[]) {
  const collector = new ModbusReplyCollector(request);
  for (const [i, chunk] of chunks.entries()) {
    const reply = collector.push(chunk);
    if (reply) return { reply, after: i, damaged: collector.damaged };
  }
  return { reply: undefined, after: -1, damaged: collector.damaged };
}

describe('ModbusReplyCollector', () => {
  it('completes every published response, whole and byte by byte', () => {
    for (const v of VECTORS) {
      if (!v.responseFrame) continue;
      expect(collect(v.request, v.responseFrame).reply).toEqual(v.reply);
      const bytes = [...v.responseFrame].map((b) => Buffer.from([b]));
      const split = collect(v.request, ...bytes);
      expect(split).toMatchObject({ reply: v.reply, after: bytes.length - 1 });
    }
  });

  it('skips OSDP packets, another board’s reply and noise before the reply', () => {
    const otherBoard = encodeAdu(2, hex('02 01 FF'));
    const result = collect(READ_INPUTS, OSDP_POLL, OSDP_ACK, otherBoard, hex('00 01 FF 01'), REPLY);
    expect(result.reply).toEqual({
      kind: 'bits',
      values: [true, true, false, false, false, false, false, false],
    });
  });

  it('finds the reply inside a false header that announced a longer frame', () => {
    // "01 02 01" looks like our header with byte count 1: the 6 bytes from there fail their CRC,
    // and the real reply starting two bytes later is found.
    const result = collect(READ_INPUTS, hex('01 02'), REPLY);
    expect(result.reply?.kind).toBe('bits');
    expect(result.damaged).toBe(1);
  });

  it('finds a 5-byte exception right after a false header still waiting for its bytes', () => {
    // 80 inputs: a normal reply is 15 bytes. "01 02 0A" looks like its header, and the exception
    // that follows completes 7 bytes before the false candidate could.
    const many: ModbusRequest = { ...READ_INPUTS, quantity: 80 };
    const exception = encodeAdu(1, hex('82 02'));
    const result = collect(many, hex('01 02 0A'), exception);
    expect(result.reply).toEqual({ kind: 'exception', code: 2, name: 'illegal data address' });
  });

  it('does not end the wait on a damaged reply, but counts it', () => {
    const damaged = Buffer.from(REPLY);
    damaged[3] = 0x07;
    const result = collect(READ_INPUTS, damaged);
    expect(result).toEqual({ reply: undefined, after: -1, damaged: 1 });
  });

  it('takes the echo of a coil write and refuses an echo of something else', () => {
    expect(collect(WRITE, encodeRequest(WRITE)).reply).toEqual({ kind: 'written' });
    const otherValue = encodeRequest({ ...WRITE, value: false });
    expect(collect(WRITE, otherValue).reply).toEqual({ kind: 'malformed', reason: 'echo differs' });
  });

  it('ignores a reply whose byte count is not the one asked for', () => {
    const wrongCount = encodeAdu(1, hex('02 02 03 00'));
    expect(collect(READ_INPUTS, wrongCount).reply).toBeUndefined();
  });
});

describe('FrameScanner', () => {
  const scanner = () =>
    new FrameScanner((data, at) => {
      if (data[at] !== 1) return undefined;
      return data[at + 1] === undefined ? 'more' : 8;
    });

  it('finds consecutive frames in one push and keeps a partial one for the next', () => {
    const s = scanner();
    const a = encodeRequest(WRITE);
    const b = encodeRequest({ ...WRITE, value: false });
    const events = s.push(Buffer.concat([a, b, b.subarray(0, 3)]));
    expect(events).toEqual([
      { kind: 'frame', frame: a },
      { kind: 'frame', frame: b },
    ]);
    expect(s.pending()).toBe(3);
    expect(s.push(b.subarray(3))).toEqual([{ kind: 'frame', frame: b }]);
    expect(s.pending()).toBe(0);
  });

  it('reports a rejected candidate once, however the bytes are split', () => {
    const s = scanner();
    const bad = hex('01 05 00 00 FF 00 00 00');
    const events = [...s.push(bad.subarray(0, 4)), ...s.push(bad.subarray(4)), ...s.push(hex('00 00'))];
    expect(events.filter((e) => e.kind === 'rejected')).toHaveLength(1);
  });

  it('keeps no more than the unresolved tail, and reset drops it', () => {
    const s = scanner();
    s.push(Buffer.alloc(1000, 0x00));
    expect(s.pending()).toBe(0);
    s.push(hex('01 05 00'));
    expect(s.pending()).toBe(3);
    s.reset();
    expect(s.pending()).toBe(0);
  });
});
