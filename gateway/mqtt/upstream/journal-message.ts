/**
 * One journal entry as an upstream MQTT message, both ways: the publisher encodes, and whoever
 * reads `<prefix>/<site>/+/journal/#` (the command centre, the other gateways of the site)
 * decodes. The wire format, documented in docs/mqtt-upstream.md:
 *
 *   topic    <prefix>/<site>/<gateway>/journal/<type>
 *   payload  {"seq":…,"at":…,"type":"…","gateway":"…","site":"…","payload":{…},
 *             "prevHash":"…","hash":"…"}   (UTF-8 JSON)
 *
 * `(gateway, seq)` identifies an entry: a message can arrive twice (QoS 1, and the replay from
 * the committed cursor after an outage or a crash), and a reader drops the second. Payloads are
 * the journal's own, which carry internal ids and keyed pseudonyms only (events.ts), never a
 * name or a raw ID number; nothing is added here.
 *
 * `hash` and `prevHash` are the entry's place in the journal's hash chain (docs/journal.md), so
 * upstream holds the chain head and can check that what it received is what was journaled and
 * that nothing between two entries went missing. Both are optional when reading: gateways
 * before this field did not send them.
 */
import type { AnyJournalEntry } from '../../journal/journal.js';
import { type UpstreamTopicBase, upstreamTopics } from './topics.js';

export interface JournalMessage {
  seq: number;
  at: number;
  type: string;
  gateway: string;
  site: string;
  payload: Record<string, unknown>;
  prevHash?: string;
  hash?: string;
}

export type DecodedJournalMessage = { ok: true; message: JournalMessage } | { ok: false; error: string };

/** The topic and the payload of one entry. */
export function encodeJournalMessage(
  entry: AnyJournalEntry,
  base: UpstreamTopicBase,
): { topic: string; payload: string } {
  const message: JournalMessage = {
    seq: entry.seq,
    at: entry.at,
    type: entry.type,
    gateway: base.gatewayId,
    site: base.siteId,
    payload: entry.payload as unknown as Record<string, unknown>,
    prevHash: entry.prevHash,
    hash: entry.hash,
  };
  return { topic: upstreamTopics.journal(base, entry.type), payload: JSON.stringify(message) };
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const TYPE = /^[a-z][a-z_]{0,63}$/;
const HASH = /^[0-9a-f]{64}$/;
/** Larger messages are refused unread: a journal entry is a few hundred bytes. */
export const MAX_JOURNAL_MESSAGE_BYTES = 256 * 1024;

/**
 * Reads a message; never throws. Checks the envelope (every field, its type and range), not the
 * payload's content, which the reader validates for the types it uses.
 */
export function decodeJournalMessage(bytes: Buffer | string): DecodedJournalMessage {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > MAX_JOURNAL_MESSAGE_BYTES) return { ok: false, error: `too large (${size} bytes)` };
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (!isObject(value)) return { ok: false, error: 'not a JSON object' };
  const { seq, at, type, gateway, site, payload, prevHash, hash } = value;
  if (!isCount(seq) || seq < 1) return { ok: false, error: 'seq must be a positive integer' };
  if (!isCount(at)) return { ok: false, error: 'at must be epoch milliseconds' };
  if (typeof type !== 'string' || !TYPE.test(type)) return { ok: false, error: 'type must be an entry type' };
  if (typeof gateway !== 'string' || !SLUG.test(gateway) || gateway.length > 64)
    return { ok: false, error: 'gateway must be a slug' };
  if (typeof site !== 'string' || !SLUG.test(site) || site.length > 64)
    return { ok: false, error: 'site must be a slug' };
  if (!isObject(payload)) return { ok: false, error: 'payload must be a JSON object' };
  if (prevHash !== undefined && (typeof prevHash !== 'string' || !HASH.test(prevHash)))
    return { ok: false, error: 'prevHash must be 64 lowercase hex digits' };
  if (hash !== undefined && (typeof hash !== 'string' || !HASH.test(hash)))
    return { ok: false, error: 'hash must be 64 lowercase hex digits' };
  if ((prevHash === undefined) !== (hash === undefined))
    return { ok: false, error: 'hash and prevHash come together' };
  const message: JournalMessage = { seq, at, type, gateway, site, payload };
  if (typeof hash === 'string' && typeof prevHash === 'string') Object.assign(message, { prevHash, hash });
  return { ok: true, message };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
