/**
 * Minimal OSDP packet encoder/decoder for the Secure Channel tests only (protocols.md §1.2–1.4),
 * written independently of drivers/osdp/framing/codec.ts so the channel tests do not rest on it.
 * `decode` is deliberately lenient (ignores SOM, LEN and the check) so that tampered packets still
 * reach the secure channel; it is not a reference for the real codec.
 */
import type { OsdpFrame, Sequence } from '../../drivers/osdp/framing/frame.js';

const SOM = 0x53;

function hasMac(frame: OsdpFrame): boolean {
  const t = frame.securityBlock?.type;
  return t !== undefined && t >= 0x15 && t <= 0x18;
}

/** CRC-16/AUG-CCITT: poly 0x1021, init 0x1D0F, no reflection. */
export function crc16(bytes: Buffer): number {
  let crc = 0x1d0f;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** SOM up to, not including, the MAC; LEN counts the MAC (when SCB 0x15–0x18) and the check. */
export function macInput(frame: OsdpFrame): Buffer {
  const scb = frame.securityBlock
    ? Buffer.from([
        2 + frame.securityBlock.data.length,
        frame.securityBlock.type,
        ...frame.securityBlock.data,
      ])
    : Buffer.alloc(0);
  const len = 5 + scb.length + 1 + frame.data.length + (hasMac(frame) ? 4 : 0) + (frame.useCrc ? 2 : 1);
  const ctrl = frame.sequence | (frame.useCrc ? 0x04 : 0) | (frame.securityBlock ? 0x08 : 0);
  const head = [SOM, frame.address | (frame.reply ? 0x80 : 0), len & 0xff, len >> 8, ctrl];
  return Buffer.concat([Buffer.from(head), scb, Buffer.from([frame.code]), frame.data]);
}

/** The whole packet without mark byte: macInput ‖ MAC ‖ check. */
export function encode(frame: OsdpFrame): Buffer {
  const body = Buffer.concat([
    macInput(frame),
    hasMac(frame) ? (frame.mac ?? Buffer.alloc(4)) : Buffer.alloc(0),
  ]);
  if (frame.useCrc) {
    const crc = crc16(body);
    return Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]);
  }
  const sum = body.reduce((s, b) => s + b, 0);
  return Buffer.concat([body, Buffer.from([-sum & 0xff])]);
}

/**
 * Parses by structure (CTRL flags, SCB length, packet length); ignores SOM, LEN and the check,
 * which the real codec validates. Throws when the structure does not fit.
 */
export function decode(packet: Buffer): OsdpFrame {
  const p = packet[0] === 0xff ? packet.subarray(1) : packet;
  const ctrl = p[4] ?? 0;
  const useCrc = (ctrl & 0x04) !== 0;
  let pos = 5;
  let securityBlock: OsdpFrame['securityBlock'];
  if (ctrl & 0x08) {
    const n = p[pos] ?? 0;
    if (n < 2 || pos + n > p.length) throw new Error('bad security block length');
    securityBlock = { type: p[pos + 1] ?? 0, data: Buffer.from(p.subarray(pos + 2, pos + n)) };
    pos += n;
  }
  const t = securityBlock?.type ?? 0;
  const macLen = t >= 0x15 && t <= 0x18 ? 4 : 0;
  const end = p.length - (useCrc ? 2 : 1) - macLen;
  if (end < pos + 1) throw new Error('packet too short');
  const frame: OsdpFrame = {
    address: (p[1] ?? 0) & 0x7f,
    reply: ((p[1] ?? 0) & 0x80) !== 0,
    sequence: (ctrl & 0x03) as Sequence,
    useCrc,
    code: p[pos] ?? 0,
    data: Buffer.from(p.subarray(pos + 1, end)),
  };
  if (securityBlock) frame.securityBlock = securityBlock;
  if (macLen) frame.mac = Buffer.from(p.subarray(end, end + macLen));
  return frame;
}
