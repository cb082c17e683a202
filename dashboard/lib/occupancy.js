/**
 * Who is out of the community now (`GET /api/occupancy`): by household (registry id, no names),
 * since when, overdue returns highlighted. Fetched at start, every 30 s and soon after each pass.
 */
import * as api from './api.js';
import { formatDateTime, formatDuration, siteNow } from './clock.js';
import { debounce, h } from './dom.js';
import { t } from './i18n.js';

const POLL_MS = 30_000;

export class Occupancy {
  /** @param {HTMLElement} body the table body; @param {{ onError: (e: Error) => void }} options */
  constructor(body, options) {
    this.body = body;
    this.options = options;
    this.outside = [];
    this.timer = undefined;
    this.refreshSoon = debounce(() => void this.refresh(), 300);
    this.stopped = false;
  }

  start() {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), POLL_MS);
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    this.refreshSoon.cancel();
  }

  async refresh() {
    if (this.stopped) return;
    try {
      const { outside } = await api.get('/api/occupancy');
      if (this.stopped) return;
      this.outside = outside;
      this.render();
    } catch (error) {
      if (!this.stopped) this.options.onError(error);
    }
  }

  render() {
    if (this.outside.length === 0) {
      this.body.replaceChildren(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, t('occupancy.none'))));
      return;
    }
    const rows = [...this.outside].sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.since - b.since);
    const now = siteNow();
    this.body.replaceChildren(
      ...rows.map((o) =>
        h(
          'tr',
          { class: o.overdue ? 'overdue' : '', dataset: { household: o.household ?? '' } },
          h('td', {}, o.household ?? '—'),
          h(
            'td',
            {},
            formatDateTime(o.since),
            h('div', { class: 'muted small' }, formatDuration(now - o.since)),
          ),
          h('td', {}, o.overdue ? h('span', { class: 'badge alert' }, t('occupancy.overdue')) : ''),
        ),
      ),
    );
  }
}
