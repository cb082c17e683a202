import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  decodeAdu,
  decodeRequest,
  encodeRequest,
  type ModbusRequest,
  requestLengthAt,
} from '../../drivers/modbus/codec.js';
import { FrameScanner } from '../../drivers/modbus/frame-scanner.js';
import { ModbusReplyCollector } from '../../drivers/modbus/reply-collector.js';
import { decodeResponse, encodeResponse, type ServerOutcome } from '../../drivers/modbus/responses.js';
import { encodeFrame } from '../../drivers/osdp/framing/codec.js';
import type { Sequence } from '../../drivers/osdp/framing/frame.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { RelayBoardModel } from '../../simulators/barrier/board-model.js';
import { BarrierBusSimulator } from '../../simulators/barrier/bus-simulator.js';
import { ManualClock } from '../helpers/manual-clock.js';

// --- Arbitraries ------------------------------------------------------------------------------

const unit = fc.integer({ min: 1, max: 247 });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

/** Any request the codec can build, with addresses kept inside the 16-bit space. */
const requestArb: fc.Arbitrary<ModbusRequest> = fc.oneof(
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
  fc.record({
    fn: fc.constant('write-single-coil' as const),
    unit,
    address: fc.integer({ min: 0, max: 0xffff }),
    value: fc.boolean(),
  }),
  fc.record({
    fn: fc.constant('write-single-register' as const),
    unit,
    address: fc.integer({ min: 0, max: 0xffff }),
    value: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.record({
    fn: fc.constant('write-multiple-coils' as const),
    unit,
    address: fc.integer({ min: 0, max: 0xf000 }),
    values: fc.array(fc.boolean(), { minLength: 1, maxLength: 1968 }),
  }),
  fc.record({
    fn: fc.constant('write-multiple-registers' as const),
    unit,
    address: fc.integer({ min: 0, max: 0xff00 }),
    values: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 123 }),
  }),
);

/** A request with a normal or exception response the board could give to it. */
const exchangeArb = requestArb.chain((request) => {
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
            .array(fc.integer({ min: 0, max: 0xffff }), {
              minLength: request.quantity,
              maxLength: request.quantity,
            })
            .map((values) => ({ kind: 'registers', values }))
        : fc.constant({ kind: 'ok' });
  return fc.record({ request: fc.constant(request), outcome: fc.oneof(normal, exception) });
});

/** OSDP packets as another protocol on the same pair puts them on the wire. */
const osdpPacket = fc
  .record({
    address: fc.integer({ min: 0, max: 0x7f }),
    reply: fc.boolean(),
    sequence: fc.constantFrom<Sequence>(0, 1, 2, 3),
    code: fc.integer({ min: 0x40, max: 0xa0 }),
    data: bytes(40),
  })
  .map((f) => encodeFrame({ ...f, useCrc: true }, { mark: true }));

/** What else is on the line: OSDP packets, other boards' frames, random bytes (rich in small values). */
const foreign = (request: ModbusRequest) =>
  fc.array(
    fc.oneof(
      osdpPacket,
      requestArb.filter((r) => r.unit !== request.unit).map((r) => encodeRequest(r)),
      bytes(12),
      fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a.map((b) => b % 4))),
    ),
    { maxLength: 5 },
  );

/** Splits `data` at the given fractions into consecutive chunks. */
function split(data: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * data.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...at, data.length]) {
    if (cut > from) chunks.push(data.subarray(from, cut));
    from = Math.max(from, cut);
  }
  return chunks;
}
const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

// --- Properties -------------------------------------------------------------------------------

describe('Modbus framing properties', () => {
  test.prop([requestArb])(
    'a request read back on the board side is the request that was built',
    (request) => {
      const frame = encodeRequest(request);
      expect(requestLengthAt(frame, 0)).toBe(frame.length);
      expect(decodeRequest(decodeAdu(frame))).toEqual({ kind: 'request', request });
    },
  );

  test.prop([exchangeArb, cutsArb], { numRuns: 300 })(
    'the collector completes the reply exactly once it is whole, however it is chunked',
    ({ request, outcome }, cuts) => {
      const reply = encodeResponse(request, outcome);
      const collector = new ModbusReplyCollector(request);
      const chunks = split(reply, cuts);
      const results = chunks.map((chunk) => collector.push(chunk));
      expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
      expect(results.at(-1)).toEqual(decodeResponse(request, decodeAdu(reply)));
    },
  );

  test.prop([exchangeArb.chain((x) => fc.tuple(fc.constant(x), foreign(x.request))), cutsArb], {
    numRuns: 300,
  })(
    'the collector finds the reply behind OSDP traffic, other boards and noise',
    ([{ request, outcome }, before], cuts) => {
      const reply = encodeResponse(request, outcome);
      const stream = Buffer.concat([...before, reply]);
      const collector = new ModbusReplyCollector(request);
      let got: unknown;
      for (const chunk of split(stream, cuts)) got ??= collector.push(chunk);
      expect(got).toEqual(decodeResponse(request, decodeAdu(reply)));
    },
  );

  test.prop(
    [
      fc.array(
        fc.oneof(
          requestArb.map((r) => ({ r })),
          osdpPacket,
          bytes(10),
        ),
        { maxLength: 8 },
      ),
      cutsArb,
    ],
    {
      numRuns: 300,
    },
  )(
    'a board-side scanner finds exactly the requests in a shared stream, however it is chunked',
    (items, cuts) => {
      const requests = items.flatMap((i) => ('r' in i ? [encodeRequest(i.r)] : []));
      const stream = Buffer.concat(items.map((i) => ('r' in i ? encodeRequest(i.r) : i)));
      const scanner = new FrameScanner(requestLengthAt);
      const found = split(stream, cuts).flatMap((chunk) =>
        scanner.push(chunk).flatMap((e) => (e.kind === 'frame' ? [e.frame] : [])),
      );
      // Every request is found, in order; a false frame in the noise would need a CRC match (1/65536).
      expect(found.map((f) => f.toString('hex'))).toEqual(requests.map((r) => r.toString('hex')));
    },
  );

  test.prop([requestArb, fc.array(bytes(300), { maxLength: 8 })])(
    'random bytes never make a collector throw',
    (request, chunks) => {
      const collector = new ModbusReplyCollector(request);
      for (const chunk of chunks) collector.push(chunk);
      expect(collector.damaged).toBeGreaterThanOrEqual(0);
    },
  );

  test.prop([bytes(260).filter((b) => b.length >= 2), requestArb])(
    'decoding any ADU never throws: a request, an exception, or a malformed reply',
    (pdu, request) => {
      const adu = { unit: 1, function: pdu[0] ?? 0, data: pdu.subarray(1) };
      expect(['request', 'exception']).toContain(decodeRequest(adu).kind);
      expect(decodeResponse(request, adu).kind).toBeDefined();
    },
  );

  test.prop([fc.array(bytes(64), { maxLength: 20 })])(
    'the board simulator survives random bytes on its line',
    async (chunks) => {
      const clock = new ManualClock();
      const line = new MemoryBus();
      const master = line.attach('master');
      const board = new RelayBoardModel({ unit: 1, clock });
      const sim = new BarrierBusSimulator({ transport: line.attach('boards'), boards: [board], clock });
      await master.open();
      await sim.start();
      for (const chunk of chunks) await master.write(chunk);
      await new Promise((r) => setImmediate(r));
      clock.advance(1000);
      await sim.stop();
      board.dispose();
      expect(sim.counters.rxBytes).toBe(chunks.reduce((n, c) => n + c.length, 0));
    },
  );
});
