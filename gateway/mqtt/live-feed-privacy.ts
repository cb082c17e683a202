/**
 * What of a journal payload may go on the local bus. The bus is readable by every local client
 * with read access (the dashboard, Home Assistant, Node-RED), and Home Assistant keeps history
 * for as long as its owner likes: so less than the journal holds, and nothing that would let
 * those tools' data be joined with telemetry or upstream data.
 *
 * - Subjects (persons, vehicles, households) appear as a keyed pseudonym with a label of its
 *   own ("live-subject"), so a pseudonym on the bus never equals the telemetry one for the same
 *   subject, and neither equals the registry id. Without the site's key it names no one.
 * - Credential values (card UIDs, plates, QR ids, ID-number hashes) never appear: only the kind.
 * - Operator free text (who, why, notes, the detail of operator actions) never appears; each
 *   stream message carries `seq`, with which the dashboard fetches the entry by role from the API.
 * - Reason and alarm details pass by key: known technical keys as text (ID-number-like digit runs
 *   masked), registry ids as pseudonyms, every other text dropped. Numbers pass.
 */
import { createHmac } from 'node:crypto';

/** Keyed pseudonym of a registry id for the local bus: 16 hex digits of HMAC-SHA256. */
export function livePseudonym(key: Buffer, id: string): string {
  return createHmac('sha256', key).update(`live-subject\0${id}`).digest('hex').slice(0, 16);
}

/** As `livePseudonym`, memoised: subjects repeat, and an HMAC per message would dominate. */
export function cachedLivePseudonym(key: Buffer, limit = 100_000): (id: string) => string {
  const seen = new Map<string, string>();
  return (id) => {
    let p = seen.get(id);
    if (p === undefined) {
      if (seen.size >= limit) seen.clear();
      p = livePseudonym(key, id);
      seen.set(id, p);
    }
    return p;
  };
}

/** Longest technical text kept; longer is cut. */
const TEXT_LIMIT = 160;
/** 11 or more digits in a row (ID numbers, phone numbers), with an ID number's final X. */
const LONG_DIGITS = /\d{11,}[Xx]?/g;

/**
 * A text written by the gateway's own code (a device's offline reason, a relay error), made fit
 * for the bus: cut to 160 characters, long digit runs (an ID or phone number slipped into an
 * error message) masked. Journal payloads hold no names by contract; this is a second fence.
 */
export function technicalText(text: string): string {
  const cut = text.length > TEXT_LIMIT ? `${text.slice(0, TEXT_LIMIT - 1)}…` : text;
  return cut.replace(LONG_DIGITS, '***');
}

/** Deny detail keys whose values are safe locally (quarantine order ids and travel regions are not). */
const DENY_DETAIL_KEYS: ReadonlySet<string> = new Set(['gate', 'kind', 'celsius', 'used', 'allowed']);

/** The detail of a deny reason as the bus shows it; undefined when nothing is left. */
export function denyDetail(
  detail: Readonly<Record<string, string | number>> | undefined,
): Record<string, string | number> | undefined {
  if (detail === undefined) return undefined;
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(detail)) {
    if (!DENY_DETAIL_KEYS.has(key)) continue;
    out[key] = typeof value === 'string' ? technicalText(value) : value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Alarm detail keys that hold registry ids: shown as pseudonyms (as telemetry does). */
const ID_DETAIL_KEYS: ReadonlySet<string> = new Set(['household', 'person', 'subject', 'vehicle']);

/** Alarm detail keys whose text the gateway's own code writes (device, link and sink faults). */
const TECHNICAL_DETAIL_KEYS: ReadonlySet<string> = new Set([
  'device',
  'gate',
  'lane',
  'kind',
  'arm',
  'expected',
  'state',
  'failure',
  'reason',
  'error',
  'sink',
  'measurement',
  'client',
  'topic',
]);

/** An alarm's detail as the bus shows it: numbers, technical texts, pseudonymous ids; nothing else. */
export function alarmDetail(
  detail: Readonly<Record<string, string | number>> | undefined,
  pseudonym: (id: string) => string,
): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(detail ?? {})) {
    if (typeof value === 'number') out[key] = value;
    else if (ID_DETAIL_KEYS.has(key)) out[key] = pseudonym(value);
    else if (TECHNICAL_DETAIL_KEYS.has(key)) out[key] = technicalText(value);
  }
  return out;
}
