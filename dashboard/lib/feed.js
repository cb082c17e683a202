/**
 * The live feed of passes and refusals (`pass/…`, `refusal/…`), newest first, the last 200 kept,
 * filtered by lane, outcome and reason (a row matches a reason when its grant, any deny reason
 * or any notice is that code).
 */
import { formatTime } from './clock.js';
import { h } from './dom.js';
import { pick, reasonCodes, reasonLabel, t } from './i18n.js';

const KEEP = 200;

export class LiveFeed {
  /**
   * @param {{ list: HTMLElement, lane: HTMLSelectElement, outcome: HTMLSelectElement, reason: HTMLSelectElement }} elements
   * @param {{ id: string, name: {zh: string, en: string} }[]} lanes
   */
  constructor(elements, lanes) {
    this.elements = elements;
    this.lanes = new Map(lanes.map((lane) => [lane.id, lane]));
    this.rows = [];
    // A property, not a listener: the feed of an earlier login on this page lets go of them.
    for (const select of [elements.lane, elements.outcome, elements.reason])
      select.onchange = () => this.render();
    this.build();
  }

  /** A pass or refusal payload. A message seen twice (after a reconnect) is kept once. */
  add(payload) {
    if (this.rows.some((row) => row.seq === payload.seq)) return;
    this.rows.unshift(payload);
    this.rows.sort((a, b) => b.seq - a.seq);
    if (this.rows.length > KEEP) this.rows.length = KEEP;
    if (this.rows[0] === payload && this.matches(payload)) {
      this.elements.list.querySelector('.empty')?.remove();
      this.elements.list.prepend(this.row(payload));
      const shown = this.elements.list.children;
      while (shown.length > KEEP) shown[shown.length - 1].remove();
    } else {
      this.render();
    }
  }

  /** The filter selects, in the current language; the chosen values stay. */
  build() {
    const { lane, outcome, reason } = this.elements;
    refill(lane, [['', t('filter.all')], ...[...this.lanes.values()].map((l) => [l.id, pick(l.name)])]);
    refill(outcome, [
      ['', t('filter.all')],
      ['granted', t('outcome.granted')],
      ['refused', t('outcome.refused')],
    ]);
    refill(reason, [['', t('filter.all')], ...reasonCodes().map((code) => [code, reasonLabel(code)])]);
    this.render();
  }

  render() {
    const shown = this.rows.filter((row) => this.matches(row));
    if (shown.length === 0)
      this.elements.list.replaceChildren(h('li', { class: 'empty muted' }, t('feed.empty')));
    else this.elements.list.replaceChildren(...shown.map((row) => this.row(row)));
  }

  matches(row) {
    const { lane, outcome, reason } = this.elements;
    if (lane.value && row.lane !== lane.value) return false;
    if (outcome.value && row.outcome !== outcome.value) return false;
    if (reason.value && !codesOf(row).includes(reason.value)) return false;
    return true;
  }

  row(row) {
    const lane = this.lanes.get(row.lane);
    const code = row.outcome === 'granted' ? row.grant : row.reason;
    const more = row.outcome === 'refused' ? row.reasons.slice(1).map((r) => reasonLabel(r.code)) : [];
    const notices = row.outcome === 'granted' ? (row.notices ?? []).map((n) => reasonLabel(n)) : [];
    return h(
      'li',
      { class: `feed-row ${row.outcome}`, dataset: { seq: row.seq, lane: row.lane, outcome: row.outcome } },
      h('time', {}, formatTime(row.at)),
      h('span', { class: 'lane' }, lane ? pick(lane.name) : row.lane),
      h('span', { class: `outcome ${row.outcome}` }, t(`outcome.${row.outcome}`)),
      h(
        'span',
        { class: 'reason' },
        [reasonLabel(code), ...more, ...notices].filter(Boolean).join(' · '),
        row.override ? ` (${t('feed.override')})` : '',
      ),
      h('span', { class: 'credential muted' }, t(`credential.${row.credential}`)),
    );
  }
}

function codesOf(row) {
  if (row.outcome === 'granted') return [row.grant, ...(row.notices ?? [])];
  return (row.reasons ?? []).map((r) => r.code);
}

function refill(select, options) {
  const chosen = select.value;
  select.replaceChildren(...options.map(([value, text]) => h('option', { value }, text)));
  if (options.some(([value]) => value === chosen)) select.value = chosen;
}
