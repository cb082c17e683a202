/**
 * The operator's two guarded actions. Emergency open: the tile's button opens a dialog naming
 * the lane and asking a reason; confirm → `POST /api/lanes/:laneId/open`. Mode switch: a button
 * per mode opens a dialog that says, in Chinese and English, what the new mode changes at the
 * gate; confirm with a reason → `PUT /api/site/mode`. Both are journaled by the gateway with
 * the user and shift.
 */
import * as api from './api.js';
import { describeError, reasonOf, showDialog, wireDialog } from './dialogs.js';
import { byId, h } from './dom.js';
import { modeLabel, pick, t } from './i18n.js';
import { MODE_EFFECTS } from './texts.js';

export const MODES = ['open', 'closed', 'lockdown'];

export class EmergencyOpen {
  /** @param {{ onDone: (text: string) => void }} options */
  constructor(options) {
    this.options = options;
    this.dialog = byId('open-dialog');
    this.form = byId('open-form');
    this.reason = byId('open-reason');
    this.error = byId('open-error');
    this.lane = undefined;
    wireDialog(this.dialog);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.confirm();
    });
  }

  ask(lane) {
    this.lane = lane;
    byId('open-lane').textContent = `${pick(lane.name)} (${lane.id})`;
    this.reason.value = '';
    this.error.textContent = '';
    showDialog(this.dialog, this.reason);
  }

  async confirm() {
    const reason = reasonOf(this.reason, this.error);
    if (reason === undefined || this.lane === undefined) return;
    const button = byId('open-confirm');
    button.disabled = true;
    try {
      await api.post(`/api/lanes/${encodeURIComponent(this.lane.id)}/open`, { reason });
      this.dialog.close();
      this.options.onDone(`${t('open.done')}: ${pick(this.lane.name)}`);
    } catch (error) {
      this.error.textContent = describeError(error);
    } finally {
      button.disabled = false;
    }
  }
}

export class ModeSwitch {
  /** @param {{ buttons: HTMLElement, badge: HTMLElement, onDone: (text: string) => void }} options */
  constructor(options) {
    this.options = options;
    this.canAct = false;
    this.mode = undefined;
    this.target = undefined;
    this.dialog = byId('mode-dialog');
    this.reason = byId('mode-reason');
    this.error = byId('mode-error');
    wireDialog(this.dialog);
    byId('mode-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.confirm();
    });
  }

  /** At each login: the mode now, and whether this user may switch it. */
  reset(mode, canAct) {
    this.canAct = canAct;
    this.set(mode);
  }

  /** The mode now (`GET /api/site`, then every `mode` message). */
  set(mode) {
    this.mode = mode;
    this.render();
  }

  render() {
    const { badge, buttons } = this.options;
    badge.textContent = this.mode ? modeLabel(this.mode) : '—';
    badge.dataset.mode = this.mode ?? '';
    if (!this.canAct) {
      buttons.replaceChildren();
      return;
    }
    buttons.replaceChildren(
      ...MODES.filter((mode) => mode !== this.mode).map((mode) =>
        h(
          'button',
          {
            type: 'button',
            class: `small mode-${mode}`,
            dataset: { action: 'mode', mode },
            onclick: () => this.ask(mode),
          },
          `${t('action.mode')}: ${modeLabel(mode)}`,
        ),
      ),
    );
  }

  ask(mode) {
    this.target = mode;
    byId('mode-change').textContent = `${modeLabel(this.mode)} → ${modeLabel(mode)}`;
    const effect = MODE_EFFECTS[mode];
    byId('mode-effect').replaceChildren(
      h('p', { lang: 'zh-CN' }, effect.zh),
      h('p', { lang: 'en' }, effect.en),
    );
    this.reason.value = '';
    this.error.textContent = '';
    showDialog(this.dialog, this.reason);
  }

  async confirm() {
    const reason = reasonOf(this.reason, this.error);
    if (reason === undefined || this.target === undefined) return;
    const button = byId('mode-confirm');
    button.disabled = true;
    try {
      const result = await api.put('/api/site/mode', { mode: this.target, reason });
      this.dialog.close();
      this.set(result.mode);
      this.options.onDone(
        result.changed === false ? t('mode.unchanged') : `${t('header.mode')}: ${modeLabel(result.mode)}`,
      );
    } catch (error) {
      this.error.textContent = describeError(error);
    } finally {
      button.disabled = false;
    }
  }
}
