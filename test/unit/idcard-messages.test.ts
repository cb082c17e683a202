import { describe, expect, it } from 'vitest';
import type { SamResponse } from '../../drivers/idcard/framing/frame.js';
import {
  COMMAND_CODES,
  decodeCommand,
  decodeReply,
  encodeCommand,
  maxReplyLength,
  SAM_BAUD_RATES,
  type SamCommand,
} from '../../drivers/idcard/messages.js';
import { SAM_STATUSES, type StatusClass, statusInfo } from '../../drivers/idcard/status-words.js';
import { writeTextFields } from '../../drivers/idcard/text-block.js';
import { hex, REQUESTS } from '../fixtures/idcard/frames.hex.js';

const response = (sw3: number, data: Buffer = Buffer.alloc(0)): SamResponse => ({
  sw1: 0,
  sw2: 0,
  sw3,
  data,
});

/** protocols.md §2.4, transcribed independently of status-words.ts: SW3 → the class the session acts on. */
const TABLE: readonly [number, StatusClass][] = [
  [0x90, 'success'],
  [0x91, 'no-content'],
  [0x9f, 'success'],
  [0x10, 'frame-error'],
  [0x11, 'frame-error'],
  [0x21, 'command-error'],
  [0x23, 'card-error'],
  [0x24, 'card-error'],
  [0x31, 'card-error'],
  [0x32, 'card-error'],
  [0x33, 'card-error'],
  [0x40, 'card-unsupported'],
  [0x41, 'card-error'],
  [0x47, 'card-error'],
  [0x60, 'sam-fault'],
  [0x66, 'sam-fault'],
  [0x80, 'no-card'],
  [0x81, 'card-error'],
];

describe('SAM commands', () => {
  it.each(REQUESTS)('$name: decodeCommand inverts encodeCommand', ({ command }) => {
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
  });

  it('sets the baud with parameters 00–04 for 115200 … 9600', () => {
    SAM_BAUD_RATES.forEach((baudRate, parameter) => {
      const request = encodeCommand({ type: 'set-baud', baudRate });
      expect(request).toEqual({ command: 0x60, parameter, data: Buffer.alloc(0) });
      expect(decodeCommand(request)).toEqual({ type: 'set-baud', baudRate });
    });
    expect(decodeCommand({ command: 0x60, parameter: 5, data: Buffer.alloc(0) })).toBeUndefined();
  });

  it('uses reset 0x10 (not BearPi 0x01) and knows the appended-address read', () => {
    expect(COMMAND_CODES['reset-sam'].command).toBe(0x10);
    expect(encodeCommand({ type: 'read-appended-address' })).toMatchObject({
      command: 0x30,
      parameter: 0x03,
    });
    expect(decodeCommand({ command: 0x01, parameter: 0xff, data: Buffer.alloc(0) })).toBeUndefined();
    expect(decodeCommand({ command: 0x20, parameter: 0x01, data: Buffer.of(1) })).toBeUndefined();
  });

  it('bounds each reply by the sizes of §2.4', () => {
    expect(maxReplyLength({ type: 'read-base' })).toBe(1295);
    expect(maxReplyLength({ type: 'read-base-fingerprint' })).toBe(2321);
    expect(maxReplyLength({ type: 'find-card' })).toBe(15);
    expect(maxReplyLength({ type: 'select-card' })).toBe(19);
  });
});

describe('status words (SW3)', () => {
  it('catalogues exactly the statuses of protocols.md §2.4, each with a description', () => {
    expect(SAM_STATUSES.map((s) => s.code).sort()).toEqual(TABLE.map(([code]) => code).sort());
    for (const s of SAM_STATUSES) expect(s.en.length).toBeGreaterThan(5);
    expect(new Set(SAM_STATUSES.map((s) => s.name)).size).toBe(SAM_STATUSES.length);
  });

  const rows = TABLE.map(([code, cls]) => [`0x${code.toString(16).toUpperCase()}`, cls, code] as const);
  it.each(rows)('%s is classed %s', (_hex, cls, code) => {
    expect(statusInfo(code).class).toBe(cls);
    expect(statusInfo(code).code).toBe(code);
  });

  it('treats a status outside the table as a failed card conversation', () => {
    expect(statusInfo(0x55)).toMatchObject({ name: 'UNKNOWN', class: 'card-error' });
    expect(statusInfo(0x55).en).toContain('0x55');
  });
});

describe('decodeReply', () => {
  const read = (text: Buffer, photo = 1024, extra = 0) =>
    Buffer.concat([hex('01 00'), Buffer.of(photo >> 8, photo & 0xff), text, Buffer.alloc(photo + extra)]);

  it('find card: 0x9F found, 0x80 refused, 0x90 is another command’s reply', () => {
    const find: SamCommand = { type: 'find-card' };
    expect(decodeReply(find, response(0x9f, Buffer.alloc(4)))).toEqual({ type: 'card-found' });
    expect(decodeReply(find, response(0x80))).toEqual({ type: 'refused', status: 0x80 });
    expect(decodeReply(find, response(0x90)).type).toBe('malformed');
  });

  it('select card returns the serial as hex', () => {
    const reply = decodeReply({ type: 'select-card' }, response(0x90, hex('00 00 00 00 00 00 10 01')));
    expect(reply).toEqual({ type: 'card-selected', serial: '0000000000001001' });
    expect(decodeReply({ type: 'select-card' }, response(0x81))).toEqual({ type: 'refused', status: 0x81 });
  });

  it('read base message: the text block only, the photo skipped by its length', () => {
    const text = writeTextFields({ name: '张三' });
    const reply = decodeReply({ type: 'read-base' }, response(0x90, read(text)));
    expect(reply).toEqual({ type: 'base-message', text, photoBytes: 1024, fingerprintBytes: 0 });
  });

  it('read with fingerprint: three lengths, 0 fingerprint bytes or two templates', () => {
    const text = writeTextFields({});
    for (const fp of [0, 1024]) {
      const data = Buffer.concat([
        hex('01 00 04 00'),
        Buffer.of(fp >> 8, fp & 0xff),
        text,
        Buffer.alloc(1024 + fp),
      ]);
      expect(decodeReply({ type: 'read-base-fingerprint' }, response(0x90, data))).toMatchObject({
        type: 'base-message',
        fingerprintBytes: fp,
      });
    }
  });

  it('read replies whose lengths do not add up are malformed', () => {
    const text = writeTextFields({});
    expect(decodeReply({ type: 'read-base' }, response(0x90, read(text, 1024, 1))).type).toBe('malformed');
    expect(decodeReply({ type: 'read-base' }, response(0x90, hex('00 FF 04 00'))).type).toBe('malformed');
    expect(decodeReply({ type: 'read-base' }, response(0x90, hex('01'))).type).toBe('malformed');
    expect(decodeReply({ type: 'read-base' }, response(0x41))).toEqual({ type: 'refused', status: 0x41 });
  });

  it('appended address: 0x91 means none, not an error', () => {
    const cmd: SamCommand = { type: 'read-appended-address' };
    expect(decodeReply(cmd, response(0x91))).toEqual({ type: 'appended-address', present: false, bytes: 0 });
    expect(decodeReply(cmd, response(0x90, Buffer.alloc(70)))).toEqual({
      type: 'appended-address',
      present: true,
      bytes: 70,
    });
  });

  it('SAM management commands answer 0x90', () => {
    expect(decodeReply({ type: 'sam-status' }, response(0x90))).toEqual({ type: 'ok' });
    expect(decodeReply({ type: 'reset-sam' }, response(0x60))).toEqual({ type: 'refused', status: 0x60 });
    expect(decodeReply({ type: 'set-baud', baudRate: 9600 }, response(0x90))).toEqual({ type: 'ok' });
    expect(decodeReply({ type: 'read-sam-id' }, response(0x90, hex('05 01')))).toEqual({
      type: 'sam-id',
      id: '0501',
    });
  });
});
