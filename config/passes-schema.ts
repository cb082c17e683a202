/**
 * The `passes` section of the configuration: signed QR passes (docs/passes.md). Part of the one
 * schema in `schema.ts`; every file is relative to `site.dataDir` until `resolvePassesPaths`.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

export const passesSchema = z.strictObject({
  keyRingFile: z
    .string()
    .min(1)
    .default('keys/pass-issuers.json')
    .describe(
      'Trusted issuer public keys with their validity (JSON; `gatewarden pass keys` maintains it), relative to dataDir. Must not be writable by group or others.',
    ),
  revocationFile: z
    .string()
    .min(1)
    .default('pass-revocations.txt')
    .describe(
      'Revoked pass ids, one per line (`gatewarden pass revoke` appends), relative to dataDir. Must not be writable by group or others.',
    ),
  issuerKeyFile: z
    .string()
    .min(1)
    .default('keys/pass-issuer.key')
    .describe(
      'Secret Ed25519 seed that signs passes, relative to dataDir; created by the first `gatewarden pass issue`, owner-only. Only the issuing machine needs it.',
    ),
  dynamicKeyFile: z
    .string()
    .min(1)
    .default('keys/pass-dynamic.key')
    .describe(
      'Secret site key from which each dynamic pass’s code secret is derived, relative to dataDir; owner-only. Every gateway that checks dynamic codes needs the same file.',
    ),
  stepSeconds: z
    .number()
    .int()
    .min(10)
    .max(180)
    .default(30)
    .describe(
      'Time step of dynamic codes (RFC 6238); the current step and one either side are accepted. At most 180 s so that a used code is remembered (10 min) for as long as it is accepted.',
    ),
  unsigned: z
    .enum(['allow', 'refuse'])
    .default('allow')
    .describe(
      'Scanned codes that are not signed passes: `allow` presents them as plain QR credentials (registered codes pass, as before signed passes); `refuse` denies them with INVALID_SIGNATURE.',
    ),
});

export type PassesConfig = z.output<typeof passesSchema>;

/** Makes every file of the section absolute; an absolute path stays as it is. */
export function resolvePassesPaths(passes: PassesConfig, dataDir: string): PassesConfig {
  return {
    ...passes,
    keyRingFile: resolve(dataDir, passes.keyRingFile),
    revocationFile: resolve(dataDir, passes.revocationFile),
    issuerKeyFile: resolve(dataDir, passes.issuerKeyFile),
    dynamicKeyFile: resolve(dataDir, passes.dynamicKeyFile),
  };
}
