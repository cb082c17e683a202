/**
 * What went wrong with an upstream connection attempt, from MQTT.js's `error` event:
 * - `unsupported_protocol`: the broker refused the protocol version (CONNACK 0x01 from a 3.1.1
 *   broker given an MQTT 5 CONNECT, or MQTT 5's 0x84): connect again with 3.1.1.
 * - `refused`: any other CONNACK refusal (bad user name or password, not authorised, client id
 *   rejected, banned, server unavailable): an operator has to look; alarmed once per streak.
 * - `tls`: the TLS handshake failed (certificate does not verify, expired, wrong host name,
 *   client certificate refused): also alarmed, since retrying will not fix it either.
 * - `network`: everything else (refused TCP connection, reset, timeout, DNS): just retried.
 */
import { ErrorWithReasonCode } from 'mqtt';

export type UpstreamFailure =
  | { kind: 'unsupported_protocol'; code: number; message: string }
  | { kind: 'refused'; code: number; message: string }
  | { kind: 'tls'; code: string; message: string }
  | { kind: 'network'; code: string; message: string };

/** CONNACK codes that mean "not this protocol version": 3.1.1's 0x01, MQTT 5's 0x84. */
const UNSUPPORTED_PROTOCOL = new Set([0x01, 0x84]);

/** Node's TLS and OpenSSL error codes (tls.connect, X509 verification, alerts from the peer). */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** `beforeConnack`: the error came while waiting for the CONNACK of this attempt. */
export function classifyUpstreamError(error: Error, beforeConnack: boolean): UpstreamFailure {
  const message = error.message;
  if (beforeConnack && error instanceof ErrorWithReasonCode && message.startsWith('Connection refused')) {
    const code = error.code;
    return UNSUPPORTED_PROTOCOL.has(code)
      ? { kind: 'unsupported_protocol', code, message }
      : { kind: 'refused', code, message };
  }
  const code = String((error as { code?: unknown }).code ?? '');
  if (TLS_CODE.test(code)) return { kind: 'tls', code, message };
  return { kind: 'network', code, message };
}

/** Refusals, counted and reported once per streak: a successful connection ends the streak. */
export class RefusalStreak {
  count = 0;
  private open = false;

  /** Counts a refusal; true for the first of a streak (the one to report). */
  add(): boolean {
    this.count++;
    if (this.open) return false;
    this.open = true;
    return true;
  }

  /** Ends the streak; true when there was one. */
  end(): boolean {
    const was = this.open;
    this.open = false;
    return was;
  }
}
