import { ALL, deny, EVERY_GATE, type Rule } from './rule.js';

/**
 * JOURNAL_UNAVAILABLE (docs/journal.md, "Disk full"): the journal cannot take appends and the
 * passes decided from memory meanwhile have reached their bound (`journalOutage`). Fail-secure:
 * every pass is refused, except that a fire release and an operator's override still open
 * (decide.ts puts them above every rule), so the door's fire behaviour does not change.
 */
export const JOURNAL_UNAVAILABLE: Rule = {
  code: 'JOURNAL_UNAVAILABLE',
  modes: ALL,
  gates: EVERY_GATE,
  explains:
    'The journal could not take appends (disk full, I/O error) for longer than journalOutage allows (held entries or seconds): no pass is let through that cannot be recorded; fire release and overrides still open.',
  check: (_f, _p, ctx) => (ctx.journalUnavailable === true ? deny('JOURNAL_UNAVAILABLE') : undefined),
};
