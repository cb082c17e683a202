import {
  CHECK_LENGTH,
  HEADER_LENGTH,
  MAX_LEN,
  MIN_LEN,
  OFFSET,
  PREAMBLE,
  REQUEST_FIXED,
  RESPONSE_FIXED,
} from './constants.js';
import type { FrameDirection, FrameOf, SamRequest, SamResponse } from './frame.js';

/**
 * Frame ⇄ bytes for the SAM protocol (protocols.md §2.2). Pure: no I/O, no state.
 * Decoding expects a packet the parser delimited (preamble .. CHK); it throws SamCodecError only
 * when handed something else, which the parser never does.
 */

export class SamCodecError extends Error {
  constructor(message: string) {
    super(`SAM frame: ${message}`);
    this.name = 'SamCodecError';
  }
}

/** XOR of `bytes[from..to)`: the CHK of a frame is the XOR of LEN_H up to the last data byte. */
export function xorCheck(bytes: Buffer, from = 0, to = bytes.length): number {
  let x = 0;
  for (let i = from; i < to; i++) x ^= bytes[i] ?? 0;
  return x;
}

/** True when the last byte of a whole packet is the XOR of LEN_H .. the byte before it. */
export function checkIsValid(packet: Buffer): boolean {
  const end = packet.length - CHECK_LENGTH;
  return end > OFFSET.CHECKED_FROM && xorCheck(packet, OFFSET.CHECKED_FROM, end) === packet[end];
}

export function encodeRequest(request: SamRequest): Buffer {
  const body = Buffer.concat([Buffer.of(byte(request.command), byte(request.parameter)), request.data]);
  return encodeBody(body, 'request');
}

export function encodeResponse(response: SamResponse): Buffer {
  const body = Buffer.concat([
    Buffer.of(byte(response.sw1), byte(response.sw2), byte(response.sw3)),
    response.data,
  ]);
  return encodeBody(body, 'response');
}

export function decodeRequest(packet: Buffer): SamRequest {
  assertDelimited(packet, 'request');
  return {
    command: packet[OFFSET.CMD] ?? 0,
    parameter: packet[OFFSET.PARA] ?? 0,
    data: Buffer.from(packet.subarray(OFFSET.REQUEST_DATA, packet.length - CHECK_LENGTH)),
  };
}

export function decodeResponse(packet: Buffer): SamResponse {
  assertDelimited(packet, 'response');
  return {
    sw1: packet[OFFSET.SW1] ?? 0,
    sw2: packet[OFFSET.SW2] ?? 0,
    sw3: packet[OFFSET.SW3] ?? 0,
    data: Buffer.from(packet.subarray(OFFSET.RESPONSE_DATA, packet.length - CHECK_LENGTH)),
  };
}

export function decodeFrame<D extends FrameDirection>(packet: Buffer, direction: D): FrameOf<D> {
  return (direction === 'request' ? decodeRequest(packet) : decodeResponse(packet)) as FrameOf<D>;
}

/** One line for logs and the simulator console: the header fields and the data length, never the data. */
export function describeRequest(request: SamRequest): string {
  return `CMD ${hex2(request.command)} PARA ${hex2(request.parameter)} data ${request.data.length} B`;
}

export function describeResponse(response: SamResponse): string {
  const sw = `${hex2(response.sw1)} ${hex2(response.sw2)} ${hex2(response.sw3)}`;
  return `SW ${sw} data ${response.data.length} B`;
}

export function hex2(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}

function encodeBody(body: Buffer, direction: FrameDirection): Buffer {
  const len = body.length + CHECK_LENGTH;
  if (len > MAX_LEN[direction]) {
    throw new SamCodecError(`${direction} LEN ${len} exceeds ${MAX_LEN[direction]}`);
  }
  const packet = Buffer.alloc(HEADER_LENGTH + len);
  Buffer.from(PREAMBLE).copy(packet, OFFSET.PREAMBLE);
  packet.writeUInt16BE(len, OFFSET.LEN_H);
  body.copy(packet, OFFSET.BODY);
  packet[packet.length - 1] = xorCheck(packet, OFFSET.CHECKED_FROM, packet.length - CHECK_LENGTH);
  return packet;
}

function assertDelimited(packet: Buffer, direction: FrameDirection): void {
  const fixed = direction === 'request' ? REQUEST_FIXED : RESPONSE_FIXED;
  if (packet.length < HEADER_LENGTH + fixed + CHECK_LENGTH) throw new SamCodecError('too short');
  const len = packet.readUInt16BE(OFFSET.LEN_H);
  if (len !== packet.length - HEADER_LENGTH || len < MIN_LEN[direction]) {
    throw new SamCodecError(`LEN ${len} does not match ${packet.length} bytes`);
  }
}

function byte(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new SamCodecError(`${value} is not a byte`);
  return value;
}
