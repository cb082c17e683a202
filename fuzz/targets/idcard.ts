import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkIsValid,
  decodeFrame,
  encodeRequest,
  encodeResponse,
} from '../../drivers/idcard/framing/codec.js';
import { HEADER_LENGTH, MAX_LEN, MIN_LEN, PREAMBLE } from '../../drivers/idcard/framing/constants.js';
import type { FrameDirection, SamRequest, SamResponse } from '../../drivers/idcard/framing/frame.js';
import { SamFrameParser, type SamParseEvent } from '../../drivers/idcard/framing/parser.js';
import {
  COMMAND_CODES,
  decodeCommand,
  decodeReply,
  encodeCommand,
  SAM_BAUD_RATES,
  type SamCommand,
} from '../../drivers/idcard/messages.js';
import { SW3, statusInfo } from '../../drivers/idcard/status-words.js';
import { decodeTextBlock, TEXT_BLOCK_LENGTH } from '../../drivers/idcard/text-block.js';
import { defineTarget, neverThrows } from '../target.js';
import { byte, bytes, chunked, chunkSizes, noise } from './bytes.js';

/** The ID-card reader's SAM protocol (drivers/idcard): frame parser, codec, typed replies, text block. */

const HOT = [...PREAMBLE, 0x00, 0x03, 0x04, 0x05, 0x08, 0x09, 0x90, 0x9f];

const request: fc.Arbitrary<SamRequest> = fc.record(
  {
    command: byte,
    parameter: byte,
    data: bytes(0, MAX_LEN.request - 3),
  },
  { noNullPrototype: true },
);
const sw3 = fc.oneof(fc.constantFrom(...Object.values(SW3)), byte);
const response: fc.Arbitrary<SamResponse> = fc.record(
  {
    sw1: byte,
    sw2: byte,
    sw3,
    data: fc.oneof(
      { weight: 20, arbitrary: bytes(0, 40) },
      { weight: 1, arbitrary: bytes(0, MAX_LEN.response - 4) },
    ),
  },
  { noNullPrototype: true },
);

type Framed = { direction: 'request'; frame: SamRequest } | { direction: 'response'; frame: SamResponse };

const framed: fc.Arbitrary<Framed> = fc.oneof(
  request.map((frame) => ({ direction: 'request' as const, frame })),
  response.map((frame) => ({ direction: 'response' as const, frame })),
);

function encode(f: Framed): Buffer {
  return f.direction === 'request' ? encodeRequest(f.frame) : encodeResponse(f.frame);
}

function parseAll(direction: FrameDirection, chunks: readonly Buffer[]) {
  const parser = new SamFrameParser(direction);
  const events: SamParseEvent<SamRequest | SamResponse>[] = [];
  for (const chunk of chunks) {
    events.push(...neverThrows(() => parser.push(chunk)));
    assert.ok(
      parser.pending() <= HEADER_LENGTH + MAX_LEN[direction],
      `parser holds ${parser.pending()} bytes`,
    );
  }
  return { events, pending: parser.pending() };
}

const discarded = (events: readonly SamParseEvent<unknown>[]) =>
  events.reduce((n, e) => n + (e.kind === 'discarded' ? e.bytes : 0), 0);

/** Noise rich in whole preambles, often with a plausible LEN that runs over what follows. */
const samNoise = fc
  .array(
    fc.oneof(
      noise(HOT, 12),
      fc.constant(Buffer.from(PREAMBLE)),
      fc.integer({ min: 0, max: 80 }).map((len) => Buffer.from([...PREAMBLE, len >> 8, len & 0xff])),
    ),
    { maxLength: 8 },
  )
  .map((parts) => Buffer.concat(parts));

/** Whether a false frame starting before `real` passes its CHK and runs over `real` (1 in 256). */
function falseFrameOver(stream: Buffer, real: number, direction: FrameDirection): boolean {
  const preamble = Buffer.from(PREAMBLE);
  for (let i = stream.indexOf(preamble); i >= 0 && i < real; i = stream.indexOf(preamble, i + 1)) {
    if (i + HEADER_LENGTH > stream.length) continue;
    const len = stream.readUInt16BE(i + 5);
    const end = i + HEADER_LENGTH + len;
    const fits = len >= MIN_LEN[direction] && len <= MAX_LEN[direction];
    if (fits && end > real && end <= stream.length && checkIsValid(stream.subarray(i, end))) return true;
  }
  return false;
}

export const samParser = defineTarget({
  name: 'sam-parser',
  contract:
    'SamFrameParser (both directions) on noise rich in preambles and false lengths, the real frame right ' +
    'after it, in any chunks: never throws, bounded buffer, same events however chunked, every frame has a ' +
    'good CHK and re-encodes to its bytes, and the real frame is found inside whatever false frame the noise ' +
    'announced, unless a false frame over it passed its CHK (the documented 1 in 256).',
  arbitrary: fc.record({ noise: samNoise, framed, sizes: chunkSizes }, { noNullPrototype: true }),
  check({ noise: garbage, framed: f, sizes }) {
    // The zeros after the real frame complete every false one (LEN ≤ MAX_LEN); they start no preamble.
    const trailer = Buffer.alloc(HEADER_LENGTH + MAX_LEN[f.direction]);
    const stream = Buffer.concat([garbage, encode(f), trailer]);
    const whole = parseAll(f.direction, [stream]);
    const split = parseAll(f.direction, chunked(stream, sizes));
    const significant = (events: typeof whole.events) => events.filter((e) => e.kind !== 'discarded');
    assert.deepStrictEqual(
      significant(split.events),
      significant(whole.events),
      'chunking changed the events',
    );
    assert.equal(discarded(split.events), discarded(whole.events));
    assert.equal(whole.pending, 0, 'bytes left after the last frame');
    const frames = whole.events.flatMap((e) => (e.kind === 'frame' ? [e] : []));
    if (!falseFrameOver(stream, garbage.length, f.direction))
      assert.deepStrictEqual(frames.at(-1)?.frame, f.frame, 'the frame after the noise was not found');
    for (const e of frames) {
      assert.ok(checkIsValid(e.packet));
      assert.deepStrictEqual(decodeFrame(e.packet, f.direction), e.frame);
      const again =
        f.direction === 'request'
          ? encodeRequest(e.frame as SamRequest)
          : encodeResponse(e.frame as SamResponse);
      assert.deepStrictEqual(again, e.packet, 'a parsed frame does not re-encode to its packet');
    }
  },
});

const COMMANDS: SamCommand[] = [
  ...(Object.keys(COMMAND_CODES) as SamCommand['type'][])
    .filter((type) => type !== 'set-baud')
    .map((type) => ({ type }) as SamCommand),
  ...SAM_BAUD_RATES.map((baudRate): SamCommand => ({ type: 'set-baud', baudRate })),
];

/** A read reply's data: the length fields (right or wrong) and blocks of about those lengths. */
const readData = fc
  .record({
    text: fc.oneof(fc.constant(TEXT_BLOCK_LENGTH), fc.integer({ min: 0, max: 400 })),
    photo: fc.integer({ min: 0, max: 1100 }),
    fingerprint: fc.integer({ min: 0, max: 600 }),
    three: fc.boolean(),
    slack: fc.integer({ min: -3, max: 3 }),
  })
  .map(({ text, photo, fingerprint, three, slack }) => {
    const head = Buffer.alloc(three ? 6 : 4);
    head.writeUInt16BE(text, 0);
    head.writeUInt16BE(photo, 2);
    if (three) head.writeUInt16BE(fingerprint, 4);
    const body = Math.max(0, text + photo + (three ? fingerprint : 0) + slack);
    return Buffer.concat([head, Buffer.alloc(body, 0x20)]);
  });

const REPLY_TYPES = new Set(['ok', 'sam-id', 'card-found', 'card-selected', 'base-message']);
REPLY_TYPES.add('appended-address').add('refused').add('malformed');
const CARD_TYPES = new Set(['resident', 'hk-macau-taiwan-permit', 'foreign-permanent', 'unknown']);
const SEXES = new Set(['male', 'female', 'unknown', 'unspecified', 'invalid']);

export const samMessages = defineTarget({
  name: 'sam-messages',
  contract:
    'decodeCommand, decodeReply (every command against any status and data, read replies with right and ' +
    'wrong length fields), statusInfo and decodeTextBlock never throw and give typed results; a decoded ' +
    'command encodes back to its request.',
  arbitrary: fc.record(
    {
      request: fc.record(
        { command: byte, parameter: byte, data: fc.oneof(fc.constant(Buffer.alloc(0)), bytes(1, 4)) },
        { noNullPrototype: true },
      ),
      command: fc.constantFrom(...COMMANDS),
      response: fc.record(
        { sw1: byte, sw2: byte, sw3, data: fc.oneof(bytes(0, 40), readData) },
        { noNullPrototype: true },
      ),
      block: fc.oneof(bytes(0, 300), bytes(TEXT_BLOCK_LENGTH)),
    },
    { noNullPrototype: true },
  ),
  check({ request: req, command, response: res, block }) {
    const decoded = neverThrows(() => decodeCommand(req));
    if (decoded !== undefined) assert.deepStrictEqual(encodeCommand(decoded), req);
    const reply = neverThrows(() => decodeReply(command, res));
    assert.ok(REPLY_TYPES.has(reply.type), `reply type ${reply.type}`);
    if (reply.type === 'base-message') assert.equal(reply.text.length, TEXT_BLOCK_LENGTH);
    assert.equal(neverThrows(() => statusInfo(res.sw3)).code, res.sw3);
    const text = neverThrows(() => decodeTextBlock(block));
    assert.ok(CARD_TYPES.has(text.cardType) && SEXES.has(text.sex), 'untyped card text');
    assert.ok(text.name.length <= 15 && text.idNumber.length <= 18 && text.address.length <= 35);
  },
});
