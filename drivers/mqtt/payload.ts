/**
 * Reading device payloads defensively: every helper returns a value or a reason, never throws,
 * whatever bytes arrive (invalid UTF-8, deep or huge JSON, `__proto__` keys, numbers as text).
 */

/** Device state messages are small; anything larger is refused before it is parsed. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;
/** Readings kept per message, so that a chatty or hostile device cannot grow the gateway's memory. */
const MAX_READINGS = 32;
const MAX_READING_KEY = 64;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as text; refuses oversized payloads and invalid UTF-8. */
export function payloadText(payload: Buffer): Parsed<string> {
  if (payload.length > MAX_PAYLOAD_BYTES)
    return { ok: false, reason: `payload of ${payload.length} bytes is over ${MAX_PAYLOAD_BYTES}` };
  try {
    return { ok: true, value: utf8.decode(payload) };
  } catch {
    return { ok: false, reason: 'payload is not valid UTF-8' };
  }
}

/** A JSON object (not an array, string or number). */
export function jsonObject(payload: Buffer): Parsed<Record<string, unknown>> {
  const text = payloadText(payload);
  if (!text.ok) return text;
  let value: unknown;
  try {
    value = JSON.parse(text.value);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  if (!isRecord(value)) return { ok: false, reason: 'payload is JSON but not an object' };
  return { ok: true, value };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: a payload's `__proto__` or `constructor` key is data, nothing more. */
export function field(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/**
 * `online`/`offline` as Zigbee2MQTT (plain text before 2.0, `{"state":"online"}` since) and
 * Tasmota (`Online`/`Offline` on the LWT topic) publish them; `words` overrides the pair (plain
 * JSON devices configure theirs). Case and surrounding white space do not matter.
 */
export function availabilityWord(
  payload: Buffer,
  words: { online: string; offline: string } = { online: 'online', offline: 'offline' },
): Parsed<boolean> {
  const text = payloadText(payload);
  if (!text.ok) return text;
  let word: unknown = text.value.trim();
  if (typeof word === 'string' && word.startsWith('{')) {
    const object = jsonObject(payload);
    if (!object.ok) return object;
    word = field(object.value, 'state');
  }
  if (typeof word !== 'string') return { ok: false, reason: 'availability has no state word' };
  const normal = word.trim().toLowerCase();
  if (normal === words.online.toLowerCase()) return { ok: true, value: true };
  if (normal === words.offline.toLowerCase()) return { ok: true, value: false };
  return { ok: false, reason: `availability "${preview(word)}" is neither online nor offline` };
}

/** `ON`/`OFF` in any case (Tasmota and Zigbee2MQTT switches); booleans as themselves. */
export function onOff(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const normal = value.trim().toUpperCase();
  return normal === 'ON' ? true : normal === 'OFF' ? false : undefined;
}

/** A finite number, also when sent as numeric text (some firmwares quote their numbers). */
export function finiteNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** A battery percentage, when the value is one. */
export function batteryPercent(value: unknown): number | undefined {
  const n = finiteNumber(value);
  return n !== undefined && n >= 0 && n <= 100 ? n : undefined;
}

/**
 * The numeric leaves of an object, one level of nesting deep (`AM2301.Temperature`), skipping
 * `exclude`; at most MAX_READINGS of them. Booleans and text are left out.
 */
export function numericReadings(
  object: Record<string, unknown>,
  exclude: ReadonlySet<string> = new Set(),
): Record<string, number> {
  const out: Record<string, number> = {};
  let count = 0;
  const visit = (value: unknown, key: string, depth: number): void => {
    // `__proto__` as a plain assignment would be a prototype write, not a reading.
    if (count >= MAX_READINGS || key.length > MAX_READING_KEY || key === '__proto__') return;
    if (typeof value === 'number' && Number.isFinite(value)) {
      out[key] = value;
      count++;
    } else if (depth === 0 && isRecord(value)) {
      for (const inner of Object.keys(value)) visit(field(value, inner), `${key}.${inner}`, 1);
    }
  };
  for (const key of Object.keys(object)) if (!exclude.has(key)) visit(field(object, key), key, 0);
  return out;
}

/** A short, printable excerpt of untrusted text for a log line or a reason. */
export function preview(text: string, max = 40): string {
  const clipped = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(clipped).slice(1, -1);
}

/** `table[key]` for an own key only: `constructor` or `toString` in a payload is no table entry. */
export function lookup<T>(table: Readonly<Record<string, T>>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A string value trimmed and upper-cased (state words are case-insensitive); other values: undefined. */
export function upper(value: unknown): string | undefined {
  return typeof value === 'string' ? value.trim().toUpperCase() : undefined;
}
