/**
 * Modbus RTU responses: what a master expects back for a request (length, layout, exception)
 * and how a server builds it. A response is only ever read against the request it answers:
 * RTU frames carry no transaction id, so the request is what gives a response its meaning.
 */
import {
  type DecodedRequest,
  encodeAdu,
  FUNCTION_OF,
  type ModbusAdu,
  type ModbusRequest,
  packBits,
  readRegisters,
  unpackBits,
} from './codec.js';
import {
  ADU_OVERHEAD,
  COIL_OFF,
  COIL_ON,
  EXCEPTION_ADU_LENGTH,
  EXCEPTION_FLAG,
  exceptionName,
  FIXED_ADU_LENGTH,
  OFFSET,
} from './constants.js';

/**
 * A response as the master reads it (style H9):
 * - `bits` / `registers`: a read's values, exactly `quantity` of them (padding bits dropped);
 * - `written`: a write's echo, checked against the request;
 * - `exception`: the server refused (`code` 0x01–0x0B, see constants.ts);
 * - `malformed`: the CRC held but the layout does not fit the request (wrong byte count, an
 *   echo of something else). Treated like a damaged reply: the request may be sent again.
 */
export type ModbusReply =
  | { kind: 'bits'; values: boolean[] }
  | { kind: 'registers'; values: number[] }
  | { kind: 'written' }
  | { kind: 'exception'; code: number; name: string }
  | { kind: 'malformed'; reason: string };

/** Length of the normal response to `request` (the exception response is always 5). */
export function responseLength(request: ModbusRequest): number {
  switch (request.fn) {
    case 'read-coils':
    case 'read-discrete-inputs':
      return ADU_OVERHEAD + 1 + Math.ceil(request.quantity / 8);
    case 'read-holding-registers':
    case 'read-input-registers':
      return ADU_OVERHEAD + 1 + 2 * request.quantity;
    default:
      return FIXED_ADU_LENGTH;
  }
}

/** The byte count a read response must carry, for collectors that check it before the CRC. */
export function responseByteCount(request: ModbusRequest): number | undefined {
  switch (request.fn) {
    case 'read-coils':
    case 'read-discrete-inputs':
      return Math.ceil(request.quantity / 8);
    case 'read-holding-registers':
    case 'read-input-registers':
      return 2 * request.quantity;
    default:
      return undefined;
  }
}

/** Reads `adu` (CRC already checked, unit already matched) as the answer to `request`. */
export function decodeResponse(request: ModbusRequest, adu: ModbusAdu): ModbusReply {
  const fc = FUNCTION_OF[request.fn];
  const data = adu.data;
  if (adu.function === (fc | EXCEPTION_FLAG)) {
    if (data.length !== EXCEPTION_ADU_LENGTH - ADU_OVERHEAD) return malformed('exception length');
    const code = data[0] ?? 0;
    return { kind: 'exception', code, name: exceptionName(code) };
  }
  if (adu.function !== fc) return malformed(`function 0x${adu.function.toString(16)}`);
  const at = (offset: number) => offset - OFFSET.DATA;
  switch (request.fn) {
    case 'read-coils':
    case 'read-discrete-inputs':
    case 'read-holding-registers':
    case 'read-input-registers': {
      const count = data[at(OFFSET.BYTE_COUNT)];
      if (count === undefined || count !== responseByteCount(request) || data.length !== 1 + count)
        return malformed('byte count');
      const values = data.subarray(at(OFFSET.VALUES));
      const bits = request.fn === 'read-coils' || request.fn === 'read-discrete-inputs';
      return bits
        ? { kind: 'bits', values: unpackBits(values, request.quantity) }
        : { kind: 'registers', values: readRegisters(values, request.quantity) };
    }
    default: {
      if (data.length !== 4) return malformed('echo length');
      const address = data.readUInt16BE(at(OFFSET.ADDRESS));
      const word = data.readUInt16BE(at(OFFSET.QUANTITY));
      if (address !== request.address || word !== echoWord(request)) return malformed('echo differs');
      return { kind: 'written' };
    }
  }
}

/** What a server answers: the values of a read, `ok` for a write, or an exception code. */
export type ServerOutcome =
  | { kind: 'bits'; values: readonly boolean[] }
  | { kind: 'registers'; values: readonly number[] }
  | { kind: 'ok' }
  | { kind: 'exception'; code: number };

/** The response ADU for a request a server has handled (or refused). */
export function encodeResponse(request: ModbusRequest, outcome: ServerOutcome): Buffer {
  const fc = FUNCTION_OF[request.fn];
  switch (outcome.kind) {
    case 'exception':
      return encodeException(request.unit, fc, outcome.code);
    case 'bits': {
      const values = packBits(outcome.values);
      return encodeAdu(request.unit, Buffer.concat([Buffer.from([fc, values.length]), values]));
    }
    case 'registers': {
      const values = Buffer.alloc(outcome.values.length * 2);
      for (const [i, v] of outcome.values.entries()) values.writeUInt16BE(v, i * 2);
      return encodeAdu(request.unit, Buffer.concat([Buffer.from([fc, values.length]), values]));
    }
    case 'ok': {
      const pdu = Buffer.alloc(5);
      pdu[0] = fc;
      pdu.writeUInt16BE(request.address, 1);
      pdu.writeUInt16BE(echoWord(request), 3);
      return encodeAdu(request.unit, pdu);
    }
  }
}

/** `unit | fc|0x80 | code | CRC`. */
export function encodeException(unit: number, fc: number, code: number): Buffer {
  return encodeAdu(unit, Buffer.from([fc | EXCEPTION_FLAG, code]));
}

/** The exception frame for a request `decodeRequest` refused. */
export function encodeRefusal(unit: number, refused: Extract<DecodedRequest, { kind: 'exception' }>): Buffer {
  return encodeException(unit, refused.function, refused.code);
}

/** The second word of a write's echo: the value (FC05/06) or the quantity written (FC0F/10). */
function echoWord(request: ModbusRequest): number {
  switch (request.fn) {
    case 'write-single-coil':
      return request.value ? COIL_ON : COIL_OFF;
    case 'write-single-register':
      return request.value;
    case 'write-multiple-coils':
    case 'write-multiple-registers':
      return request.values.length;
    default:
      return request.quantity;
  }
}

function malformed(reason: string): ModbusReply {
  return { kind: 'malformed', reason };
}
