import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePacket, encodeFrame, OsdpCodecError } from '../../drivers/osdp/framing/codec.js';
import type { OsdpFrame } from '../../drivers/osdp/framing/frame.js';
import { parseCardData } from '../../drivers/osdp/messages/card-data.js';
import { COMMAND, OsdpPayloadError, REPLY } from '../../drivers/osdp/messages/codes.js';
import { decodeCommand, encodeCommand } from '../../drivers/osdp/messages/commands.js';
import { decodeReply, encodeReply } from '../../drivers/osdp/messages/replies.js';
import { SecureChannel } from '../../drivers/osdp/secure/channel.js';
import { SecureChannelError } from '../../drivers/osdp/secure/errors.js';
import { defineTarget, onlyThrows } from '../target.js';
import { byte, bytes, flipBit } from './bytes.js';
import { osdpFrame } from './osdp-framing.js';

/** OSDP message payloads (drivers/osdp/messages) and the Secure Channel (drivers/osdp/secure). */

const payload = fc.oneof(
  bytes(0, 64),
  fc.integer({ min: 1, max: 4 }).chain((n) => bytes(n * 14)),
);

export const osdpMessages = defineTarget({
  name: 'osdp-messages',
  contract:
    'decodeCommand / decodeReply on any code and payload throw only OsdpPayloadError; a decoded message ' +
    'that encodes again decodes to itself; RAW card data never throws but OsdpPayloadError.',
  arbitrary: fc.record(
    {
      reply: fc.boolean(),
      code: fc.oneof(fc.constantFrom(...Object.values(COMMAND), ...Object.values(REPLY)), byte),
      data: payload,
    },
    { noNullPrototype: true },
  ),
  check({ reply, code, data }) {
    if (reply) {
      const decoded = onlyThrows(() => decodeReply(code, data), OsdpPayloadError);
      if (!decoded.ok) return;
      const value = decoded.value;
      if (value.type === 'RAW')
        onlyThrows(() => parseCardData(value.format, value.bitCount, value.data), OsdpPayloadError);
      const again = onlyThrows(() => encodeReply(value), OsdpPayloadError);
      if (again.ok) assert.deepStrictEqual(decodeReply(again.value.code, again.value.data), value);
      return;
    }
    const decoded = onlyThrows(() => decodeCommand(code, data), OsdpPayloadError);
    if (!decoded.ok) return;
    const again = onlyThrows(() => encodeCommand(decoded.value), OsdpPayloadError);
    if (again.ok) assert.deepStrictEqual(decodeCommand(again.value.code, again.value.data), decoded.value);
  },
});

const key16 = bytes(16);
const random8 = bytes(8);

/** What happens to a sealed message on its way, or a forged one in its place. */
const exchange = fc.record(
  {
    fromCp: fc.boolean(),
    frame: osdpFrame,
    encrypt: fc.boolean(),
    damage: fc.oneof(
      { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
      fc.record(
        { kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) },
        { noNullPrototype: true },
      ),
      fc.record({ kind: fc.constant('forge' as const), frame: osdpFrame }, { noNullPrototype: true }),
    ),
  },
  { noNullPrototype: true },
);

/** A hostile peer's handshake messages: wrong lengths, wrong cryptograms, steps out of order. */
const handshakeNoise = fc.record(
  { step: fc.nat(4), a: bytes(0, 20), b: bytes(0, 20), c: bytes(0, 20) },
  { noNullPrototype: true },
);

type Pair = { cp: SecureChannel; pd: SecureChannel };

function establish(scbk: Buffer, rndA: Buffer, rndB: Buffer, cuid: Buffer): Pair {
  const cp = new SecureChannel({ role: 'cp', scbk });
  const pd = new SecureChannel({ role: 'pd', scbk });
  const ccrypt = pd.onChlng(cp.beginCp(rndA, false).data, 0x01, rndB, cuid).data;
  const scrypt = cp.onCcrypt(ccrypt.subarray(0, 8), ccrypt.subarray(8, 16), ccrypt.subarray(16)).data;
  cp.onRmacI(pd.onScrypt(scrypt).data);
  return { cp, pd };
}

/** The bytes of `packet` the MAC covers (everything but the check) are unchanged in `damaged`. */
function onlyCheckChanged(packet: Buffer, damaged: Buffer, frame: OsdpFrame): boolean {
  const covered = packet.length - (frame.useCrc ? 2 : 1);
  return packet.subarray(0, covered).equals(damaged.subarray(0, covered));
}

export const osdpSecureChannel = defineTarget({
  name: 'osdp-secure-channel',
  contract:
    'SecureChannel.open on sealed packets that are delivered, damaged (one bit) or forged throws only ' +
    'SecureChannelError, gives back exactly the sealed plaintext when nothing MACed changed, and refuses ' +
    'every change to MACed bytes; hostile handshake and KEYSET messages throw only SecureChannelError.',
  boundedCases: 150,
  arbitrary: fc.record(
    {
      keys: fc.record(
        { scbk: key16, rndA: random8, rndB: random8, cuid: random8 },
        { noNullPrototype: true },
      ),
      exchanges: fc.array(exchange, { minLength: 1, maxLength: 4 }),
      handshake: handshakeNoise,
    },
    { noNullPrototype: true },
  ),
  check({ keys, exchanges, handshake }) {
    const fresh = () => establish(keys.scbk, keys.rndA, keys.rndB, keys.cuid);
    hostileHandshake(keys.scbk, handshake);
    let pair = fresh();
    for (const x of exchanges) {
      const sender = x.fromCp ? pair.cp : pair.pd;
      const receiver = x.fromCp ? pair.pd : pair.cp;
      const { securityBlock: _s, mac: _m, ...plainFields } = x.frame;
      const plain: OsdpFrame = { ...plainFields, reply: !x.fromCp };
      const sealed = sender.seal(plain, { encrypt: x.encrypt });
      const packet = encodeFrame(sealed);
      const damaged =
        x.damage.kind === 'flip'
          ? flipBit(packet, x.damage.at, x.damage.bit)
          : x.damage.kind === 'forge'
            ? encodeFrame(x.damage.frame)
            : packet;
      const frame = onlyThrows(() => decodePacket(damaged), OsdpCodecError);
      const opened = frame.ok
        ? onlyThrows(() => receiver.open(frame.value, damaged), SecureChannelError)
        : frame;
      const intact = x.damage.kind !== 'forge' && onlyCheckChanged(packet, damaged, sealed);
      if (intact) {
        assert.ok(opened.ok, `an intact sealed packet was refused: ${opened.ok ? '' : opened.error.message}`);
        assert.deepStrictEqual(opened.value, plain);
      } else if (opened.ok && x.damage.kind === 'flip') {
        assert.fail('a packet with a changed MACed byte was accepted');
      }
      // A refusal resets the receiver; a forged message leaves the sender's MAC chain ahead.
      if (!opened.ok || x.damage.kind === 'forge') pair = fresh();
    }
  },
});

function hostileHandshake(scbk: Buffer, h: { step: number; a: Buffer; b: Buffer; c: Buffer }): void {
  const cp = new SecureChannel({ role: 'cp', scbk });
  const pd = new SecureChannel({ role: 'pd', scbk });
  const steps: (() => unknown)[] = [
    () => pd.onChlng(h.a, h.b[0] ?? 1, h.b, h.c),
    () => cp.onCcrypt(h.a, h.b, h.c),
    () => {
      cp.beginCp(Buffer.alloc(8, 1), false);
      return cp.onCcrypt(h.a, h.b, h.c);
    },
    () => {
      pd.onChlng(Buffer.alloc(8, 2), 1, Buffer.alloc(8, 3), Buffer.alloc(8, 4));
      return pd.onScrypt(h.a);
    },
    () => establish(scbk, Buffer.alloc(8, 5), Buffer.alloc(8, 6), Buffer.alloc(8, 7)).pd.onKeyset(h.a),
  ];
  onlyThrows(steps[h.step] ?? (() => undefined), SecureChannelError);
}
