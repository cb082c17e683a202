import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { KeyRing, parseKeyRing } from './key-ring.js';
import { parseRevocations } from './revocations.js';

/**
 * The key ring and the revocation list as the gateway trusts them: exactly what the files say
 * now. Each file is stat'ed on every read and parsed again when it changed (the CLI replaces
 * files by rename, so a change always shows in inode, size or mtime), so a `pass revoke` takes
 * effect at the next scan without a restart.
 *
 * Failing closed: a file that exists but cannot be read or parsed, or that users other than
 * its owner may write (whoever can add a key can mint passes), makes the trust unavailable and
 * every signed pass is refused until it is fixed; the problem is reported once per change.
 * A missing key ring means no trusted keys; a missing revocation list means nothing revoked.
 */

export type Trust =
  | { ok: true; ring: KeyRing; revoked: ReadonlySet<string> }
  | { ok: false; problem: string };

export interface TrustFilePaths {
  keyRingFile: string;
  revocationFile: string;
}

type Loaded<T> = { ok: true; value: T } | { ok: false; problem: string };

class WatchedFile<T> {
  private signature: string | undefined;
  private loaded: Loaded<T> | undefined;

  constructor(
    readonly path: string,
    private readonly parse: (text: string) => Loaded<T>,
    private readonly absent: T,
    private readonly onProblem: (problem: string) => void,
  ) {}

  read(): Loaded<T> {
    const signature = statSignature(this.path);
    if (this.loaded !== undefined && signature === this.signature) return this.loaded;
    this.signature = signature;
    this.loaded = signature === 'absent' ? { ok: true, value: this.absent } : this.load();
    if (!this.loaded.ok) this.onProblem(this.loaded.problem);
    return this.loaded;
  }

  private load(): Loaded<T> {
    let text: string;
    try {
      text = readTrustFile(this.path);
    } catch (err) {
      return { ok: false, problem: `${this.path}: ${(err as Error).message}` };
    }
    const parsed = this.parse(text);
    return parsed.ok ? parsed : { ok: false, problem: `${this.path}: ${parsed.problem}` };
  }
}

export class TrustFiles {
  private readonly ring: WatchedFile<KeyRing>;
  private readonly revocations: WatchedFile<ReadonlySet<string>>;

  constructor(paths: TrustFilePaths, onProblem: (problem: string) => void = () => {}) {
    this.ring = new WatchedFile(
      paths.keyRingFile,
      (text) => {
        const r = parseKeyRing(text);
        return r.ok ? { ok: true, value: r.ring } : { ok: false, problem: r.problems.join('; ') };
      },
      new KeyRing([]),
      onProblem,
    );
    this.revocations = new WatchedFile<ReadonlySet<string>>(
      paths.revocationFile,
      (text) => {
        const r = parseRevocations(text);
        return r.ok
          ? { ok: true, value: new Set(r.revocations.map((x) => x.passId)) }
          : { ok: false, problem: r.problems.join('; ') };
      },
      new Set(),
      onProblem,
    );
  }

  current(): Trust {
    const ring = this.ring.read();
    if (!ring.ok) return { ok: false, problem: ring.problem };
    const revoked = this.revocations.read();
    if (!revoked.ok) return { ok: false, problem: revoked.problem };
    return { ok: true, ring: ring.value, revoked: revoked.value };
  }
}

function statSignature(path: string): string {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.mode}`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : `error:${(err as Error).message}`;
  }
}

/**
 * Reads a file that decides what is trusted: refused when group or others may write it. The
 * mode is read from the open file, so it is the mode of what is read.
 */
export function readTrustFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o022) !== 0) {
      const shown = mode.toString(8).padStart(4, '0');
      throw new Error(`writable by other users (mode ${shown}): run chmod go-w ${path}`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
