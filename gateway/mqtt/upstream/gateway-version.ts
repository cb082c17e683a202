import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The gateway's version from the nearest package.json above this module (the repository's; works
 * from dist/ too), for the birth message. `unknown` when there is none (a stripped deployment).
 */
export function gatewayVersion(): string {
  let dir = import.meta.dirname;
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        return typeof version === 'string' ? version : 'unknown';
      } catch {
        return 'unknown';
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
