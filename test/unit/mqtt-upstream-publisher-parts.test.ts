/**
 * The pure parts of the upstream bridge: the journal message codec (property tests), the
 * reconnection backoff, the classification of connection errors, and the configuration.
 */
import { fc, test } from '@fast-check/vitest';
import { ErrorWithReasonCode } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { mqttUpstreamSchema, resolveUpstreamPaths } from '../../config/mqtt-upstream-schema.js';
import type { AnyJournalEntry } from '../../gateway/journal/journal.js';
import { Backoff } from '../../gateway/mqtt/upstream/backoff.js';
import { upstreamClientId } from '../../gateway/mqtt/upstream/client-options.js';
import { classifyUpstreamError } from '../../gateway/mqtt/upstream/connection-failure.js';
import {
  decodeJournalMessage,
  encodeJournalMessage,
  MAX_JOURNAL_MESSAGE_BYTES,
} from '../../gateway/mqtt/upstream/journal-message.js';

const slug = fc.stringMatching(/^[a-z0-9]{1,8}(?:-[a-z0-9]{1,8}){0,2}$/);
const base = fc.record({
  prefix: fc.constantFrom('gatewarden', 'district/7'),
  siteId: slug,
  gatewayId: slug,
});
const entry = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  at: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  type: fc.constantFrom(
    'decision',
    'reading',
    'alarm',
    'alarm_ack',
    'mode',
    'operator',
    'device',
    'passage',
    'fire',
  ),
  payload: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })),
  hash: fc.stringMatching(/^[0-9a-f]{64}$/),
  prevHash: fc.stringMatching(/^[0-9a-f]{64}$/),
});

describe('journal messages', () => {
  test.prop([entry, base])(
    'decode(encode(entry)) is the entry with its site, gateway and chain links',
    (e, b) => {
      const { topic, payload } = encodeJournalMessage(e as unknown as AnyJournalEntry, b);
      expect(topic).toBe(`${b.prefix}/${b.siteId}/${b.gatewayId}/journal/${e.type}`);
      const decoded = decodeJournalMessage(Buffer.from(payload));
      expect(decoded).toEqual({
        ok: true,
        message: {
          seq: e.seq,
          at: e.at,
          type: e.type,
          gateway: b.gatewayId,
          site: b.siteId,
          payload: JSON.parse(JSON.stringify(e.payload)),
          prevHash: e.prevHash,
          hash: e.hash,
        },
      });
    },
  );

  test.prop([
    fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    ),
  ])('decoding never throws on arbitrary input', (input) => {
    const decoded = decodeJournalMessage(input);
    expect(typeof decoded.ok).toBe('boolean');
  });

  test.prop([fc.jsonValue()])(
    'decoding any JSON value either succeeds with a full envelope or says why',
    (value) => {
      const decoded = decodeJournalMessage(JSON.stringify(value));
      if (decoded.ok)
        expect(Object.keys(decoded.message).sort()).toEqual([
          'at',
          'gateway',
          'payload',
          'seq',
          'site',
          'type',
        ]);
      else expect(decoded.error.length).toBeGreaterThan(0);
    },
  );

  it.each([
    [{ seq: 0 }, 'seq must be a positive integer'],
    [{ seq: 1.5 }, 'seq must be a positive integer'],
    [{ at: -1 }, 'at must be epoch milliseconds'],
    [{ type: 'Decision' }, 'type must be an entry type'],
    [{ gateway: 'North Gate' }, 'gateway must be a slug'],
    [{ site: '' }, 'site must be a slug'],
    [{ payload: [1] }, 'payload must be a JSON object'],
  ])('refuses %j', (change, error) => {
    const good = { seq: 3, at: 1, type: 'decision', gateway: 'north', site: 'maple', payload: {} };
    expect(decodeJournalMessage(JSON.stringify(good)).ok).toBe(true);
    expect(decodeJournalMessage(JSON.stringify({ ...good, ...change }))).toEqual({ ok: false, error });
  });

  it('refuses an oversized message unread', () => {
    const decoded = decodeJournalMessage(Buffer.alloc(MAX_JOURNAL_MESSAGE_BYTES + 1, 0x20));
    expect(decoded).toEqual({ ok: false, error: `too large (${MAX_JOURNAL_MESSAGE_BYTES + 1} bytes)` });
  });
});

describe('reconnection backoff', () => {
  test.prop([fc.array(fc.double({ min: 0, max: 0.999_999, noNaN: true }), { minLength: 1, maxLength: 40 })])(
    'each wait lies between half and all of a ceiling that doubles up to the maximum',
    (randoms) => {
      let i = 0;
      const backoff = new Backoff(
        { initialMs: 100, maxMs: 5000 },
        () => randoms[i++ % randoms.length] as number,
      );
      for (let n = 1; n <= randoms.length; n++) {
        const ceiling = Math.min(5000, 100 * 2 ** (n - 1));
        const wait = backoff.next();
        expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
        expect(wait).toBeLessThanOrEqual(ceiling);
      }
      expect(backoff.failures).toBe(randoms.length);
      backoff.reset();
      expect(backoff.next()).toBeLessThanOrEqual(100);
    },
  );
});

describe('connection errors', () => {
  it('tells a protocol refusal, a CONNACK refusal, TLS and the network apart', () => {
    const connack = (code: number, text: string) =>
      new ErrorWithReasonCode(`Connection refused: ${text}`, code);
    expect(classifyUpstreamError(connack(1, 'Unacceptable protocol version'), true).kind).toBe(
      'unsupported_protocol',
    );
    expect(classifyUpstreamError(connack(0x84, 'Unsupported Protocol Version'), true).kind).toBe(
      'unsupported_protocol',
    );
    expect(classifyUpstreamError(connack(0x86, 'Bad User Name or Password'), true)).toMatchObject({
      kind: 'refused',
      code: 0x86,
    });
    expect(classifyUpstreamError(connack(5, 'Not authorized'), true).kind).toBe('refused');
    const tls = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    expect(classifyUpstreamError(tls, true).kind).toBe('tls');
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' });
    expect(classifyUpstreamError(down, true).kind).toBe('network');
    expect(classifyUpstreamError(new Error('connack timeout'), true).kind).toBe('network');
  });
});

describe('upstream configuration', () => {
  it('fills the defaults and names the client gatewarden-<site>-<gateway>', () => {
    const config = mqttUpstreamSchema.parse({ url: 'mqtts://broker.example.org:8883' });
    expect(config).toMatchObject({
      gatewayId: 'main',
      topicPrefix: 'gatewarden',
      protocolVersion: 5,
      reconnect: { initialSeconds: 1, maxSeconds: 60 },
      sessionExpirySeconds: 86_400,
      batchSize: 500,
      inFlight: 20,
    });
    expect(upstreamClientId(config, 'maple')).toBe('gatewarden-maple-main');
    expect(upstreamClientId({ ...config, clientId: 'gw-7' }, 'maple')).toBe('gw-7');
  });

  it.each([
    [{ url: 'http://broker' }],
    [{ url: 'mqtt://broker', topicPrefix: 'a/+/b' }],
    [{ url: 'mqtt://broker', topicPrefix: '$SYS' }],
    [{ url: 'mqtt://broker', protocolVersion: 3 }],
    [{ url: 'mqtt://broker', tls: { certFile: 'c.pem' } }],
    [{ url: 'mqtt://broker', password: 'inline' }],
  ])('refuses %j', (input) => {
    expect(mqttUpstreamSchema.safeParse(input).success).toBe(false);
  });

  it('resolves its files against dataDir', () => {
    const config = mqttUpstreamSchema.parse({
      url: 'mqtts://broker',
      passwordFile: 'secrets/upstream',
      tls: { caFile: '/etc/ssl/ca.pem', certFile: 'tls/gw.crt', keyFile: 'tls/gw.key' },
    });
    const resolved = resolveUpstreamPaths(config, '/var/lib/gatewarden');
    expect(resolved.passwordFile).toBe('/var/lib/gatewarden/secrets/upstream');
    expect(resolved.tls).toEqual({
      caFile: '/etc/ssl/ca.pem',
      certFile: '/var/lib/gatewarden/tls/gw.crt',
      keyFile: '/var/lib/gatewarden/tls/gw.key',
      rejectUnauthorized: true,
    });
  });
});
