/** Bits on the wire per byte for 8N1 framing: start bit, eight data bits, stop bit. */
export const BITS_PER_CHARACTER = 10;

/** Milliseconds a number of bytes occupies the line at a baud rate (8N1). */
export function wireTimeMs(bytes: number, baudRate: number): number {
  return (bytes * BITS_PER_CHARACTER * 1000) / baudRate;
}
