import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

/** Helpers shared by the byte-stream targets: byte arbitraries, chunking, fixtures. */

export const byte = fc.integer({ min: 0, max: 0xff });

export const bytes = (minLength: number, maxLength = minLength): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));

/**
 * Line noise of up to `maxLength` bytes in which about half the bytes are drawn from `hot`
 * (start-of-frame bytes, plausible lengths and codes), so that false headers are common.
 */
export function noise(hot: readonly number[], maxLength: number): fc.Arbitrary<Buffer> {
  return fc
    .array(fc.oneof(byte, fc.constantFrom(...hot)), { maxLength })
    .map((values) => Buffer.from(values));
}

/** Chunk sizes, applied in a cycle; empty means the whole stream in one chunk. */
export const chunkSizes = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });

export function chunked(stream: Buffer, sizes: readonly number[]): Buffer[] {
  if (sizes.length === 0) return [stream];
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** Flips bit `bit` (0–7) of the byte at `at` modulo the length; a copy. */
export function flipBit(data: Buffer, at: number, bit: number): Buffer {
  const out = Buffer.from(data);
  if (out.length === 0) return out;
  const i = at % out.length;
  out[i] = (out[i] ?? 0) ^ (1 << (bit & 7));
  return out;
}

let root: string | undefined;

/** The repository root (the folder of gatewarden's package.json), from source or from dist/. */
export function repoRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'gatewarden'
    ) {
      root = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('fuzz: cannot find the gatewarden repository root');
    dir = up;
  }
}

/** A file under test/fixtures, read as text. */
export function fixture(path: string): string {
  return readFileSync(join(repoRoot(), 'test', 'fixtures', path), 'utf8');
}
