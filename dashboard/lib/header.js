/**
 * The top bar and the banners: site, shift, user and role, today's counts, whether the live
 * socket is up (with the "reconnecting" banner once a connection was lost), the fire banner,
 * the stale-data banner (`site.stale`, docs/freshness.md), and a short-lived toast for what an
 * action did.
 */
import { formatDateTime } from './clock.js';
import { byId } from './dom.js';
import { pick, t } from './i18n.js';

export function renderHeader(me, site, today) {
  byId('site-name').textContent = typeof site.name === 'string' ? site.name : pick(site.name);
  byId('shift').textContent = site.shift ? t(`shift.${site.shift}`) : '';
  byId('who').textContent = `${me.user} · ${t(`role.${me.role}`)}`;
  byId('today').textContent = today
    ? `${t('header.today')}: ${t('header.granted')} ${today.granted} · ${t('header.refused')} ${today.refused}`
    : '';
  renderStale(site.stale);
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
