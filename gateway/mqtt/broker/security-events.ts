/**
 * Security events of the embedded broker, journaled as alarms (severity warning) at a bounded
 * rate: at most one entry per kind and user (or, for an unknown user, per remote address) in
 * each interval, so a brute-force loop cannot flood the journal. Events held back are counted
 * and the count travels in the next entry of that key (`suppressed`), written with the next
 * event or, at the latest, by the periodic `flush` after the interval ended.
 *
 * Details carry the user name, the client id, the topic, the reason and the remote address,
 * clipped in length; never a password, and never a name a client offered that is not a user
 * (it might be a password typed into the wrong field): that one is recorded as `(unknown)`.
 */
import type { AlarmCode } from '../../journal/events.js';
import type { Journal } from '../../journal/journal.js';

export type SecurityAlarmCode = Extract<
  AlarmCode,
  'MQTT_AUTH_FAILED' | 'MQTT_ACCESS_DENIED' | 'MQTT_CLIENT_REFUSED'
>;

/** What is appended to the journal as an `alarm` entry. */
export interface SecurityAlarm {
  code: SecurityAlarmCode;
  severity: 'warning';
  detail: Record<string, string | number>;
}

/** Where alarms go: the journal in the gateway, a recording array in tests. Must not throw. */
export type AlarmSink = (alarm: SecurityAlarm) => void;

export interface SecurityEvent {
  code: SecurityAlarmCode;
  reason: string;
  /** A known user's name; absent or `(unknown)` otherwise. */
  user?: string;
  clientId?: string;
  topic?: string;
  remote?: string;
  /** A number worth keeping (bytes of an oversized packet…). */
  bytes?: number;
}

export const UNKNOWN_USER = '(unknown)';

/**
 * The journal as a sink: `record('alarm', now(), alarm)`, where `record` is the running
 * gateway's `Site.record` (held during a journal outage) or a journal's `append`.
 */
export function journalAlarmSink(
  record: Pick<Journal, 'append'>['append'],
  now: () => number = Date.now,
): AlarmSink {
  return (alarm) => {
    record('alarm', now(), alarm);
  };
}

interface Window {
  start: number;
  held: number;
  last: SecurityEvent;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export class SecurityEventThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly sink: AlarmSink,
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 1000,
  ) {}

  /** Journals the event now, or counts it for later. Returns true if it was journaled now. */
  report(event: SecurityEvent): boolean {
    const at = this.now();
    const key = this.keyOf(event);
    const window = this.windows.get(key);
    if (window !== undefined && at - window.start < this.intervalMs) {
      window.held += 1;
      window.last = event;
      return false;
    }
    this.windows.set(key, { start: at, held: 0, last: event });
    this.emit(event, window?.held ?? 0);
    return true;
  }

  /**
   * Journals the counts of windows that ended with events held back, and forgets idle keys;
   * with `all` (at shutdown), of every window, ended or not, so no count is lost.
   */
  flush(all = false): void {
    const at = this.now();
    for (const [key, window] of this.windows) {
      if (!all && at - window.start < this.intervalMs) continue;
      if (window.held === 0) {
        this.windows.delete(key);
        continue;
      }
      this.emit(window.last, window.held);
      this.windows.set(key, { start: at, held: 0, last: window.last });
    }
  }

  private keyOf(event: SecurityEvent): string {
    const who =
      event.user !== undefined && event.user !== UNKNOWN_USER ? `u:${event.user}` : `a:${event.remote}`;
    const key = `${event.code}|${who}`;
    if (this.windows.has(key) || this.windows.size < this.maxKeys) return key;
    this.flush();
    // Still full (many addresses at once): they share one window per kind.
    return this.windows.size < this.maxKeys ? key : `${event.code}|*`;
  }

  private emit(event: SecurityEvent, suppressed: number): void {
    const detail: Record<string, string | number> = { reason: clip(event.reason, 200) };
    detail.user = event.user ?? UNKNOWN_USER;
    if (event.clientId !== undefined) detail.clientId = clip(event.clientId, 64);
    if (event.topic !== undefined) detail.topic = clip(event.topic, 256);
    if (event.remote !== undefined) detail.remote = clip(event.remote, 64);
    if (event.bytes !== undefined) detail.bytes = event.bytes;
    if (suppressed > 0) detail.suppressed = suppressed;
    this.sink({ code: event.code, severity: 'warning', detail });
  }
}
