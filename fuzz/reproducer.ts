import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A saved failure: the target, the fast-check seed and path that regenerate the input through
 * the target's arbitrary, and the input itself, so that it replays even after the arbitrary
 * changed. Written as JSON that a person can read: Buffers as hex, the rest as it is, with the
 * few values JSON cannot hold tagged (see `toJsonValue`).
 */
export interface Reproducer {
  target: string;
  seed: number;
  /** fast-check's counterexample path (`"41:0:3"`): run 41, then the shrink steps. */
  path: string;
  /** The failure as first reported (after shrinking). */
  error: string;
  /** The input, encoded by `toJsonValue`. */
  input: unknown;
  /** When and where it was found, for the reader. */
  foundAt: string;
  node: string;
}

/** Default folder, relative to the repository root. */
export const REPRODUCER_DIR = 'fuzz/reproducers';

/** Longest path written out in a file name; the file always holds the whole path. */
const MAX_PATH_IN_NAME = 40;

/**
 * `<target>-<seed>-<path>.json`, the path's `:` written `_` (it separates shrink steps). A long
 * shrink path is written as its run index, the number of shrink steps and a hash of the path.
 */
export function reproducerFileName(target: string, seed: number, path: string): string {
  const written = path.replaceAll(':', '_');
  if (written.length <= MAX_PATH_IN_NAME) return `${target}-${seed}-${written}.json`;
  const [run = '', ...steps] = path.split(':');
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 10);
  return `${target}-${seed}-${run}_${steps.length}steps_${hash}.json`;
}

export function writeReproducer(dir: string, reproducer: Omit<Reproducer, 'foundAt' | 'node'>): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, reproducerFileName(reproducer.target, reproducer.seed, reproducer.path));
  const full: Reproducer = { ...reproducer, foundAt: new Date().toISOString(), node: process.version };
  writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  return file;
}

export function readReproducer(file: string): Reproducer {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Reproducer>;
  if (typeof parsed.target !== 'string' || typeof parsed.seed !== 'number' || typeof parsed.path !== 'string')
    throw new Error(`${file}: not a fuzz reproducer (needs target, seed and path)`);
  if (!('input' in parsed)) throw new Error(`${file}: the reproducer has no input`);
  return parsed as Reproducer;
}

/**
 * Tags for what JSON cannot hold. An object with exactly one key starting with `$fuzz:` is a
 * tagged value; a plain object that happens to look like one is wrapped in `$fuzz:object`.
 */
const TAG = '$fuzz:';

/** A JSON-safe copy of a fuzz input: reversible by `fromJsonValue`. */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return { [`${TAG}undefined`]: true };
  if (typeof value === 'number') {
    if (Number.isNaN(value) || !Number.isFinite(value) || Object.is(value, -0))
      return { [`${TAG}number`]: Object.is(value, -0) ? '-0' : String(value) };
    return value;
  }
  if (typeof value === 'bigint') return { [`${TAG}bigint`]: value.toString() };
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return { [`${TAG}buffer`]: value.toString('hex') };
  if (value instanceof Uint8Array) return { [`${TAG}uint8array`]: Buffer.from(value).toString('hex') };
  if (value instanceof RegExp) return { [`${TAG}regexp`]: [value.source, value.flags] };
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // defineProperty, not assignment: a `__proto__` key stays an own key, as in the input.
    Object.defineProperty(out, key, {
      value: toJsonValue((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const keys = Object.keys(out);
  return keys.length === 1 && keys[0]?.startsWith(TAG) ? { [`${TAG}object`]: out } : out;
}

export function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  const [key] = keys;
  const tagged = keys.length === 1 && key?.startsWith(TAG);
  const inner = tagged ? (value as Record<string, unknown>)[key as string] : undefined;
  switch (tagged ? key : undefined) {
    case `${TAG}undefined`:
      return undefined;
    case `${TAG}number`:
      return inner === '-0' ? -0 : Number(inner);
    case `${TAG}bigint`:
      return BigInt(String(inner));
    case `${TAG}buffer`:
      return Buffer.from(String(inner), 'hex');
    case `${TAG}uint8array`:
      return new Uint8Array(Buffer.from(String(inner), 'hex'));
    case `${TAG}regexp`: {
      const [source, flags] = inner as [string, string];
      return new RegExp(source, flags);
    }
    case `${TAG}object`:
      return plainObject(inner as Record<string, unknown>);
    default:
      return plainObject(value as Record<string, unknown>);
  }
}

function plainObject(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, {
      value: fromJsonValue(value[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
