/**
 * Open alarms: `GET /api/alarms?open=true` at start and after every reconnect, live `alarm` and
 * `alarm/ack` messages between. An alarm stays until acknowledged (here, or by anyone: the
 * `alarm/ack` message removes it everywhere). Critical ones are red and sound until none is open.
 *
 * Alarms raised by a decision (FEVER, QUARANTINED on a pass or refusal) come as `alarm` messages
 * too, with the decision's seq, one per code.
 */
import * as api from './api.js';
import { formatTime } from './clock.js';
import { debounce, h } from './dom.js';
import { alarmLabel, pick, t } from './i18n.js';
import { setAlarmSound } from './sound.js';

export class AlarmList {
  /**
   * @param {HTMLElement} list
   * @param {{ lanes: Map<string, { name: {zh: string, en: string} }>, canAck: boolean, onError: (e: Error) => void }} options
   */
  constructor(list, options) {
    this.list = list;
    this.options = options;
    /** `seq:code` → alarm view (seq is the journal entry; one decision may raise two codes). */
    this.open = new Map();
    /** Acknowledged here or seen acknowledged live: a fetch answered before the ack must not bring them back. */
    this.acked = new Set();
    this.refreshSoon = debounce(() => void this.refresh(), 150);
    this.stopped = false;
    this.render();
  }

  /** At logout: no more fetches, and an answer still on its way is dropped. */
  stop() {
    this.stopped = true;
    this.refreshSoon.cancel();
  }

  async refresh() {
    try {
      const { alarms } = await api.get('/api/alarms?open=true');
      if (this.stopped) return;
      const open = alarms.filter((a) => !this.acked.has(a.seq));
      this.open = new Map(open.map((a) => [key(a), { ...a, lane: a.laneId }]));
      this.render();
    } catch (error) {
      if (!this.stopped) this.options.onError(error);
    }
  }

  /** A live `alarm` payload. */
  raised(payload) {
    if (this.acked.has(payload.seq)) return;
    this.open.set(key(payload), payload);
    this.render();
  }

  /** A live `alarm/ack` payload. */
  acknowledged(payload) {
    this.remove(payload.alarmSeq);
  }

  remove(seq) {
    this.acked.add(seq);
    for (const [k, alarm] of this.open) if (alarm.seq === seq) this.open.delete(k);
    this.render();
  }

  async acknowledge(seq, button) {
    button.disabled = true;
    try {
      await api.post(`/api/alarms/${seq}/ack`, {});
      this.remove(seq);
    } catch (error) {
      button.disabled = false;
      // Someone else acknowledged it first: the list is stale, not the operator wrong.
      if (error.status === 400 || error.status === 404) void this.refresh();
      else this.options.onError(error);
    }
  }

  render() {
    const alarms = [...this.open.values()].sort((a, b) => b.seq - a.seq);
    setAlarmSound(this.options.canAck && alarms.some((a) => a.severity === 'critical'));
    if (alarms.length === 0) {
      this.list.replaceChildren(h('li', { class: 'empty muted' }, t('alarms.none')));
      return;
    }
    this.list.replaceChildren(...alarms.map((alarm) => this.row(alarm)));
  }

  row(alarm) {
    const lane = alarm.lane ? this.options.lanes.get(alarm.lane) : undefined;
    // The live tree carries a household as a pseudonym; the API's list, fetched after such an
    // alarm (app.js), names the household by its registry id, which is what the guard needs.
    const household = alarm.household ? `${t('occupancy.household')} ${alarm.household}` : undefined;
    const where = [lane ? pick(lane.name) : alarm.lane, household, alarm.device ?? alarm.detail?.device]
      .filter(Boolean)
      .join(' · ');
    return h(
      'li',
      {
        class: `alarm ${alarm.severity}`,
        dataset: { seq: alarm.seq, code: alarm.code, severity: alarm.severity },
      },
      h('span', { class: 'severity' }, t(`alarms.${alarm.severity}`)),
      h('time', {}, formatTime(alarm.at)),
      h('strong', { class: 'code' }, alarmLabel(alarm.code)),
      h('span', { class: 'where muted' }, where),
      this.options.canAck
        ? h(
            'button',
            {
              type: 'button',
              class: 'small',
              dataset: { action: 'ack', seq: alarm.seq },
              onclick: (event) => void this.acknowledge(alarm.seq, event.currentTarget),
            },
            t('alarms.ack'),
          )
        : null,
    );
  }
}

function key(alarm) {
  return `${alarm.seq}:${alarm.code}`;
}
