/**
 * SAM (GA 467-style) framing constants, protocols.md §2.2. Both directions share the layout
 *
 *   Request : AA AA AA 96 69 | LEN_H LEN_L | CMD | PARA | DATA… | CHK
 *   Response: AA AA AA 96 69 | LEN_H LEN_L | SW1 | SW2 | SW3 | DATA… | CHK
 *
 * LEN is big-endian and counts every byte after itself, CHK included. CHK is the XOR of LEN_H
 * through the last data byte (the preamble is not covered). Offsets count from the first 0xAA.
 */

/** `AA AA AA` (sync) + `96 69` (start of frame). */
export const PREAMBLE: readonly number[] = [0xaa, 0xaa, 0xaa, 0x96, 0x69];
export const PREAMBLE_LENGTH = 5;
export const LEN_LENGTH = 2;
export const CHECK_LENGTH = 1;
/** Preamble + LEN: the bytes needed before a frame's total length is known. */
export const HEADER_LENGTH = PREAMBLE_LENGTH + LEN_LENGTH;

export const OFFSET = {
  PREAMBLE: 0,
  LEN_H: 5,
  LEN_L: 6,
  /** First byte counted by LEN and covered by CHK. */
  CHECKED_FROM: 5,
  /** First byte after LEN: CMD in a request, SW1 in a response. */
  BODY: 7,
  CMD: 7,
  PARA: 8,
  REQUEST_DATA: 9,
  /** Card APDU status forwarded by the SAM; informative only. */
  SW1: 7,
  SW2: 8,
  /** The SAM's own status: the one that decides (status-words.ts). */
  SW3: 9,
  RESPONSE_DATA: 10,
} as const;

/** CMD + PARA. */
export const REQUEST_FIXED = 2;
/** SW1 + SW2 + SW3. */
export const RESPONSE_FIXED = 3;

/** Smallest LEN per direction: no data, just the fixed fields and CHK. */
export const MIN_LEN = {
  request: REQUEST_FIXED + CHECK_LENGTH,
  response: RESPONSE_FIXED + CHECK_LENGTH,
} as const;

/**
 * Largest LEN accepted per direction; a header announcing more is a false preamble. Responses:
 * the read with fingerprint carrying two 512-byte templates is 2321 bytes on the wire (§2.4),
 * so LEN = 2321 − 7 = 2314. Requests: every command of §2.3 has LEN 3; 64 leaves room for
 * unknown commands with data while keeping a simulated SAM from waiting on a long false frame.
 */
export const MAX_LEN = {
  request: 64,
  response: 2314,
} as const;
