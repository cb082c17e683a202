/**
 * The `freshness` section: how old the registry, pass revocations and issuer keys may get before
 * the gateway treats them as stale, and what the gate does then (docs/freshness.md). Part of the
 * one schema in `schema.ts`.
 *
 * Off by default: a site that never imports from upstream (the simulated site, a site managed
 * only at the gate) would otherwise start refusing visitors and QR passes once the window ran
 * out after an upgrade. A site fed from upstream turns it on.
 */
import { z } from 'zod';
import { type FreshnessPolicy, STALE_POLICIES } from '../gateway/freshness/freshness.js';

export const freshnessSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(false)
    .describe(
      'Check that the registry, pass revocations and issuer keys were refreshed from upstream (a registry import, an upstream registry change, a pass revocation or key rotation, all journaled) within maxAgeHours.',
    ),
  maxAgeHours: z
    .number()
    .positive()
    .max(24 * 365)
    .default(72)
    .describe(
      'Hours after the newest refresh before the data are stale: dashboard banner, DATA_STALE alarm, stalePolicy.',
    ),
  stalePolicy: z
    .enum(STALE_POLICIES)
    .default('residents-cards')
    .describe(
      "While stale. residents-cards: only residents' and staff's registry cards and ID cards pass (QR passes, visitors, vehicles refused with DATA_STALE). deny-qr: signed QR passes refused. warn-only: nothing refused. Every decision made while stale carries DATA_STALE.",
    ),
});

export type FreshnessConfig = z.output<typeof freshnessSchema>;

/** The rules' view of the section: undefined when off. */
export function freshnessPolicyOf(config: FreshnessConfig): FreshnessPolicy | undefined {
  return config.enabled
    ? { maxAgeMs: Math.round(config.maxAgeHours * 3600_000), stalePolicy: config.stalePolicy }
    : undefined;
}
