// Child process of test/integration/journal-crash.test.ts. Appends to the journal in a tight
// loop until it is killed, writing each entry's seq to stdout only after `append` (or
// `appendMany`) returned, i.e. once the entry is acknowledged as committed. Plain ESM, because
// no TypeScript loader is installed: it imports the compiled journal from dist/ (`npm run build`).
//
// Usage: node journal-writer.mjs <database path>
import { openDatabase } from '../../../dist/gateway/db.js';
import { Journal } from '../../../dist/gateway/journal/journal.js';

const dbPath = process.argv[2];
if (!dbPath) {
  process.stderr.write('usage: journal-writer.mjs <database path>\n');
  process.exit(2);
}

const journal = Journal.open(openDatabase(dbPath));
// Never outlive a test that failed to kill us.
const deadline = Date.now() + 60_000;
process.stdout.write('ready\n');

for (let i = 0; Date.now() < deadline; i++) {
  const at = Date.now();
  const payload = { action: 'crash-test', operator: 'writer', shift: 'day', detail: { i } };
  const entries =
    i % 10 === 9
      ? journal.appendMany(
          Array.from({ length: 5 }, (_, k) => ({
            type: 'operator',
            at,
            payload: { ...payload, detail: { i, k } },
          })),
        )
      : [journal.append('operator', at, payload)];
  // Pipes are written synchronously on Linux: once this returns, the parent can read the line.
  process.stdout.write(entries.map((e) => `${e.seq}\n`).join(''));
}
