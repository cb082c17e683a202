import type { Logger } from '../logging.js';
import type { HeldLoss, OutageEvent } from './held-entries.js';
import type { SpillStart } from './spill-recovery.js';

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
    case 'spill-failed':
      log.error(
        { code, cause: event.cause },
        '暂存文件写入失败 / held entries cannot be spilled to disk: the ones held from now on are lost if the gateway crashes',
      );
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

/** What a stop left held (counts, types and times; never content, which may name people). */
export function logHeldAtStop(log: Logger, loss: HeldLoss): void {
  const span = { from: new Date(loss.firstAt).toISOString(), to: new Date(loss.lastAt).toISOString() };
  const fields = { ...loss, ...span, code: 'JOURNAL_UNAVAILABLE' };
  if (loss.lost === 0) {
    log.warn(
      fields,
      'entries held during the journal outage are kept in the spill file: they land at the next start',
    );
  } else {
    log.error(
      fields,
      'entries held during the journal outage could not be appended before the stop: `lost` of them are lost',
    );
  }
}

/** What the start found in the held-entries spill (spill-recovery.ts). */
export function logSpillStart(log: Logger, spill: SpillStart): void {
  const code = 'JOURNAL_UNAVAILABLE';
  if (spill.problem !== undefined)
    log.warn({ code, file: spill.file, problem: spill.problem }, 'held-entries spill damaged');
  switch (spill.state) {
    case 'empty':
      return;
    case 'landed':
    case 'already-landed':
      log.warn(
        { code, ...spill },
        '上次停止前暂存的记录已写入日志 / entries held when the gateway last stopped are in the journal',
      );
      return;
    case 'held':
      log.error(
        { code, ...spill },
        '日志仍无法写入，暂存记录继续保留 / the journal still cannot take appends: the spilled entries stay held',
      );
      return;
    case 'unavailable':
      log.error(
        { code, ...spill },
        '无暂存文件 / no held-entries spill: entries held during a journal outage would be lost in a crash',
      );
      return;
  }
}
