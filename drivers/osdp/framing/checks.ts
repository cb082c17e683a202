/**
 * The two OSDP message check characters (protocols.md §1.4). Both cover the packet from SOM
 * (never the mark byte) up to, not including, the check itself.
 */

/** CRC-16/AUG-CCITT init value used by OSDP. */
export const CRC_INIT = 0x1d0f;
const POLY = 0x1021;

/** Entry n = CRC register after shifting byte n through a zero register (MSB first, no reflection). */
const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ POLY) & 0xffff : (crc << 1) & 0xffff;
    }
    table[n] = crc;
  }
  return table;
})();

/**
 * CRC-16/AUG-CCITT: poly 0x1021, no reflection, xorout 0; check("123456789") = 0xE5CC.
 * OSDP sends the result least significant byte first. `init` lets a caller continue a CRC.
 */
export function crc16AugCcitt(bytes: Uint8Array, init: number = CRC_INIT): number {
  let crc = init & 0xffff;
  for (const byte of bytes) {
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  }
  return crc;
}

/** Two's complement of the low 8 bits of the byte sum: all bytes plus the checksum sum to 0 mod 256. */
export function checksum8(bytes: Uint8Array): number {
  let sum = 0;
  for (const byte of bytes) sum = (sum + byte) & 0xff;
  return (0x100 - sum) & 0xff;
}
