import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as codec from '../../drivers/osdp/framing/codec.js';
import type { OsdpFrame, Sequence } from '../../drivers/osdp/framing/frame.js';
import { CMD_KEYSET, mayBePlain, SCB } from '../../drivers/osdp/secure/blocks.js';
import { SecureChannel, type SecureChannelOptions } from '../../drivers/osdp/secure/channel.js';
import { SecureChannelError, type SecureChannelReason } from '../../drivers/osdp/secure/errors.js';
import {
  clientCryptogram,
  deriveScbk,
  initialRmac,
  keysetData,
  SCBK_D,
  serverCryptogram,
  sessionKeys,
} from '../../drivers/osdp/secure/keys.js';
import { computeMac, decryptData, encryptData } from '../../drivers/osdp/secure/mac.js';
import { ANNEX_E, hex, NIST, OSDP_DATA, OSDP_MAC } from '../fixtures/osdp/secure-vectors.hex.js';
import { decode, encode, macInput } from '../helpers/osdp-packet.js';

const CUID = hex('5C 26 23 01 E8 03 00 00');
const KEY_A = hex('00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF');
const KEY_B = hex('FF EE DD CC BB AA 99 88 77 66 55 44 33 22 11 00');

function expectReason(fn: () => unknown, reason: SecureChannelReason): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SecureChannelError);
  expect((caught as SecureChannelError).reason).toBe(reason);
}

type Extra = Omit<SecureChannelOptions, 'role' | 'macInput'>;

/** Runs the four-message handshake between a fresh CP and PD and returns both. */
function establish(cpOpts: Extra = { scbk: KEY_A }, pdOpts: Extra = { scbk: KEY_A }, useDefault = false) {
  const cp = new SecureChannel({ role: 'cp', macInput, ...cpOpts });
  const pd = new SecureChannel({ role: 'pd', macInput, ...pdOpts });
  const chlng = cp.beginCp(ANNEX_E.rndA, useDefault);
  const keyByte = chlng.securityBlock.data[0] ?? 0xff;
  const ccrypt = pd.onChlng(chlng.data, keyByte, ANNEX_E.rndB, CUID);
  const d = ccrypt.data;
  const scrypt = cp.onCcrypt(d.subarray(0, 8), d.subarray(8, 16), d.subarray(16, 32));
  const rmacI = pd.onScrypt(scrypt.data);
  cp.onRmacI(rmacI.data);
  return { cp, pd, chlng, ccrypt, scrypt, rmacI };
}

function command(code: number, data: Buffer, sequence: Sequence = 1, useCrc = true): OsdpFrame {
  return { address: 3, reply: false, sequence, useCrc, code, data };
}
function reply(code: number, data: Buffer, sequence: Sequence = 1, useCrc = true): OsdpFrame {
  return { address: 3, reply: true, sequence, useCrc, code, data };
}

describe('SIA OSDP 2.2 Annex E secure-channel vector', () => {
  const keys = sessionKeys(ANNEX_E.scbk, ANNEX_E.rndA);

  it('SCBK-D is 30..3F', () => expect(SCBK_D).toEqual(ANNEX_E.scbk));
  it('derives S-ENC, S-MAC1 and S-MAC2', () => {
    expect(keys.enc.toString('hex')).toBe(ANNEX_E.sEnc.toString('hex'));
    expect(keys.mac1.toString('hex')).toBe(ANNEX_E.sMac1.toString('hex'));
    expect(keys.mac2.toString('hex')).toBe(ANNEX_E.sMac2.toString('hex'));
  });
  it('computes the server and client cryptograms and RMAC_I', () => {
    const server = serverCryptogram(keys, ANNEX_E.rndA, ANNEX_E.rndB);
    expect(server.toString('hex')).toBe(ANNEX_E.serverCryptogram.toString('hex'));
    expect(clientCryptogram(keys, ANNEX_E.rndA, ANNEX_E.rndB)).toEqual(ANNEX_E.clientCryptogram);
    expect(initialRmac(keys, server)).toEqual(ANNEX_E.rmacI);
  });
  it('a CP↔PD handshake on SCBK-D sends exactly the Annex E values', () => {
    const { cp, pd, chlng, ccrypt, scrypt, rmacI } = establish({}, { installMode: true }, true);
    expect(chlng.securityBlock).toEqual({ type: 0x11, data: hex('00') });
    expect(ccrypt.securityBlock).toEqual({ type: 0x12, data: hex('00') });
    expect(ccrypt.data).toEqual(Buffer.concat([CUID, ANNEX_E.rndB, ANNEX_E.clientCryptogram]));
    expect(scrypt).toEqual({
      securityBlock: { type: 0x13, data: hex('00') },
      data: ANNEX_E.serverCryptogram,
    });
    expect(rmacI).toEqual({ securityBlock: { type: 0x14, data: hex('01') }, data: ANNEX_E.rmacI });
    expect([cp.established, pd.established, cp.usingDefaultKey, pd.usingDefaultKey]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(cp.lastRmac).toEqual(ANNEX_E.rmacI);
    expect(pd.lastRmac).toEqual(ANNEX_E.rmacI);
  });
  it('SCBK from a master key is AES(MK, cUID ‖ ~cUID)', () => {
    const block = Buffer.concat([CUID, Buffer.from(CUID.map((b) => ~b & 0xff))]);
    const c = createCipheriv('aes-128-ecb', KEY_A, null).setAutoPadding(false);
    expect(deriveScbk(KEY_A, CUID)).toEqual(Buffer.concat([c.update(block), c.final()]));
    expect(deriveScbk(KEY_A, CUID)).not.toEqual(deriveScbk(KEY_A, hex('5C 26 23 01 E8 03 00 01')));
  });
});

describe('MAC and data encryption vectors (libosdp test-sc.c, NIST SP 800-38A F.2.1)', () => {
  const macKeys = { mac1: NIST.key, mac2: NIST.key };
  it('MACs one block without a padding block', () => {
    expect(computeMac(macKeys, NIST.iv, OSDP_MAC.oneBlock.input)).toEqual(OSDP_MAC.oneBlock.mac);
  });
  it('MACs four blocks: S-MAC1 chain then S-MAC2 on the last', () => {
    expect(computeMac(macKeys, NIST.iv, OSDP_MAC.fourBlocks.input)).toEqual(OSDP_MAC.fourBlocks.mac);
  });
  it('pads a partial block with 0x80', () => {
    expect(computeMac(macKeys, NIST.iv, OSDP_MAC.partial.input)).toEqual(OSDP_MAC.partial.mac);
  });
  it('uses S-MAC2 (not S-MAC1) for the last block', () => {
    expect(computeMac({ mac1: NIST.key, mac2: KEY_A }, NIST.iv, NIST.plain)).not.toEqual(
      OSDP_MAC.fourBlocks.mac,
    );
  });
  for (const name of ['fifteen', 'sixteen', 'empty'] as const) {
    it(`encrypts and decrypts ${name} bytes with IV = ~last MAC`, () => {
      const v = OSDP_DATA[name];
      expect(encryptData(NIST.key, OSDP_DATA.lastMac, v.plain)).toEqual(v.cipher);
      expect(decryptData(NIST.key, OSDP_DATA.lastMac, v.cipher)).toEqual(v.plain);
    });
  }
  it('refuses ciphertext that is empty or not a multiple of 16', () => {
    expectReason(() => decryptData(NIST.key, OSDP_DATA.lastMac, Buffer.alloc(15)), 'bad-length');
    expectReason(() => decryptData(NIST.key, OSDP_DATA.lastMac, Buffer.alloc(0)), 'bad-length');
  });
  it('refuses plaintext without the end marker', () => {
    const c = createCipheriv('aes-128-cbc', NIST.key, NIST.iv).setAutoPadding(false);
    const noMarker = Buffer.concat([c.update(Buffer.alloc(16)), c.final()]);
    expectReason(() => decryptData(NIST.key, OSDP_DATA.lastMac, noMarker), 'bad-padding');
  });
  it('refuses a marker followed by more than 15 zeros (stricter than libosdp)', () => {
    const c = createCipheriv('aes-128-cbc', NIST.key, NIST.iv).setAutoPadding(false);
    const plain = Buffer.concat([hex('01 02 80'), Buffer.alloc(29)]);
    const cipher = Buffer.concat([c.update(plain), c.final()]);
    expectReason(() => decryptData(NIST.key, OSDP_DATA.lastMac, cipher), 'bad-padding');
  });
});

describe('SecureChannel sessions', () => {
  it('carries many commands and replies, encrypted and MAC-only, keeping both chains equal', () => {
    const { cp, pd } = establish();
    for (let i = 0; i < 40; i++) {
      const sequence = ((i % 3) + 1) as Sequence;
      const cmd = command(0x60 + (i % 16), Buffer.alloc(i % 4 === 0 ? 0 : i * 3, i), sequence, i % 2 === 0);
      const sealed = cp.seal(cmd, { encrypt: i % 5 !== 1 });
      const expectedType = cmd.data.length === 0 || i % 5 === 1 ? SCB.CMD_MAC : SCB.CMD_ENC;
      expect(sealed.securityBlock?.type).toBe(expectedType);
      if (expectedType === SCB.CMD_ENC) expect(sealed.data.length % 16).toBe(0);
      expect(pd.open(sealed, i % 3 === 0 ? encode(sealed) : undefined)).toEqual(cmd);
      expect(pd.lastCmac).toEqual(cp.lastCmac);

      const rep = reply(0x40 + (i % 8), Buffer.alloc(i % 3 === 0 ? 0 : 17 + i, 255 - i), sequence);
      const sealedReply = pd.seal(rep);
      expect(sealedReply.securityBlock?.type).toBe(rep.data.length ? SCB.REPLY_ENC : SCB.REPLY_MAC);
      expect(cp.open(sealedReply, Buffer.concat([hex('FF'), encode(sealedReply)]))).toEqual(rep);
      expect(cp.lastRmac).toEqual(pd.lastRmac);
    }
  });

  it('defaults to the codec: its macInput and packets agree with the test helper', () => {
    const cp = new SecureChannel({ role: 'cp', scbk: KEY_A });
    const pd = new SecureChannel({ role: 'pd', scbk: KEY_A });
    const d = pd.onChlng(cp.beginCp(ANNEX_E.rndA, false).data, 1, ANNEX_E.rndB, CUID).data;
    cp.onRmacI(pd.onScrypt(cp.onCcrypt(d.subarray(0, 8), d.subarray(8, 16), d.subarray(16)).data).data);
    for (const data of [Buffer.alloc(0), hex('00 05 32 00'), Buffer.alloc(40, 7)]) {
      const cmd = command(0x68, data, 2, data.length !== 4);
      const sealed = cp.seal(cmd);
      expect(codec.macInput(sealed)).toEqual(macInput(sealed));
      const packet = codec.encodeFrame(sealed, { mark: true });
      expect(pd.open(codec.decodePacket(packet.subarray(1)), packet)).toEqual(cmd);
      const rep = reply(0x45, data, 2);
      expect(cp.open(pd.seal(rep))).toEqual(rep);
    }
  });

  it('chains commands on the last R-MAC and replies on the last C-MAC', () => {
    const { cp, pd } = establish();
    const rmacBefore = cp.lastRmac;
    const sealed = cp.seal(command(0x6a, hex('00 02 05 05 01')));
    const keys = sessionKeys(KEY_A, ANNEX_E.rndA);
    const full = computeMac(keys, rmacBefore, macInput(sealed));
    expect(sealed.mac).toEqual(full.subarray(0, 4));
    expect(cp.lastCmac).toEqual(full);
    expect(decryptData(keys.enc, rmacBefore, sealed.data)).toEqual(hex('00 02 05 05 01'));
    pd.open(sealed);
    const sealedReply = pd.seal(reply(0x40, Buffer.alloc(0)));
    expect(sealedReply.mac).toEqual(computeMac(keys, full, macInput(sealedReply)).subarray(0, 4));
  });

  it('detects a change of any single byte of a sealed command (and tears the session down)', () => {
    const cmd = command(0x6b, Buffer.from('HELLO GATE 7'));
    const packet = encode(establish().cp.seal(cmd));
    for (let i = 0; i < packet.length - 2; i++) {
      const { cp, pd } = establish();
      const tampered = Buffer.from(encode(cp.seal(cmd)));
      expect(tampered).toEqual(packet);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      let frame: OsdpFrame;
      try {
        frame = decode(tampered);
      } catch {
        continue; // structure broken: the codec rejects it before the channel sees it
      }
      expect(() => pd.open(frame, tampered), `byte ${i}`).toThrow(SecureChannelError);
      expect(() => pd.open(frame), `byte ${i} via macInput`).toThrow(SecureChannelError);
    }
    const { cp, pd } = establish();
    const sealed = cp.seal(cmd);
    expectReason(
      () => pd.open({ ...sealed, data: Buffer.from(sealed.data.map((b, j) => (j ? b : b ^ 1))) }),
      'mac-mismatch',
    );
    expect(pd.established).toBe(false);

    // `packet` must be the bytes the frame was decoded from: its MAC bytes are checked too.
    const other = establish();
    const ok = other.cp.seal(cmd);
    const wrongMac = encode({ ...ok, mac: Buffer.from([0, 0, 0, 0]) });
    expectReason(() => other.pd.open(ok, wrongMac), 'mac-mismatch');
  });

  it('fails the handshake with a clear reason when the two sides hold different SCBKs', () => {
    const cp = new SecureChannel({ role: 'cp', macInput, scbk: KEY_A });
    const pd = new SecureChannel({ role: 'pd', macInput, scbk: KEY_B });
    const chlng = cp.beginCp(ANNEX_E.rndA, false);
    const d = pd.onChlng(chlng.data, 0x01, ANNEX_E.rndB, CUID).data;
    expectReason(
      () => cp.onCcrypt(d.subarray(0, 8), d.subarray(8, 16), d.subarray(16)),
      'cryptogram-mismatch',
    );
    expect(cp.established).toBe(false);
    expectReason(() => cp.onRmacI(ANNEX_E.rmacI), 'wrong-state');

    // The PD side catches a CP that sends a cryptogram made with another key.
    const wrongCp = new SecureChannel({ role: 'cp', macInput, scbk: KEY_B });
    wrongCp.beginCp(ANNEX_E.rndA, false);
    const forged = serverCryptogram(sessionKeys(KEY_A, ANNEX_E.rndA), ANNEX_E.rndA, ANNEX_E.rndB);
    expect(forged).not.toEqual(
      serverCryptogram(sessionKeys(KEY_B, ANNEX_E.rndA), ANNEX_E.rndA, ANNEX_E.rndB),
    );
    expectReason(() => pd.onScrypt(forged), 'cryptogram-mismatch');
    expect(pd.established).toBe(false);
  });

  it('derives the SCBK from the master key on the CP side', () => {
    const { cp } = establish({ masterKey: KEY_B }, { scbk: deriveScbk(KEY_B, CUID) });
    expect(cp.established).toBe(true);
    expect(cp.cuid).toEqual(CUID);
  });

  it('refuses SCBK-D outside install mode and a missing SCBK', () => {
    const pd = new SecureChannel({ role: 'pd', macInput, scbk: KEY_A });
    expectReason(() => pd.onChlng(ANNEX_E.rndA, 0x00, ANNEX_E.rndB, CUID), 'key-unavailable');
    const bare = new SecureChannel({ role: 'pd', macInput });
    expectReason(() => bare.onChlng(ANNEX_E.rndA, 0x01, ANNEX_E.rndB, CUID), 'key-unavailable');
    const cp = new SecureChannel({ role: 'cp', macInput });
    cp.beginCp(ANNEX_E.rndA, false);
    expectReason(() => cp.onCcrypt(CUID, ANNEX_E.rndB, ANNEX_E.clientCryptogram), 'key-unavailable');
  });

  it('rejects a wrong RMAC_I', () => {
    const cp = new SecureChannel({ role: 'cp', macInput, scbk: KEY_A });
    const pd = new SecureChannel({ role: 'pd', macInput, scbk: KEY_A });
    const d = pd.onChlng(cp.beginCp(ANNEX_E.rndA, false).data, 1, ANNEX_E.rndB, CUID).data;
    cp.onCcrypt(d.subarray(0, 8), d.subarray(8, 16), d.subarray(16));
    expectReason(() => cp.onRmacI(ANNEX_E.rmacI), 'rmac-mismatch');
  });

  it('rejects a replayed old command', () => {
    const { cp, pd } = establish();
    const first = cp.seal(command(0x68, hex('00 05 32 00'), 1));
    pd.open(first);
    cp.open(pd.seal(reply(0x40, Buffer.alloc(0), 1)));
    pd.open(cp.seal(command(0x60, Buffer.alloc(0), 2)));
    cp.open(pd.seal(reply(0x40, Buffer.alloc(0), 2)));
    expectReason(() => pd.open(first), 'mac-mismatch');
  });

  it('supports retries by resending the sealed bytes verbatim', () => {
    const { cp, pd } = establish();
    const cmd = command(0x68, hex('00 05 32 00'), 2);
    const cmdBytes = encode(cp.seal(cmd));
    expect(encode(cp.seal(cmd))).toEqual(cmdBytes); // sealing again before the reply is idempotent

    // The command is lost: the PD opens the verbatim resend.
    expect(pd.open(decode(cmdBytes), cmdBytes)).toEqual(cmd);
    const replyBytes = encode(pd.seal(reply(0x40, Buffer.alloc(0), 2)));
    // The reply is lost: the CP resends; the PD sees the same SQN and resends its cached reply.
    // Opening the repeat instead would fail (the chain moved on) — hence the SQN check first.
    const probe = establish();
    const probeBytes = encode(probe.cp.seal(cmd));
    probe.pd.open(decode(probeBytes));
    probe.pd.seal(reply(0x40, Buffer.alloc(0), 2));
    expectReason(() => probe.pd.open(decode(probeBytes)), 'mac-mismatch');
    expect(cp.open(decode(replyBytes), replyBytes)).toEqual(reply(0x40, Buffer.alloc(0), 2));
    expect(pd.open(cp.seal(command(0x60, Buffer.alloc(0), 3)))).toEqual(command(0x60, Buffer.alloc(0), 3));
  });

  it('installs a new SCBK with KEYSET after an SCBK-D session', () => {
    const { cp, pd } = establish({}, { installMode: true }, true);
    expect(cp.usingDefaultKey).toBe(true);
    const data = cp.keysetCommand(KEY_B);
    expect(data).toEqual(keysetData(KEY_B));
    expect(pd.onKeyset(pd.open(cp.seal(command(CMD_KEYSET, data))).data)).toEqual(KEY_B);
    const ack = reply(0x40, Buffer.alloc(0));
    expect(mayBePlain(ack, CMD_KEYSET)).toBe(true);
    expect(mayBePlain(ack)).toBe(false);
    cp.installScbk(KEY_B);
    cp.reset();
    pd.reset();
    const chlng = cp.beginCp(hex('01 02 03 04 05 06 07 08'), false);
    const d = pd.onChlng(chlng.data, 1, hex('11 12 13 14 15 16 17 18'), CUID).data;
    cp.onRmacI(pd.onScrypt(cp.onCcrypt(d.subarray(0, 8), d.subarray(8, 16), d.subarray(16)).data).data);
    expect([cp.established, cp.usingDefaultKey]).toEqual([true, false]);
    expect(cp.open(pd.seal(reply(0x45, hex('5C 26 23 01 E8 03 00 00 01 02 03 04'))))).toEqual(
      reply(0x45, hex('5C 26 23 01 E8 03 00 00 01 02 03 04')),
    );
  });

  it('KEYSET with a derived key needs the master key', () => {
    expectReason(() => establish().cp.keysetCommand(), 'key-unavailable');
    const { cp } = establish({ masterKey: KEY_B, scbk: KEY_A });
    expect(cp.keysetCommand()).toEqual(keysetData(deriveScbk(KEY_B, CUID)));
  });

  it('lets plain NAK and BUSY through on the CP, nothing else', () => {
    const { cp, pd } = establish();
    cp.seal(command(0x60, Buffer.alloc(0)));
    const nak = reply(0x41, hex('06'));
    expect(cp.open(nak)).toBe(nak);
    expect(cp.open(reply(0x79, Buffer.alloc(0), 0))).toEqual(reply(0x79, Buffer.alloc(0), 0));
    expectReason(() => cp.open(reply(0x40, Buffer.alloc(0))), 'unexpected-plaintext');
    expectReason(() => pd.open(command(0x60, Buffer.alloc(0))), 'unexpected-plaintext');
    expect(mayBePlain(command(0x41, Buffer.alloc(0)))).toBe(false);
  });

  it('refuses to seal or open secured frames without a session; plain frames pass', () => {
    const { cp } = establish();
    const sealed = cp.seal(command(0x60, Buffer.alloc(0)));
    const pd = new SecureChannel({ role: 'pd', macInput, scbk: KEY_A });
    expectReason(() => pd.open(sealed), 'not-established');
    expectReason(() => pd.seal(reply(0x40, Buffer.alloc(0))), 'not-established');
    expect(pd.open(command(0x60, Buffer.alloc(0)))).toEqual(command(0x60, Buffer.alloc(0)));
    cp.reset();
    expect(cp.established).toBe(false);
    expectReason(() => cp.seal(command(0x60, Buffer.alloc(0))), 'not-established');
  });

  it('checks direction, block types and handshake order', () => {
    const { cp, pd } = establish();
    expectReason(() => cp.seal(reply(0x40, Buffer.alloc(0))), 'wrong-direction');
    expectReason(() => pd.open(pd.seal(reply(0x40, Buffer.alloc(0)))), 'wrong-direction');
    const sealed = cp.seal(command(0x60, Buffer.alloc(0)));
    expectReason(
      () => pd.open({ ...sealed, securityBlock: { type: SCB.REPLY_MAC, data: Buffer.alloc(0) } }),
      'unexpected-block',
    );
    expectReason(() => cp.seal(sealed), 'unexpected-block');
    const chlng = { ...command(0x76, ANNEX_E.rndA), securityBlock: { type: SCB.CHLNG, data: hex('01') } };
    expectReason(() => pd.open(chlng), 'unexpected-block');
    expectReason(() => pd.beginCp(ANNEX_E.rndA, false), 'wrong-state');
    expectReason(() => new SecureChannel({ role: 'cp', macInput }).onRmacI(ANNEX_E.rmacI), 'wrong-state');
    expectReason(
      () => new SecureChannel({ role: 'pd', macInput }).onScrypt(ANNEX_E.serverCryptogram),
      'wrong-state',
    );
    expectReason(() => cp.beginCp(Buffer.alloc(7), false), 'bad-length');
  });
});
