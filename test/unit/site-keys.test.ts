import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { passesSchema, resolvePassesPaths } from '../../config/passes-schema.js';
import {
  keyFileState,
  previousKeyFile,
  retireOsdpPreviousKey,
  rotateOsdpMasterKey,
} from '../../gateway/cli/site-keys.js';
import { readDynamicKey, readPreviousDynamicKey } from '../../gateway/passes/site-passes.js';
import { rotateDynamicKey } from '../../gateway/passes/trust-writes.js';

const DAY = 86_400_000;

describe('site key files', () => {
  let dir: string;
  let master: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-keys-'));
    master = join(dir, 'osdp-master.key');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tells a secret open to others and a public file others may write from a fine one', () => {
    writeFileSync(master, Buffer.alloc(16, 1), { mode: 0o600 });
    expect(keyFileState({ name: 'osdp', path: master, secret: true })).toEqual({
      present: true,
      mode: '0600',
    });
    chmodSync(master, 0o640);
    expect(keyFileState({ name: 'osdp', path: master, secret: true }).problem).toMatch(/open to other users/);
    expect(keyFileState({ name: 'ring', path: master, secret: false }).problem).toBeUndefined();
    chmodSync(master, 0o666);
    expect(keyFileState({ name: 'ring', path: master, secret: false }).problem).toMatch(/writable by others/);
    expect(keyFileState({ name: 'none', path: join(dir, 'absent'), secret: true })).toEqual({
      present: false,
    });
  });

  it('rotates the OSDP master key once per change-over and refuses a key open to others', () => {
    const old = Buffer.alloc(16, 7);
    writeFileSync(master, old, { mode: 0o600 });
    rotateOsdpMasterKey(master);
    expect(readFileSync(previousKeyFile(master)).equals(old)).toBe(true);
    expect(readFileSync(master).equals(old)).toBe(false);
    expect(statSync(previousKeyFile(master)).mode & 0o777).toBe(0o600);
    expect(() => rotateOsdpMasterKey(master)).toThrow(/previous OSDP key is still kept/);
    expect(retireOsdpPreviousKey(master)).toBe(true);
    expect(retireOsdpPreviousKey(master)).toBe(false);
    chmodSync(master, 0o644);
    expect(() => rotateOsdpMasterKey(master)).toThrow(/open to other users/);
  });

  it('rotates the dynamic key with a change-over, once at a time', () => {
    const passes = resolvePassesPaths(passesSchema.parse({}), dir);
    const T0 = Date.UTC(2026, 10, 29);
    expect(() => rotateDynamicKey(passes, T0, DAY)).toThrow(/nothing to rotate/);
    const old = Buffer.alloc(32, 3);
    mkdirSync(dirname(passes.dynamicKeyFile), { recursive: true, mode: 0o700 });
    writeFileSync(passes.dynamicKeyFile, old, { mode: 0o600 });
    expect(rotateDynamicKey(passes, T0, DAY)).toEqual({ validUntil: T0 + DAY });
    expect(readPreviousDynamicKey(passes)).toEqual({ key: old, validUntil: T0 + DAY });
    expect(readDynamicKey(passes)?.equals(old)).toBe(false);
    expect(statSync(passes.dynamicKeyFile).mode & 0o777).toBe(0o600);
    expect(() => rotateDynamicKey(passes, T0 + DAY - 1, DAY)).toThrow(/change-over runs until/);
    expect(rotateDynamicKey(passes, T0 + DAY, DAY).validUntil).toBe(T0 + 2 * DAY);
  });
});
