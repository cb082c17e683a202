/**
 * The ONVIF simulator's WS-UsernameToken check (simulators/onvif/wsse.ts): the PasswordDigest
 * vector of protocols.md §5.4, tokens read from a parsed header as agsh/onvif writes them, and
 * each reason a camera with replay protection refuses a token.
 */
import { describe, expect, it } from 'vitest';
import {
  NonceCache,
  PASSWORD_DIGEST_TYPE,
  passwordDigest,
  readUsernameToken,
  type TokenPolicy,
  type UsernameToken,
  usernameTokenHeader,
  verifyUsernameToken,
} from '../../simulators/onvif/wsse.js';
import { parseXml, path } from '../../simulators/onvif/xml.js';

// protocols.md §5.4, [verified]
const NONCE = 'LKqI6G/AikKCQrN0zqZFlg==';
const CREATED = '2010-09-16T07:50:45Z';
const CREATED_MS = Date.parse(CREATED);

function policy(overrides: Partial<TokenPolicy> = {}): TokenPolicy {
  return {
    user: 'admin',
    password: 'userpassword',
    cameraNow: CREATED_MS,
    maxClockSkewSeconds: 5,
    nonces: new NonceCache(),
    ...overrides,
  };
}

function token(overrides: Partial<UsernameToken> = {}): UsernameToken {
  return {
    username: 'admin',
    password: passwordDigest(Buffer.from(NONCE, 'base64'), CREATED, 'userpassword'),
    passwordType: PASSWORD_DIGEST_TYPE,
    nonce: NONCE,
    created: CREATED,
    ...overrides,
  };
}

describe('PasswordDigest', () => {
  it('matches the worked example', () => {
    expect(passwordDigest(Buffer.from(NONCE, 'base64'), CREATED, 'userpassword')).toBe(
      'tuOSpGlFlIXsozq4HFNeeGeFLEI=',
    );
  });

  it('reads and accepts the header agsh/onvif sends', async () => {
    const header = usernameTokenHeader('admin', 'userpassword', CREATED, Buffer.from(NONCE, 'base64'));
    const doc = await parseXml(
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>${header}</s:Header><s:Body/></s:Envelope>`,
    );
    const read = readUsernameToken(path(doc, 'Envelope', 'Header'));
    expect(read).toEqual(token({ password: 'tuOSpGlFlIXsozq4HFNeeGeFLEI=' }));
    expect(verifyUsernameToken(read, policy())).toEqual({ ok: true, username: 'admin' });
  });
});

describe('refusals', () => {
  const refused = (t: UsernameToken | undefined, p = policy()) => {
    const verdict = verifyUsernameToken(t, p);
    return verdict.ok ? 'accepted' : verdict.reason;
  };

  it('refuses a missing token, a missing Nonce and a missing Created', () => {
    expect(refused(undefined)).toBe('no-token');
    expect(refused(token({ nonce: undefined }))).toBe('no-nonce');
    expect(refused(token({ nonce: '' }))).toBe('no-nonce');
    expect(refused(token({ created: undefined }))).toBe('no-created');
    expect(refused(token({ created: 'yesterday' }))).toBe('bad-created');
    expect(refused(token({ nonce: 'not base64!' }))).toBe('bad-nonce');
  });

  it('refuses PasswordText and a wrong user or password', () => {
    expect(refused(token({ passwordType: undefined }))).toBe('not-digest');
    expect(refused(token({ username: 'root' }))).toBe('unknown-user');
    expect(refused(token(), policy({ password: 'other' }))).toBe('wrong-password');
  });

  it('judges Created against the camera clock, within the allowed skew either way', () => {
    expect(refused(token(), policy({ cameraNow: CREATED_MS + 5_000 }))).toBe('accepted');
    expect(refused(token(), policy({ cameraNow: CREATED_MS - 5_000 }))).toBe('accepted');
    expect(refused(token(), policy({ cameraNow: CREATED_MS + 5_001 }))).toBe('clock-skew');
    expect(refused(token(), policy({ cameraNow: CREATED_MS - 30_000 }))).toBe('clock-skew');
    expect(refused(token(), policy({ cameraNow: CREATED_MS + 30_000, maxClockSkewSeconds: 60 }))).toBe(
      'accepted',
    );
  });

  it('refuses a nonce seen within five minutes, and takes it again after', () => {
    const nonces = new NonceCache();
    expect(refused(token(), policy({ nonces, now: 0 }))).toBe('accepted');
    expect(refused(token(), policy({ nonces, now: 299_999 }))).toBe('replayed-nonce');
    expect(refused(token(), policy({ nonces, now: 300_000 }))).toBe('accepted');
  });

  it('does not remember the nonce of a refused token', () => {
    const nonces = new NonceCache();
    expect(refused(token(), policy({ nonces, password: 'other' }))).toBe('wrong-password');
    expect(nonces.size).toBe(0);
    expect(refused(token(), policy({ nonces }))).toBe('accepted');
  });
});
