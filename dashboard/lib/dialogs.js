/**
 * What the action dialogs share: open a `<dialog>` modally, close it with any `.cancel` button
 * or Escape, and a reason field that the API will accept (2–500 characters after trimming).
 */
import { t } from './i18n.js';

export function wireDialog(dialog) {
  for (const button of dialog.querySelectorAll('.cancel'))
    button.addEventListener('click', () => dialog.close());
}

export function showDialog(dialog, focus) {
  if (!dialog.open) dialog.showModal();
  focus?.focus();
}

/** The trimmed reason, or undefined after showing why it is not enough. */
export function reasonOf(textarea, errorElement) {
  const reason = textarea.value.trim();
  if (reason.length >= 2) return reason;
  errorElement.textContent = t('action.reason');
  textarea.focus();
  return undefined;
}

/** The API's message, with the first field problem when there is one. */
export function describeError(error) {
  const first = error?.problems?.[0];
  const message = error?.message ?? t('error.generic');
  return first ? `${message}: ${first.field ?? ''} ${first.message}`.trim() : message;
}
