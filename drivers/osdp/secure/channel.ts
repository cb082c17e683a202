/**
 * The OSDP Secure Channel session for one CP↔PD pair (protocols.md §1.9; libosdp src/osdp_sc.c,
 * osdp_phy.c). Pure and synchronous: no I/O, no timers, no randomness — the caller supplies
 * RND.A / RND.B and runs the 8 s SC timeout (OSDP_PD_SC_TIMEOUT_MS) itself, calling reset().
 *
 * MAC chain. Every sealed message gets a 16-byte MAC; its first 4 bytes are sent and the full
 * value is stored: a command's MAC becomes the last C-MAC, a reply's the last R-MAC.
 * - Command (CP seals, PD opens): MAC IV = last R-MAC; encryption IV = ~last R-MAC; stores C-MAC.
 * - Reply   (PD seals, CP opens): MAC IV = last C-MAC; encryption IV = ~last C-MAC; stores R-MAC.
 * The first R-MAC is RMAC_I, so the first command is chained on it.
 *
 * Retries. seal() depends only on the frame and the MAC from the other direction, so sealing
 * the same command twice before its reply gives the same bytes; still, seal once per *new*
 * message and resend the bytes:
 * - CP: keeps the encoded bytes of its last command and, on a reply timeout, resends them
 *   verbatim with the same SQN (no new seal()). It seals the next command only after open()
 *   accepted a reply.
 * - PD: checks the SQN *before* open(). Same SQN as the previous command ⇒ resend the cached
 *   reply bytes verbatim without calling open() or seal() (opening the repeat would fail the MAC,
 *   since the chain already moved on, and tear the session down). SQN 0 ⇒ reset().
 *   Conversely open() accepts the same command again while the PD has sealed no reply since (the
 *   chain only moves on MACed messages), so the SQN check is what prevents executing it twice.
 *
 * Failures. A MAC or padding failure in open() and a failed handshake check (cryptogram,
 * RMAC_I) reset the session before throwing, as libosdp does ("discarding SC"); beginCp() and
 * onChlng() always drop the previous session. Other errors leave the state unchanged.
 * Handshake frames (SCB 0x11–0x14) are not for open(): route them to the handshake methods.
 */
import { macInput as codecMacInput } from '../framing/codec.js';
import type { OsdpFrame, SecurityBlock } from '../framing/frame.js';
import { sameBytes } from './aes.js';
import {
  isHandshake,
  isSecured,
  KEY_BYTE_SCBK,
  KEY_BYTE_SCBK_D,
  mayBePlain,
  RMAC_I_ACCEPTED,
  SCB,
} from './blocks.js';
import { SecureChannelError } from './errors.js';
import {
  CUID_LENGTH,
  clientCryptogram,
  deriveScbk,
  expectLength,
  initialRmac,
  keysetData,
  parseKeyset,
  RANDOM_LENGTH,
  SCBK_D,
  type SessionKeys,
  serverCryptogram,
  sessionKeys,
} from './keys.js';
import { computeMac, decryptData, encryptData } from './mac.js';

/**
 * Packet bytes from SOM (mark byte excluded) up to, not including, the MAC, with LEN counting
 * the 4 MAC bytes and the check byte(s). seal() passes a frame whose `mac` is 4 zero bytes.
 */
export type MacInputFn = (frame: OsdpFrame) => Buffer;

export type SecureChannelRole = 'cp' | 'pd';

export interface SecureChannelOptions {
  role: SecureChannelRole;
  /** MAC input builder; defaults to codec.ts `macInput`. Tests may inject their own. */
  macInput?: MacInputFn;
  /** SCBK of this PD: on a CP the key it believes the PD holds; on a PD its installed key. */
  scbk?: Buffer;
  /** CP only: when `scbk` is absent, SCBK = deriveScbk(masterKey, cUID from CCRYPT). */
  masterKey?: Buffer;
  /**
   * CP only: the site master key before the last rotation. A handshake begun with
   * `beginCp(…, false, true)` uses the key derived from it, so a PD still on its old key can be
   * moved to the new one with KEYSET (pd-link.ts).
   */
  previousMasterKey?: Buffer;
  /** PD only: accept a CHLNG asking for SCBK-D (libosdp OSDP_FLAG_INSTALL_MODE). Default false. */
  installMode?: boolean;
}

/** What a handshake step sends next: the frame's security block and its data (after the code). */
export interface HandshakeMessage {
  securityBlock: SecurityBlock;
  data: Buffer;
}

type Phase = 'idle' | 'chlng-sent' | 'ccrypt-sent' | 'scrypt-sent' | 'established';

const NO_MAC = Buffer.alloc(16);
const MAC_ON_WIRE = 4;

export class SecureChannel {
  readonly role: SecureChannelRole;
  private readonly macInput: MacInputFn;
  private masterKey: Buffer | undefined;
  private previousMasterKey: Buffer | undefined;
  /** This handshake uses the key derived from the previous master key. */
  private previousKey = false;
  private readonly installMode: boolean;
  private scbk: Buffer | undefined;

  private phase: Phase = 'idle';
  private defaultKey = false;
  private rndA: Buffer | undefined;
  private rndB: Buffer | undefined;
  private clientUid: Buffer | undefined;
  private keys: SessionKeys | undefined;
  private serverCrypt: Buffer | undefined;
  private cmac: Buffer = NO_MAC;
  private rmac: Buffer = NO_MAC;

  constructor(options: SecureChannelOptions) {
    this.role = options.role;
    this.macInput = options.macInput ?? codecMacInput;
    if (options.scbk) expectLength(options.scbk, 16, 'SCBK');
    if (options.masterKey) expectLength(options.masterKey, 16, 'master key');
    this.scbk = options.scbk && Buffer.from(options.scbk);
    this.masterKey = options.masterKey && Buffer.from(options.masterKey);
    if (options.previousMasterKey) expectLength(options.previousMasterKey, 16, 'previous master key');
    this.previousMasterKey = options.previousMasterKey && Buffer.from(options.previousMasterKey);
    this.installMode = options.installMode ?? false;
  }

  get established(): boolean {
    return this.phase === 'established';
  }
  /** True when the current (or pending) session runs on SCBK-D: the CP should send KEYSET. */
  get usingDefaultKey(): boolean {
    return this.defaultKey;
  }
  /** cUID of the PD from the current handshake (input of deriveScbk). */
  get cuid(): Buffer | undefined {
    return this.clientUid && Buffer.from(this.clientUid);
  }
  /** Copies of the chain values, for diagnostics and tests. */
  get lastCmac(): Buffer {
    return Buffer.from(this.cmac);
  }
  get lastRmac(): Buffer {
    return Buffer.from(this.rmac);
  }

  /** Drops the session (SC timeout, SQN 0 on the PD, failed handshake). Configured keys stay. */
  reset(): void {
    this.phase = 'idle';
    this.defaultKey = false;
    this.previousKey = false;
    this.rndA = this.rndB = this.clientUid = this.keys = this.serverCrypt = undefined;
    this.cmac = this.rmac = NO_MAC;
  }

  /** Sets the SCBK for the *next* handshake; the running session keeps its session keys. */
  installScbk(scbk: Buffer): void {
    expectLength(scbk, 16, 'SCBK');
    this.scbk = Buffer.from(scbk);
  }

  /** CP only: a rotated site master key and the one before it, for the next handshake. */
  setMasterKeys(masterKey: Buffer, previousMasterKey: Buffer | undefined): void {
    expectLength(masterKey, 16, 'master key');
    if (previousMasterKey) expectLength(previousMasterKey, 16, 'previous master key');
    this.masterKey = Buffer.from(masterKey);
    this.previousMasterKey = previousMasterKey && Buffer.from(previousMasterKey);
  }

  /** CP only: whether a previous master key is there to try when the PD refuses the current one. */
  get hasPreviousMasterKey(): boolean {
    return this.previousMasterKey !== undefined && this.scbk === undefined;
  }

  // ---- CP side handshake --------------------------------------------------------------------

  /**
   * Starts a handshake (dropping any session): CHLNG (0x76) with SCB 0x11 and data RND.A.
   * `usePreviousKey`: with the SCBK derived from the previous master key (a PD not yet moved).
   */
  beginCp(rndA: Buffer, useDefaultKey: boolean, usePreviousKey = false): HandshakeMessage {
    this.requireRole('cp', 'beginCp');
    expectLength(rndA, RANDOM_LENGTH, 'RND.A');
    this.reset();
    this.rndA = Buffer.from(rndA);
    this.defaultKey = useDefaultKey;
    this.previousKey = usePreviousKey && !useDefaultKey;
    this.phase = 'chlng-sent';
    return { securityBlock: block(SCB.CHLNG, this.keyByte()), data: Buffer.from(rndA) };
  }

  /**
   * Checks the PD's CCRYPT; returns SCRYPT (0x77) with SCB 0x13 and the server cryptogram.
   * Throws 'cryptogram-mismatch' (session reset) when the PD uses another key — libosdp then
   * retries once with SCBK-D — and 'key-unavailable' when no SCBK or master key is configured.
   */
  onCcrypt(cuid: Buffer, rndB: Buffer, clientCrypt: Buffer): HandshakeMessage {
    this.requirePhase('cp', 'chlng-sent', 'onCcrypt');
    expectLength(cuid, CUID_LENGTH, 'cUID');
    expectLength(rndB, RANDOM_LENGTH, 'RND.B');
    expectLength(clientCrypt, 16, 'client cryptogram');
    const rndA = this.rndA as Buffer;
    const keys = sessionKeys(this.cpKey(cuid), rndA);
    if (!sameBytes(clientCryptogram(keys, rndA, rndB), clientCrypt)) {
      this.reset();
      throw new SecureChannelError('cryptogram-mismatch', 'client cryptogram from the PD in CCRYPT');
    }
    this.clientUid = Buffer.from(cuid);
    this.rndB = Buffer.from(rndB);
    this.keys = keys;
    this.serverCrypt = serverCryptogram(keys, rndA, this.rndB);
    this.phase = 'scrypt-sent';
    return { securityBlock: block(SCB.SCRYPT, this.keyByte()), data: Buffer.from(this.serverCrypt) };
  }

  /**
   * Checks RMAC_I (reply 0x78, SCB 0x14 data 0x01) and establishes the session; RMAC_I becomes
   * the last R-MAC. On SCB data 0xFF (PD rejected us) the caller calls reset() instead.
   */
  onRmacI(rmacI: Buffer): void {
    this.requirePhase('cp', 'scrypt-sent', 'onRmacI');
    expectLength(rmacI, 16, 'RMAC_I');
    if (!sameBytes(initialRmac(this.keys as SessionKeys, this.serverCrypt as Buffer), rmacI)) {
      this.reset();
      throw new SecureChannelError('rmac-mismatch');
    }
    this.rmac = Buffer.from(rmacI);
    this.phase = 'established';
  }

  /**
   * KEYSET (0x75) data for the running session; without `newScbk` it derives one from the master
   * key and cUID. After the PD ACKs (possibly in plaintext, see mayBePlain), the CP calls
   * installScbk(newScbk), reset() and beginCp(…, false).
   */
  keysetCommand(newScbk?: Buffer): Buffer {
    this.requirePhase('cp', 'established', 'keysetCommand');
    if (newScbk) return keysetData(newScbk);
    if (!this.masterKey)
      throw new SecureChannelError('key-unavailable', 'no master key to derive a new SCBK');
    return keysetData(deriveScbk(this.masterKey, this.clientUid as Buffer));
  }

  // ---- PD side handshake --------------------------------------------------------------------

  /**
   * Answers CHLNG (always restarting the handshake): CCRYPT (0x76) with SCB 0x12 and
   * cUID ‖ RND.B ‖ client cryptogram. `keyByte` is the CHLNG SCB data byte. Throws
   * 'key-unavailable' for SCBK-D outside install mode or when no SCBK is installed.
   */
  onChlng(rndA: Buffer, keyByte: number, pdRandom: Buffer, cuid: Buffer): HandshakeMessage {
    this.requireRole('pd', 'onChlng');
    expectLength(rndA, RANDOM_LENGTH, 'RND.A');
    expectLength(pdRandom, RANDOM_LENGTH, 'RND.B');
    expectLength(cuid, CUID_LENGTH, 'cUID');
    this.reset();
    const key = this.pdKey(keyByte);
    this.defaultKey = keyByte === KEY_BYTE_SCBK_D;
    this.rndA = Buffer.from(rndA);
    this.rndB = Buffer.from(pdRandom);
    this.clientUid = Buffer.from(cuid);
    this.keys = sessionKeys(key, this.rndA);
    this.phase = 'ccrypt-sent';
    const crypt = clientCryptogram(this.keys, this.rndA, this.rndB);
    return { securityBlock: block(SCB.CCRYPT, keyByte), data: Buffer.concat([cuid, pdRandom, crypt]) };
  }

  /**
   * Checks SCRYPT and establishes the session: RMAC_I (0x78) with SCB 0x14 data 0x01 and the
   * initial R-MAC, which becomes the last R-MAC. Throws 'cryptogram-mismatch' (session reset);
   * the PD then answers SCB 0x14 data RMAC_I_REJECTED (spec) or NAK 0x05 (libosdp).
   */
  onScrypt(serverCrypt: Buffer): HandshakeMessage {
    this.requirePhase('pd', 'ccrypt-sent', 'onScrypt');
    expectLength(serverCrypt, 16, 'server cryptogram');
    const keys = this.keys as SessionKeys;
    if (!sameBytes(serverCryptogram(keys, this.rndA as Buffer, this.rndB as Buffer), serverCrypt)) {
      this.reset();
      throw new SecureChannelError('cryptogram-mismatch', 'server cryptogram from the CP in SCRYPT');
    }
    this.serverCrypt = Buffer.from(serverCrypt);
    this.rmac = initialRmac(keys, this.serverCrypt);
    this.phase = 'established';
    return { securityBlock: block(SCB.RMAC_I, RMAC_I_ACCEPTED), data: Buffer.from(this.rmac) };
  }

  /** PD: decrypted KEYSET data → the new SCBK, installed for the next handshake; persist it. */
  onKeyset(data: Buffer): Buffer {
    this.requirePhase('pd', 'established', 'onKeyset');
    const key = parseKeyset(data);
    this.installScbk(key);
    return key;
  }

  // ---- Established session ------------------------------------------------------------------

  /**
   * A new frame carrying SCB 0x17/0x18 with encrypted data, or 0x15/0x16 when the data is empty
   * or `encrypt` is false (data then sent plain but MACed), and the 4-byte MAC. Advances the
   * chain (C-MAC on a CP, R-MAC on a PD). The input must be a plain frame in this side's
   * direction (CP: command, PD: reply).
   */
  seal(frame: OsdpFrame, options: { encrypt?: boolean } = {}): OsdpFrame {
    if (!this.established) throw new SecureChannelError('not-established', 'cannot seal');
    this.requireDirection(frame);
    if (frame.securityBlock || frame.mac) {
      throw new SecureChannelError('unexpected-block', 'seal() takes a frame without security block or MAC');
    }
    const isCmd = this.role === 'cp';
    const iv = isCmd ? this.rmac : this.cmac;
    const keys = this.keys as SessionKeys;
    const encrypt = frame.data.length > 0 && options.encrypt !== false;
    const type = isCmd ? (encrypt ? SCB.CMD_ENC : SCB.CMD_MAC) : encrypt ? SCB.REPLY_ENC : SCB.REPLY_MAC;
    const data = encrypt ? encryptData(keys.enc, iv, frame.data) : Buffer.from(frame.data);
    const draft: OsdpFrame = {
      ...frame,
      securityBlock: { type, data: Buffer.alloc(0) },
      data,
      mac: Buffer.alloc(MAC_ON_WIRE),
    };
    const full = computeMac(keys, iv, this.macInput(draft));
    if (isCmd) this.cmac = full;
    else this.rmac = full;
    return { ...draft, mac: Buffer.from(full.subarray(0, MAC_ON_WIRE)) };
  }

  /**
   * Verifies and decrypts a received frame; returns it plain (no securityBlock, no mac, data in
   * clear) and advances the chain (R-MAC on a CP, C-MAC on a PD). `packet`, when given, is the
   * received packet the frame was decoded from: the MAC is then checked over exactly those bytes.
   * Plain frames pass through unchanged when no session is established, or (CP) when
   * mayBePlain(frame); otherwise 'unexpected-plaintext'.
   */
  open(frame: OsdpFrame, packet?: Buffer): OsdpFrame {
    if (!isSecured(frame)) return this.openPlain(frame);
    if (!this.established) throw new SecureChannelError('not-established', 'secured frame outside a session');
    this.requireDirection(frame, true);
    const type = frame.securityBlock?.type;
    const expected = this.role === 'pd' ? [SCB.CMD_MAC, SCB.CMD_ENC] : [SCB.REPLY_MAC, SCB.REPLY_ENC];
    if (!expected.some((t) => t === type)) {
      throw new SecureChannelError('unexpected-block', `type 0x${type?.toString(16)} for a ${this.role}`);
    }
    const isCmd = this.role === 'pd';
    const iv = isCmd ? this.rmac : this.cmac;
    const keys = this.keys as SessionKeys;
    const { bytes, mac } = packet ? splitPacket(packet) : { bytes: this.macInput(frame), mac: frame.mac };
    const full = computeMac(keys, iv, bytes);
    const wire = full.subarray(0, MAC_ON_WIRE);
    if (!frame.mac || !mac || !sameBytes(mac, wire) || !sameBytes(frame.mac, wire)) {
      this.reset();
      throw new SecureChannelError('mac-mismatch', isCmd ? 'command' : 'reply');
    }
    let data: Buffer = Buffer.from(frame.data);
    if (type === SCB.CMD_ENC || type === SCB.REPLY_ENC) {
      try {
        data = decryptData(keys.enc, iv, frame.data);
      } catch (err) {
        this.reset();
        throw err;
      }
    }
    if (isCmd) this.cmac = full;
    else this.rmac = full;
    const { securityBlock: _scb, mac: _mac, ...rest } = frame;
    return { ...rest, data };
  }

  // ---- internals ----------------------------------------------------------------------------

  private openPlain(frame: OsdpFrame): OsdpFrame {
    if (isHandshake(frame)) {
      throw new SecureChannelError('unexpected-block', 'handshake frames go to the handshake methods');
    }
    if (frame.securityBlock) {
      throw new SecureChannelError('unexpected-block', `type 0x${frame.securityBlock.type.toString(16)}`);
    }
    if (!this.established || (this.role === 'cp' && mayBePlain(frame))) return frame;
    throw new SecureChannelError('unexpected-plaintext', `code 0x${frame.code.toString(16)}`);
  }

  private keyByte(): number {
    return this.defaultKey ? KEY_BYTE_SCBK_D : KEY_BYTE_SCBK;
  }

  private cpKey(cuid: Buffer): Buffer {
    if (this.defaultKey) return SCBK_D;
    if (this.previousKey) {
      if (this.previousMasterKey) return deriveScbk(this.previousMasterKey, cuid);
      throw new SecureChannelError('key-unavailable', 'CP has no previous master key');
    }
    if (this.scbk) return this.scbk;
    if (this.masterKey) return deriveScbk(this.masterKey, cuid);
    throw new SecureChannelError('key-unavailable', 'CP has neither SCBK nor master key for this PD');
  }

  private pdKey(keyByte: number): Buffer {
    if (keyByte === KEY_BYTE_SCBK_D) {
      if (this.installMode) return SCBK_D;
      throw new SecureChannelError('key-unavailable', 'SCBK-D requested but the PD is not in install mode');
    }
    if (keyByte !== KEY_BYTE_SCBK) {
      throw new SecureChannelError('key-unavailable', `unknown CHLNG key byte 0x${keyByte.toString(16)}`);
    }
    if (this.scbk) return this.scbk;
    throw new SecureChannelError('key-unavailable', 'PD has no SCBK installed');
  }

  private requireRole(role: SecureChannelRole, step: string): void {
    if (this.role !== role) throw new SecureChannelError('wrong-state', `${step} is a ${role} step`);
  }

  private requirePhase(role: SecureChannelRole, phase: Phase, step: string): void {
    this.requireRole(role, step);
    if (this.phase !== phase) {
      throw new SecureChannelError(
        phase === 'established' ? 'not-established' : 'wrong-state',
        `${step} in phase ${this.phase}`,
      );
    }
  }

  /** Outgoing (`incoming` false) or incoming frames must travel in this role's direction. */
  private requireDirection(frame: OsdpFrame, incoming = false): void {
    const wantReply = (this.role === 'pd') !== incoming;
    if (frame.reply !== wantReply) {
      throw new SecureChannelError(
        'wrong-direction',
        `${this.role} got a ${frame.reply ? 'reply' : 'command'}`,
      );
    }
  }
}

function block(type: number, dataByte: number): SecurityBlock {
  return { type, data: Buffer.from([dataByte]) };
}

/**
 * MAC input and received MAC from a raw packet: optional 0xFF mark stripped, LEN and the CTRL
 * CRC bit read from the packet itself, so any changed byte shifts or changes the MAC input.
 */
function splitPacket(packet: Buffer): { bytes: Buffer; mac: Buffer | undefined } {
  const p = packet[0] === 0xff ? packet.subarray(1) : packet;
  const len = (p[2] ?? 0) | ((p[3] ?? 0) << 8);
  const check = ((p[4] ?? 0) & 0x04) !== 0 ? 2 : 1;
  const macEnd = len - check;
  if (len > p.length || macEnd - MAC_ON_WIRE < 6) return { bytes: p, mac: undefined };
  return { bytes: p.subarray(0, macEnd - MAC_ON_WIRE), mac: p.subarray(macEnd - MAC_ON_WIRE, macEnd) };
}
