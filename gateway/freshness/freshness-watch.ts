import type { Checkpoint } from '../checkpoint/checkpoint.js';
import type { JournalEntry } from '../journal/events.js';
import type { Policy } from '../rules/types.js';
import type { Site } from '../site.js';
import { isStale, staleSince } from './freshness.js';

/** What the watch needs of the Site (site.ts); a narrow view so tests can hand in parts. */
export interface FreshnessSite {
  /** Journals and folds the alarm (Site.record). */
  record: Site['record'];
  checkpoint: Pick<Checkpoint, 'catchUp' | 'freshness' | 'mode'>;
  now: () => number;
  policy(mode: Checkpoint['mode']): Policy;
}

/**
 * Raises the `DATA_STALE` alarm once when the data go stale: the alarm names the refresh it is
 * about (`detail.refreshedAt`, 0 when there was none), and one already journaled for that
 * refresh (before a restart too: the checkpoint folds it) is not raised again. A new refresh
 * that goes stale in turn raises a new one. Stateless: called from the running gateway's tick;
 * reads the clock only through `site.now`.
 */
export function checkFreshness(site: FreshnessSite): JournalEntry<'alarm'> | undefined {
  site.checkpoint.catchUp();
  const policy = site.policy(site.checkpoint.mode).freshness;
  if (policy === undefined) return undefined;
  const at = site.now();
  const { refreshedAt, alarmedFor } = site.checkpoint.freshness();
  if (!isStale(policy, refreshedAt, at)) return undefined;
  const about = refreshedAt ?? 0;
  if (alarmedFor === about) return undefined;
  const alarm = site.record('alarm', at, {
    code: 'DATA_STALE',
    severity: 'warning',
    detail: {
      refreshedAt: about,
      staleSince: staleSince(policy, refreshedAt) ?? 0,
      maxAgeHours: policy.maxAgeMs / 3600_000,
      policy: policy.stalePolicy,
    },
  });
  return alarm;
}
