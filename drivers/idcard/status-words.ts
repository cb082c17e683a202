/**
 * The SAM status byte SW3 (protocols.md §2.4): the one catalogue of what a reader can answer,
 * with an English description for logs and dashboards and the class that decides what the
 * session does next. SW1/SW2 (the card's APDU status) are informative only. The SDK-only codes
 * 0x01/0x02/0x03/0x05 are DLL and port errors that never appear on the wire, so they are absent.
 *
 * Classes and the session's reaction:
 * - `success`: go on with the sequence (find 0x9F, everything else 0x90).
 * - `no-content`: the card has no such item (no fingerprint, no appended address): not an error.
 * - `no-card`: nothing on the reader, or the card went away.
 * - `frame-error`: the SAM received our frame damaged: send the same command again.
 * - `command-error`: the SAM refuses the command itself (a driver bug or another SAM model):
 *   not retried, counted and logged.
 * - `card-error`: this conversation with the card failed: start again from find card, a bounded
 *   number of times per presentation.
 * - `card-unsupported`: a card the SAM cannot read at all: reported once, not retried.
 * - `sam-fault`: the SAM is unusable (failed self-test, not authorised): the reader is in fault
 *   until a SAM-status probe answers 0x90 again.
 */
export type StatusClass =
  | 'success'
  | 'no-content'
  | 'no-card'
  | 'frame-error'
  | 'command-error'
  | 'card-error'
  | 'card-unsupported'
  | 'sam-fault';

export interface SamStatusInfo {
  readonly code: number;
  /** Stable identifier for logs and counters. */
  readonly name: string;
  readonly en: string;
  readonly class: StatusClass;
}

export const SW3 = {
  SUCCESS: 0x90,
  NO_CONTENT: 0x91,
  FIND_OK: 0x9f,
  CHECKSUM_ERROR: 0x10,
  LENGTH_ERROR: 0x11,
  COMMAND_ERROR: 0x21,
  UNAUTHORISED_OPERATION: 0x23,
  UNRECOGNISED_ERROR: 0x24,
  CARD_AUTH_SAM_FAILED: 0x31,
  SAM_AUTH_CARD_FAILED: 0x32,
  VERIFICATION_ERROR: 0x33,
  UNKNOWN_CARD_TYPE: 0x40,
  READ_FAILED: 0x41,
  RANDOM_FAILED: 0x47,
  SELF_TEST_FAILED: 0x60,
  SAM_NOT_AUTHORISED: 0x66,
  FIND_FAILED: 0x80,
  SELECT_FAILED: 0x81,
} as const;

export type Sw3Name = keyof typeof SW3;

const CATALOGUE: Record<Sw3Name, { en: string; class: StatusClass }> = {
  SUCCESS: { en: 'success', class: 'success' },
  NO_CONTENT: {
    en: 'the card holds no content for this item (no fingerprint, no appended address)',
    class: 'no-content',
  },
  FIND_OK: { en: 'card found', class: 'success' },
  CHECKSUM_ERROR: { en: 'the SAM received a frame with a wrong check byte', class: 'frame-error' },
  LENGTH_ERROR: { en: 'the SAM received a frame with a wrong length', class: 'frame-error' },
  COMMAND_ERROR: { en: 'command value or combination invalid', class: 'command-error' },
  // Seen when a read is not preceded by a fresh find and select: the sequence starts over.
  UNAUTHORISED_OPERATION: { en: 'unauthorised operation', class: 'card-error' },
  UNRECOGNISED_ERROR: { en: 'unrecognised error', class: 'card-error' },
  CARD_AUTH_SAM_FAILED: { en: 'the card failed to authenticate the SAM', class: 'card-error' },
  SAM_AUTH_CARD_FAILED: { en: 'the SAM failed to authenticate the card', class: 'card-error' },
  VERIFICATION_ERROR: { en: 'information verification error', class: 'card-error' },
  UNKNOWN_CARD_TYPE: { en: 'unknown card type', class: 'card-unsupported' },
  READ_FAILED: { en: 'reading the card failed', class: 'card-error' },
  RANDOM_FAILED: { en: 'getting a random number from the card failed', class: 'card-error' },
  SELF_TEST_FAILED: { en: 'SAM self-test failed; it accepts no commands', class: 'sam-fault' },
  SAM_NOT_AUTHORISED: { en: 'SAM not authorised', class: 'sam-fault' },
  FIND_FAILED: { en: 'find card failed: no card on the reader', class: 'no-card' },
  SELECT_FAILED: { en: 'select card failed', class: 'card-error' },
};

const BY_CODE: ReadonlyMap<number, SamStatusInfo> = new Map(
  (Object.keys(SW3) as Sw3Name[]).map((name) => [SW3[name], { code: SW3[name], name, ...CATALOGUE[name] }]),
);

/** Every status of protocols.md §2.4, in catalogue order. */
export const SAM_STATUSES: readonly SamStatusInfo[] = [...BY_CODE.values()];

/**
 * The catalogue entry for a status byte. A code outside the table (another SAM model's
 * extension) is treated as a failed card conversation: retried from find card, then reported.
 */
export function statusInfo(code: number): SamStatusInfo {
  return (
    BY_CODE.get(code) ?? {
      code,
      name: 'UNKNOWN',
      en: `status 0x${code.toString(16).toUpperCase().padStart(2, '0')} not in the catalogue`,
      class: 'card-error',
    }
  );
}
