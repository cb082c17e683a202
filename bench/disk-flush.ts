/**
 * What one flush to this machine's disk costs at a gate's pace: a small write followed by
 * fdatasync, and by fsync, into a preallocated file in the data folder's file system, one every
 * few milliseconds (not back to back, which hides the device's latency behind its queue). This
 * is the floor under every durable journal append (WAL, synchronous = FULL), and so under the
 * gateway-added part of card-to-unlock (docs/performance.md, OSDP).
 *
 * Run: npm run bench:disk   Options: --dir D (default: a temporary folder under ./data),
 *      --flushes N (default 1000), --gap-ms G (default 5)
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { reportFigure } from './figures.js';
import { distribution } from './stats.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    flushes: { type: 'string', default: '1000' },
    'gap-ms': { type: 'string', default: '5' },
  },
});
const FLUSHES = Number(values.flushes);
const GAP_MS = Number(values['gap-ms']);

async function measure(fd: number, flush: (fd: number) => void): Promise<number[]> {
  const record = Buffer.alloc(256, 0x5a);
  const ms: number[] = [];
  for (let i = 0; i < FLUSHES; i++) {
    writeSync(fd, record, 0, record.length, (i * record.length) % (32 << 20));
    const started = performance.now();
    flush(fd);
    ms.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  return ms;
}

const summary = (values: number[]) => distribution(values, 3);

const base = values.dir ?? resolve('data');
mkdirSync(base, { recursive: true });
const dir = mkdtempSync(join(base, 'bench-disk-'));
try {
  const fd = openSync(join(dir, 'flush.bin'), 'w+');
  ftruncateSync(fd, 32 << 20);
  fsyncSync(fd);
  const fdatasync = summary(await measure(fd, fdatasyncSync));
  const fsync = summary(await measure(fd, fsyncSync));
  closeSync(fd);
  console.log(
    JSON.stringify(
      {
        machine: {
          cpu: cpus()[0]?.model,
          cores: cpus().length,
          node: process.version,
          loadAverage1m: loadavg()[0],
        },
        dir,
        flushes: FLUSHES,
        gapMs: GAP_MS,
        fdatasyncMs: fdatasync,
        fsyncMs: fsync,
      },
      null,
      2,
    ),
  );
  const note = `${FLUSHES} flushes of 256 bytes, ${GAP_MS} ms apart, in ${base}: the floor under a durable append`;
  reportFigure({ bench: 'disk', figure: 'fdatasync p99', value: fdatasync.p99, unit: 'ms', note });
  reportFigure({ bench: 'disk', figure: 'fsync p99', value: fsync.p99, unit: 'ms' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
