import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { checkIsValid, encodeRequest, encodeResponse } from '../../drivers/idcard/framing/codec.js';
import { HEADER_LENGTH, MAX_LEN, MIN_LEN, OFFSET, PREAMBLE } from '../../drivers/idcard/framing/constants.js';
import type { FrameDirection, SamResponse } from '../../drivers/idcard/framing/frame.js';
import { SamFrameParser, type SamParseEvent } from '../../drivers/idcard/framing/parser.js';
import {
  readTextFields,
  TEXT_FIELDS,
  type TextFields,
  writeTextFields,
} from '../../drivers/idcard/text-block.js';

// --- Arbitraries ------------------------------------------------------------------------------

const byte = fc.integer({ min: 0, max: 0xff });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

/** Responses of every size class: status-only, short data, and now and then a read-sized block. */
const responseArb: fc.Arbitrary<SamResponse> = fc.record({
  sw1: byte,
  sw2: byte,
  sw3: byte,
  data: fc.oneof({ weight: 6, arbitrary: bytes(40) }, { weight: 1, arbitrary: bytes(MAX_LEN.response - 4) }),
});

/** Noise without 0x69 cannot complete a preamble, alone or joined to the frame after it. */
const cleanNoise = bytes(12).map((b) => Buffer.from(b.filter((x) => x !== 0x69)));

/** Noise rich in preambles, often with a plausible LEN that swallows what follows. */
const dirtyNoise = fc
  .array(
    fc.oneof(
      bytes(6),
      fc.constant(Buffer.from(PREAMBLE)),
      fc.integer({ min: 0, max: 40 }).map((len) => Buffer.from([...PREAMBLE, len >> 8, len & 0xff])),
    ),
    { maxLength: 4 },
  )
  .map((parts) => Buffer.concat(parts));

const chunkSizes = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });

function chunked(stream: Buffer, sizes: readonly number[]): Buffer[] {
  if (sizes.length === 0) return [stream];
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function parseAll<D extends FrameDirection>(direction: D, chunks: readonly Buffer[]) {
  const parser = new SamFrameParser(direction);
  const events = chunks.flatMap((chunk) => {
    const out = parser.push(chunk);
    expect(parser.pending()).toBeLessThanOrEqual(HEADER_LENGTH + MAX_LEN[direction]);
    return out;
  });
  return { events, parser };
}

const framesOf = <F>(events: readonly SamParseEvent<F>[]) =>
  events.flatMap((e) => (e.kind === 'frame' ? [e.frame] : []));
const discardedOf = <F>(events: readonly SamParseEvent<F>[]) =>
  events.reduce((sum, e) => sum + (e.kind === 'discarded' ? e.bytes : 0), 0);

/** True when a preamble at `i` announces a complete response of valid LEN whose XOR matches. */
function passesAsFrame(stream: Buffer, i: number): boolean {
  if (!Buffer.from(PREAMBLE).equals(stream.subarray(i, i + PREAMBLE.length))) return false;
  if (i + HEADER_LENGTH > stream.length) return false;
  const len = stream.readUInt16BE(i + OFFSET.LEN_H);
  if (len < MIN_LEN.response || len > MAX_LEN.response || i + HEADER_LENGTH + len > stream.length)
    return false;
  return checkIsValid(stream.subarray(i, i + HEADER_LENGTH + len));
}

// --- Properties -------------------------------------------------------------------------------

describe('SamFrameParser properties', () => {
  test.prop([
    fc.array(fc.tuple(cleanNoise, responseArb), { minLength: 1, maxLength: 4 }),
    cleanNoise,
    chunkSizes,
  ])(
    'any valid responses, with noise between them, in any chunking, parse back exactly',
    (pieces, tail, sizes) => {
      const stream = Buffer.concat([...pieces.flatMap(([noise, r]) => [noise, encodeResponse(r)]), tail]);
      const { events, parser } = parseAll('response', chunked(stream, sizes));
      expect(framesOf(events)).toEqual(pieces.map(([, r]) => r));
      expect(events.some((e) => e.kind === 'bad-check')).toBe(false);
      const noise = pieces.reduce((n, [x]) => n + x.length, 0) + tail.length;
      expect(discardedOf(events) + parser.pending()).toBe(noise);
    },
  );

  test.prop([fc.array(fc.tuple(dirtyNoise, responseArb), { minLength: 1, maxLength: 3 }), chunkSizes])(
    'false preambles in the noise never cost a real frame, unless one passes its own check',
    (pieces, sizes) => {
      const parts: Buffer[] = [];
      const starts: number[] = [];
      let at = 0;
      for (const [noise, response] of pieces) {
        const packet = encodeResponse(response);
        starts.push(at + noise.length);
        parts.push(noise, packet);
        at += noise.length + packet.length;
      }
      // Enough trailing bytes for any false frame to complete (its LEN may take a byte of the real
      // frame after it); otherwise the parser rightly waits for the rest of a false frame that
      // swallowed the last real one, and the session's reply timeout ends the wait.
      parts.push(Buffer.alloc(HEADER_LENGTH + MAX_LEN.response));
      const stream = Buffer.concat(parts);
      // A false preamble whose announced frame checks out is a frame as far as any parser can tell.
      const realStarts = new Set(starts);
      fc.pre(![...stream.keys()].some((i) => !realStarts.has(i) && passesAsFrame(stream, i)));
      const { events } = parseAll('response', chunked(stream, sizes));
      expect(framesOf(events)).toEqual(pieces.map(([, r]) => r));
      // Chunking changes nothing: the same stream in one piece gives the same frames and discards.
      const whole = parseAll('response', [stream]).events;
      expect(discardedOf(events)).toBe(discardedOf(whole));
      expect(events.filter((e) => e.kind === 'bad-check').length).toBe(
        whole.filter((e) => e.kind === 'bad-check').length,
      );
    },
  );

  test.prop([fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 })])(
    'random bytes never throw and never grow the buffer past one frame',
    (chunks) => {
      for (const direction of ['response', 'request'] as const) {
        expect(() =>
          parseAll(
            direction,
            chunks.map((c) => Buffer.from(c)),
          ),
        ).not.toThrow();
      }
    },
  );

  test.prop([
    fc.array(fc.record({ command: byte, parameter: byte, data: bytes(MAX_LEN.request - 3) }), {
      minLength: 1,
      maxLength: 4,
    }),
    chunkSizes,
  ])('requests parse back exactly in any chunking', (requests, sizes) => {
    const stream = Buffer.concat(requests.map((r) => encodeRequest(r)));
    expect(framesOf(parseAll('request', chunked(stream, sizes)).events)).toEqual(requests);
  });
});

// --- Text block --------------------------------------------------------------------------------

/** A BMP character other than a surrogate half (those are not characters on their own). */
const bmpChar = fc
  .integer({ min: 0, max: 0xffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCharCode(c));

/** A field value that fits its slot and does not end in padding (U+0020 or U+0000). */
const fieldValue = (chars: number) =>
  fc
    .array(bmpChar, { maxLength: chars })
    .map((a) => a.join(''))
    .filter((s) => !s.endsWith(' ') && !s.endsWith('\u0000'));

const fieldsArb = fc.record(
  Object.fromEntries(Object.entries(TEXT_FIELDS).map(([name, { chars }]) => [name, fieldValue(chars)])) as {
    [K in keyof TextFields]: fc.Arbitrary<string>;
  },
);

describe('text block properties', () => {
  test.prop([fieldsArb])(
    'encode → decode gives back every field for any BMP text within its length',
    (fields) => {
      const block = writeTextFields(fields);
      expect(block.length).toBe(256);
      expect(readTextFields(block)).toEqual(fields);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 300 })])('any bytes decode without throwing', (raw) => {
    expect(() => readTextFields(Buffer.from(raw))).not.toThrow();
  });
});
