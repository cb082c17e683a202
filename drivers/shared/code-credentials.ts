import type { PresentedCredential } from '../../gateway/rules/types.js';

/**
 * The seam between a device that reads codes (a QR scanner, a keypad) and the site's pass layer
 * (gateway/passes): a code becomes the credential presented at the lane. Without it a code is
 * presented as a plain `qr` value.
 */

/** What a code is presented as, and what the log may say about how it was read. */
export interface ScanCredential {
  credential: PresentedCredential;
  /** Log fields (a verification outcome, a reason): never the code's text or content. */
  note?: Readonly<Record<string, string | number>>;
}

export interface ScanCredentials {
  /**
   * `text` is the code in the registry's normal form, never blank; `at` is when it was read
   * (epoch ms). Must not throw: a code it cannot make sense of is a credential that is refused.
   */
  credentialFor(text: string, at: number): ScanCredential;
}
