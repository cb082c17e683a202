/**
 * One running gateway per database (gateway/util/instance-lock.ts), with the built CLI: a second
 * `gatewarden start` on the same site exits with GATEWAY_RUNNING and touches nothing, while CLI
 * commands go on working beside the running one; after a stop, and after a kill -9 (the lock is
 * the operating system's, so none is left stale), the next start succeeds.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScratchSite } from './helpers/cli.js';

const sites: ScratchSite[] = [];
afterEach(() => {
  for (const site of sites.splice(0)) site.dispose();
});

describe('one gateway per database', () => {
  it('refuses a second start, lets the CLI work beside the first, and frees the lock on stop and on kill -9', async () => {
    const site = new ScratchSite();
    sites.push(site);
    const first = await site.start();
    try {
      await expect(site.start()).rejects.toThrow(
        /exited before ready \(2\)[\s\S]*another gateway is running on this database/,
      );
      expect(existsSync(join(site.dir, 'data', 'gatewarden.db.lock'))).toBe(true);
      const mode = site.run(['mode', 'get']);
      expect(mode.status, mode.stderr).toBe(0);
    } finally {
      expect((await first.stop()).status).toBe(0);
    }
    const second = await site.start();
    const killed = await second.stop('SIGKILL');
    expect(killed.status).toBeNull();
    const third = await site.start();
    expect((await third.stop()).status).toBe(0);
  });
});
