/**
 * The top bar and the banners: site, shift, user and role, today's counts, whether the live
 * socket is up (with the "reconnecting" banner once a connection was lost), the fire banner,
 * the stale-data banner (`site.stale`, docs/freshness.md), the journal-outage banner
 * (`site.journalOutage`, docs/journal.md "Disk full"), and a short-lived toast for what an
 * action did.
 */
import { formatDateTime } from './clock.js';
import { byId } from './dom.js';
import { pick, t } from './i18n.js';

/** Today's counts at the community's gates; building entrances apart, when there were any. */
function todayText(today) {
  const gates = `${t('header.today')}: ${t('header.granted')} ${today.granted} · ${t('header.refused')} ${today.refused}`;
  const b = today.buildingEntrances;
  if (b === undefined || b.granted + b.refused === 0) return gates;
  return `${gates} · ${t('header.buildings')} ${b.granted}/${b.refused}`;
}

export function renderHeader(me, site, today) {
  byId('site-name').textContent = typeof site.name === 'string' ? site.name : pick(site.name);
  byId('shift').textContent = site.shift ? t(`shift.${site.shift}`) : '';
  byId('who').textContent = `${me.user} · ${t(`role.${me.role}`)}`;
  byId('today').textContent = today ? todayText(today) : '';
  renderStale(site.stale);
  renderJournalOutage(site.journalOutage);
}

/**
 * `outage`: GET /api/site's `{ held, since, cause, refusing, refusedUnrecorded }`, or null while
 * the journal takes appends. The journal cannot carry this alarm, so the banner is how the guard
 * room hears it.
 */
function renderJournalOutage(outage) {
  const banner = byId('journal-banner');
  banner.hidden = !outage;
  if (!outage) return;
  const since = outage.since === null ? '' : ` (${formatDateTime(outage.since)})`;
  const volatile = outage.volatile > 0 ? `, ${t('journal.volatile')}: ${outage.volatile}` : '';
  const held = `${t('journal.held')}: ${outage.held}${volatile}`;
  const refusing = outage.refusing ? ` ${t('journal.refusing')}` : '';
  banner.textContent = `${t('journal.outage')}${since} ${held}.${refusing}`;
}

/** `stale`: GET /api/site's `{ since, refreshedAt, policy }`, or null when the data are fresh. */
function renderStale(stale) {
  const banner = byId('stale-banner');
  banner.hidden = !stale;
  if (!stale) return;
  const since = stale.refreshedAt === null ? t('stale.never') : formatDateTime(stale.refreshedAt);
  banner.textContent = `${t('stale.banner')} (${t('stale.refreshed')} ${since}) ${t(`stale.policy.${stale.policy}`)}`;
}

/** `fresh`: a new login, whose first connection is not a reconnection. */
export function setLiveStatus(connected, fresh = false) {
  const status = byId('live-status');
  if (fresh) delete status.dataset.wasConnected;
  if (connected) status.dataset.wasConnected = 'true';
  status.dataset.connected = String(connected);
  status.textContent = connected ? t('live.connected') : t('live.down');
  byId('reconnecting').hidden = connected || status.dataset.wasConnected !== 'true';
}

export function liveConnected() {
  return byId('live-status').dataset.connected === 'true';
}

export function setFire(active) {
  byId('fire-banner').hidden = !active;
}

let toastTimer;

export function toast(text, isError = false) {
  const element = byId('toast');
  element.textContent = text;
  element.classList.toggle('error', isError);
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    element.hidden = true;
  }, 5000);
}
