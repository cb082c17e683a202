/**
 * Modbus RTU requests: building them (master) and reading them back (the simulated boards),
 * plus the ADU wrapper (unit, PDU, CRC). Responses are in responses.ts.
 *
 * Why our own codec and not `modbus-serial` (8.0.25: tried, then dropped from the dependencies),
 * as the issue suggests.
 * On an RS-485 line shared with OSDP readers, HalfDuplexLine must own the port and schedule
 * every exchange. modbus-serial accepts a custom port object (`new ModbusRTU(port)`: `open`,
 * `isOpen`, `write(buf)`, `'data'` events), so we tried a port whose `write` goes through
 * `line.exchange` and emits the collected reply as `'data'` (probe run against HalfDuplexLine
 * over MemoryBus, 9600 baud, a fake OSDP device taking 150 ms per exchange). Found:
 * 1. The library starts its transaction timer in `write()`, i.e. when the request is queued,
 *    not when the line sends it. Queued behind one OSDP exchange, a read with the library's
 *    100 ms timeout failed "Timed out" at 112 ms, although the line then sent it and got the
 *    reply.
 * 2. It keeps one transaction slot and no transaction id (RTU has none). The next read, to
 *    board 2, received board 1's late reply and failed "Unexpected data error, expected address
 *    2 got 1"; board 2's own reply was thrown away. Asked of the same board twice, the second
 *    read resolved with the reply to the first, abandoned request: stale loop-detector state,
 *    which is exactly what a barrier must not act on.
 * 3. With its timeout off, a line timeout cannot be reported to it: a port has no way to fail a
 *    transaction, so the read for a silent board was still pending after 2 s.
 * 4. It needs each `'data'` event to be one whole frame; its resynchronising framer
 *    (RTUBufferedPort) constructs its own SerialPort and cannot sit on a ByteTransport, so the
 *    collector would be ours anyway.
 * 5. Its timers are the global ones (no injected clock, style H13), errors are classified by
 *    message text ("CRC error", "Timed out"), and requiring it adds `readBit`/`writeBit` to
 *    `Buffer.prototype` for the whole process.
 * What would remain of it behind the line is building an 8-byte request and unpacking bits:
 * the few dozen lines below. So the line's exchange is the transaction, the collector frames
 * the reply, and this file builds and parses the PDUs.
 */

import {
  COIL_OFF,
  COIL_ON,
  CRC_LENGTH,
  EXCEPTION,
  FIXED_ADU_LENGTH,
  FUNCTION,
  LIMITS,
  MAX_ADU_LENGTH,
  MAX_UNIT,
  OFFSET,
} from './constants.js';
import { crc16Modbus, crcMatches } from './crc.js';

export type ModbusRequest =
  | { fn: 'read-coils'; unit: number; address: number; quantity: number }
  | { fn: 'read-discrete-inputs'; unit: number; address: number; quantity: number }
  | { fn: 'read-holding-registers'; unit: number; address: number; quantity: number }
  | { fn: 'read-input-registers'; unit: number; address: number; quantity: number }
  | { fn: 'write-single-coil'; unit: number; address: number; value: boolean }
  | { fn: 'write-single-register'; unit: number; address: number; value: number }
  | { fn: 'write-multiple-coils'; unit: number; address: number; values: readonly boolean[] }
  | { fn: 'write-multiple-registers'; unit: number; address: number; values: readonly number[] };

export type ReadRequest = Extract<ModbusRequest, { quantity: number }>;

export const FUNCTION_OF: Readonly<Record<ModbusRequest['fn'], number>> = {
  'read-coils': FUNCTION.READ_COILS,
  'read-discrete-inputs': FUNCTION.READ_DISCRETE_INPUTS,
  'read-holding-registers': FUNCTION.READ_HOLDING_REGISTERS,
  'read-input-registers': FUNCTION.READ_INPUT_REGISTERS,
  'write-single-coil': FUNCTION.WRITE_SINGLE_COIL,
  'write-single-register': FUNCTION.WRITE_SINGLE_REGISTER,
  'write-multiple-coils': FUNCTION.WRITE_MULTIPLE_COILS,
  'write-multiple-registers': FUNCTION.WRITE_MULTIPLE_REGISTERS,
};

const FN_BY_CODE: ReadonlyMap<number, ModbusRequest['fn']> = new Map(
  (Object.entries(FUNCTION_OF) as [ModbusRequest['fn'], number][]).map(([fn, code]) => [code, fn]),
);

/** A request or response that cannot be built or read: the message names the field. */
export class ModbusCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModbusCodecError';
  }
}

/** One RTU frame with its CRC checked and removed. */
export interface ModbusAdu {
  unit: number;
  function: number;
  /** The PDU after the function code. */
  data: Buffer;
}

/** unit | pdu | CRC (low byte first). */
export function encodeAdu(unit: number, pdu: Buffer): Buffer {
  const adu = Buffer.alloc(1 + pdu.length + CRC_LENGTH);
  adu[OFFSET.UNIT] = unit;
  pdu.copy(adu, OFFSET.FUNCTION);
  adu.writeUInt16LE(crc16Modbus(adu, 0, adu.length - CRC_LENGTH), adu.length - CRC_LENGTH);
  return adu;
}

/** Throws ModbusCodecError for a short frame or a wrong CRC. */
export function decodeAdu(frame: Buffer): ModbusAdu {
  if (frame.length < 4) throw new ModbusCodecError(`frame of ${frame.length} bytes is too short`);
  if (!crcMatches(frame, 0, frame.length)) throw new ModbusCodecError('CRC mismatch');
  return {
    unit: frame[OFFSET.UNIT] ?? 0,
    function: frame[OFFSET.FUNCTION] ?? 0,
    data: Buffer.from(frame.subarray(OFFSET.DATA, frame.length - CRC_LENGTH)),
  };
}

/** Bits packed LSB first: the first value is bit 0 of the first byte (Application Protocol §6.1). */
export function packBits(values: readonly boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(values.length / 8));
  values.forEach((on, i) => {
    if (on) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return out;
}

export function unpackBits(bytes: Buffer, count: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < count; i++) out.push((((bytes[i >> 3] ?? 0) >> (i & 7)) & 1) === 1);
  return out;
}

/** The whole ADU for a request. Throws ModbusCodecError for values no server would accept. */
export function encodeRequest(request: ModbusRequest): Buffer {
  checkRange('unit', request.unit, 0, MAX_UNIT);
  checkRange('address', request.address, 0, 0xffff);
  const fc = FUNCTION_OF[request.fn];
  switch (request.fn) {
    case 'read-coils':
    case 'read-discrete-inputs':
    case 'read-holding-registers':
    case 'read-input-registers': {
      const bits = request.fn === 'read-coils' || request.fn === 'read-discrete-inputs';
      checkRange('quantity', request.quantity, 1, bits ? LIMITS.READ_BITS : LIMITS.READ_REGISTERS);
      checkRange('end address', request.address + request.quantity - 1, 0, 0xffff);
      return encodeAdu(request.unit, header(fc, request.address, request.quantity));
    }
    case 'write-single-coil':
      return encodeAdu(request.unit, header(fc, request.address, request.value ? COIL_ON : COIL_OFF));
    case 'write-single-register':
      checkRange('value', request.value, 0, 0xffff);
      return encodeAdu(request.unit, header(fc, request.address, request.value));
    case 'write-multiple-coils':
    case 'write-multiple-registers': {
      const coils = request.fn === 'write-multiple-coils';
      const count = request.values.length;
      checkRange('quantity', count, 1, coils ? LIMITS.WRITE_COILS : LIMITS.WRITE_REGISTERS);
      checkRange('end address', request.address + count - 1, 0, 0xffff);
      const values = coils ? packBits(request.values as boolean[]) : registers(request.values as number[]);
      const pdu = Buffer.concat([header(fc, request.address, count), Buffer.from([values.length]), values]);
      return encodeAdu(request.unit, pdu);
    }
  }
}

/** What a server makes of a frame addressed to it: a request, or the exception to answer. */
export type DecodedRequest =
  | { kind: 'request'; request: ModbusRequest }
  | { kind: 'exception'; function: number; code: number; reason: string };

/**
 * The server side of `encodeRequest`, for simulated boards. Checks in the order of the
 * Application Protocol's state diagrams: function, then quantity and byte count (0x03), then
 * value (0x03). Address ranges are the device's business (0x02), not the codec's.
 */
export function decodeRequest(adu: ModbusAdu): DecodedRequest {
  const { unit, data } = adu;
  const fc = adu.function;
  const fail = (code: number, reason: string): DecodedRequest => ({
    kind: 'exception',
    function: fc,
    code,
    reason,
  });
  const fn: ModbusRequest['fn'] | undefined = FN_BY_CODE.get(fc);
  if (fn === undefined) return fail(EXCEPTION.ILLEGAL_FUNCTION, `function 0x${fc.toString(16)}`);
  const at = (offset: number) => offset - OFFSET.DATA;
  if (data.length < 4) return fail(EXCEPTION.ILLEGAL_DATA_VALUE, 'PDU too short');
  const address = data.readUInt16BE(at(OFFSET.ADDRESS));
  const word = data.readUInt16BE(at(OFFSET.QUANTITY));
  const request = (r: ModbusRequest): DecodedRequest => ({ kind: 'request', request: r });
  switch (fn) {
    case 'read-coils':
    case 'read-discrete-inputs':
    case 'read-holding-registers':
    case 'read-input-registers': {
      const bits = fn === 'read-coils' || fn === 'read-discrete-inputs';
      const max = bits ? LIMITS.READ_BITS : LIMITS.READ_REGISTERS;
      if (data.length !== 4 || word < 1 || word > max) return fail(EXCEPTION.ILLEGAL_DATA_VALUE, 'quantity');
      return request({ fn, unit, address, quantity: word });
    }
    case 'write-single-coil':
      if (data.length !== 4 || (word !== COIL_ON && word !== COIL_OFF))
        return fail(EXCEPTION.ILLEGAL_DATA_VALUE, `coil value 0x${word.toString(16)}`);
      return request({ fn, unit, address, value: word === COIL_ON });
    case 'write-single-register':
      if (data.length !== 4) return fail(EXCEPTION.ILLEGAL_DATA_VALUE, 'PDU length');
      return request({ fn, unit, address, value: word });
    case 'write-multiple-coils':
    case 'write-multiple-registers': {
      const coils = fn === 'write-multiple-coils';
      const max = coils ? LIMITS.WRITE_COILS : LIMITS.WRITE_REGISTERS;
      const byteCount = data[at(OFFSET.WRITE_BYTE_COUNT)];
      const expected = coils ? Math.ceil(word / 8) : word * 2;
      if (word < 1 || word > max || byteCount !== expected || data.length !== 5 + expected)
        return fail(EXCEPTION.ILLEGAL_DATA_VALUE, 'quantity or byte count');
      const values = data.subarray(at(OFFSET.WRITE_VALUES));
      return coils
        ? request({ fn, unit, address, values: unpackBits(values, word) })
        : request({ fn, unit, address, values: readRegisters(values, word) });
    }
  }
}

/**
 * Length of the request frame that would start at `at`, for a server scanning a shared line:
 * a number, 'more' when the bytes that tell it have not arrived yet, or undefined when the byte
 * there is no function code a frame can be delimited by (an unknown function has no length).
 */
export function requestLengthAt(data: Buffer, at: number): number | 'more' | undefined {
  const fc = data[at + OFFSET.FUNCTION];
  if (fc === undefined) return 'more';
  if (fc === FUNCTION.WRITE_MULTIPLE_COILS || fc === FUNCTION.WRITE_MULTIPLE_REGISTERS) {
    const count = data[at + OFFSET.WRITE_BYTE_COUNT];
    if (count === undefined) return 'more';
    const length = OFFSET.WRITE_VALUES + count + CRC_LENGTH;
    return length <= MAX_ADU_LENGTH ? length : undefined;
  }
  return fc >= FUNCTION.READ_COILS && fc <= FUNCTION.WRITE_SINGLE_REGISTER ? FIXED_ADU_LENGTH : undefined;
}

export function describeRequest(request: ModbusRequest): string {
  const what = 'quantity' in request ? `${request.quantity}` : 'value' in request ? `${request.value}` : '';
  const values = 'values' in request ? `${request.values.length} values` : what;
  return `${request.fn} unit ${request.unit} @${request.address} ${values}`;
}

function header(fc: number, address: number, word: number): Buffer {
  const pdu = Buffer.alloc(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(word, 3);
  return pdu;
}

function registers(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => {
    checkRange('register value', v, 0, 0xffff);
    out.writeUInt16BE(v, i * 2);
  });
  return out;
}

export function readRegisters(bytes: Buffer, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(bytes.readUInt16BE(i * 2));
  return out;
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ModbusCodecError(`${what} ${value} is not an integer in ${min}..${max}`);
  }
}
