/**
 * OSDP framing constants (protocols.md §1.2–1.4, §1.9). Every offset is counted from SOM: the
 * optional mark byte is not part of the packet, not counted in LEN and not covered by the check.
 */

/** Optional line-driver byte sent before SOM; libosdp and OSDP.Net CPs send it. */
export const MARK = 0xff;
/** Start of message: the first byte of every packet. */
export const SOM = 0x53;
/** ADDR value of a command to every PD; a PD's reply to it carries 0xFF (0x7F | REPLY_FLAG). */
export const BROADCAST_ADDRESS = 0x7f;
/** ADDR bit 7: set on every PD → CP reply. */
export const REPLY_FLAG = 0x80;
/** ADDR bits 0–6: the PD address. */
export const ADDRESS_MASK = 0x7f;

/** CTRL byte bits (§1.3). Bits 4–7 are never set on the wire; a packet carrying them is refused. */
export const CTRL = {
  /** Sequence number 0–3. */
  SQN: 0x03,
  /** Set: CRC-16 (2 bytes); clear: 8-bit checksum. */
  CRC: 0x04,
  /** Set: a security control block follows the header. */
  SCB: 0x08,
  RESERVED: 0xf0,
} as const;

/** Byte offsets from SOM. The SCB offsets apply only when CTRL.SCB is set. */
export const OFFSET = {
  SOM: 0,
  ADDR: 1,
  LEN_LSB: 2,
  LEN_MSB: 3,
  CTRL: 4,
  /** First byte after the header: SEC_BLK_LEN, or the command/reply code without an SCB. */
  AFTER_HEADER: 5,
  SCB_LEN: 5,
  SCB_TYPE: 6,
  SCB_DATA: 7,
} as const;

/** SOM, ADDR, LEN (2), CTRL. */
export const HEADER_LENGTH = 5;
export const CODE_LENGTH = 1;
export const CHECKSUM_LENGTH = 1;
export const CRC_LENGTH = 2;
/** Bytes of the MAC sent on the wire (the first 4 of the 16-byte CBC-MAC). */
export const MAC_LENGTH = 4;
/** SEC_BLK_LEN counts itself and the type byte, so it is at least 2; it is one byte, so at most 255. */
export const SCB_MIN_LENGTH = 2;
export const SCB_MAX_LENGTH = 0xff;

/** Largest packet (SOM..check) this implementation sends or accepts (§1.1). */
export const MAX_PACKET_LENGTH = 1440;
/** Header + code + check: the shortest packet for each kind of check. */
export const MIN_PACKET_LENGTH = {
  CHECKSUM: HEADER_LENGTH + CODE_LENGTH + CHECKSUM_LENGTH,
  CRC: HEADER_LENGTH + CODE_LENGTH + CRC_LENGTH,
} as const;

/** SEC_BLK_TYPE values (§1.9). */
export const SCB_TYPE = {
  /** CP → PD osdp_CHLNG. */
  SCS_11: 0x11,
  /** PD → CP osdp_CCRYPT. */
  SCS_12: 0x12,
  /** CP → PD osdp_SCRYPT. */
  SCS_13: 0x13,
  /** PD → CP osdp_RMAC_I. */
  SCS_14: 0x14,
  /** CP → PD, MAC, no data. */
  SCS_15: 0x15,
  /** PD → CP, MAC, no data. */
  SCS_16: 0x16,
  /** CP → PD, MAC and encrypted data. */
  SCS_17: 0x17,
  /** PD → CP, MAC and encrypted data. */
  SCS_18: 0x18,
} as const;

/** A packet carries the 4 MAC bytes exactly when its SCB type is 0x15–0x18. */
export function scbHasMac(type: number): boolean {
  return type >= SCB_TYPE.SCS_15 && type <= SCB_TYPE.SCS_18;
}
