/**
 * Visitor registration (`POST /api/visitors`): by ID number or by a known person's id, the
 * residents who escort them, valid until (wall time in the site's zone, as the API reads it).
 * Field problems the API names (`body.idNumber`, `visitor.validUntil`, `body.escorts.0` …) are
 * shown beside their field; any other refusal above the buttons.
 */
import * as api from './api.js';
import { describeError, showDialog, wireDialog } from './dialogs.js';
import { byId } from './dom.js';
import { t } from './i18n.js';

const FIELDS = ['idNumber', 'personId', 'escorts', 'validUntil', 'purpose'];

export class VisitorForm {
  constructor() {
    this.dialog = byId('visitor-dialog');
    this.form = byId('visitor-form');
    wireDialog(this.dialog);
    for (const radio of this.form.querySelectorAll('input[name="by"]'))
      radio.addEventListener('change', () => this.showBy());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
  }

  open() {
    this.clear();
    byId('visitor-done').textContent = '';
    this.showBy();
    showDialog(this.dialog, this.form.elements.namedItem(this.by()));
  }

  by() {
    return this.form.querySelector('input[name="by"]:checked')?.value ?? 'idNumber';
  }

  showBy() {
    const by = this.by();
    for (const name of ['idNumber', 'personId'])
      this.form.querySelector(`[data-field="${name}"]`).hidden = name !== by;
  }

  body() {
    const value = (name) => this.form.elements.namedItem(name).value.trim();
    const body = {
      escorts: value('escorts')
        .split(/[,，\s]+/)
        .filter(Boolean),
      validUntil: value('validUntil'),
    };
    const by = this.by();
    body[by] = by === 'idNumber' ? value(by).toUpperCase() : value(by);
    if (value('purpose')) body.purpose = value('purpose');
    if (this.form.elements.namedItem('repair').checked) body.repair = true;
    return body;
  }

  async submit() {
    this.clear();
    byId('visitor-done').textContent = '';
    try {
      const result = await api.post('/api/visitors', this.body());
      byId('visitor-done').textContent = `${t('visitor.done')} ${result.registrationId}`;
      this.form.reset();
      this.showBy();
    } catch (error) {
      const general = [];
      for (const problem of error.problems ?? []) {
        const field = fieldOf(problem.field);
        const slot = field && this.form.querySelector(`[data-error-for="${field}"]`);
        if (slot) slot.textContent = [slot.textContent, problem.message].filter(Boolean).join('; ');
        else general.push(problem.message);
      }
      byId('visitor-error').textContent =
        general.length > 0 || (error.problems ?? []).length === 0
          ? [error.message ?? describeError(error), ...general].join(': ')
          : error.message;
    }
  }

  clear() {
    byId('visitor-error').textContent = '';
    for (const slot of this.form.querySelectorAll('.field-error')) slot.textContent = '';
  }
}

/** `body.escorts.0` / `visitor.validUntil` → `escorts` / `validUntil`; undefined for no form field. */
function fieldOf(path) {
  if (typeof path !== 'string') return undefined;
  const levels = path.split('.').filter((level) => level !== 'body' && level !== 'visitor');
  return FIELDS.includes(levels[0]) ? levels[0] : undefined;
}
