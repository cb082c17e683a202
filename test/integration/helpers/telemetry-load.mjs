// Child process of the telemetry tests: a steady site load written into a gateway's journal
// from outside the gateway (as the CLI and other writers do), so the gateway process can be
// killed and restarted under load while this keeps appending. Each line of stdout is a seq
// that was acknowledged (the append returned). Plain ESM importing the compiled site from dist/.
//
// Mix per 50 entries: 39 pass decisions at the four north lanes (cards C0…C96; the scratch
// registry is empty, so they are refusals with reasons), 10 temperature readings, 1 alarm.
//
// Usage: node telemetry-load.mjs <config path> <interval ms> <max seconds>
import { Site } from '../../../dist/gateway/site.js';

const [configPath, intervalArg, maxArg] = process.argv.slice(2);
if (!configPath) {
  process.stderr.write('usage: telemetry-load.mjs <config path> <interval ms> <max seconds>\n');
  process.exit(2);
}
const intervalMs = Number(intervalArg ?? 10);
// Never outlive a test that failed to stop us.
const deadline = Date.now() + Number(maxArg ?? 120) * 1000;
const lanes = ['north-ped-in', 'north-ped-out', 'north-vehicle-in', 'north-vehicle-out'];
const site = new Site({ configPath });
site.checkpoint.start();
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
process.stdout.write('ready\n');

for (let i = 0; !stopping && Date.now() < deadline; i++) {
  const laneId = lanes[i % lanes.length];
  const at = Date.now();
  let entry;
  if (i % 5 === 4) {
    const reading = { at, celsius: 36 + (i % 17) / 10, mask: i % 3 === 0 ? null : i % 3 === 1 };
    entry = site.checkpoint.reading(laneId, reading, 'cam-load');
  } else if (i % 50 === 49) {
    entry = site.journal.append('alarm', at, {
      code: 'DOOR_HELD_OPEN',
      severity: 'warning',
      laneId,
      detail: { device: 'door-north', heldSeconds: 30 + (i % 7) },
    });
  } else {
    const kind = laneId.includes('vehicle') ? 'plate' : 'card';
    const value = kind === 'plate' ? `京A${String(10000 + (i % 97))}` : `C${i % 97}`;
    entry = site.checkpoint.present({ laneId, at, credential: { kind, value } }).entry;
  }
  process.stdout.write(`${entry.seq}\n`);
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
}
site.close();
