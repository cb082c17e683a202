import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import { verifyJournal } from '../../gateway/journal/verify.js';

const ROOT = resolve(import.meta.dirname, '../..');
const WRITER = join(import.meta.dirname, 'helpers/journal-writer.mjs');
/** What the child imports, compiled: `npm test` builds before it runs vitest. */
const COMPILED = ['dist/gateway/db.js', 'dist/gateway/journal/journal.js'];

function assertBuilt(): void {
  // Existence only: an mtime comparison would fail falsely after a checkout that leaves contents
  // unchanged (tsc's incremental build then emits nothing), with advice that would not help.
  for (const file of COMPILED) {
    if (!existsSync(join(ROOT, file))) {
      throw new Error(`${file} is missing: run \`npm run build\` before this test (\`npm test\` does it)`);
    }
  }
}

interface WriterRun {
  acknowledged: number[];
  signal: NodeJS.Signals | null;
}

/** Runs the writer until it has acknowledged `killAfter` seqs, then SIGKILLs it mid-stream. */
function runWriterAndKill(dbPath: string, killAfter: number): Promise<WriterRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WRITER, dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lines = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      lines += chunk.split('\n').length - 1;
      if (lines > killAfter && child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`writer exited with code ${code}, signal ${signal}:\n${stderr}`));
        return;
      }
      // Only complete lines were acknowledged; a partial last line is not.
      const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1).split('\n');
      const acknowledged = complete.filter((l) => /^\d+$/.test(l)).map(Number);
      resolvePromise({ acknowledged, signal });
    });
  });
}

describe('journal survives a SIGKILL mid-append', () => {
  let dir: string;

  beforeAll(assertBuilt);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatewarden-crash-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged entry and an intact chain, crash after crash', async () => {
    const dbPath = join(dir, 'gateway.db');
    const allAcknowledged: number[] = [];
    for (const killAfter of [40, 400, 1500]) {
      const run = await runWriterAndKill(dbPath, killAfter);
      expect(run.signal).toBe('SIGKILL');
      expect(run.acknowledged.length).toBeGreaterThanOrEqual(killAfter);
      allAcknowledged.push(...run.acknowledged);

      const db = openDatabase(dbPath);
      try {
        const journal = Journal.open(db);
        const verified = verifyJournal(db);
        expect(verified.problems).toEqual([]);
        expect(verified.ok).toBe(true);
        const missing = allAcknowledged.filter((seq) => journal.get(seq) === undefined);
        expect(missing).toEqual([]);
        expect(journal.lastSeq()).toBeGreaterThanOrEqual(Math.max(...allAcknowledged));
        expect(verified.lastSeq).toBe(journal.lastSeq());
      } finally {
        db.close();
      }
    }
    // Each restart on the crashed file continued the one sequence (strictly increasing; an entry
    // committed just before a kill but not yet printed leaves a hole in what was acknowledged).
    expect(allAcknowledged.every((seq, i) => i === 0 || seq > (allAcknowledged[i - 1] ?? 0))).toBe(true);
    expect(allAcknowledged[0]).toBe(1);
  });
});
