/**
 * One tile per lane (`GET /api/site`): the gate as the gateway commanded it (lock or barrier,
 * fire release, the door contact's alarm, devices down; `gate/<gate>/<lane>/state`), and the
 * last pass with its outcome and first reason, from the gate state or a newer pass / refusal.
 * Operators and admins get the emergency-open button.
 */
import { formatTime } from './clock.js';
import { h } from './dom.js';
import { alarmLabel, pick, reasonLabel, t } from './i18n.js';

export class LaneTiles {
  /**
   * @param {HTMLElement} container
   * @param {{ lanes: { id: string, name: {zh: string, en: string}, kind: string, direction: string, gate: string }[],
   *   canAct: boolean, onOpen: (lane: object) => void }} options
   */
  constructor(container, options) {
    this.container = container;
    this.options = options;
    /** laneId → { state, lastPass } */
    this.lanes = new Map(options.lanes.map((lane) => [lane.id, { lane, state: null, lastPass: null }]));
    this.elements = new Map();
    this.build();
  }

  /** A `gate/<gate>/<lane>/state` payload. */
  gateState(payload) {
    const entry = this.lanes.get(payload?.lane);
    if (entry === undefined) return;
    entry.state = payload;
    if (payload.lastPass && (entry.lastPass === null || payload.lastPass.seq >= entry.lastPass.seq))
      entry.lastPass = payload.lastPass;
    this.update(entry);
  }

  /** A `pass/…` or `refusal/…` payload: the tile shows it at once, before the gate state follows. */
  decision(payload) {
    const entry = this.lanes.get(payload?.lane);
    if (entry === undefined) return;
    if (entry.lastPass !== null && entry.lastPass.seq > payload.seq) return;
    const reason = payload.outcome === 'granted' ? payload.grant : payload.reason;
    entry.lastPass = { seq: payload.seq, at: payload.at, outcome: payload.outcome, reason: reason ?? null };
    this.update(entry);
  }

  /** Rebuilds every tile (after a language switch). */
  build() {
    this.container.replaceChildren();
    for (const entry of this.lanes.values()) {
      const { lane } = entry;
      const parts = {
        state: h('div', { class: 'tile-state' }),
        last: h('div', { class: 'tile-last' }),
      };
      const tile = h(
        'article',
        { class: 'tile', dataset: { lane: lane.id } },
        h(
          'header',
          {},
          h('span', { class: 'tile-name' }, pick(lane.name)),
          h(
            'span',
            { class: 'tile-kind' },
            `${t(`kind.${lane.kind}`)} · ${t(`direction.${lane.direction}`)}`,
          ),
        ),
        parts.state,
        parts.last,
        this.options.canAct
          ? h(
              'button',
              {
                type: 'button',
                class: 'danger small',
                dataset: { action: 'open', lane: lane.id },
                onclick: () => this.options.onOpen(lane),
              },
              t('lane.open'),
            )
          : null,
      );
      this.elements.set(lane.id, { tile, ...parts });
      this.container.append(tile);
      this.update(entry);
    }
  }

  update(entry) {
    const parts = this.elements.get(entry.lane.id);
    if (parts === undefined) return;
    const { state, lastPass } = entry;
    parts.tile.dataset.open = state ? String(state.open) : 'unknown';
    parts.state.replaceChildren(...stateBadges(state));
    if (lastPass === null) {
      parts.last.dataset.outcome = 'none';
      parts.last.replaceChildren(`${t('lane.lastPass')}: ${t('lane.none')}`);
      return;
    }
    parts.last.dataset.outcome = lastPass.outcome;
    parts.last.dataset.seq = String(lastPass.seq);
    parts.last.replaceChildren(
      h('span', { class: 'muted' }, `${t('lane.lastPass')} ${formatTime(lastPass.at)}`),
      ' ',
      h('span', { class: `outcome ${lastPass.outcome}` }, t(`outcome.${lastPass.outcome}`)),
      ' ',
      h('span', { class: 'reason' }, reasonLabel(lastPass.reason)),
    );
  }
}

function stateBadges(state) {
  if (state === null) return [h('span', { class: 'badge muted' }, t('lane.unknown'))];
  const badges = [];
  if (state.lock !== undefined)
    badges.push(h('span', { class: `badge ${state.open ? 'open' : 'shut'}` }, t(`lane.${state.lock}`)));
  if (state.barrier !== undefined)
    badges.push(h('span', { class: `badge ${state.open ? 'open' : 'shut'}` }, t(`lane.${state.barrier}`)));
  if (state.fire) badges.push(h('span', { class: 'badge alert' }, t('lane.fire')));
  const door = state.alarm
    ? h('span', { class: 'badge alert' }, `${t('lane.door')}: ${alarmLabel(state.alarm.code)}`)
    : h('span', { class: 'badge' }, `${t('lane.door')}: ${t('lane.doorOk')}`);
  badges.push(door);
  if (Array.isArray(state.devicesDown) && state.devicesDown.length > 0)
    badges.push(
      h('span', { class: 'badge alert' }, `${t('lane.devicesDown')}: ${state.devicesDown.join(', ')}`),
    );
  return badges;
}
