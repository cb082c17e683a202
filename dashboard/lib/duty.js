/**
 * The duty shift (`GET /api/duty`): who is on duty now and since when; coming on and going off
 * duty; and taking over the shift, which acknowledges every open alarm in the incoming guard's
 * name (the API refuses a handover that leaves one out, and the dialog lists them first).
 * Fetched at start, every 30 s and after each action or alarm change.
 */
import * as api from './api.js';
import { formatTime } from './clock.js';
import { describeError, showDialog, wireDialog } from './dialogs.js';
import { byId, debounce, h } from './dom.js';
import { alarmLabel, t } from './i18n.js';

const POLL_MS = 30_000;

export class DutyPanel {
  /** @param {{ user: string, canAct: boolean, onDone: (text: string) => void, onError: (e: Error) => void }} options */
  constructor(options) {
    this.options = options;
    this.duty = undefined;
    this.open = [];
    this.timer = undefined;
    this.stopped = false;
    this.refreshSoon = debounce(() => void this.refresh(), 300);
    this.dialog = byId('handover-dialog');
    wireDialog(this.dialog);
    byId('handover-form').onsubmit = (event) => {
      event.preventDefault();
      void this.takeOver();
    };
    byId('duty-login').onclick = () => void this.act('/api/duty/login', t('duty.loggedIn'));
    byId('duty-logout').onclick = () => void this.act('/api/duty/logout', t('duty.loggedOut'));
    byId('duty-handover').onclick = () => void this.askTakeOver();
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
      const duty = await api.get('/api/duty');
      if (this.stopped) return;
      this.duty = duty;
      this.render();
    } catch (error) {
      if (!this.stopped) this.options.onError(error);
    }
  }

  render() {
    const list = byId('duty-guards');
    const duty = this.duty;
    if (duty === undefined) return;
    byId('duty-panel').dataset.empty = String(duty.guards.length === 0);
    list.replaceChildren(
      ...(duty.guards.length === 0
        ? [h('li', { class: 'warn-text' }, t('duty.nobody'))]
        : duty.guards.map((g) =>
            h(
              'li',
              { dataset: { guard: g.guard } },
              `${g.guard} · ${t(g.via === 'card' ? 'duty.byCard' : 'duty.byDashboard')} · ${formatTime(g.since)}`,
            ),
          )),
    );
    const onDuty = duty.guards.some((g) => g.guard === this.options.user);
    byId('duty-login').hidden = !this.options.canAct || onDuty;
    byId('duty-logout').hidden = !this.options.canAct || !onDuty;
    byId('duty-handover').hidden = !this.options.canAct || onDuty;
    byId('duty-open').textContent = duty.openAlarms > 0 ? `${t('duty.openAlarms')}: ${duty.openAlarms}` : '';
  }

  async act(path, done) {
    try {
      await api.post(path, {});
      this.options.onDone(done);
    } catch (error) {
      this.options.onError(error);
    }
    await this.refresh();
  }

  /** Lists the open alarms the incoming guard acknowledges by taking over. */
  async askTakeOver() {
    byId('handover-error').textContent = '';
    try {
      const { alarms } = await api.get('/api/alarms?open=true');
      this.open = alarms;
    } catch (error) {
      this.options.onError(error);
      return;
    }
    byId('handover-alarms').replaceChildren(
      ...(this.open.length === 0
        ? [h('li', { class: 'muted' }, t('duty.noOpenAlarms'))]
        : this.open.map((a) =>
            h('li', { dataset: { seq: a.seq } }, `#${a.seq} ${formatTime(a.at)} ${alarmLabel(a.code)}`),
          )),
    );
    showDialog(this.dialog, byId('handover-confirm'));
  }

  async takeOver() {
    try {
      await api.post('/api/duty/handover', { acknowledge: this.open.map((a) => a.seq) });
      this.dialog.close();
      this.options.onDone(t('duty.takenOver'));
    } catch (error) {
      // An alarm raised while the dialog was open: list again, so the guard sees it first.
      byId('handover-error').textContent = describeError(error);
      if (error?.status === 409) await this.askTakeOver();
    }
    await this.refresh();
  }
}
