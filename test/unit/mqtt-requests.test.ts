import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { authenticate, type CheckContext } from '../../gateway/mqtt/upstream/request-check.js';
import { issueError, REQUEST_TYPES, requestSchema } from '../../gateway/mqtt/upstream/request-schema.js';
import { fresh, loadIssuerKeys, signRequest } from '../../gateway/mqtt/upstream/request-signature.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const context: CheckContext = {
  keys: new Map([['district-1', publicKey]]),
  siteId: 'demo',
  gatewayId: 'a',
  maxBytes: 64 * 1024,
};
const head = {
  transactionId: '0b6c8a0e-6b7e-4c53-9d4e-0d4f6a1c2b3d',
  site: 'demo',
  issuer: 'district-1',
  issuedAt: '2022-04-10T10:00:00+08:00',
};

const EXAMPLES = {
  'quarantine.add': {
    order: { id: 'q-9', kind: 'home', target: { household: 'h-1' }, until: '2022-04-24' },
  },
  'quarantine.lift': { orderId: 'q-9' },
  'credential.revoke': { credential: { kind: 'card', value: 'A0000001' } },
  'visitor.register': { visitor: { personId: 'v-1', escorts: ['r-1'], validUntil: '2022-04-10T18:00' } },
  'mode.set': { mode: 'lockdown', reason: 'district order 7' },
  'lane.open': { laneId: 'north-ped-in', reason: 'ambulance' },
} as const;

const request = (type: keyof typeof EXAMPLES, extra: Record<string, unknown> = {}) =>
  signRequest({ ...head, type, ...EXAMPLES[type], ...extra }, privateKey);
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('request schema', () => {
  it('has an example of every type, and each parses', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...REQUEST_TYPES].sort());
    for (const type of REQUEST_TYPES) expect(requestSchema.safeParse(request(type)).success).toBe(true);
  });

  it.each([
    ['an unknown type', { type: 'registry.drop' }, 'type'],
    ['a bad order kind', { order: { ...EXAMPLES['quarantine.add'].order, kind: 'hotel' } }, 'order.kind'],
    ['a missing until', { order: { id: 'q-9', kind: 'home', target: { person: 'r-1' } } }, 'order.until'],
    ['an unknown member', { priority: 'high' }, 'priority'],
  ])('names the field of %s', (_what, change, field) => {
    const parsed = requestSchema.safeParse({ ...request('quarantine.add'), ...change });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(issueError(parsed.error)).toMatchObject({ code: 'REQUEST_INVALID', field });
  });

  it('wants exactly one of idNumber and personId for a visitor', () => {
    const both = { visitor: { ...EXAMPLES['visitor.register'].visitor, idNumber: '11010519491231002X' } };
    const parsed = requestSchema.safeParse(request('visitor.register', both));
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(issueError(parsed.error).field).toBe('visitor.idNumber');
  });
});

describe('authentication', () => {
  it('accepts a request signed by a known issuer for this site', () => {
    const checked = authenticate(bytes(request('mode.set')), context);
    expect(checked).toMatchObject({ ok: true, envelope: { type: 'mode.set' } });
  });

  it.each([
    ['not JSON', Buffer.from('{"transactionId":'), 'REQUEST_MALFORMED', undefined],
    ['an array', bytes([1]), 'REQUEST_MALFORMED', undefined],
    ['unsigned', bytes({ ...head, type: 'mode.set' }), 'REQUEST_INVALID', 'signature'],
    ['by an unknown issuer', bytes({ ...request('mode.set'), issuer: 'x' }), 'NOT_AUTHORISED', 'issuer'],
    [
      'signed with another key',
      bytes(signRequest({ ...head, type: 'mode.set', mode: 'open', reason: 'r' }, other.privateKey)),
      'NOT_AUTHORISED',
      'signature',
    ],
    ['changed after signing', bytes({ ...request('mode.set'), mode: 'open' }), 'NOT_AUTHORISED', 'signature'],
    [
      'for another site',
      bytes(signRequest({ ...request('mode.set'), site: 'b' }, privateKey)),
      'WRONG_TARGET',
      'site',
    ],
    [
      'for another gateway',
      bytes(signRequest({ ...request('mode.set'), gateway: 'b' }, privateKey)),
      'WRONG_TARGET',
      'gateway',
    ],
    ['too large', Buffer.alloc(70_000, 32), 'REQUEST_MALFORMED', undefined],
  ])('refuses a request %s', (_what, payload, code, field) => {
    const checked = authenticate(payload, context);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.error).toMatchObject({ code, ...(field && { field }) });
  });

  test.prop([fc.constantFrom(...REQUEST_TYPES), fc.nat(), fc.nat({ max: 7 })], { numRuns: 400 })(
    'refuses any request with any one bit flipped',
    (type, at, bit) => {
      const message = bytes(request(type));
      expect(authenticate(message, context).ok).toBe(true);
      const i = at % message.length;
      message[i] = (message[i] as number) ^ (1 << bit);
      expect(authenticate(message, context).ok).toBe(false);
    },
  );

  it('refuses a signature text that decodes to the right bytes but is not their base64', () => {
    const good = request('mode.set');
    // The last character before `==` carries 2 bits; the other 4 are ignored by decoders.
    const last = good.signature.charAt(85);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const sibling = alphabet.charAt(alphabet.indexOf(last) ^ 1);
    const forged = { ...good, signature: `${good.signature.slice(0, 85)}${sibling}==` };
    expect(Buffer.from(forged.signature, 'base64')).toEqual(Buffer.from(good.signature, 'base64'));
    expect(authenticate(bytes(forged), context)).toMatchObject({ ok: false, error: { field: 'signature' } });
  });

  it('takes issuedAt within the window either side as fresh', () => {
    expect(fresh(1000, 1000 + 300_000, 300_000)).toBe(true);
    expect(fresh(1000 + 300_000, 1000, 300_000)).toBe(true);
    expect(fresh(1000, 1001 + 300_000, 300_000)).toBe(false);
    expect(fresh(1001 + 300_000, 1000, 300_000)).toBe(false);
  });
});

describe('issuer keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-issuers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
    return path;
  };
  const pem = () => publicKey.export({ type: 'spki', format: 'pem' }) as string;

  it('loads Ed25519 public keys from files only their owner may write', () => {
    const keys = loadIssuerKeys([{ id: 'district-1', publicKeyFile: write('ok.pem', pem()) }]);
    expect(keys.get('district-1')?.asymmetricKeyType).toBe('ed25519');
  });

  it('refuses a key file open to others, a missing one, and a key of another kind', () => {
    const open = write('open.pem', pem(), 0o644);
    expect(() => loadIssuerKeys([{ id: 'x', publicKeyFile: open }])).toThrow(/chmod 600/);
    expect(() => loadIssuerKeys([{ id: 'x', publicKeyFile: join(dir, 'none.pem') }])).toThrow(/no file/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const wrong = write('rsa.pem', rsa.export({ type: 'spki', format: 'pem' }) as string);
    expect(() => loadIssuerKeys([{ id: 'x', publicKeyFile: wrong }])).toThrow(/not Ed25519/);
  });
});
