/**
 * Security block types and the few message codes the Secure Channel must know about
 * (protocols.md §1.5, §1.6, §1.9). Pure predicates over frames; no session state.
 */
import type { OsdpFrame } from '../framing/frame.js';

/** SEC_BLK_TYPE values. */
export const SCB = {
  /** CP→PD CHLNG; data [0x00 = SCBK-D, 0x01 = SCBK]. */
  CHLNG: 0x11,
  /** PD→CP CCRYPT; data echoes the key byte. */
  CCRYPT: 0x12,
  /** CP→PD SCRYPT; data echoes the key byte. */
  SCRYPT: 0x13,
  /** PD→CP RMAC_I; data [0x01 accepted, 0xFF rejected]. */
  RMAC_I: 0x14,
  /** CP→PD, MAC with plain (normally empty) data. */
  CMD_MAC: 0x15,
  /** PD→CP, MAC with plain (normally empty) data. */
  REPLY_MAC: 0x16,
  /** CP→PD, MAC and encrypted data. */
  CMD_ENC: 0x17,
  /** PD→CP, MAC and encrypted data. */
  REPLY_ENC: 0x18,
} as const;

export const KEY_BYTE_SCBK_D = 0x00;
export const KEY_BYTE_SCBK = 0x01;
export const RMAC_I_ACCEPTED = 0x01;
export const RMAC_I_REJECTED = 0xff;

export const CMD_CHLNG = 0x76;
export const CMD_SCRYPT = 0x77;
export const CMD_KEYSET = 0x75;
export const REPLY_ACK = 0x40;
export const REPLY_NAK = 0x41;
export const REPLY_CCRYPT = 0x76;
export const REPLY_RMAC_I = 0x78;
export const REPLY_BUSY = 0x79;

/** True when the frame carries a MACed security block (0x15–0x18). */
export function isSecured(frame: OsdpFrame): boolean {
  const t = frame.securityBlock?.type;
  return t !== undefined && t >= SCB.CMD_MAC && t <= SCB.REPLY_ENC;
}

/** True for handshake frames (SCB 0x11–0x14), which go to the handshake methods, not open(). */
export function isHandshake(frame: OsdpFrame): boolean {
  const t = frame.securityBlock?.type;
  return t !== undefined && t >= SCB.CHLNG && t <= SCB.RMAC_I;
}

/**
 * Whether a CP may accept this reply in plaintext while a session is active: NAK and BUSY
 * always (protocols.md §1.9; OSDP.Net tolerates them, libosdp sends BUSY plain with SQN 0), and
 * ACK when the pending command was KEYSET (a PD may already have dropped the old session keys;
 * the CP must then reset() and restart the handshake with the new SCBK). Commands never qualify.
 */
export function mayBePlain(frame: OsdpFrame, pendingCommand?: number): boolean {
  if (!frame.reply || frame.securityBlock !== undefined) return false;
  if (frame.code === REPLY_NAK || frame.code === REPLY_BUSY) return true;
  return frame.code === REPLY_ACK && pendingCommand === CMD_KEYSET;
}
