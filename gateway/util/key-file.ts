import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewardenError } from '../errors.js';

/**
 * Loads a site secret of exactly `bytes` raw bytes from `path`, creating it when absent: a fresh
 * random key written with mode 0600, its folder created with mode 0700. `what` names the key in
 * errors ("pseudonym key", "OSDP master key"). Throws a GatewardenError when the file cannot be
 * read or written, or has another length.
 */
export function loadOrCreateKey(path: string, bytes: number, what: string): Buffer {
  const existing = readKeyFile(path, bytes, what);
  if (existing) return existing;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(bytes);
  try {
    writeFileSync(path, key, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    // Another process created it between our read and write: use theirs.
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(path, bytes, what) ?? key;
    throw new GatewardenError('CONFIG_UNREADABLE', `cannot write ${what} ${path}`, { cause });
  }
  return key;
}

function readKeyFile(path: string, bytes: number, what: string): Buffer | undefined {
  const key = readSecretFile(path, what);
  if (key === undefined) return undefined;
  if (key.length !== bytes) {
    throw new GatewardenError(
      'CONFIG_INVALID',
      `${what} ${path} must be ${bytes} bytes, found ${key.length}`,
    );
  }
  return key;
}

/**
 * Reads a secret (a key, a password) from a file that only its owner may read or write:
 * a file that grants anything to group or others is refused, as ssh refuses such a private
 * key, since whoever could read it holds the secret. `undefined` when the file does not exist.
 * The mode is read from the open file, so it is the mode of what is read.
 */
export function readSecretFile(path: string, what: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GatewardenError('CONFIG_UNREADABLE', `cannot read ${what} ${path}`, { cause });
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new GatewardenError(
        'CONFIG_INVALID',
        `${what} ${path} is open to other users (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${path}`,
      );
    }
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
