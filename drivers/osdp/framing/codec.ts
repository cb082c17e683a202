import { checksum8, crc16AugCcitt } from './checks.js';
import {
  ADDRESS_MASK,
  CHECKSUM_LENGTH,
  CODE_LENGTH,
  CRC_LENGTH,
  CTRL,
  HEADER_LENGTH,
  MAC_LENGTH,
  MARK,
  MAX_PACKET_LENGTH,
  MIN_PACKET_LENGTH,
  OFFSET,
  REPLY_FLAG,
  SCB_MAX_LENGTH,
  SCB_MIN_LENGTH,
  SOM,
  scbHasMac,
} from './constants.js';
import type { OsdpFrame, Sequence } from './frame.js';

/**
 * Packet ⇄ frame conversion (protocols.md §1.2–1.4). Pure: no I/O, no state. Neither direction
 * computes or checks a MAC; the secure channel does that over `macInput`.
 */

/** A frame that cannot be encoded, or a packet whose layout is inconsistent. `field` names the culprit. */
export class OsdpCodecError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`OSDP ${field}: ${message}`);
    this.name = 'OsdpCodecError';
    this.field = field;
  }
}

export function checkLength(useCrc: boolean): number {
  return useCrc ? CRC_LENGTH : CHECKSUM_LENGTH;
}

/** Smallest LEN a header may announce, from its CTRL byte alone. */
export function minimumPacketLength(ctrl: number): number {
  const base = ctrl & CTRL.CRC ? MIN_PACKET_LENGTH.CRC : MIN_PACKET_LENGTH.CHECKSUM;
  return ctrl & CTRL.SCB ? base + SCB_MIN_LENGTH : base;
}

/** True when the last 1 or 2 bytes of a whole packet (SOM..check, LEN already consistent) match. */
export function checkIsValid(packet: Buffer): boolean {
  const ctrl = packet[OFFSET.CTRL] ?? 0;
  if (ctrl & CTRL.CRC) {
    const end = packet.length - CRC_LENGTH;
    return end >= 0 && crc16AugCcitt(packet.subarray(0, end)) === packet.readUInt16LE(end);
  }
  const end = packet.length - CHECKSUM_LENGTH;
  return end >= 0 && checksum8(packet.subarray(0, end)) === packet[end];
}

/** The packet bytes: `[MARK]` SOM .. check. Throws OsdpCodecError naming the first invalid field. */
export function encodeFrame(frame: OsdpFrame, options: { mark?: boolean } = {}): Buffer {
  const hasMac = frame.securityBlock !== undefined && scbHasMac(frame.securityBlock.type);
  if (hasMac && frame.mac === undefined) {
    throw new OsdpCodecError('mac', `SCB type 0x${hex2(frame.securityBlock?.type ?? 0)} needs a 4-byte MAC`);
  }
  if (!hasMac && frame.mac !== undefined) {
    throw new OsdpCodecError('mac', 'a MAC is only sent with SCB types 0x15–0x18');
  }
  if (frame.mac !== undefined && frame.mac.length !== MAC_LENGTH) {
    throw new OsdpCodecError('mac', `must be ${MAC_LENGTH} bytes, got ${frame.mac.length}`);
  }
  const covered = Buffer.concat([writeUpToMac(frame), frame.mac ?? Buffer.alloc(0)]);
  const check = Buffer.alloc(checkLength(frame.useCrc));
  if (frame.useCrc) check.writeUInt16LE(crc16AugCcitt(covered));
  else check[0] = checksum8(covered);
  return Buffer.concat(options.mark ? [Buffer.of(MARK), covered, check] : [covered, check]);
}

/**
 * SOM up to, not including, the MAC, with LEN already counting the 4 MAC bytes and the check:
 * exactly the bytes the secure channel MACs (§1.9). `frame.mac` is ignored; the frame's SCB
 * type must be one that carries a MAC.
 */
export function macInput(frame: OsdpFrame): Buffer {
  if (frame.securityBlock === undefined || !scbHasMac(frame.securityBlock.type)) {
    throw new OsdpCodecError('securityBlock', 'a MAC is only computed for SCB types 0x15–0x18');
  }
  return writeUpToMac(frame);
}

/** Header, SCB, code and data, with LEN set for the whole packet (MAC per SCB type, check). */
function writeUpToMac(frame: OsdpFrame): Buffer {
  validateFields(frame);
  const scb = frame.securityBlock;
  const scbLength = scb === undefined ? 0 : SCB_MIN_LENGTH + scb.data.length;
  const macLength = scb !== undefined && scbHasMac(scb.type) ? MAC_LENGTH : 0;
  const bodyLength = HEADER_LENGTH + scbLength + CODE_LENGTH + frame.data.length;
  const total = bodyLength + macLength + checkLength(frame.useCrc);
  if (total > MAX_PACKET_LENGTH) {
    throw new OsdpCodecError(
      'data',
      `packet would be ${total} bytes, over the ${MAX_PACKET_LENGTH}-byte maximum`,
    );
  }
  const out = Buffer.alloc(bodyLength);
  out[OFFSET.SOM] = SOM;
  out[OFFSET.ADDR] = frame.address | (frame.reply ? REPLY_FLAG : 0);
  out.writeUInt16LE(total, OFFSET.LEN_LSB);
  out[OFFSET.CTRL] = frame.sequence | (frame.useCrc ? CTRL.CRC : 0) | (scb ? CTRL.SCB : 0);
  let at: number = OFFSET.AFTER_HEADER;
  if (scb !== undefined) {
    out[OFFSET.SCB_LEN] = scbLength;
    out[OFFSET.SCB_TYPE] = scb.type;
    scb.data.copy(out, OFFSET.SCB_DATA);
    at += scbLength;
  }
  out[at] = frame.code;
  frame.data.copy(out, at + CODE_LENGTH);
  return out;
}

function validateFields(frame: OsdpFrame): void {
  requireInt('address', frame.address, 0, ADDRESS_MASK);
  requireInt('sequence', frame.sequence, 0, CTRL.SQN);
  requireInt('code', frame.code, 0, 0xff);
  const scb = frame.securityBlock;
  if (scb !== undefined) {
    requireInt('securityBlock.type', scb.type, 0, 0xff);
    const max = SCB_MAX_LENGTH - SCB_MIN_LENGTH;
    if (scb.data.length > max) {
      throw new OsdpCodecError('securityBlock.data', `${scb.data.length} bytes, at most ${max} fit`);
    }
  }
}

function requireInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OsdpCodecError(field, `${value} is not an integer in ${min}..${max}`);
  }
}

/**
 * One complete packet from SOM through the check. The check itself is not verified here (the
 * parser has done it; see `checkIsValid`). Throws OsdpCodecError when LEN, CTRL or the SCB/MAC
 * layout is inconsistent. The frame's buffers are copies, never views of `packet`.
 */
export function decodePacket(packet: Buffer): OsdpFrame {
  if (packet.length < HEADER_LENGTH) {
    throw new OsdpCodecError('packet', `${packet.length} bytes cannot hold the ${HEADER_LENGTH}-byte header`);
  }
  if (packet[OFFSET.SOM] !== SOM) throw new OsdpCodecError('SOM', `0x${hex2(packet[0] ?? 0)} is not 0x53`);
  const declared = packet.readUInt16LE(OFFSET.LEN_LSB);
  if (declared !== packet.length) {
    throw new OsdpCodecError('LEN', `announces ${declared} bytes but the packet has ${packet.length}`);
  }
  const ctrl = packet[OFFSET.CTRL] ?? 0;
  if (ctrl & CTRL.RESERVED) throw new OsdpCodecError('CTRL', `reserved bits set in 0x${hex2(ctrl)}`);
  if (declared < minimumPacketLength(ctrl) || declared > MAX_PACKET_LENGTH) {
    throw new OsdpCodecError(
      'LEN',
      `${declared} is outside ${minimumPacketLength(ctrl)}..${MAX_PACKET_LENGTH}`,
    );
  }
  const useCrc = (ctrl & CTRL.CRC) !== 0;
  const addressByte = packet[OFFSET.ADDR] ?? 0;
  const frame: OsdpFrame = {
    address: addressByte & ADDRESS_MASK,
    reply: (addressByte & REPLY_FLAG) !== 0,
    sequence: (ctrl & CTRL.SQN) as Sequence,
    useCrc,
    code: 0,
    data: Buffer.alloc(0),
  };
  let codeAt: number = OFFSET.AFTER_HEADER;
  let macLength = 0;
  if (ctrl & CTRL.SCB) {
    const scbLength = packet[OFFSET.SCB_LEN] ?? 0;
    if (scbLength < SCB_MIN_LENGTH) {
      throw new OsdpCodecError('SEC_BLK_LEN', `${scbLength} is below the minimum ${SCB_MIN_LENGTH}`);
    }
    const type = packet[OFFSET.SCB_TYPE] ?? 0;
    codeAt += scbLength;
    macLength = scbHasMac(type) ? MAC_LENGTH : 0;
    if (codeAt + CODE_LENGTH + macLength + checkLength(useCrc) > declared) {
      throw new OsdpCodecError(
        'SEC_BLK_LEN',
        `SCB of ${scbLength} bytes${macLength ? ' and a MAC' : ''} leave no room for the code in ${declared} bytes`,
      );
    }
    frame.securityBlock = { type, data: Buffer.from(packet.subarray(OFFSET.SCB_DATA, codeAt)) };
  }
  const macAt = declared - checkLength(useCrc) - macLength;
  frame.code = packet[codeAt] ?? 0;
  frame.data = Buffer.from(packet.subarray(codeAt + CODE_LENGTH, macAt));
  if (macLength) frame.mac = Buffer.from(packet.subarray(macAt, macAt + macLength));
  return frame;
}

/** One-line summary for logs: `cmd 0x60 addr 1 sqn 2 crc scb 0x15 data 0B`. */
export function describeFrame(frame: OsdpFrame): string {
  const parts = [
    `${frame.reply ? 'reply' : 'cmd'} 0x${hex2(frame.code)}`,
    `addr ${frame.address}`,
    `sqn ${frame.sequence}`,
    frame.useCrc ? 'crc' : 'checksum',
  ];
  if (frame.securityBlock) parts.push(`scb 0x${hex2(frame.securityBlock.type)}`);
  parts.push(`data ${frame.data.length}B`);
  return parts.join(' ');
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0').toUpperCase();
}
