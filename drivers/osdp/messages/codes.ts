/**
 * OSDP code tables (protocols.md §1.5–1.7), as named constants with reverse lookups for logs.
 * Codes above 0x79 follow libosdp / OSDP 2.2; older revisions numbered some of them differently.
 */

/** Command codes, CP → PD. */
export const COMMAND = {
  POLL: 0x60,
  ID: 0x61,
  CAP: 0x62,
  LSTAT: 0x64,
  ISTAT: 0x65,
  OSTAT: 0x66,
  RSTAT: 0x67,
  OUT: 0x68,
  LED: 0x69,
  BUZ: 0x6a,
  TEXT: 0x6b,
  TDSET: 0x6d,
  COMSET: 0x6e,
  BIOREAD: 0x73,
  BIOMATCH: 0x74,
  KEYSET: 0x75,
  CHLNG: 0x76,
  SCRYPT: 0x77,
  ACURXSIZE: 0x7b,
  FILETRANSFER: 0x7c,
  MFG: 0x80,
  XWR: 0xa1,
  ABORT: 0xa2,
  PIVDATA: 0xa3,
  GENAUTH: 0xa4,
  CRAUTH: 0xa5,
  KEEPACTIVE: 0xa7,
} as const;

/** Reply codes, PD → CP. */
export const REPLY = {
  ACK: 0x40,
  NAK: 0x41,
  PDID: 0x45,
  PDCAP: 0x46,
  LSTATR: 0x48,
  ISTATR: 0x49,
  OSTATR: 0x4a,
  RSTATR: 0x4b,
  RAW: 0x50,
  /** Deprecated in OSDP 2.2.2. */
  FMT: 0x51,
  KEYPAD: 0x53,
  COM: 0x54,
  BIOREADR: 0x57,
  BIOMATCHR: 0x58,
  CCRYPT: 0x76,
  RMAC_I: 0x78,
  BUSY: 0x79,
  FTSTAT: 0x7a,
  PIVDATAR: 0x80,
  GENAUTHR: 0x81,
  CRAUTHR: 0x82,
  MFGSTATR: 0x83,
  MFGERRR: 0x84,
  MFGREP: 0x90,
  XRD: 0xb1,
} as const;

/** NAK error codes (first data byte of osdp_NAK). */
export const NAK = {
  NONE: 0x00,
  CHECK_CHARACTER: 0x01,
  COMMAND_LENGTH: 0x02,
  UNKNOWN_COMMAND: 0x03,
  UNEXPECTED_SEQUENCE: 0x04,
  SECURITY_BLOCK_UNSUPPORTED: 0x05,
  SECURITY_CONDITIONS: 0x06,
  BIO_TYPE_UNSUPPORTED: 0x07,
  BIO_FORMAT_UNSUPPORTED: 0x08,
  UNABLE_TO_PROCESS: 0x09,
  /** OSDP.Net only. */
  GENERIC: 0xff,
} as const;

const NAK_DESCRIPTIONS: Readonly<Record<number, string>> = {
  [NAK.NONE]: 'no error',
  [NAK.CHECK_CHARACTER]: 'message check character(s) error (bad checksum/CRC)',
  [NAK.COMMAND_LENGTH]: 'command length error',
  [NAK.UNKNOWN_COMMAND]: 'unknown command code (not implemented)',
  [NAK.UNEXPECTED_SEQUENCE]: 'unexpected sequence number',
  [NAK.SECURITY_BLOCK_UNSUPPORTED]: 'security block type not supported',
  [NAK.SECURITY_CONDITIONS]: 'communication security conditions not met',
  [NAK.BIO_TYPE_UNSUPPORTED]: 'BIO_TYPE not supported',
  [NAK.BIO_FORMAT_UNSUPPORTED]: 'BIO_FORMAT not supported',
  [NAK.UNABLE_TO_PROCESS]: 'unable to process command record',
  [NAK.GENERIC]: 'generic error',
};

/** PDCAP function codes (one 3-byte entry each: function, compliance, number of items). */
export const PDCAP_FUNCTION = {
  CONTACT_STATUS: 1,
  OUTPUT_CONTROL: 2,
  CARD_DATA_FORMAT: 3,
  READER_LED: 4,
  READER_AUDIBLE: 5,
  READER_TEXT: 6,
  TIME_KEEPING: 7,
  /** Compliance bit 0: CRC-16 supported. */
  CHECK_CHARACTER: 8,
  /** Compliance bit 0: AES-128 secure channel supported. */
  COMMUNICATION_SECURITY: 9,
  /** Compliance = LSB, items = MSB of the receive buffer size in bytes. */
  RECEIVE_BUFFER_SIZE: 10,
  LARGEST_COMBINED_MESSAGE: 11,
  SMART_CARD: 12,
  READERS: 13,
  BIOMETRICS: 14,
  SECURE_PIN_ENTRY: 15,
  /** Compliance: 0 unspecified, 1 IEC 60839-11-5, 2 SIA OSDP 2.2. */
  OSDP_VERSION: 16,
} as const;

export const LED_COLOR = {
  OFF: 0,
  RED: 1,
  GREEN: 2,
  AMBER: 3,
  BLUE: 4,
  MAGENTA: 5,
  CYAN: 6,
  WHITE: 7,
} as const;
/** LED record temp_control. */
export const LED_TEMP_CONTROL = { NOP: 0, CANCEL: 1, SET: 2 } as const;
/** LED record perm_control. */
export const LED_PERM_CONTROL = { NOP: 0, SET: 1 } as const;

/** OUT record control codes. A door strike pulse is TEMP_ON with a timer. */
export const OUT_CONTROL = {
  NOP: 0,
  PERM_OFF_ABORT_TIMED: 1,
  PERM_ON_ABORT_TIMED: 2,
  PERM_OFF_AFTER_TIMED: 3,
  PERM_ON_AFTER_TIMED: 4,
  TEMP_ON: 5,
  TEMP_OFF: 6,
} as const;

/** BUZ record tone codes. */
export const BUZ_TONE = { NONE: 0, OFF: 1, DEFAULT: 2 } as const;

/** TEXT control codes. */
export const TEXT_CONTROL = { PERM_NO_WRAP: 1, PERM_WRAP: 2, TEMP_NO_WRAP: 3, TEMP_WRAP: 4 } as const;

/** RAW card data format byte. */
export const RAW_FORMAT = { UNSPECIFIED: 0x00, WIEGAND: 0x01 } as const;

/** KEYSET key type. */
export const KEYSET_TYPE = { SCBK: 0x01 } as const;

/** KEYPAD bytes other than the digits 0x30–0x39 (OSDP.Net KeypadData). */
export const KEYPAD_KEY = {
  /** '*' / clear. */
  STAR: 0x7f,
  /** '#' / enter. */
  POUND: 0x0d,
  F1: 0x41,
  F2: 0x42,
  F3: 0x43,
  F4: 0x44,
  F1_F2: 0x45,
  F2_F3: 0x46,
  F3_F4: 0x47,
  F1_F4: 0x48,
} as const;

function reverse(table: Readonly<Record<string, number>>): ReadonlyMap<number, string> {
  return new Map(Object.entries(table).map(([name, code]) => [code, name]));
}

const COMMAND_NAMES = reverse(COMMAND);
const REPLY_NAMES = reverse(REPLY);

/** `POLL`, or `0x7F` for a code this table does not know. */
export function commandName(code: number): string {
  return COMMAND_NAMES.get(code) ?? hexCode(code);
}

/** `ACK`, or `0x7F` for a code this table does not know. */
export function replyName(code: number): string {
  return REPLY_NAMES.get(code) ?? hexCode(code);
}

/** English meaning of a NAK code, for logs and alarms. */
export function nakDescription(code: number): string {
  return NAK_DESCRIPTIONS[code] ?? `unknown NAK code ${hexCode(code)}`;
}

function hexCode(code: number): string {
  return `0x${code.toString(16).padStart(2, '0').toUpperCase()}`;
}

/**
 * A command or reply payload that does not fit its message type: wrong length, or a field out
 * of range when encoding. A PD answers NAK 0x02 (`nak`) to a command that fails to decode.
 */
export class OsdpPayloadError extends Error {
  readonly nak = NAK.COMMAND_LENGTH;
  readonly messageType: string;

  constructor(messageType: string, problem: string) {
    super(`OSDP ${messageType}: ${problem}`);
    this.name = 'OsdpPayloadError';
    this.messageType = messageType;
  }
}
