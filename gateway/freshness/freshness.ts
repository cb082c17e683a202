/**
 * Freshness of the data the gateway decides on (docs/freshness.md): the registry, the pass
 * revocation list and the trusted issuer keys. Pure functions over journal facts; no clock.
 *
 * "Refreshed" is a journal fact, never a file's mtime (a copied or touched file proves nothing):
 * the newest `operator` entry that is a refresh (see `isRefresh`). The checkpoint folds it
 * (checkpoint/site-state.ts), the rule DATA_STALE reads it through the lane context, the watch
 * (freshness-watch.ts) raises the alarm and the API reports it, all through these functions.
 */

/**
 * What the gate does while the data are stale.
 * - `residents-cards`: only residents' and staff's registry cards, ID cards and work certificates
 *   pass; signed QR passes, visitors, repair workers, couriers and plates are refused.
 * - `deny-qr`: signed QR passes are refused (revocations may be missing); the rest as usual.
 * - `warn-only`: nothing is refused for it; every decision carries the DATA_STALE notice.
 */
export const STALE_POLICIES = ['residents-cards', 'deny-qr', 'warn-only'] as const;
export type StalePolicy = (typeof STALE_POLICIES)[number];

/** The rules' view of the `freshness` configuration; absent from a Policy when freshness is off. */
export interface FreshnessPolicy {
  maxAgeMs: number;
  stalePolicy: StalePolicy;
}

/**
 * Operator actions that refresh the data from upstream: a registry import (the upstream's
 * document, whoever runs the command), a pass revocation or an issuer key rotation (what the
 * revocation list and key ring are written with), and any registry change a signed upstream
 * request made (operator `upstream:<issuer>`, mqtt/upstream/requests.ts). A local operator's
 * edit through the admin API or the CLI changes the data but proves no contact with upstream.
 */
const ALWAYS_REFRESH: ReadonlySet<string> = new Set(['registry.import', 'pass.revoke', 'pass.key-rotate']);
const UPSTREAM_CHANGE = /^(registry|quarantine|visitor|pass)\./;

export function isRefresh(action: string, operator: string): boolean {
  return ALWAYS_REFRESH.has(action) || (operator.startsWith('upstream:') && UPSTREAM_CHANGE.test(action));
}

/**
 * The instant the data went stale: `maxAgeMs` after the newest refresh; `null` when they were
 * never refreshed (stale from the start).
 */
export function staleSince(policy: FreshnessPolicy, refreshedAt: number | undefined): number | null {
  return refreshedAt === undefined ? null : refreshedAt + policy.maxAgeMs;
}

/** Stale at `at`: never refreshed, or the newest refresh is more than `maxAgeMs` before `at`. */
export function isStale(policy: FreshnessPolicy, refreshedAt: number | undefined, at: number): boolean {
  return refreshedAt === undefined || at - refreshedAt > policy.maxAgeMs;
}

/** What GET /api/site says: null when fresh or when freshness is off. */
export interface StaleStatus {
  /** When the data went stale; null: never refreshed. */
  since: number | null;
  /** The newest refresh; null: never. */
  refreshedAt: number | null;
  policy: StalePolicy;
}

export function staleStatus(
  policy: FreshnessPolicy | undefined,
  refreshedAt: number | undefined,
  at: number,
): StaleStatus | null {
  if (policy === undefined || !isStale(policy, refreshedAt, at)) return null;
  return {
    since: staleSince(policy, refreshedAt),
    refreshedAt: refreshedAt ?? null,
    policy: policy.stalePolicy,
  };
}
