/**
 * Card-to-unlock latency over OSDP: the real gateway path (Site, checkpoint, durable journal,
 * DeviceHost, HalfDuplexLine, OsdpControlPanel, door adapter) on one end of a socat
 * pseudo-terminal pair, four simulated readers with doors on the other, Secure Channel on.
 *
 * A pseudo-terminal moves bytes at memory speed whatever baud rate is set, so the simulator
 * paces what it sends at the configured baud (a reply is written when its last byte would have
 * left a real RS-485 driver) and models each command as received one wire time after it
 * arrived; the CP's own timeouts and idle gaps are computed from the baud rate too. The readers
 * run in a process of their own (bench/osdp-sim-child.ts), as other hardware would: their
 * timers do not share the gateway's event loop. Their times are corrected by the clock offset
 * measured at the start.
 *
 * Each read is split into:
 * - poll wait: from the card being presented to the start of the POLL that collected it;
 * - wire: that POLL, the PD's turnaround, the RAW reply and the OUT command on the line;
 * - CP: from the last byte of RAW to the moment the OUT, sent at once, would have ended as it
 *   did, less its wire time, which includes the mandatory idle gap of two characters.
 *   "gateway-added" is CP time beyond that gap. The OUT goes commit-gated (HalfDuplexLine):
 *   all but its last byte is handed to the OS, the decision is made and journaled meanwhile,
 *   then the last byte; so gateway-added is the time to the OUT's first byte beyond the gap
 *   plus however long the last byte was held past the end of the others on the wire.
 * and compared with the limit computed from the frame sizes: a full polling round of the four
 * PDs (the card arrived just after its PD's POLL), the POLL/RAW exchange and the OUT command.
 *
 * The gateway's part runs with the heap settings of `gatewarden start` (2 MB semi-spaces from
 * the npm script, a compacting full GC, one full GC once the readers are online), so its GC
 * pauses are the ones a site would see.
 *
 * Run: npm run bench:osdp -- [--reads 1000] [--baud 9600] [--secure required|off]
 *        [--data-dir <folder>]   where the journal lives (default: under the OS temp folder);
 *                                a RAM disk (/dev/shm) shows the gateway's part without the flush
 *        [--gated on|off]        osdp.gatedUnlock (default on); off: decide, journal, then send
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { wireTimeMs } from '../drivers/line/wire-time.js';
import { deriveScbk } from '../drivers/osdp/secure/keys.js';
import { systemClock } from '../drivers/shared/clock.js';
import type { ByteTransport } from '../drivers/transport/byte-transport.js';
import { SerialTransport } from '../drivers/transport/serial-transport.js';
import { collectGarbageNow, compactHeapOnFullGc } from '../gateway/cli/heap-tuning.js';
import { DeviceHost } from '../gateway/devices/device-host.js';
import { readRosterFiles } from '../gateway/registry/csv.js';
import { Site } from '../gateway/site.js';
import { loadOrCreateKey } from '../gateway/util/key-file.js';
import { PtyPair } from '../simulators/shared/pty-pair.js';
import { reportFigure } from './figures.js';
import { SimProcess } from './osdp-sim-process.js';
import { distribution } from './stats.js';

const { values } = parseArgs({
  options: {
    reads: { type: 'string', default: '1000' },
    baud: { type: 'string', default: '9600' },
    secure: { type: 'string', default: 'required' },
    'data-dir': { type: 'string' },
    gated: { type: 'string', default: 'on' },
  },
});
const READS = Number(values.reads);
const BAUD = Number(values.baud);
const SECURE = values.secure === 'off' ? 'off' : 'required';
const GATED = values.gated !== 'off';
const TURNAROUND_MS = 1;
const IDLE_GAP_MS = wireTimeMs(2, BAUD);
const LANES = ['north-ped-in', 'north-ped-out', 'east-ped-in', 'east-ped-out'];
const ADDRESSES = [1, 2, 3, 4];
const now = systemClock.now;
const cuidOf = (address: number) => Buffer.from([0xc0, 0xff, 0xee, 0, 0, 0, 0, address]);

/**
 * Records every write the CP makes (when, how long, to which PD; a last byte held back by the
 * commit gate is a write of its own) and when bytes arrived.
 */
class RecordingTransport implements ByteTransport {
  readonly writes: { at: number; length: number; address: number; handOff: boolean }[] = [];
  readonly arrivals: number[] = [];
  constructor(private readonly inner: ByteTransport) {}
  get name() {
    return this.inner.name;
  }
  get isOpen() {
    return this.inner.isOpen;
  }
  open() {
    return this.inner.open();
  }
  close() {
    return this.inner.close();
  }
  onData(l: (b: Buffer) => void) {
    this.inner.onData((bytes) => {
      this.arrivals.push(now());
      l(bytes);
    });
  }
  onClose(l: (e?: Error) => void) {
    this.inner.onClose(l);
  }
  write(bytes: Buffer) {
    this.record(bytes, false);
    return this.inner.write(bytes);
  }
  handOff(bytes: Buffer) {
    this.record(bytes, true);
    return this.inner.handOff ? this.inner.handOff(bytes) : this.inner.write(bytes);
  }
  private record(bytes: Buffer, handOff: boolean) {
    const som = bytes.indexOf(0x53);
    const address = som < 0 ? -1 : (bytes[som + 1] ?? 0) & 0x7f;
    this.writes.push({ at: now(), length: bytes.length, address, handOff });
  }
}

function waitFor(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 1);
    };
    check();
  });
}

const stats = (values: number[]) => distribution(values);

/**
 * The OUT as the line carried it: its first write (all but the last byte when commit-gated),
 * the held-back last byte if any, and when its last byte left the modelled wire.
 */
function outOnWire(writes: RecordingTransport['writes'], address: number, after: number) {
  const index = writes.findIndex((w) => w.address === address && w.at > after);
  const head = writes[index];
  if (!head) return undefined;
  const last = head.handOff ? writes[index + 1] : undefined;
  const length = head.length + (last?.length ?? 0);
  const endsAt = Math.max(head.at + wireTimeMs(length, BAUD), last ? last.at + wireTimeMs(1, BAUD) : 0);
  return { head, last, length, endsAt };
}

async function main(): Promise<void> {
  compactHeapOnFullGc();
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-osdp-'));
  const pair = await new PtyPair(dir).start();
  const dataRoot =
    values['data-dir'] === undefined ? undefined : mkdtempSync(join(values['data-dir'], 'gw-bench-osdp-'));
  const dataDir = join(dataRoot ?? dir, 'data');
  mkdirSync(dataDir);
  const residents = ADDRESSES.map(
    (a, i) =>
      `3,${a},10${a},,Resident ${a},,${(0x0c0000 + 100 + i).toString(16).toUpperCase().padStart(6, '0')},yes`,
  );
  writeFileSync(
    join(dir, 'residents.csv'),
    `building,unit,room,person_id,name,id_number,card,designated\n${residents.join('\n')}\n`,
  );
  const devices = ADDRESSES.map(
    (a, i) =>
      `    - { id: reader-${a}, line: bus, address: ${a}, lane: ${LANES[i]}, reader: 0, secure: ${SECURE}, door: {} }`,
  );
  const config = join(dir, 'gatewarden.yaml');
  writeFileSync(
    config,
    `site: { id: bench, name: { zh: 基准, en: Bench }, dataDir: ${dataDir} }
mode: open
policy: { antiPassback: false, unlockSeconds: 0.2 }
gates:
  - id: north
    name: { zh: 北门, en: North }
    primary: true
    lanes:
      - { id: north-ped-in, name: { zh: 入, en: In }, kind: pedestrian, direction: in }
      - { id: north-ped-out, name: { zh: 出, en: Out }, kind: pedestrian, direction: out }
  - id: east
    name: { zh: 东门, en: East }
    primary: true
    lanes:
      - { id: east-ped-in, name: { zh: 入, en: In }, kind: pedestrian, direction: in }
      - { id: east-ped-out, name: { zh: 出, en: Out }, kind: pedestrian, direction: out }
lines: [{ id: bus, path: ${pair.a}, baud: ${BAUD} }]
osdp:
  gatedUnlock: ${GATED}
  devices:
${devices.join('\n')}
`,
  );
  const site = new Site({ configPath: config, gateway: true });
  const roster = readRosterFiles([{ path: join(dir, 'residents.csv'), roster: 'residents' }], {
    key: site.key,
    timeZone: site.config.site.timezone,
  });
  site.registry.import(roster, { mode: 'merge' });
  site.checkpoint.start();
  // When each decision (decide, durable append, fold) ran: splits CP time into before, during, after.
  const decisions: { from: number; to: number }[] = [];
  const checkpoint = site.checkpoint;
  const present = checkpoint.present.bind(checkpoint);
  checkpoint.present = (incoming) => {
    const from = now();
    try {
      return present(incoming);
    } finally {
      decisions.push({ from, to: now() });
    }
  };
  const masterKey = loadOrCreateKey(site.config.osdp.masterKeyFile, 16, 'OSDP master key');
  const sim = await SimProcess.start({
    path: pair.b,
    baud: BAUD,
    turnaroundMs: TURNAROUND_MS,
    pds: ADDRESSES.map((address) => ({
      address,
      cuidHex: cuidOf(address).toString('hex'),
      ...(SECURE === 'required' ? { scbkHex: deriveScbk(masterKey, cuidOf(address)).toString('hex') } : {}),
    })),
  });
  let recorder: RecordingTransport | undefined;
  const host = new DeviceHost({
    site,
    log: pino({ level: 'silent' }),
    transportFor: (line) => {
      recorder = new RecordingTransport(new SerialTransport({ path: line.path, baudRate: line.baud }));
      return recorder;
    },
  });
  await host.start();
  await waitFor('four PDs online', () => host.states().filter((s) => s.online).length === 4);
  collectGarbageNow(); // as `gatewarden start` does once ready
  const { writes, arrivals } = recorder as RecordingTransport;
  // GC pauses of the gateway's thread, to tell which slow reads had one inside their CP time.
  const pauses: { from: number; to: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const from = performance.timeOrigin + e.startTime;
      pauses.push({ from, to: from + e.duration });
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  const rows: {
    total: number;
    pollWait: number;
    wire: number;
    cp: number;
    /** GC pause time inside the CP time. */
    gc: number;
    /**
     * CP time to the OUT's first byte handed to the OS (parse, unseal, preview, seal, idle gap),
     * the decision (decide, durable append, fold) made while the OUT is on the wire, and how
     * long its last byte ended after the others would have.
     */
    toFirstByte: number;
    decision: number;
    lastByteHeld: number;
    simLate: number;
    /** The simulator's unlock (its output on) after the OUT's modelled end on the CP's side. */
    unlockAfterModel: number;
    limit: number;
  }[] = [];
  const started = now();
  for (let i = 0; i < READS; i++) {
    if (i > 0 && i % 100 === 0)
      process.stderr.write(`${i} reads, ${((now() - started) / i).toFixed(0)} ms each\n`);
    const address = ADDRESSES[i % ADDRESSES.length] as number;
    let presentedAt: number | undefined;
    let raw: { startedAt: number; finishedAt: number } | undefined;
    let unlockedAt: number | undefined;
    let locked = false;
    let indicated = false;
    const off = sim.listen((m) => {
      if (!('address' in m) || m.address !== address) return;
      if (m.kind === 'presented') presentedAt = m.at;
      else if (m.kind === 'raw') raw = m;
      else if (m.kind === 'output' && m.active) unlockedAt ??= m.at;
      else if (m.kind === 'output' && unlockedAt !== undefined) locked = true;
      // The BUZ command (a pass's last indication), not the buzzer's sound: it may still be on.
      else if (m.kind === 'buzzer' && unlockedAt !== undefined) indicated = true;
    });
    // Presented at a random moment of the polling round.
    await new Promise((r) => setTimeout(r, Math.random() * 150));
    sim.post({ kind: 'present', address, card: 100 + (i % ADDRESSES.length) });
    await waitFor('the unlock', () => unlockedAt !== undefined && raw !== undefined);
    // Let the LED and buzzer for this read finish, so the next read starts on a polling bus.
    await waitFor('the indication', () => indicated);
    await waitFor('the lock to fall back', () => locked);
    off();
    // The simulator's times, on this thread's clock.
    const t0 = (presentedAt as number) - sim.offsetMs;
    const r = raw as { startedAt: number; finishedAt: number };
    const rawStart = r.startedAt - sim.offsetMs;
    const rawEnd = r.finishedAt - sim.offsetMs;
    const poll = [...writes].reverse().find((w) => w.address === address && w.at < rawStart);
    const out = outOnWire(writes, address, rawEnd - 1);
    if (!poll || !out) throw new Error(`read ${i}: POLL or OUT not found in the CP's writes`);
    // The RAW was complete at the CP when its last chunk arrived: the last arrival before the OUT.
    const rawAtCp = arrivals.filter((a) => a < out.head.at).at(-1) ?? rawEnd;
    const pollWire = wireTimeMs(poll.length, BAUD);
    const outWire = wireTimeMs(out.length, BAUD);
    // As if the whole OUT had been handed over at once, to end when it did.
    const outAt = out.endsAt - outWire;
    const decision = decisions.find((d) => d.from >= rawAtCp && d.from <= (out.last ?? out.head).at);
    if (!decision) throw new Error(`read ${i}: no decision between the RAW and the OUT's last byte`);
    const rawWire = r.finishedAt - r.startedAt;
    const ackLength = poll.length; // an ACK is the size of a POLL, both with and without the Secure Channel
    const exchange = pollWire + TURNAROUND_MS + wireTimeMs(ackLength, BAUD) + IDLE_GAP_MS;
    rows.push({
      total: (unlockedAt as number) - (presentedAt as number),
      pollWait: Math.max(0, poll.at - t0),
      wire: pollWire + TURNAROUND_MS + rawWire + outWire,
      cp: outAt - rawAtCp,
      toFirstByte: out.head.at - rawAtCp,
      decision: decision.to - decision.from,
      lastByteHeld: Math.max(0, out.endsAt - (out.head.at + outWire)),
      gc: pauses.reduce((sum, p) => sum + Math.max(0, Math.min(p.to, outAt) - Math.max(p.from, rawAtCp)), 0),
      simLate: rawAtCp - rawEnd,
      unlockAfterModel: (unlockedAt as number) - sim.offsetMs - out.endsAt,
      limit: ADDRESSES.length * exchange + pollWire + TURNAROUND_MS + rawWire + IDLE_GAP_MS + outWire,
    });
  }
  gcObserver.disconnect();
  await host.stop();
  await sim.stop();
  site.close();
  await pair.stop();
  rmSync(dir, { recursive: true, force: true });
  if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });

  const limit = Math.max(...rows.map((r) => r.limit));
  const total = stats(rows.map((r) => r.total));
  const cp = stats(rows.map((r) => r.cp));
  const addedOf = (r: { cp: number }) => Math.max(0, r.cp - IDLE_GAP_MS);
  const added = stats(rows.map(addedOf));
  const withGc = rows.filter((r) => r.gc > 0);
  console.log(
    JSON.stringify(
      {
        machine: {
          cpus: cpus().length,
          model: cpus()[0]?.model,
          memGiB: Math.round(totalmem() / 2 ** 30),
          node: process.version,
        },
        reads: READS,
        baud: BAUD,
        secure: SECURE,
        gatedUnlock: GATED,
        journalFolder: dataDir,
        pds: ADDRESSES.length,
        clockOffsetMs: +sim.offsetMs.toFixed(3),
        idleGapMs: +IDLE_GAP_MS.toFixed(2),
        limitMs: +limit.toFixed(1),
        totalMs: total,
        pollWaitMs: stats(rows.map((r) => r.pollWait)),
        wireMs: stats(rows.map((r) => r.wire)),
        cpMs: cp,
        gatewayAddedMs: added,
        cpMinMs: +Math.min(...rows.map((r) => r.cp)).toFixed(2),
        cpToFirstByteMs: stats(rows.map((r) => r.toFirstByte)),
        decisionOnTheWireMs: stats(rows.map((r) => r.decision)),
        lastByteHeldMs: stats(rows.map((r) => r.lastByteHeld)),
        readsLastByteHeld: rows.filter((r) => r.lastByteHeld > 0).length,
        slowest: rows
          .map((r) => ({
            added: addedOf(r),
            toFirstByte: r.toFirstByte,
            decision: r.decision,
            lastByteHeld: r.lastByteHeld,
            gc: r.gc,
          }))
          .sort((a, b) => b.added - a.added)
          .slice(0, Math.ceil(rows.length / 100))
          .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, +v.toFixed(2)]))),
        readsWithGcInCp: withGc.length,
        gcInCpMs: stats(withGc.map((r) => r.gc)),
        gatewayAddedWithoutGcMs: stats(rows.filter((r) => r.gc === 0).map(addedOf)),
        readsAdded2msOrMore: rows.filter((r) => addedOf(r) >= 2).length,
        readsAdded2msOrMoreWithGc: rows.filter((r) => addedOf(r) >= 2 && r.gc > 0).length,
        rawArrivalAfterModelMs: stats(rows.map((r) => r.simLate)),
        unlockAfterOutEndMs: stats(rows.map((r) => r.unlockAfterModel)),
        p99TotalOverLimit: +(total.p99 / limit).toFixed(2),
      },
      null,
      2,
    ),
  );
  // Targets of the OSDP issue (issue 3): p99 total ≤ 1.2 × the limit, gateway-added p99 ≤ 2 ms.
  const bench = 'osdp';
  const note = `${READS} reads, ${ADDRESSES.length} PDs, ${BAUD} baud, Secure Channel ${SECURE}, unlock ${GATED ? 'commit-gated' : 'after the journal'}; journal in ${values['data-dir'] ?? tmpdir()}; limit ${limit.toFixed(1)} ms`;
  reportFigure({ bench, figure: 'card-to-unlock p99', value: total.p99, unit: 'ms', note });
  const ratio = +(total.p99 / limit).toFixed(2);
  reportFigure({
    bench,
    figure: 'card-to-unlock p99 ÷ limit',
    value: ratio,
    target: '≤ 1.2',
    met: ratio <= 1.2,
  });
  reportFigure({
    bench,
    figure: 'gateway-added p99',
    value: added.p99,
    unit: 'ms',
    target: '≤ 2 ms',
    met: added.p99 <= 2,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  // The line, the simulator and socat would keep the process alive.
  process.exit(1);
});
