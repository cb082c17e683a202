// Child process of test/integration/mqtt-upstream-kill.test.ts: the upstream bridge alone on a
// journal file, as the gateway runs it, so the test can SIGKILL it mid-publish and start it
// again. Writes `ready` on stdout once started; SIGTERM stops it in order. Plain ESM importing
// the compiled bridge from dist/ (`npm run build`; `npm test` does it).
//
// Usage: node mqtt-upstream-bridge.mjs <database path> <site id> <upstream config as JSON>
import { openDatabase } from '../../../dist/gateway/db.js';
import { Journal } from '../../../dist/gateway/journal/journal.js';
import { createLogger } from '../../../dist/gateway/logging.js';
import { UpstreamBridge } from '../../../dist/gateway/mqtt/upstream/bridge.js';

const [dbPath, siteId, configJson] = process.argv.slice(2);
if (!dbPath || !siteId || !configJson) {
  process.stderr.write('usage: mqtt-upstream-bridge.mjs <database path> <site id> <upstream config JSON>\n');
  process.exit(2);
}
const db = openDatabase(dbPath);
const journal = Journal.open(db);
const log = createLogger({ level: 'warn', site: siteId });
const bridge = new UpstreamBridge({
  journal,
  upstream: JSON.parse(configJson),
  siteId,
  log,
  version: 'child',
});
bridge.start();
// Never outlive a test that failed to stop us.
const deadline = setTimeout(() => process.kill(process.pid, 'SIGTERM'), 120_000);
process.once('SIGTERM', () => {
  clearTimeout(deadline);
  void bridge.stop().finally(() => {
    db.close();
    process.exit(0);
  });
});
process.stdout.write('ready\n');
