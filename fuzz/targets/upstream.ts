import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeJournalMessage, encodeJournalMessage } from '../../gateway/mqtt/upstream/journal-message.js';
import { passageOf, peerDecisionSchema } from '../../gateway/mqtt/upstream/peers-message.js';
import { authenticate, type CheckContext } from '../../gateway/mqtt/upstream/request-check.js';
import {
  envelopeSchema,
  issueError,
  REQUEST_TYPES,
  requestSchema,
} from '../../gateway/mqtt/upstream/request-schema.js';
import { signRequest } from '../../gateway/mqtt/upstream/request-signature.js';
import { issuerKeyFromSeed, publicKeyObject } from '../../gateway/passes/pass-crypto.js';
import { anyJson, fromZod } from '../json-arbitrary.js';
import { defineTarget, neverThrows } from '../target.js';
import { bytes } from './bytes.js';

/** What arrives from the upstream broker (gateway/mqtt/upstream): signed requests, peers' decisions. */

const SITE = 'demo-community';
const GATEWAY = 'gw-north';
const ISSUER = 'district-1';
/** A fixed issuer key, so that a reproducer's signature is valid in any later run. */
const issuer = issuerKeyFromSeed(Buffer.alloc(32, 0x5a));
const context: CheckContext = {
  keys: new Map([[ISSUER, publicKeyObject(issuer.publicKey)]]),
  siteId: SITE,
  gatewayId: GATEWAY,
  maxBytes: 64 * 1024,
};

/** Strings the schemas accept where they fit: this site and issuer, instants, an ID number. */
const STRINGS = [SITE, GATEWAY, ISSUER, 'h-1', 'r-1', 'q-1', 'north-ped-in', '2022-04-10T10:00:00+08:00'];
STRINGS.push('2022-04-10', '2022-04-10 10:00', '110101199003070019', 'A0000001', 'closed', 'lockdown');

const REFUSAL_CODES = new Set(['REQUEST_MALFORMED', 'REQUEST_INVALID', 'NOT_AUTHORISED', 'WRONG_TARGET']);

const payload = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        request: fromZod(requestSchema, { strings: STRINGS }),
        sign: fc.boolean(),
        /** Most requests are addressed here by the known issuer, so that they reach the checks behind. */
        here: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)),
      },
      { noNullPrototype: true },
    ),
  },
  anyJson.map((json) => ({ raw: Buffer.from(JSON.stringify(json) ?? 'null') })),
  bytes(0, 200).map((raw) => ({ raw })),
);

export const upstreamRequest = defineTarget({
  name: 'upstream-request',
  contract:
    'authenticate (size, JSON, envelope, issuer, Ed25519 signature, target) then requestSchema on schema-' +
    'guided requests, signed or not and mutated, and on any JSON or bytes: never throws, refuses with a ' +
    'reply code and the field, accepts every well-formed request signed by the issuer for this site and ' +
    'nothing it did not sign.',
  boundedCases: 200,
  arbitrary: payload,
  check(input) {
    let bytesIn: Buffer;
    let signedObject: Record<string, unknown> | undefined;
    if ('raw' in input) bytesIn = input.raw;
    else {
      const value = input.request;
      const generated =
        value !== null && typeof value === 'object' && !Array.isArray(value)
          ? (value as Record<string, unknown>)
          : undefined;
      const here = {
        site: SITE,
        issuer: ISSUER,
        ...(generated?.gateway === undefined ? {} : { gateway: GATEWAY }),
      };
      const object = generated && input.here ? { ...generated, ...here } : generated;
      signedObject = object && input.sign ? signRequest(object, issuer.privateKey) : undefined;
      bytesIn = Buffer.from(JSON.stringify(signedObject ?? object ?? value));
    }
    const auth = neverThrows(() => authenticate(bytesIn, context));
    if (!auth.ok) {
      assert.ok(REFUSAL_CODES.has(auth.error.code), `refusal code ${auth.error.code}`);
      assert.ok(auth.transactionId === null || auth.transactionId.length <= 128);
      if (signedObject !== undefined) assertRefusalJustified(signedObject, auth.error.code);
      return;
    }
    // Nothing but the issuer's key signs: a request it did not sign carries a made-up signature.
    assert.ok(signedObject !== undefined, 'a request the issuer did not sign was accepted');
    assert.equal(auth.envelope.site, SITE);
    const parsed = neverThrows(() => requestSchema.safeParse(auth.body));
    if (parsed.success) assert.ok(REQUEST_TYPES.includes(parsed.data.type));
    else assert.equal(neverThrows(() => issueError(parsed.error)).code, 'REQUEST_INVALID');
  },
});

/** A request this issuer signed is refused only for its envelope or its target, never as forged. */
function assertRefusalJustified(signed: Record<string, unknown>, code: string): void {
  const envelope = envelopeSchema.safeParse(signed);
  if (!envelope.success || envelope.data.issuer !== ISSUER) return;
  const forOthers = envelope.data.site !== SITE || (envelope.data.gateway ?? GATEWAY) !== GATEWAY;
  assert.equal(code, forOthers ? 'WRONG_TARGET' : 'no refusal', 'a well-formed signed request was refused');
}

export const upstreamPeerDecision = defineTarget({
  name: 'upstream-peer-decision',
  contract:
    "Another gateway's decision message (JSON.parse, peerDecisionSchema, passageOf) on schema-guided, " +
    'mutated and arbitrary JSON: never throws, and a passage it derives names the subject, direction and ' +
    'origin of the message.',
  arbitrary: fc.oneof({ weight: 4, arbitrary: fromZod(peerDecisionSchema, { strings: STRINGS }) }, anyJson),
  check(value) {
    const parsed = neverThrows(() =>
      peerDecisionSchema.safeParse(JSON.parse(JSON.stringify(value) ?? 'null')),
    );
    if (!parsed.success) {
      neverThrows(() => issueError(parsed.error));
      return;
    }
    const passage = neverThrows(() => passageOf(parsed.data));
    if (passage === undefined) return;
    const { decision } = parsed.data.payload;
    assert.ok(decision.allow && decision.subject.kind !== 'unknown', 'a passage from a refusal');
    assert.equal(passage.direction, decision.direction);
    assert.deepStrictEqual(passage.origin, { gateway: parsed.data.gateway, seq: parsed.data.seq });
  },
});

/** A journal hash: mostly well formed, sometimes not (upper case, short, any text). */
const chainHash = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/) },
  fc.stringMatching(/^[0-9A-F]{64}$/),
  fc.string({ maxLength: 70 }),
);
const HASH = /^[0-9a-f]{64}$/;

const journalEntry = fc.record(
  {
    seq: fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer()),
    at: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double()),
    type: fc.oneof(fc.constantFrom('decision', 'alarm', 'operator', 'passage'), fc.string({ maxLength: 10 })),
    payload: fc.dictionary(fc.string({ maxLength: 6 }), anyJson, { noNullPrototype: true, maxKeys: 4 }),
    gateway: fc.oneof(fc.constant(GATEWAY), fc.string({ maxLength: 8 })),
    hash: chainHash,
    prevHash: chainHash,
  },
  { noNullPrototype: true },
);

export const upstreamJournalMessage = defineTarget({
  name: 'upstream-journal-message',
  contract:
    'decodeJournalMessage on encoded journal entries (valid and not), mutated JSON and any bytes never ' +
    'throws; it accepts exactly the messages whose envelope (chain links included) is valid and gives them ' +
    'back unchanged.',
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: journalEntry.map((entry) => ({ entry })) },
    anyJson.map((json) => ({ raw: JSON.stringify(json) ?? 'null' })),
    bytes(0, 100).map((b) => ({ raw: b.toString('latin1') })),
  ),
  check(input) {
    if ('raw' in input) {
      const decoded = neverThrows(() => decodeJournalMessage(input.raw));
      if (decoded.ok) assert.ok(Number.isSafeInteger(decoded.message.seq) && decoded.message.seq >= 1);
      return;
    }
    const { gateway, ...entry } = input.entry;
    const base = { prefix: 'gatewarden', siteId: SITE, gatewayId: gateway };
    const message = encodeJournalMessage(entry as never, base);
    const decoded = neverThrows(() => decodeJournalMessage(Buffer.from(message.payload)));
    const valid =
      Number.isSafeInteger(entry.seq) &&
      entry.seq >= 1 &&
      Number.isSafeInteger(entry.at) &&
      entry.at >= 0 &&
      /^[a-z][a-z_]{0,63}$/.test(entry.type) &&
      /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(gateway) &&
      gateway.length <= 64 &&
      HASH.test(entry.hash) &&
      HASH.test(entry.prevHash);
    assert.equal(decoded.ok, valid, decoded.ok ? 'an invalid envelope was accepted' : decoded.error);
    if (decoded.ok) assert.deepStrictEqual(decoded.message, JSON.parse(message.payload));
  },
});
