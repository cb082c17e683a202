/**
 * Errors of the OSDP Secure Channel (protocols.md §1.9). One class, one `reason` discriminant;
 * the link layer maps reasons to its answer (PD: NAK 0x06 or RMAC_I 0x14/0xFF; CP: restart the
 * handshake, fall back to SCBK-D when provisioning is allowed, or refuse the PD with an alarm —
 * never go on in plain text when the site requires the Secure Channel). These stay inside the
 * driver: what reaches operators is the SECURE_CHANNEL_REFUSED alarm with the reason's text.
 */

export const SECURE_CHANNEL_REASONS = {
  'bad-length': 'a key, random, cryptogram or encrypted block has the wrong length',
  'bad-padding': 'decrypted data does not end with the 0x80 marker and at most 15 zero bytes',
  'mac-mismatch': 'message authentication code does not match',
  'cryptogram-mismatch': 'the peer cryptogram does not match: the two sides use different keys',
  'rmac-mismatch': 'initial R-MAC (RMAC_I) does not match the server cryptogram',
  'key-unavailable': 'the key asked for is not configured (no SCBK, or SCBK-D outside install mode)',
  'not-established': 'no secure session is established',
  'wrong-state': 'handshake step out of order or not valid for this role',
  'wrong-direction': 'a command where a reply is expected, or the reverse',
  'unexpected-block': 'security block type not valid here',
  'unexpected-plaintext': 'plain message received while a secure session is active',
} as const;

export type SecureChannelReason = keyof typeof SECURE_CHANNEL_REASONS;

export class SecureChannelError extends Error {
  readonly reason: SecureChannelReason;

  /** `detail` says what exactly was wrong (which field, which lengths); the template says what class of fault. */
  constructor(reason: SecureChannelReason, detail?: string) {
    const base = SECURE_CHANNEL_REASONS[reason];
    super(detail ? `OSDP secure channel: ${base}: ${detail}` : `OSDP secure channel: ${base}`);
    this.name = 'SecureChannelError';
    this.reason = reason;
  }
}
