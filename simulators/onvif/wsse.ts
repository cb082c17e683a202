import { createHash, timingSafeEqual } from 'node:crypto';
import { attribute, child, escapeXml, path, text } from './xml.js';
import { parseDateTime } from './xs-time.js';

/**
 * WS-Security UsernameToken with PasswordDigest, the way ONVIF devices check it (protocols.md
 * §5.4): Digest = Base64(SHA-1(nonce bytes ‖ UTF-8(Created) ‖ UTF-8(password))). Like an Axis
 * camera with replay protection, the simulator also refuses a Created more than a few seconds
 * from its own clock and a nonce it has already accepted within five minutes. Only the digest
 * form is taken: ONVIF requires it, and PasswordText would put the password on the wire.
 * HTTP Digest (RFC 7616), which some cameras take instead, is not offered: the gateway's
 * driver authenticates with WS-Security only.
 */
export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
export const PASSWORD_DIGEST_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const BASE64_BINARY =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

/** How long an accepted nonce is remembered (a replay inside this window is refused). */
export const NONCE_WINDOW_MS = 5 * 60_000;

export interface UsernameToken {
  username?: string;
  password?: string;
  /** The Password element's Type attribute (absent means PasswordText in WS-Security). */
  passwordType?: string;
  nonce?: string;
  created?: string;
}

export type TokenRejection =
  | 'no-token'
  | 'not-digest'
  | 'no-nonce'
  | 'bad-nonce'
  | 'no-created'
  | 'bad-created'
  | 'clock-skew'
  | 'unknown-user'
  | 'wrong-password'
  | 'replayed-nonce';

export type TokenVerdict = { ok: true; username: string } | { ok: false; reason: TokenRejection };

export interface TokenPolicy {
  user: string;
  password: string;
  /** The camera's clock (epoch ms), against which Created is judged. */
  cameraNow: number;
  maxClockSkewSeconds: number;
  nonces: NonceCache;
  /** The clock the nonce window runs on (epoch ms); defaults to `cameraNow`. */
  now?: number;
}

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

/** The UsernameToken in a parsed (prefix-stripped) SOAP Header, if there is one. */
export function readUsernameToken(header: unknown): UsernameToken | undefined {
  const token = path(header, 'Security', 'UsernameToken');
  if (token === undefined) return undefined;
  const read = (name: string) => text(child(token, name))?.trim();
  const password = child(token, 'Password');
  return {
    username: read('Username'),
    password: text(password)?.trim(),
    passwordType: attribute(password, 'Type'),
    nonce: read('Nonce'),
    created: read('Created'),
  };
}

/** Checks a token, remembering its nonce when (and only when) everything else holds. */
export function verifyUsernameToken(token: UsernameToken | undefined, policy: TokenPolicy): TokenVerdict {
  const refuse = (reason: TokenRejection): TokenVerdict => ({ ok: false, reason });
  if (token === undefined || token.username === undefined || token.password === undefined)
    return refuse('no-token');
  if (token.passwordType !== PASSWORD_DIGEST_TYPE) return refuse('not-digest');
  if (!token.nonce) return refuse('no-nonce');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token.nonce) || token.nonce.length % 4 !== 0) return refuse('bad-nonce');
  if (!token.created) return refuse('no-created');
  const created = parseDateTime(token.created);
  if (created === undefined) return refuse('bad-created');
  if (Math.abs(created - policy.cameraNow) > policy.maxClockSkewSeconds * 1000) return refuse('clock-skew');
  if (token.username !== policy.user) return refuse('unknown-user');
  const nonce = Buffer.from(token.nonce, 'base64');
  const expected = Buffer.from(passwordDigest(nonce, token.created, policy.password));
  const given = Buffer.from(token.password);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse('wrong-password');
  if (!policy.nonces.remember(nonce.toString('base64'), policy.now ?? policy.cameraNow))
    return refuse('replayed-nonce');
  return { ok: true, username: token.username };
}

/** Nonces accepted in the last `windowMs`, oldest first (a Map keeps insertion order). */
export class NonceCache {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly windowMs = NONCE_WINDOW_MS) {}

  /** False when `nonce` was accepted within the window; otherwise records it and says true. */
  remember(nonce: string, now: number): boolean {
    for (const [seen, expires] of this.expiries) {
      if (expires > now) break;
      this.expiries.delete(seen);
    }
    const expires = this.expiries.get(nonce);
    if (expires !== undefined && expires > now) return false;
    this.expiries.delete(nonce);
    this.expiries.set(nonce, now + this.windowMs);
    return true;
  }

  get size(): number {
    return this.expiries.size;
  }

  clear(): void {
    this.expiries.clear();
  }
}

/**
 * A Security header as agsh/onvif writes it, for tests and tools that speak to the simulator raw;
 * the enclosing envelope must bind the prefix `s` to the SOAP 1.2 namespace.
 */
export function usernameTokenHeader(
  username: string,
  password: string,
  created: string,
  nonce: Buffer,
): string {
  return (
    `<Security s:mustUnderstand="1" xmlns="${WSSE_NS}"><UsernameToken>` +
    `<Username>${escapeXml(username)}</Username>` +
    `<Password Type="${PASSWORD_DIGEST_TYPE}">${passwordDigest(nonce, created, password)}</Password>` +
    `<Nonce EncodingType="${BASE64_BINARY}">${nonce.toString('base64')}</Nonce>` +
    `<Created xmlns="${WSU_NS}">${created}</Created>` +
    '</UsernameToken></Security>'
  );
}
