/**
 * The site's clock as the browser can know it: every live message carries the gateway's `at`,
 * and the gateway's clock is the one that counts (a test rig runs on a settable clock; a guard
 * room PC may be minutes off). `siteNow()` is the newest `at` seen, run on by the browser's
 * elapsed time since; before any message, the browser's own time.
 */
let offset = 0;
let newest = 0;

export function observe(at) {
  if (typeof at !== 'number' || !Number.isFinite(at) || at <= newest) return;
  newest = at;
  offset = at - Date.now();
}

export function siteNow() {
  return Date.now() + offset;
}

let zone;

/** The site's time zone, when the gateway tells it (`GET /api/site`); else the browser's. */
export function setTimeZone(timeZone) {
  zone = typeof timeZone === 'string' ? timeZone : undefined;
}

function format(ms, options) {
  try {
    return new Intl.DateTimeFormat('zh-CN', { hour12: false, timeZone: zone, ...options }).format(ms);
  } catch {
    return new Date(ms).toISOString();
  }
}

export function formatTime(ms) {
  return format(ms, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatDateTime(ms) {
  return format(ms, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** `1 h 05 min` style duration, language-neutral. */
export function formatDuration(ms) {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${String(minutes % 60).padStart(2, '0')} min` : `${minutes} min`;
}
