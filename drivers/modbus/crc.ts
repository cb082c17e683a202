/**
 * CRC-16/MODBUS (protocols.md §3.2): polynomial 0x8005 reflected (0xA001 shifted right), init
 * 0xFFFF, no final XOR; check("123456789") = 0x4B37. On the wire it follows the frame low byte
 * first. Table-driven: the session and the simulators check every candidate frame they scan.
 */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[n] = crc;
  }
  return table;
})();

export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc = (crc >>> 8) ^ (TABLE[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  }
  return crc;
}

/** Whether `bytes[start, start + length)` ends in the CRC of what precedes it. */
export function crcMatches(bytes: Uint8Array, start: number, length: number): boolean {
  if (length < 3 || start + length > bytes.length) return false;
  const end = start + length - 2;
  const received = (bytes[end] ?? 0) | ((bytes[end + 1] ?? 0) << 8);
  return crc16Modbus(bytes, start, end) === received;
}
