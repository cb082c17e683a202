import type { Logger } from '../logging.js';
import type { OutageEvent } from './held-entries.js';

/**
 * The journal outage in the log (held-entries.ts): the one place that always hears it, since the
 * journal itself cannot. Codes are the alarm's (JOURNAL_UNAVAILABLE), so a log search finds both.
 */
export function logJournalOutage(log: Logger, event: OutageEvent): void {
  const code = 'JOURNAL_UNAVAILABLE';
  switch (event.kind) {
    case 'unavailable':
      log.error(
        { code, cause: event.cause },
        '日志无法写入，通行暂存内存 / journal cannot take appends: passes decided from memory and held',
      );
      return;
    case 'refusing':
      log.error(
        { code, held: event.held, oldestHeldAt: event.oldestHeldAt },
        '暂存已满，拒绝通行 / held entries at their bound: lanes refuse until the journal takes appends',
      );
      return;
    case 'retry-failed':
      log.error({ code, held: event.held, cause: event.cause }, 'held entries could not be appended');
      return;
    case 'restored':
      log.warn(
        {
          code,
          landed: event.landed,
          firstSeq: event.firstSeq,
          lastSeq: event.lastSeq,
          outageMs: event.outageMs,
        },
        '日志恢复写入 / journal takes appends again: held entries appended in order',
      );
      return;
  }
}
