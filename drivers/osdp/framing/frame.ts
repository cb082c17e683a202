/**
 * One OSDP packet as a value (protocols.md §1.2). Offsets and flags live in constants.ts;
 * encoding and decoding in codec.ts. A frame is immutable once built: the secure channel makes
 * a new one when it adds a security block, encrypts the data or sets the MAC.
 */
export interface SecurityBlock {
  /** SEC_BLK_TYPE: 0x11–0x18 (protocols.md §1.9). */
  type: number;
  /** SEC_BLK_DATA, without the length and type bytes (empty for 0x15–0x18). */
  data: Buffer;
}

export type Sequence = 0 | 1 | 2 | 3;

export interface OsdpFrame {
  /** PD address 0x00–0x7E, or 0x7F for broadcast; never carries the reply bit. */
  address: number;
  /** Bit 7 of the address byte: set on every PD reply. */
  reply: boolean;
  sequence: Sequence;
  /** CTRL bit 2: CRC-16/AUG-CCITT when true, the 8-bit checksum when false. */
  useCrc: boolean;
  securityBlock?: SecurityBlock;
  /** Command (CP → PD) or reply (PD → CP) code. */
  code: number;
  /** Bytes after the code, as on the wire (still encrypted under SCB 0x17/0x18). */
  data: Buffer;
  /** The 4 MAC bytes, present exactly when the security block type is 0x15–0x18. */
  mac?: Buffer;
}
