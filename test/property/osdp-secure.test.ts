import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { OsdpFrame, Sequence } from '../../drivers/osdp/framing/frame.js';
import { SecureChannel } from '../../drivers/osdp/secure/channel.js';
import { SecureChannelError } from '../../drivers/osdp/secure/errors.js';
import { decryptData, encryptData } from '../../drivers/osdp/secure/mac.js';
import { decode, encode, macInput } from '../helpers/osdp-packet.js';

const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));
const key = bytes(16, 16);
const random8 = bytes(8, 8);
const payload = bytes(0, 200);

const plainFrame = fc.record({
  address: fc.integer({ min: 0, max: 0x7e }),
  sequence: fc.constantFrom<Sequence>(1, 2, 3),
  useCrc: fc.boolean(),
  code: fc.integer({ min: 0, max: 0xff }),
  data: payload,
});

/** A command and its reply, and whether each is encrypted (MAC-only otherwise). */
const exchange = fc.record({
  cmd: plainFrame,
  rep: plainFrame,
  encryptCmd: fc.boolean(),
  encryptRep: fc.boolean(),
  viaPacket: fc.boolean(),
});

type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;

const session = fc.record({ scbk: key, rndA: random8, rndB: random8, cuid: random8 });

function establish(s: { scbk: Buffer; rndA: Buffer; rndB: Buffer; cuid: Buffer }) {
  const cp = new SecureChannel({ role: 'cp', macInput, scbk: s.scbk });
  const pd = new SecureChannel({ role: 'pd', macInput, scbk: s.scbk });
  const d = pd.onChlng(cp.beginCp(s.rndA, false).data, 0x01, s.rndB, s.cuid).data;
  cp.onRmacI(pd.onScrypt(cp.onCcrypt(d.subarray(0, 8), d.subarray(8, 16), d.subarray(16)).data).data);
  return { cp, pd };
}

function asCommand(f: Of<typeof plainFrame>): OsdpFrame {
  return { ...f, reply: false };
}
function asReply(f: Of<typeof plainFrame>): OsdpFrame {
  return { ...f, reply: true };
}

describe('OSDP secure channel properties', () => {
  test.prop([key, key, payload])(
    'decryptData(encryptData(p)) = p, ciphertext padded to 16',
    (enc, lastMac, p) => {
      const cipher = encryptData(enc, lastMac, p);
      expect(cipher.length).toBe((Math.floor(p.length / 16) + 1) * 16);
      expect(decryptData(enc, lastMac, cipher)).toEqual(p);
    },
  );

  test.prop([session, fc.array(exchange, { minLength: 1, maxLength: 12 })])(
    'seal → open is the identity in both directions over any number of exchanges',
    (s, exchanges) => {
      const { cp, pd } = establish(s);
      for (const x of exchanges) {
        const cmd = asCommand(x.cmd);
        const sealed = cp.seal(cmd, { encrypt: x.encryptCmd });
        expect(pd.open(sealed, x.viaPacket ? encode(sealed) : undefined)).toEqual(cmd);
        const rep = asReply(x.rep);
        const sealedReply = pd.seal(rep, { encrypt: x.encryptRep });
        expect(cp.open(x.viaPacket ? decode(encode(sealedReply)) : sealedReply)).toEqual(rep);
      }
      expect(cp.lastCmac).toEqual(pd.lastCmac);
      expect(cp.lastRmac).toEqual(pd.lastRmac);
    },
  );

  test.prop(
    [session, fc.array(exchange, { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 0, max: 7 })],
    { numRuns: 300 },
  )('flipping any bit of a sealed message (SOM through MAC) makes open throw', (s, exchanges, at, bit) => {
    const { cp, pd } = establish(s);
    const last = exchanges.length - 1;
    for (const [i, x] of exchanges.entries()) {
      const sealed = cp.seal(asCommand(x.cmd), { encrypt: x.encryptCmd });
      if (i < last) {
        pd.open(sealed);
        cp.open(pd.seal(asReply(x.rep), { encrypt: x.encryptRep }));
        continue;
      }
      const packet = encode(sealed);
      const covered = packet.length - (sealed.useCrc ? 2 : 1); // the check is the codec's job
      const tampered = Buffer.from(packet);
      const index = at % covered;
      tampered[index] = (tampered[index] ?? 0) ^ (1 << bit);
      let frame: OsdpFrame;
      try {
        frame = decode(tampered);
      } catch {
        return; // the structure no longer parses: rejected before the secure channel
      }
      expect(() => pd.open(frame, tampered)).toThrow(SecureChannelError);
      // SOM and LEN are not frame fields: a flip there only shows in the raw packet (above).
      if (!encode(frame).equals(packet)) {
        expect(() => establishAndOpen(s, exchanges, frame)).toThrow(SecureChannelError);
      }
    }
  });
});

/** Replays the same session on fresh channels and opens `frame` (MAC input from macInput). */
function establishAndOpen(
  s: { scbk: Buffer; rndA: Buffer; rndB: Buffer; cuid: Buffer },
  exchanges: Of<typeof exchange>[],
  frame: OsdpFrame,
): OsdpFrame {
  const { cp, pd } = establish(s);
  for (const x of exchanges.slice(0, -1)) {
    pd.open(cp.seal(asCommand(x.cmd), { encrypt: x.encryptCmd }));
    cp.open(pd.seal(asReply(x.rep), { encrypt: x.encryptRep }));
  }
  return pd.open(frame);
}
