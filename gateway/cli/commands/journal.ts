import { type Command, Option } from 'commander';
import { GatewardenError } from '../../errors.js';
import type { JournalEntry, JournalEventType } from '../../journal/events.js';
import type { Journal } from '../../journal/journal.js';
import { verifyJournal } from '../../journal/verify.js';
import type { RemeasureMark } from '../../rules/types.js';
import { formatLocal } from '../../util/site-time.js';
import { type GlobalOptions, print, printJson, withSite } from '../io.js';

/** Every entry type: a complete record, so a new type does not compile until it is listed here. */
const TYPE_SET: Readonly<Record<JournalEventType, true>> = {
  decision: true,
  reading: true,
  alarm: true,
  alarm_ack: true,
  mode: true,
  operator: true,
  device: true,
  passage: true,
  fire: true,
  patrol: true,
  duty: true,
  purged: true,
  retention: true,
};
const TYPES = Object.keys(TYPE_SET) as JournalEventType[];

export function registerJournal(program: Command, globals: () => GlobalOptions): void {
  const journal = program
    .command('journal')
    .description('The durable, hash-chained journal of every decision, reading, alarm and action');

  journal
    .command('tail')
    .description('Print the newest entries')
    .option('-n, --lines <n>', 'how many', '20')
    .addOption(new Option('--type <type>', 'only this kind of entry').choices(TYPES))
    .option('--json', 'one JSON object per line')
    .action(async (options: { lines: string; type?: JournalEventType; json?: boolean }) => {
      await withSite(globals(), (site) => {
        const n = Number(options.lines);
        if (!Number.isInteger(n) || n < 1)
          throw new GatewardenError('USAGE', `--lines: "${options.lines}" is not a positive whole number`);
        const entries =
          options.type === undefined ? site.journal.tail(n) : lastOfType(site.journal, n, options.type);
        for (const e of entries) {
          if (options.json) process.stdout.write(`${JSON.stringify(e)}\n`);
          else
            print(
              `#${e.seq}  ${formatLocal(e.at, site.config.site.timezone)}  ${e.type.padEnd(8)}  ${summary(e)}`,
            );
        }
      });
    });

  journal
    .command('verify')
    .description(
      'Check the hash chain: any edited, deleted or reordered entry is reported. Exit 1 when the journal was tampered with.',
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await withSite(globals(), (site) => {
        const result = verifyJournal(site.db);
        if (options.json) printJson(result);
        else if (result.ok)
          print(`journal ok: ${result.checked} entries, chain intact through #${result.lastSeq}`);
        else {
          print(`journal TAMPERED: ${result.problems.length} problem(s) in ${result.checked} entries`);
          for (const p of result.problems) print(`  #${p.seq} ${p.kind}: ${p.message}`);
        }
        if (!result.ok) process.exitCode = 1;
      });
    });
}

/** The newest `n` entries of one type, walking back in pages from `lastSeq`. */
function lastOfType(journal: Journal, n: number, type: JournalEventType): JournalEntry[] {
  const found: JournalEntry[] = [];
  for (let end = journal.lastSeq(); end > 0 && found.length < n; end -= 5000) {
    const page = journal.read(Math.max(0, end - 5000), 5000, [type]).filter((e) => e.seq <= end);
    found.unshift(...page);
  }
  return found.slice(-n);
}

/** A reading's re-measure mark as `journal tail` shows it (see `RemeasureMark`). */
const REMEASURE_TEXT: Readonly<Record<RemeasureMark, string>> = {
  required: 're-measure required',
  waiting: 'waiting for re-measure (not used)',
  taken: 're-measure',
};

/** One line per entry; payloads carry no names or ID numbers, so this is safe to print. */
function summary(e: JournalEntry): string {
  switch (e.type) {
    case 'decision': {
      const { request, decision } = (e as JournalEntry<'decision'>).payload;
      const codes = decision.reasons.map((r) =>
        r.effect === 'grant' ? r.code : r.effect === 'notice' ? `+${r.code}` : r.code,
      );
      const who =
        decision.subject.kind === 'unknown' ? 'unknown' : `${decision.subject.kind} ${decision.subject.id}`;
      return `${request.laneId} ${decision.direction} ${decision.allow ? 'ALLOW' : 'DENY '} ${who}: ${codes.join(', ')}`;
    }
    case 'reading': {
      const { laneId, reading } = (e as JournalEntry<'reading'>).payload;
      const mark = reading.remeasure === undefined ? '' : ` ${REMEASURE_TEXT[reading.remeasure]}`;
      return `${laneId} ${reading.celsius.toFixed(1)} °C ${reading.instrument ?? 'camera'}${mark} mask=${reading.mask}`;
    }
    case 'mode': {
      const m = (e as JournalEntry<'mode'>).payload;
      return `${m.from} → ${m.to} by ${m.operator}: ${m.reason}`;
    }
    case 'operator': {
      const o = (e as JournalEntry<'operator'>).payload;
      return `${o.action} by ${o.operator} (${o.shift}) ${JSON.stringify(o.detail)}`;
    }
    default:
      return JSON.stringify(e.payload);
  }
}
