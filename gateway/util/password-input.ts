/**
 * Where the `user add` commands (MQTT broker, admin API) take a password from: a file (mode
 * 0600, like every secret file of the gateway), standard input, or a fresh random one. Exactly
 * one source; a single trailing newline is not part of the password. Returns the hash, and the
 * generated password (to print once) when one was made.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GatewardenError } from '../errors.js';
import { readSecretFile } from './key-file.js';
import { hashPassword, PASSWORD_BYTES, type PasswordHash } from './password.js';

export interface PasswordSource {
  passwordFile?: string;
  passwordStdin?: boolean;
  generatePassword?: boolean;
}

export async function userPassword(
  source: PasswordSource,
  readStdin: () => Buffer = () => readFileSync(0),
): Promise<{ password: PasswordHash; generated?: string }> {
  const given = [
    source.passwordFile !== undefined,
    source.passwordStdin === true,
    source.generatePassword === true,
  ];
  if (given.filter(Boolean).length !== 1)
    throw new GatewardenError(
      'USAGE',
      'give exactly one of --password-file, --password-stdin, --generate-password',
    );
  if (source.generatePassword) {
    const generated = randomBytes(18).toString('base64url');
    return { password: await hashPassword(generated), generated };
  }
  let bytes: Buffer | undefined;
  if (source.passwordFile !== undefined) {
    bytes = readSecretFile(source.passwordFile, 'password file');
    if (bytes === undefined)
      throw new GatewardenError('USAGE', `password file ${source.passwordFile} does not exist`);
  } else {
    bytes = readStdin();
  }
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  const length = Buffer.byteLength(text);
  if (length < PASSWORD_BYTES.min || length > PASSWORD_BYTES.max)
    throw new GatewardenError(
      'USAGE',
      `a password must have ${PASSWORD_BYTES.min} to ${PASSWORD_BYTES.max} bytes`,
    );
  return { password: await hashPassword(text) };
}
