import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeAdu,
  decodeRequest,
  encodeRequest,
  FUNCTION_OF,
  ModbusCodecError,
  type ModbusRequest,
  requestLengthAt,
} from '../../drivers/modbus/codec.js';
import { EXCEPTION_FLAG, FUNCTION_CODES, MAX_ADU_LENGTH } from '../../drivers/modbus/constants.js';
import { crcMatches } from '../../drivers/modbus/crc.js';
import { FrameScanner, type ScanEvent } from '../../drivers/modbus/frame-scanner.js';
import { ModbusReplyCollector } from '../../drivers/modbus/reply-collector.js';
import {
  decodeResponse,
  encodeRefusal,
  encodeResponse,
  responseByteCount,
  responseLength,
  type ServerOutcome,
} from '../../drivers/modbus/responses.js';
import { defineTarget, neverThrows, onlyThrows } from '../target.js';
import { byte, bytes, chunked, chunkSizes, noise } from './bytes.js';

/** Modbus RTU for the barrier relay boards (drivers/modbus): frame scanner, reply collector, codec. */

const unit = fc.integer({ min: 1, max: 247 });

/** Any request the codec can build, addresses kept inside the 16-bit space. */
const modbusRequest: fc.Arbitrary<ModbusRequest> = fc.oneof(
  fc
    .record({
      fn: fc.constantFrom('read-coils' as const, 'read-discrete-inputs' as const),
      unit,
      quantity: fc.integer({ min: 1, max: 2000 }),
    })
    .chain((r) => fc.integer({ min: 0, max: 0x10000 - r.quantity }).map((address) => ({ ...r, address }))),
  fc
    .record({
      fn: fc.constantFrom('read-holding-registers' as const, 'read-input-registers' as const),
      unit,
      quantity: fc.integer({ min: 1, max: 125 }),
    })
    .chain((r) => fc.integer({ min: 0, max: 0x10000 - r.quantity }).map((address) => ({ ...r, address }))),
  fc.record(
    { fn: fc.constant('write-single-coil' as const), unit, address: fc.nat(0xffff), value: fc.boolean() },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      fn: fc.constant('write-single-register' as const),
      unit,
      address: fc.nat(0xffff),
      value: fc.nat(0xffff),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      fn: fc.constant('write-multiple-coils' as const),
      unit,
      address: fc.nat(0xf000),
      values: fc.array(fc.boolean(), { minLength: 1, maxLength: 300 }),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      fn: fc.constant('write-multiple-registers' as const),
      unit,
      address: fc.nat(0xff00),
      values: fc.array(fc.nat(0xffff), { minLength: 1, maxLength: 123 }),
    },
    { noNullPrototype: true },
  ),
);

/** Units, function codes (plain and exception), small byte counts: false headers everywhere. */
const HOT = [1, 2, 3, 4, 5, 6, 8, 15, 16, 0x81, 0x83, 0x85, 0x90, 0x00, 0xff];

function scanAll(chunks: readonly Buffer[]): { events: ScanEvent[]; frames: Buffer[] } {
  const scanner = new FrameScanner(requestLengthAt);
  const events: ScanEvent[] = [];
  for (const chunk of chunks) {
    events.push(...neverThrows(() => scanner.push(chunk)));
    assert.ok(scanner.pending() <= MAX_ADU_LENGTH, `scanner holds ${scanner.pending()} bytes`);
  }
  return { events, frames: events.flatMap((e) => (e.kind === 'frame' ? [e.frame] : [])) };
}

export const modbusRequestScanner = defineTarget({
  name: 'modbus-request-scanner',
  contract:
    'FrameScanner(requestLengthAt), the board side of a shared RS-485 line, on noise full of false headers, ' +
    'the real request right after it, in any chunks: never throws, holds at most one ADU, finds the request ' +
    'inside whatever false frame the noise announced and decodes it to the request sent, and finds the same ' +
    'frames however chunked, unless a false header met a matching CRC (the documented 1 in 65536).',
  arbitrary: fc.record(
    { noise: noise(HOT, 200), request: modbusRequest, sizes: chunkSizes },
    { noNullPrototype: true },
  ),
  check({ noise: garbage, request, sizes }) {
    // Zero bytes after the request start no candidate (function 0 has no length) and complete
    // every false one the noise announced (an ADU is at most 256 bytes).
    const real = garbage.length;
    const stream = Buffer.concat([garbage, encodeRequest(request), Buffer.alloc(MAX_ADU_LENGTH)]);
    const whole = scanAll([stream]);
    const split = scanAll(chunked(stream, sizes));
    if (!falseFrameAt(stream, (at, length) => at < real && at + length > real)) {
      const last = whole.frames.at(-1);
      assert.ok(last !== undefined, 'the request after the noise was not found');
      assert.deepStrictEqual(decodeRequest(decodeAdu(last)), { kind: 'request', request });
    }
    for (const frame of [...whole.frames, ...split.frames]) {
      const adu = decodeAdu(frame);
      const decoded = neverThrows(() => decodeRequest(adu));
      if (decoded.kind === 'exception') neverThrows(() => encodeRefusal(adu.unit, decoded));
    }
    // Small chunks resolve a false candidate before a longer one that starts earlier is whole:
    // with a matching CRC it is taken, the documented 1 in 65536.
    if (!falseFrameAt(stream, (at) => at !== real))
      assert.deepStrictEqual(split.frames, whole.frames, 'chunking changed the frames');
  },
});

/** Whether a request candidate with a matching CRC starts at a position `where` accepts. */
function falseFrameAt(stream: Buffer, where: (at: number, length: number) => boolean): boolean {
  for (let at = 0; at < stream.length; at++) {
    const length = requestLengthAt(stream, at);
    if (typeof length !== 'number' || at + length > stream.length || !where(at, length)) continue;
    if (crcMatches(stream, at, length)) return true;
  }
  return false;
}

/** A request and an answer a board could give to it (normal or exception). */
const exchange = modbusRequest.chain((request) => {
  const exception = fc
    .integer({ min: 1, max: 11 })
    .map((code): ServerOutcome => ({ kind: 'exception', code }));
  const normal: fc.Arbitrary<ServerOutcome> =
    request.fn === 'read-coils' || request.fn === 'read-discrete-inputs'
      ? fc
          .array(fc.boolean(), { minLength: request.quantity, maxLength: request.quantity })
          .map((values) => ({ kind: 'bits', values }))
      : request.fn === 'read-holding-registers' || request.fn === 'read-input-registers'
        ? fc
            .array(fc.nat(0xffff), { minLength: request.quantity, maxLength: request.quantity })
            .map((values) => ({ kind: 'registers', values }))
        : fc.constant({ kind: 'ok' });
  return fc.record(
    { request: fc.constant(request), outcome: fc.oneof(normal, exception) },
    { noNullPrototype: true },
  );
});

/** Whether a false candidate for `request` with a matching CRC starts in `stream` before `end`. */
function collisionBefore(stream: Buffer, end: number, request: ModbusRequest): boolean {
  const fn = FUNCTION_OF[request.fn];
  const byteCount = responseByteCount(request);
  for (let at = 0; at < end; at++) {
    if (stream[at] !== request.unit) continue;
    const code = stream[at + 1];
    let length: number | undefined;
    if (code === (fn | EXCEPTION_FLAG)) length = 5;
    else if (code === fn && (byteCount === undefined || stream[at + 2] === byteCount))
      length = responseLength(request);
    if (length !== undefined && at + length <= stream.length && crcMatches(stream, at, length)) return true;
  }
  return false;
}

export const modbusReplyCollector = defineTarget({
  name: 'modbus-reply-collector',
  contract:
    "ModbusReplyCollector on noise rich in the request's unit and function, then the board's reply, in any " +
    'chunks: never throws, and returns exactly the decoded reply, unless a false candidate in the noise has ' +
    'a matching CRC (the documented RTU limit, checked by an independent scan).',
  arbitrary: fc.record({ noise: noise(HOT, 120), exchange, sizes: chunkSizes }, { noNullPrototype: true }),
  check({ noise: garbage, exchange: { request, outcome }, sizes }) {
    const reply = encodeResponse(request, outcome);
    const stream = Buffer.concat([garbage, reply]);
    const collector = new ModbusReplyCollector(request);
    let got: ReturnType<ModbusReplyCollector['push']>;
    for (const chunk of chunked(stream, sizes)) got ??= neverThrows(() => collector.push(chunk));
    const expected = decodeResponse(request, decodeAdu(reply));
    if (!isDeepEqual(got, expected))
      assert.ok(
        collisionBefore(stream, garbage.length, request),
        `collector returned ${JSON.stringify(got)}`,
      );
  },
});

export const modbusCodec = defineTarget({
  name: 'modbus-codec',
  contract:
    'decodeRequest and decodeResponse on any unit, function and PDU never throw and give a request, an ' +
    'exception or a malformed reply; a decoded request re-encodes (or is refused with ModbusCodecError) and ' +
    'decodes to itself; decodeAdu on any bytes throws only ModbusCodecError.',
  arbitrary: fc.record(
    {
      unit: byte,
      fn: fc.oneof(
        fc.constantFrom(...FUNCTION_CODES, ...FUNCTION_CODES.map((f) => f | EXCEPTION_FLAG)),
        byte,
      ),
      data: fc.oneof(bytes(0, 12), bytes(4), bytes(5, 260)),
      request: modbusRequest,
      raw: bytes(0, 12),
    },
    { noNullPrototype: true },
  ),
  check({ unit: u, fn, data, request, raw }) {
    const adu = { unit: u, function: fn, data };
    const decoded = neverThrows(() => decodeRequest(adu));
    if (decoded.kind === 'request') {
      const encoded = onlyThrows(() => encodeRequest(decoded.request), ModbusCodecError);
      if (encoded.ok) assert.deepStrictEqual(decodeRequest(decodeAdu(encoded.value)), decoded);
    } else neverThrows(() => encodeRefusal(u, decoded));
    const reply = neverThrows(() => decodeResponse(request, adu));
    assert.ok(['bits', 'registers', 'written', 'exception', 'malformed'].includes(reply.kind));
    if (reply.kind === 'bits' || reply.kind === 'registers')
      assert.equal(reply.values.length, 'quantity' in request ? request.quantity : -1);
    onlyThrows(() => decodeAdu(raw), ModbusCodecError);
  },
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
