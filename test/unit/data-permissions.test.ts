/**
 * The data folder holds residents' names and the journal: the database (with its WAL) and the
 * log file are owner-only whatever the umask, and the folder the gateway makes for them is too
 * (docs/security.md). Real files in a temporary folder; the umask is the usual 022.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { createLogger } from '../../gateway/logging.js';

let dir: string;
let umask: number;
const mode = (path: string) => statSync(path).mode & 0o777;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-perm-'));
  umask = process.umask(0o022);
});

afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('files with personal data', () => {
  it('makes the database folder 0700 and the database, its WAL and shared memory 0600', () => {
    const path = join(dir, 'data', 'gatewarden.db');
    const db = openDatabase(path);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    expect(mode(join(dir, 'data'))).toBe(0o700);
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    expect(mode(`${path}-shm`)).toBe(0o600);
    db.close();
  });

  it('tightens a database file made world-readable before', () => {
    const path = join(dir, 'old.db');
    openDatabase(path).close();
    chmodSync(path, 0o644);
    const db = openDatabase(path);
    expect(mode(path)).toBe(0o600);
    db.close();
  });

  it('writes the log file owner-only', () => {
    const file = join(dir, 'logs', 'gatewarden.log');
    const log = createLogger({ level: 'info', file });
    log.info('hello');
    expect(mode(file)).toBe(0o600);
  });
});
