import type { Logger } from 'pino';
import type { ReplyError } from './request-schema.js';

/** A refusal worth an alarm: not authorised, stale, wrong target, malformed, or not applicable. */
export interface Refusal {
  error: ReplyError;
  transactionId: string | null;
  /** Whether the signature held: only then is the transaction id (sender's text) journaled. */
  authentic: boolean;
  issuer?: string;
  type?: string;
}

export interface RefusalAlarmsOptions {
  /** Journals one UPSTREAM_REQUEST_REFUSED alarm. */
  raise: (severity: 'warning' | 'critical', detail: Record<string, string | number>) => void;
  now: () => number;
  /** At most one alarm per reason code within this many ms; the rest are counted into the next. */
  intervalMs: number;
  log: Logger;
}

/** Codes that mean someone who may not is talking to the gateway: a security event. */
const CRITICAL: ReadonlySet<string> = new Set(['NOT_AUTHORISED', 'REQUEST_STALE', 'WRONG_TARGET']);

/**
 * Turns refused requests into UPSTREAM_REQUEST_REFUSED alarms at a bounded rate, so that a flood
 * of forged or broken messages cannot flood the journal: per reason code, the first refusal of
 * an interval raises an alarm at once and later ones are counted; the next alarm of that code
 * carries the count (`suppressed`). Every refusal is logged, the suppressed ones at debug level.
 */
export class RefusalAlarms {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly options: RefusalAlarmsOptions) {}

  refused(refusal: Refusal): void {
    const { error } = refusal;
    const now = this.options.now();
    const state = this.last.get(error.code);
    const where = {
      code: error.code,
      field: error.field,
      transactionId: refusal.transactionId,
      issuer: refusal.issuer,
      type: refusal.type,
    };
    if (state !== undefined && now - state.at < this.options.intervalMs) {
      state.suppressed += 1;
      this.options.log.debug(where, `upstream request refused: ${error.message}`);
      return;
    }
    this.options.log.warn(where, `upstream request refused: ${error.message}`);
    const detail: Record<string, string | number> = { reason: error.code };
    if (error.field !== undefined) detail.field = error.field;
    if (refusal.issuer !== undefined) detail.issuer = refusal.issuer;
    if (refusal.type !== undefined) detail.type = refusal.type;
    if (refusal.authentic && refusal.transactionId !== null) detail.transaction = refusal.transactionId;
    if (state !== undefined && state.suppressed > 0) detail.suppressed = state.suppressed;
    this.last.set(error.code, { at: now, suppressed: 0 });
    this.options.raise(CRITICAL.has(error.code) ? 'critical' : 'warning', detail);
  }
}
