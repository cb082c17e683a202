/**
 * The users file of the embedded broker: JSON under dataDir, mode 0600, written only by
 * `gatewarden mqtt user …` and read by the broker. Each user has a name, a role, for a device
 * its device id and its topic patterns, and a scrypt password hash (see password.ts).
 *
 *   { "version": 1, "users": [ { "name": "lock-north", "role": "device", "device": "lock-north",
 *       "publish": ["zigbee2mqtt/lock-north", …], "subscribe": ["zigbee2mqtt/lock-north/set", …],
 *       "password": { "algorithm": "scrypt", "N": 32768, "r": 8, "p": 1, "salt": "…", "hash": "…" } } ] }
 *
 * A file that group or others may read is refused (like an ssh private key): whoever reads the
 * hashes can try passwords offline. A missing file means no users: every client is refused.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { GatewardenError } from '../../errors.js';
import { readSecretFile } from '../../util/key-file.js';
import { isTopicName } from './device-conventions.js';
import { ROLES, topicProblem } from './topic-acl.js';

const WHAT = 'MQTT users file';

const patternSchema = z
  .string()
  .refine((p) => topicProblem(p, { wildcards: true, maxBytes: 1024 }) === undefined, {
    message: 'is not a valid MQTT topic filter',
  });

const passwordHashSchema = z.strictObject({
  algorithm: z.literal('scrypt'),
  N: z
    .number()
    .int()
    .min(2 ** 10)
    .max(2 ** 20)
    .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: z.base64().min(16),
  hash: z.base64().min(16),
});

export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const userSchema = z
  .strictObject({
    name: z
      .string()
      .regex(USER_NAME, 'letters, digits, ".", "_" and "-", at most 64, starting with a letter or digit'),
    role: z.enum(ROLES),
    device: z
      .string()
      .refine(isTopicName, 'is not a topic name (no +, #, empty level or leading $)')
      .optional(),
    publish: z.array(patternSchema).optional(),
    subscribe: z.array(patternSchema).optional(),
    password: passwordHashSchema,
  })
  .refine((u) => u.role !== 'device' || (u.device !== undefined && u.publish && u.subscribe), {
    message: 'a device user needs its device id and publish and subscribe patterns',
  })
  .refine((u) => u.role !== 'dashboard' || (u.publish ?? []).length === 0, {
    message: 'a dashboard user never publishes: remove its publish patterns',
  });

export const usersFileSchema = z.strictObject({
  version: z.literal(1),
  users: z.array(userSchema).refine((us) => new Set(us.map((u) => u.name)).size === us.length, {
    message: 'lists a user name twice',
  }),
});

export type BrokerUser = z.output<typeof userSchema>;
export type UsersFile = z.output<typeof usersFileSchema>;

/** Reads and validates the users file; `undefined` when it does not exist. */
export function readUsersFile(path: string): UsersFile | undefined {
  const bytes = readSecretFile(path, WHAT);
  if (bytes === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new GatewardenError('CONFIG_INVALID', `${WHAT} ${path} is not JSON`, {
      cause,
      problems: [{ file: path, message: (cause as Error).message }],
    });
  }
  const result = usersFileSchema.safeParse(raw);
  if (!result.success) {
    throw new GatewardenError('CONFIG_INVALID', `${WHAT} ${path} is invalid`, {
      problems: result.error.issues.map((i) => ({ file: path, field: i.path.join('.'), message: i.message })),
    });
  }
  return result.data;
}

/**
 * Replaces the users file atomically (a reader sees the old or the new file, never half of
 * one): written to a temporary file with mode 0600 in the same folder, synced, renamed over.
 */
export function writeUsersFile(path: string, file: UsersFile): void {
  const checked = usersFileSchema.parse(file);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    rmSync(temporary, { force: true });
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(checked, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (cause) {
    rmSync(temporary, { force: true });
    throw new GatewardenError('CONFIG_UNREADABLE', `cannot write ${WHAT} ${path}`, { cause });
  }
}
