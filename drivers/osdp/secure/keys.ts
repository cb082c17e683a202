/**
 * Key material of the OSDP Secure Channel (protocols.md §1.9; libosdp src/osdp_sc.c). All
 * AES-128-ECB without padding. Lengths are checked: keys and cryptograms 16 bytes, RND.A,
 * RND.B and cUID 8 bytes; anything else throws SecureChannelError('bad-length').
 *
 * Names follow the SIA spec: the *client* cryptogram is computed by the PD and sent in CCRYPT;
 * the *server* cryptogram is computed by the CP and sent in SCRYPT (libosdp: pd_cryptogram and
 * cp_cryptogram respectively).
 */
import { aesEcb, BLOCK } from './aes.js';
import { SecureChannelError } from './errors.js';

/** SCBK-D, the default/install key 30 31 … 3F. Shared: never mutate it. */
export const SCBK_D: Buffer = Buffer.from('303132333435363738393a3b3c3d3e3f', 'hex');

export const RANDOM_LENGTH = 8;
export const CUID_LENGTH = 8;

export interface SessionKeys {
  /** S-ENC: data encryption (0x17/0x18) and both cryptograms. */
  readonly enc: Buffer;
  /** S-MAC1: CBC-MAC key for every block but the last. */
  readonly mac1: Buffer;
  /** S-MAC2: CBC-MAC key for the last block. */
  readonly mac2: Buffer;
}

export function expectLength(b: Buffer, n: number, what: string): void {
  if (b.length !== n) throw new SecureChannelError('bad-length', `${what} is ${b.length} bytes, not ${n}`);
}

/** SCBK = AES(masterKey, cUID ‖ ~cUID): the per-PD key a CP derives from its master key. */
export function deriveScbk(masterKey: Buffer, cuid: Buffer): Buffer {
  expectLength(masterKey, BLOCK, 'master key');
  expectLength(cuid, CUID_LENGTH, 'cUID');
  const block = Buffer.alloc(BLOCK);
  for (let i = 0; i < CUID_LENGTH; i++) {
    const b = cuid[i] ?? 0;
    block[i] = b;
    block[i + CUID_LENGTH] = ~b & 0xff;
  }
  return aesEcb(masterKey, block);
}

/** S-ENC / S-MAC1 / S-MAC2 = AES(SCBK, 01 {82|01|02} RND.A[0..5] 00×8). */
export function sessionKeys(scbk: Buffer, rndA: Buffer): SessionKeys {
  expectLength(scbk, BLOCK, 'SCBK');
  expectLength(rndA, RANDOM_LENGTH, 'RND.A');
  const derive = (kind: number): Buffer => {
    const block = Buffer.alloc(BLOCK);
    block[0] = 0x01;
    block[1] = kind;
    rndA.copy(block, 2, 0, 6);
    return aesEcb(scbk, block);
  };
  return { enc: derive(0x82), mac1: derive(0x01), mac2: derive(0x02) };
}

function cryptogram(keys: SessionKeys, first: Buffer, second: Buffer): Buffer {
  expectLength(first, RANDOM_LENGTH, 'random');
  expectLength(second, RANDOM_LENGTH, 'random');
  return aesEcb(keys.enc, Buffer.concat([first, second]));
}

/** Client (PD) cryptogram = AES(S-ENC, RND.A ‖ RND.B); sent by the PD in CCRYPT. */
export function clientCryptogram(keys: SessionKeys, rndA: Buffer, rndB: Buffer): Buffer {
  return cryptogram(keys, rndA, rndB);
}

/** Server (CP) cryptogram = AES(S-ENC, RND.B ‖ RND.A); sent by the CP in SCRYPT. */
export function serverCryptogram(keys: SessionKeys, rndA: Buffer, rndB: Buffer): Buffer {
  return cryptogram(keys, rndB, rndA);
}

/** RMAC_I = AES(S-MAC2, AES(S-MAC1, server cryptogram)): the first R-MAC of the session. */
export function initialRmac(keys: SessionKeys, serverCryptogramValue: Buffer): Buffer {
  expectLength(serverCryptogramValue, BLOCK, 'server cryptogram');
  return aesEcb(keys.mac2, aesEcb(keys.mac1, serverCryptogramValue));
}

/** KEYSET (0x75) command data installing a new SCBK: type 0x01, length 16, key. */
export function keysetData(newScbk: Buffer): Buffer {
  expectLength(newScbk, BLOCK, 'new SCBK');
  return Buffer.concat([Buffer.from([0x01, BLOCK]), newScbk]);
}

/** The SCBK carried by KEYSET data; throws 'bad-length' unless it is exactly 01 10 + 16 bytes. */
export function parseKeyset(data: Buffer): Buffer {
  if (data.length !== 2 + BLOCK || data[0] !== 0x01 || data[1] !== BLOCK) {
    throw new SecureChannelError(
      'bad-length',
      `KEYSET data must be 01 10 + 16 key bytes, got ${data.length} bytes`,
    );
  }
  return Buffer.from(data.subarray(2));
}
