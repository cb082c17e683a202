/**
 * The shift handover report (`GET /api/reports/shift?format=text`), the gateway's own printable
 * text, in a dialog with a Print button: the print stylesheet prints the report alone.
 */
import * as api from './api.js';
import { describeError, showDialog, wireDialog } from './dialogs.js';
import { byId } from './dom.js';

export class ShiftReport {
  constructor() {
    this.dialog = byId('report-dialog');
    wireDialog(this.dialog);
    byId('report-print').addEventListener('click', () => window.print());
    this.dialog.addEventListener('close', () => document.body.classList.remove('printing-report'));
  }

  async open() {
    const text = byId('report-text');
    const error = byId('report-error');
    text.textContent = '…';
    error.textContent = '';
    document.body.classList.add('printing-report');
    showDialog(this.dialog);
    try {
      text.textContent = await api.getText('/api/reports/shift?format=text');
    } catch (failure) {
      text.textContent = '';
      error.textContent = describeError(failure);
    }
  }
}
