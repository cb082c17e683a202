import type { CredentialKind } from '../domain/model.js';

/**
 * The one normal form of credential values. The registry stores values in this form and the
 * snapshot looks them up verbatim, so every caller that presents a value read from a device or
 * typed by a person must pass it through here first.
 *
 * - `card`: upper-case hex without separators (`04:a2-2b 9c` → `04A22B9C`).
 * - `plate`: NFKC (full-width letters and digits become ASCII), upper case, without spaces,
 *   middle dots or hyphens (`京a·12345` → `京A12345`).
 * - `idcard`: the keyed hash, lower-case hex (see `hashIdNumber`; never the raw number).
 * - `qr`, `workcert`: trimmed, otherwise verbatim.
 */
export function normaliseCredentialValue(kind: CredentialKind, value: string): string {
  switch (kind) {
    case 'card':
      return value.replace(/[\s:.-]/g, '').toUpperCase();
    case 'plate':
      return value
        .normalize('NFKC')
        .replace(/[\s·•・.-]/g, '')
        .toUpperCase();
    case 'idcard':
      return value.trim().toLowerCase();
    case 'qr':
    case 'workcert':
      return value.trim();
  }
}

/** Whether a normalised card UID is plausible: 4 to 32 hex digits (decimal-printed numbers pass too). */
export function isCardUid(normalised: string): boolean {
  return /^[0-9A-F]{4,32}$/.test(normalised);
}

/** The key of a credential in lookups and uniqueness checks. */
export function credentialKey(kind: CredentialKind, normalisedValue: string): string {
  return `${kind}\u0000${normalisedValue}`;
}
