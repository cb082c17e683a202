import { describe, expect, it } from 'vitest';
import {
  decodeAdu,
  decodeRequest,
  encodeAdu,
  encodeRequest,
  ModbusCodecError,
  packBits,
  requestLengthAt,
  unpackBits,
} from '../../drivers/modbus/codec.js';
import { EXCEPTION, exceptionIsTransient, exceptionName } from '../../drivers/modbus/constants.js';
import { crc16Modbus, crcMatches } from '../../drivers/modbus/crc.js';
import {
  decodeResponse,
  encodeResponse,
  responseLength,
  type ServerOutcome,
} from '../../drivers/modbus/responses.js';
import { modbusIdleGapCharacters } from '../../drivers/modbus/timing.js';
import { APP7_REQUEST, EXCEPTIONS, hex, VECTORS } from '../fixtures/modbus/frames.hex.js';

describe('CRC-16/MODBUS', () => {
  it('has the catalogue check value and the worked example of protocols.md §3.2', () => {
    expect(crc16Modbus(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
    expect(crc16Modbus(hex('01 05 00 00 FF 00'))).toBe(0x3a8c);
  });

  it('matches a frame only when the CRC follows low byte first', () => {
    expect(crcMatches(hex('01 05 00 00 FF 00 8C 3A'), 0, 8)).toBe(true);
    expect(crcMatches(hex('01 05 00 00 FF 00 3A 8C'), 0, 8)).toBe(false);
    expect(crcMatches(hex('01 05'), 0, 2)).toBe(false);
  });
});

describe('requests', () => {
  for (const v of VECTORS) {
    it(`builds ${v.name} (${v.source})`, () => {
      expect(encodeRequest(v.request).toString('hex')).toBe(v.requestFrame.toString('hex'));
    });

    it(`reads back ${v.name} on the board side`, () => {
      expect(decodeRequest(decodeAdu(v.requestFrame))).toEqual({ kind: 'request', request: v.request });
      expect(requestLengthAt(v.requestFrame, 0)).toBe(v.requestFrame.length);
    });
  }

  it('builds the request of the APP §7 exception example', () => {
    const request = EXCEPTIONS[2]?.request;
    expect(request && encodeRequest(request)).toEqual(APP7_REQUEST);
  });

  it('refuses requests no board would accept', () => {
    expect(() => encodeRequest({ fn: 'read-coils', unit: 1, address: 0, quantity: 0 })).toThrow(
      ModbusCodecError,
    );
    expect(() => encodeRequest({ fn: 'read-coils', unit: 1, address: 0, quantity: 2001 })).toThrow(
      /quantity/,
    );
    expect(() =>
      encodeRequest({ fn: 'read-holding-registers', unit: 1, address: 0, quantity: 126 }),
    ).toThrow();
    expect(() => encodeRequest({ fn: 'read-coils', unit: 248, address: 0, quantity: 1 })).toThrow(/unit/);
    expect(() => encodeRequest({ fn: 'read-coils', unit: 1, address: 0xffff, quantity: 2 })).toThrow(/end/);
    expect(() => encodeRequest({ fn: 'write-multiple-coils', unit: 1, address: 0, values: [] })).toThrow();
    expect(() =>
      encodeRequest({ fn: 'write-single-register', unit: 1, address: 0, value: 0x10000 }),
    ).toThrow();
  });

  it('answers bad requests with the exception the Application Protocol prescribes', () => {
    const refused = (frame: Buffer) => decodeRequest(decodeAdu(frame));
    // FC05 with a value other than FF00/0000 (0x5500 "toggle" of some boards): illegal data value.
    expect(refused(encodeAdu(1, hex('05 00 00 55 00')))).toMatchObject({ kind: 'exception', code: 0x03 });
    expect(refused(encodeAdu(1, hex('07')))).toMatchObject({ kind: 'exception', code: 0x01 });
    expect(refused(encodeAdu(1, hex('2B 0E 01 00')))).toMatchObject({ kind: 'exception', code: 0x01 });
    expect(refused(encodeAdu(1, hex('01 00 00 00 00')))).toMatchObject({ kind: 'exception', code: 0x03 });
    // FC0F whose byte count does not fit the quantity.
    expect(refused(encodeAdu(1, hex('0F 00 00 00 09 01 FF')))).toMatchObject({
      kind: 'exception',
      code: 0x03,
    });
  });

  it('knows a request frame’s length once its function (and FC0F/10 byte count) has arrived', () => {
    expect(requestLengthAt(hex('01'), 0)).toBe('more');
    expect(requestLengthAt(hex('01 0F 00 00 00 08'), 0)).toBe('more');
    expect(requestLengthAt(hex('01 0F 00 00 00 08 01'), 0)).toBe(10);
    expect(requestLengthAt(hex('01 2B'), 0)).toBeUndefined();
    expect(requestLengthAt(hex('01 10 00 00 00 7F FE'), 0)).toBeUndefined(); // longer than an ADU
  });

  it('rejects short frames and bad CRCs', () => {
    expect(() => decodeAdu(hex('01 05 8C'))).toThrow(/short/);
    expect(() => decodeAdu(hex('01 05 00 00 FF 00 8C 3B'))).toThrow(/CRC/);
  });
});

describe('responses', () => {
  for (const v of VECTORS) {
    const { responseFrame, reply } = v;
    if (!responseFrame || !reply) continue;
    it(`reads ${v.name}`, () => {
      expect(responseLength(v.request)).toBe(responseFrame.length);
      expect(decodeResponse(v.request, decodeAdu(responseFrame))).toEqual(reply);
    });

    it(`builds ${v.name} on the board side`, () => {
      const outcome: ServerOutcome =
        reply.kind === 'bits'
          ? { kind: 'bits', values: reply.values }
          : reply.kind === 'registers'
            ? { kind: 'registers', values: reply.values }
            : { kind: 'ok' };
      expect(encodeResponse(v.request, outcome).toString('hex')).toBe(responseFrame.toString('hex'));
    });
  }

  for (const x of EXCEPTIONS) {
    it(`reads and builds the exception ${x.name} (${x.source})`, () => {
      expect(decodeResponse(x.request, decodeAdu(x.frame))).toEqual({
        kind: 'exception',
        code: x.code,
        name: 'illegal data address',
      });
      expect(encodeResponse(x.request, { kind: 'exception', code: x.code })).toEqual(x.frame);
    });
  }

  it('calls a response that does not fit its request malformed', () => {
    const read = { fn: 'read-discrete-inputs', unit: 1, address: 0, quantity: 8 } as const;
    expect(decodeResponse(read, decodeAdu(encodeAdu(1, hex('02 02 03 00'))))).toMatchObject({
      kind: 'malformed',
      reason: 'byte count',
    });
    expect(decodeResponse(read, decodeAdu(encodeAdu(1, hex('01 01 03'))))).toMatchObject({
      kind: 'malformed',
    });
    const write = { fn: 'write-single-coil', unit: 1, address: 0, value: true } as const;
    expect(decodeResponse(write, decodeAdu(hex('01 05 00 00 00 00 CD CA')))).toEqual({
      kind: 'malformed',
      reason: 'echo differs',
    });
    expect(decodeResponse(write, decodeAdu(encodeAdu(1, hex('85 02 00'))))).toMatchObject({
      kind: 'malformed',
    });
  });

  it('packs bits LSB first and drops the padding', () => {
    expect(packBits([true, false, true])).toEqual(hex('05'));
    expect(unpackBits(hex('CD 6B 05'), 19).length).toBe(19);
    expect(packBits(unpackBits(hex('CD 6B 05'), 19))).toEqual(hex('CD 6B 05'));
  });

  it('names exceptions and says which are worth a retry', () => {
    expect(exceptionName(EXCEPTION.SERVER_DEVICE_FAILURE)).toBe('server device failure');
    expect(exceptionName(0x42)).toBe('exception 0x42');
    expect(exceptionIsTransient(EXCEPTION.SERVER_BUSY)).toBe(true);
    expect(exceptionIsTransient(EXCEPTION.ACKNOWLEDGE)).toBe(true);
    expect(exceptionIsTransient(EXCEPTION.ILLEGAL_DATA_ADDRESS)).toBe(false);
  });
});

describe('t3.5 as HalfDuplexLine idle characters', () => {
  it('is 3.5 eleven-bit characters up to 19200 baud and 1.75 ms above', () => {
    expect(modbusIdleGapCharacters(9600)).toBe(4); // 4.01 ms = 3.85 ten-bit characters
    expect(modbusIdleGapCharacters(19200)).toBe(4);
    expect(modbusIdleGapCharacters(38400)).toBe(7); // 1.75 ms = 6.72 characters
    expect(modbusIdleGapCharacters(115200)).toBe(21);
  });
});
