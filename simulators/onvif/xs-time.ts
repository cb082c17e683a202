/**
 * xs:duration and xs:dateTime as ONVIF clients send them: `PT60S`, `PT1M`, `PT2M30.5S`,
 * `P1DT2H`, or an absolute `2024-05-01T08:00:00Z`. Years and months count as 365 and 30 days
 * (a subscription never lasts that long; the approximation only has to be monotonic).
 */
const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of a non-negative xs:duration, or undefined when it is not one. */
export function parseDuration(value: string): number | undefined {
  const trimmed = value.trim();
  const m = DURATION.exec(trimmed);
  if (!m || trimmed === 'P' || trimmed.endsWith('T')) return undefined;
  const n = (i: number): number => Number(m[i] ?? 0);
  const days = n(1) * 365 + n(2) * 30 + n(3);
  const total = ((days * 24 + n(4)) * 60 + n(5)) * 60 + n(6);
  return Math.round(total * 1000);
}

/** Epoch ms of an xs:dateTime with an explicit zone (Z or ±hh:mm), or undefined. */
export function parseDateTime(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(trimmed)) return undefined;
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A termination time as WS-BaseNotification allows it: relative (an xs:duration from `now`) or
 * absolute (in the camera's clock, which `now` also is). Undefined when it is neither.
 */
export function parseTerminationTime(value: string, now: number): number | undefined {
  const relative = parseDuration(value);
  if (relative !== undefined) return now + relative;
  return parseDateTime(value);
}

/** xs:dateTime in UTC with milliseconds, the form agsh/onvif's `linerase` turns into a Date. */
export function isoTime(epochMs: number): string {
  return new Date(Math.round(epochMs)).toISOString();
}
