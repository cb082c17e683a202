import { randomInt } from 'node:crypto';
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import {
  decodeSpill,
  encodeHeader,
  encodeRecord,
  HEADER_BYTES,
  type SpilledEntry,
  type SpillImage,
} from './held-spill-codec.js';

/**
 * The file that keeps entries held during a journal outage (held-entries.ts) across a crash or
 * a power cut: docs/journal.md "Disk full".
 *
 * Why a file of our own: the outage is the journal's database failing to grow, so the held
 * entries need somewhere that takes writes on a full disk. The file is written with zeros to
 * its full size when it is made (at a start, while there is room), so that overwriting it later
 * needs no new blocks: true on ext4, xfs and tmpfs, not on copy-on-write file systems (btrfs,
 * zfs), where a full disk can refuse even this. No library keeps an append log in a
 * preallocated file with this contract; SQLite itself is what cannot grow.
 *
 * Contract
 * - `add` writes one record and flushes it (fdatasync) before it returns: an entry the gateway
 *   acted on survives a crash or power cut from then on. False: no room (nothing written).
 * - `open` starts an outage (a new generation, so older records no longer count); `close` ends
 *   it once its entries landed. Each writes and flushes the header.
 * - One owner: the running gateway (`gatewarden start`). CLI commands never open it.
 * - I/O errors are thrown; the caller keeps the entry in memory and says so.
 */
export class HeldSpill {
  private constructor(
    private fd: number | undefined,
    readonly path: string,
    readonly capacity: number,
    private generation: number,
    private isOpen: boolean,
    private end: number,
  ) {}

  /**
   * Opens the spill at `path`, made with `capacity` bytes of zeros if it does not exist (removed
   * again if that fails: no half-made file stays), and returns what it holds.
   */
  static openFile(path: string, capacity: number): { spill: HeldSpill; image: SpillImage } {
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      fd = create(path, capacity);
    }
    try {
      const image = decodeSpill(readAll(fd));
      if (!image.open) grow(fd, capacity);
      // An unreadable header left the generation unknown: a random one, so records of an earlier
      // outage still in the file cannot pass for the next outage's (2^-32).
      const generation =
        image.problem !== undefined && !image.open ? randomInt(2 ** 32 - 1) : image.generation;
      const spill = new HeldSpill(fd, path, fstatSync(fd).size, generation, image.open, image.end);
      return { spill, image };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Bytes left for records of the open outage (all of it but the header when none is open). */
  get remaining(): number {
    return this.capacity - (this.isOpen ? this.end : HEADER_BYTES);
  }

  /** Starts an outage: records from here on are its own. */
  open(): void {
    this.generation = (this.generation + 1) >>> 0;
    this.writeHeader(true);
    this.end = HEADER_BYTES;
  }

  /** Writes and flushes one record of the open outage; false when it does not fit. */
  add(entry: SpilledEntry): boolean {
    if (!this.isOpen) this.open();
    const record = encodeRecord(this.generation, entry);
    if (this.end + record.length > this.capacity) return false;
    this.write(record, this.end);
    this.end += record.length;
    return true;
  }

  /** Ends the outage: its entries are in the journal. */
  close(): void {
    if (this.isOpen) this.writeHeader(false);
  }

  /** Closes the file (at a stop); the records stay for the next start. */
  release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private writeHeader(open: boolean): void {
    this.write(encodeHeader(this.generation, open), 0);
    this.isOpen = open;
  }

  private write(bytes: Buffer, position: number): void {
    if (this.fd === undefined) throw new Error(`the held-entries spill ${this.path} is closed`);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, position + done);
    fdatasyncSync(this.fd);
  }
}

const ZEROS = Buffer.alloc(64 * 1024);

function create(path: string, capacity: number): number {
  const fd = openSync(path, 'wx+', 0o600);
  try {
    let written = 0;
    const header = encodeHeader(0, false);
    written += writeSync(fd, header, 0, header.length, 0);
    while (written < capacity) {
      written += writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, capacity - written), written);
    }
    fsyncSync(fd);
    syncDirectory(dirname(path));
    return fd;
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
}

/**
 * Extends a spill made smaller (a crash while it was made, a larger bound configured since) with
 * zeros; on a full disk it stays as it is, and the bound it sets comes sooner.
 */
function grow(fd: number, capacity: number): void {
  let size = fstatSync(fd).size;
  try {
    while (size < capacity) size += writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, capacity - size), size);
    fsyncSync(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
}

/** The new file's name is durable only once its directory is flushed. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readAll(fd: number): Buffer {
  const bytes = Buffer.alloc(fstatSync(fd).size);
  let done = 0;
  while (done < bytes.length) {
    const n = readSync(fd, bytes, done, bytes.length - done, done);
    if (n === 0) break;
    done += n;
  }
  return bytes.subarray(0, done);
}
