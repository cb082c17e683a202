/**
 * The language of the page (zh-CN by default, English on request, kept in localStorage), fixed
 * texts (texts.js) and the gateway's labels (`GET /api/labels`). Modules render with `t`,
 * `pick` and the label functions and re-render on `onLanguage`; static markup names its text
 * with `data-i18n="key"` (and `data-i18n-placeholder`, `data-i18n-title`).
 */
import { TEXTS } from './texts.js';

const STORAGE_KEY = 'gatewarden.lang';
let current = localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
let labels = { reasons: {}, alarms: {}, modes: {} };
const listeners = new Set();

export function language() {
  return current;
}

export function setLanguage(lang) {
  current = lang === 'en' ? 'en' : 'zh';
  localStorage.setItem(STORAGE_KEY, current);
  applyStatic(document);
  for (const listener of listeners) listener(current);
}

export function onLanguage(listener) {
  listeners.add(listener);
}

/** A fixed text; the key itself when missing (visible, so a missing text is noticed). */
export function t(key) {
  return TEXTS[key]?.[current] ?? key;
}

/** The current language's side of a `{ zh, en }` message. */
export function pick(message) {
  if (message === null || message === undefined) return '';
  return message[current] ?? message.zh ?? '';
}

export function setLabels(served) {
  labels = { reasons: served.reasons ?? {}, alarms: served.alarms ?? {}, modes: served.modes ?? {} };
}

export function reasonCodes() {
  return Object.keys(labels.reasons);
}

/** A reason's short title (a deny code's noun phrase, else its message), or the code. */
export function reasonLabel(code) {
  if (!code) return '';
  const reason = labels.reasons[code];
  return reason ? pick(reason.title ?? reason) : code;
}

/** An alarm code's title: a gateway alarm, or a deny / notice code raised as one. */
export function alarmLabel(code) {
  const alarm = labels.alarms[code];
  return alarm ? pick(alarm) : reasonLabel(code);
}

export function modeLabel(mode) {
  const label = labels.modes[mode];
  return label ? pick(label) : mode;
}

export function applyStatic(root) {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-placeholder]'))
    element.setAttribute('placeholder', t(element.dataset.i18nPlaceholder));
  for (const element of root.querySelectorAll('[data-i18n-title]'))
    element.setAttribute('title', t(element.dataset.i18nTitle));
}
