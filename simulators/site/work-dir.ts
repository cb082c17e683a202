import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The simulated site's working folder: ptys, the generated configuration, the gateway's log,
 * the credentials and `data/` (database, keys). Every start begins from a fresh `data/`, so a
 * run is reproducible from its seed; the last run's journal stays there until the next start.
 *
 * Two guards: a folder that holds other things and was not made by the launcher (no `.sim-site`
 * marker) is refused rather than cleared, and a folder another running launcher holds (its pid
 * in `.sim-site.pid`) is refused rather than shared.
 */
const MARKER = '.sim-site';
const LOCK = '.sim-site.pid';

/** The repository root: the nearest folder above this file with gatewarden's package.json. */
export function packageRoot(from = import.meta.dirname): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'gatewarden'
    )
      return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no gatewarden package.json above ${from}`);
    dir = up;
  }
}

/** Claims `dir` for this process and clears the previous run's state; throws with the reason when it may not. */
export function claimWorkDir(path: string): string {
  const dir = resolve(path);
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(MARKER))
      throw new Error(
        `${dir} is not empty and was not made by gatewarden-sim site: give --dir a new or empty folder`,
      );
    const holder = lockHolder(dir);
    if (holder !== undefined && holder !== process.pid)
      throw new Error(
        `another gatewarden-sim site (pid ${holder}) runs in ${dir}: stop it first, or give another --dir`,
      );
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, MARKER), 'made by gatewarden-sim site: this folder is cleared at every start\n');
  writeFileSync(join(dir, LOCK), `${process.pid}\n`);
  rmSync(join(dir, 'data'), { recursive: true, force: true });
  return dir;
}

/** Gives the folder up (its state stays for a look after the run). */
export function releaseWorkDir(dir: string): void {
  if (lockHolder(dir, true) === process.pid) rmSync(join(dir, LOCK), { force: true });
}

/** The pid in the lock file when that process still runs (or, with `any`, whoever it is). */
function lockHolder(dir: string, any = false): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dir, LOCK), 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (any || pid === process.pid) return pid;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
