import type { SamRequest, SamResponse } from './framing/frame.js';
import { SW3 } from './status-words.js';
import { TEXT_BLOCK_LENGTH } from './text-block.js';

/**
 * Typed SAM commands and replies (protocols.md §2.3, §2.4). A read is always find card → select
 * card → read; find and select must be sent again before every read.
 */

export const SAM_BAUD_RATES = [115200, 57600, 38400, 19200, 9600] as const;
export type SamBaudRate = (typeof SAM_BAUD_RATES)[number];

export type SamCommand =
  | { type: 'reset-sam' }
  | { type: 'sam-status' }
  /** SAM management information (its serial), not card data. */
  | { type: 'read-sam-id' }
  | { type: 'find-card' }
  | { type: 'select-card' }
  /** Text (256 B) + photo (1024 B, WLT): the base message. */
  | { type: 'read-base' }
  | { type: 'read-appended-address' }
  /** Text + photo + fingerprint templates. */
  | { type: 'read-base-fingerprint' }
  | { type: 'set-baud'; baudRate: SamBaudRate };

export type SamCommandType = SamCommand['type'];

/** CMD and PARA of each command. Protocol documents give reset as 0x10 (BearPi's 0x01 is not used). */
export const COMMAND_CODES = {
  'reset-sam': { command: 0x10, parameter: 0xff },
  'sam-status': { command: 0x11, parameter: 0xff },
  'read-sam-id': { command: 0x12, parameter: 0xff },
  'find-card': { command: 0x20, parameter: 0x01 },
  'select-card': { command: 0x20, parameter: 0x02 },
  'read-base': { command: 0x30, parameter: 0x01 },
  'read-appended-address': { command: 0x30, parameter: 0x03 },
  'read-base-fingerprint': { command: 0x30, parameter: 0x10 },
  'set-baud': { command: 0x60, parameter: 0x00 },
} as const satisfies Record<SamCommandType, { command: number; parameter: number }>;

export function encodeCommand(command: SamCommand): SamRequest {
  const { command: code, parameter } = COMMAND_CODES[command.type];
  const para = command.type === 'set-baud' ? SAM_BAUD_RATES.indexOf(command.baudRate) : parameter;
  return { command: code, parameter: para, data: Buffer.alloc(0) };
}

/** The command a request carries, or undefined for one outside §2.3 (a SAM answers SW3 0x21). */
export function decodeCommand(request: SamRequest): SamCommand | undefined {
  if (request.data.length > 0) return undefined;
  if (request.command === COMMAND_CODES['set-baud'].command) {
    const baudRate = SAM_BAUD_RATES[request.parameter];
    return baudRate === undefined ? undefined : { type: 'set-baud', baudRate };
  }
  for (const [type, codes] of Object.entries(COMMAND_CODES) as [
    SamCommandType,
    { command: number; parameter: number },
  ][]) {
    if (codes.command === request.command && codes.parameter === request.parameter && type !== 'set-baud') {
      return { type } as SamCommand;
    }
  }
  return undefined;
}

/** Bytes of the SAM ID reply data (management information). */
export const SAM_ID_LENGTH = 16;
/** Bytes of the card serial returned by select card (the sample in §2.4 shows zeros). */
export const CARD_SERIAL_LENGTH = 8;
/** How many 2-byte big-endian length fields open a read reply's data (text, photo, fingerprint). */
const READ_LENGTHS = { 'read-base': 2, 'read-base-fingerprint': 3 } as const;

/**
 * What a reply means for the command it answers.
 * - `refused`: SW3 is not the command's success status; status-words.ts says what to do.
 * - `malformed`: the success status with data that cannot be this reply (a late reply to an
 *   earlier command, or a SAM bug): the session treats it like a damaged reply.
 * - `base-message`: only the text block, copied out. The photo (and fingerprint) are skipped by
 *   length: never decoded, never copied, never kept.
 */
export type SamReply =
  | { type: 'ok' }
  | { type: 'sam-id'; id: string }
  | { type: 'card-found' }
  | { type: 'card-selected'; serial: string }
  | { type: 'base-message'; text: Buffer; photoBytes: number; fingerprintBytes: number }
  | { type: 'appended-address'; present: boolean; bytes: number }
  | { type: 'refused'; status: number }
  | { type: 'malformed'; reason: string };

export function decodeReply(command: SamCommand, response: SamResponse): SamReply {
  const { sw3, data } = response;
  switch (command.type) {
    case 'find-card':
      return sw3 === SW3.FIND_OK ? { type: 'card-found' } : refused(sw3, SW3.SUCCESS, 'find-card');
    case 'select-card':
      if (sw3 !== SW3.SUCCESS) return refused(sw3, SW3.FIND_OK, 'select-card');
      return { type: 'card-selected', serial: data.toString('hex') };
    case 'read-base':
    case 'read-base-fingerprint':
      if (sw3 !== SW3.SUCCESS) return refused(sw3, SW3.FIND_OK, command.type);
      return decodeBaseMessage(data, READ_LENGTHS[command.type]);
    case 'read-appended-address':
      if (sw3 === SW3.NO_CONTENT) return { type: 'appended-address', present: false, bytes: 0 };
      if (sw3 !== SW3.SUCCESS) return refused(sw3, SW3.FIND_OK, command.type);
      return { type: 'appended-address', present: true, bytes: data.length };
    case 'read-sam-id':
      if (sw3 !== SW3.SUCCESS) return refused(sw3, SW3.FIND_OK, command.type);
      return { type: 'sam-id', id: data.toString('hex') };
    case 'reset-sam':
    case 'sam-status':
    case 'set-baud':
      return sw3 === SW3.SUCCESS ? { type: 'ok' } : refused(sw3, SW3.FIND_OK, command.type);
  }
}

/**
 * The reply data of a read command: textLen, photoLen (and fpLen), each 2 bytes big-endian,
 * then the blocks in that order. The layout is fixed (text 256 bytes); the other lengths are
 * taken from the reply and must add up to its data length.
 */
function decodeBaseMessage(data: Buffer, lengthFields: 2 | 3): SamReply {
  const headerBytes = lengthFields * 2;
  if (data.length < headerBytes) return { type: 'malformed', reason: `read reply of ${data.length} B` };
  const textBytes = data.readUInt16BE(0);
  const photoBytes = data.readUInt16BE(2);
  const fingerprintBytes = lengthFields === 3 ? data.readUInt16BE(4) : 0;
  if (textBytes !== TEXT_BLOCK_LENGTH) {
    return { type: 'malformed', reason: `text block of ${textBytes} B, expected ${TEXT_BLOCK_LENGTH}` };
  }
  const expected = headerBytes + textBytes + photoBytes + fingerprintBytes;
  if (data.length !== expected) {
    return { type: 'malformed', reason: `read reply data of ${data.length} B, lengths announce ${expected}` };
  }
  const text = Buffer.from(data.subarray(headerBytes, headerBytes + textBytes));
  return { type: 'base-message', text, photoBytes, fingerprintBytes };
}

/**
 * A status other than the command's success. The other success code (0x90 where find answers
 * 0x9F and the reverse) is a reply to some other command: malformed, not a refusal.
 */
function refused(sw3: number, otherSuccess: number, type: SamCommandType): SamReply {
  if (sw3 === otherSuccess) {
    return { type: 'malformed', reason: `success status 0x${sw3.toString(16)} does not answer ${type}` };
  }
  return { type: 'refused', status: sw3 };
}

/** Longest reply a command can bring, for the reply deadline in wire time (timing.ts). */
export function maxReplyLength(command: SamCommand): number {
  const frame = 7 + 3 + 1;
  switch (command.type) {
    case 'read-base':
      return frame + 4 + TEXT_BLOCK_LENGTH + 1024;
    case 'read-base-fingerprint':
      return frame + 6 + TEXT_BLOCK_LENGTH + 1024 + 1024;
    case 'read-appended-address':
      return frame + 70;
    case 'read-sam-id':
      return frame + SAM_ID_LENGTH;
    case 'select-card':
      return frame + CARD_SERIAL_LENGTH;
    case 'find-card':
      return frame + 4;
    case 'reset-sam':
    case 'sam-status':
    case 'set-baud':
      return frame;
  }
}
