/**
 * Modbus RTU constants (protocols.md §3; Modbus Application Protocol V1.1b3 §6–7, Modbus over
 * Serial Line V1.02 §2.5). Every offset and limit the codec uses is named here.
 */

/** Offsets in an RTU ADU: `unit | function | data … | CRC lo | CRC hi`. */
export const OFFSET = {
  UNIT: 0,
  FUNCTION: 1,
  /** First data byte: start address, or byte count in a read response, or exception code. */
  DATA: 2,
  /** Read responses (FC01–04): byte count, then the values. */
  BYTE_COUNT: 2,
  VALUES: 3,
  /** Requests and write responses: start address (2) then quantity or value (2). */
  ADDRESS: 2,
  QUANTITY: 4,
  VALUE: 4,
  /** FC0F/FC10 requests: byte count after address and quantity. */
  WRITE_BYTE_COUNT: 6,
  WRITE_VALUES: 7,
} as const;

export const CRC_LENGTH = 2;
/** unit + function + CRC. */
export const ADU_OVERHEAD = 4;
/** unit, function|0x80, exception code, CRC. */
export const EXCEPTION_ADU_LENGTH = 5;
/** unit, function, address (2), quantity or value (2), CRC: every read request, FC05/06 and their echoes. */
export const FIXED_ADU_LENGTH = 8;
export const MAX_ADU_LENGTH = 256;

export const BROADCAST_UNIT = 0;
export const MIN_UNIT = 1;
export const MAX_UNIT = 247;

export const EXCEPTION_FLAG = 0x80;

export const FUNCTION = {
  READ_COILS: 0x01,
  READ_DISCRETE_INPUTS: 0x02,
  READ_HOLDING_REGISTERS: 0x03,
  READ_INPUT_REGISTERS: 0x04,
  WRITE_SINGLE_COIL: 0x05,
  WRITE_SINGLE_REGISTER: 0x06,
  WRITE_MULTIPLE_COILS: 0x0f,
  WRITE_MULTIPLE_REGISTERS: 0x10,
} as const;
export type FunctionCode = (typeof FUNCTION)[keyof typeof FUNCTION];

export const FUNCTION_CODES: readonly number[] = Object.values(FUNCTION);

/** FC05 values: anything else is an illegal data value (exception 0x03). */
export const COIL_ON = 0xff00;
export const COIL_OFF = 0x0000;

/** Quantity limits per request (Application Protocol §6): above them the server answers 0x03. */
export const LIMITS = {
  READ_BITS: 2000,
  READ_REGISTERS: 125,
  WRITE_COILS: 1968,
  WRITE_REGISTERS: 123,
} as const;

export const EXCEPTION = {
  ILLEGAL_FUNCTION: 0x01,
  ILLEGAL_DATA_ADDRESS: 0x02,
  ILLEGAL_DATA_VALUE: 0x03,
  SERVER_DEVICE_FAILURE: 0x04,
  ACKNOWLEDGE: 0x05,
  SERVER_BUSY: 0x06,
  MEMORY_PARITY_ERROR: 0x08,
  GATEWAY_PATH_UNAVAILABLE: 0x0a,
  GATEWAY_TARGET_NO_RESPONSE: 0x0b,
} as const;

const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? `exception 0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * Exceptions after which the same request may succeed a little later: the server is busy, or
 * accepted a long operation (0x05). Every other exception is final for that request.
 */
export function exceptionIsTransient(code: number): boolean {
  return code === EXCEPTION.SERVER_BUSY || code === EXCEPTION.ACKNOWLEDGE;
}
