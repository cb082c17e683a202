/**
 * Card-to-unlock latency over OSDP: the real gateway path (Site, checkpoint, durable journal,
 * DeviceHost, HalfDuplexLine, OsdpControlPanel, door adapter) on one end of a socat
 * pseudo-terminal pair, four simulated readers with doors on the other, Secure Channel on.
 *
 * A pseudo-terminal moves bytes at memory speed whatever baud rate is set, so the simulator
 * paces what it sends at the configured baud (a reply is written when its last byte would have
 * left a real RS-485 driver) and models each command as received one wire time after it
 * arrived; the CP's own timeouts and idle gaps are computed from the baud rate too.
 *
 * Each read is split into:
 * - poll wait: from the card being presented to the start of the POLL that collected it;
 * - wire: that POLL, the PD's turnaround, the RAW reply and the OUT command on the line;
 * - CP: from the last byte of RAW to the OUT handed to the OS, which includes the mandatory
 *   idle gap of two characters; "gateway-added" is CP time beyond that gap (decision, journal
 *   fsync, scheduling).
 * and compared with the limit computed from the frame sizes: a full polling round of the four
 * PDs (the card arrived just after its PD's POLL), the POLL/RAW exchange and the OUT command.
 *
 * Run: npm run bench:osdp -- [--reads 1000] [--baud 9600] [--secure required|off]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { wireTimeMs } from '../drivers/line/wire-time.js';
import { deriveScbk } from '../drivers/osdp/secure/keys.js';
import type { ByteTransport } from '../drivers/transport/byte-transport.js';
import { SerialTransport } from '../drivers/transport/serial-transport.js';
import { DeviceHost } from '../gateway/devices/device-host.js';
import { readRosterFiles } from '../gateway/registry/csv.js';
import { Site } from '../gateway/site.js';
import { loadOrCreateKey } from '../gateway/util/key-file.js';
import { BusSimulator } from '../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../simulators/osdp/pd-responder.js';
import { PtyPair } from '../simulators/shared/pty-pair.js';
import { reportFigure } from './figures.js';

const { values } = parseArgs({
  options: {
    reads: { type: 'string', default: '1000' },
    baud: { type: 'string', default: '9600' },
    secure: { type: 'string', default: 'required' },
  },
});
const READS = Number(values.reads);
const BAUD = Number(values.baud);
const SECURE = values.secure === 'off' ? 'off' : 'required';
const TURNAROUND_MS = 1;
const IDLE_GAP_MS = wireTimeMs(2, BAUD);
const LANES = ['north-ped-in', 'north-ped-out', 'east-ped-in', 'east-ped-out'];
const ADDRESSES = [1, 2, 3, 4];
const now = () => performance.timeOrigin + performance.now();
const cuidOf = (address: number) => Buffer.from([0xc0, 0xff, 0xee, 0, 0, 0, 0, address]);

/** Records every write the CP makes (when, how long, to which PD) and when bytes arrived. */
class RecordingTransport implements ByteTransport {
  readonly writes: { at: number; length: number; address: number }[] = [];
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
    const som = bytes.indexOf(0x53);
    this.writes.push({ at: now(), length: bytes.length, address: (bytes[som + 1] ?? 0) & 0x7f });
    return this.inner.write(bytes);
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

function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
  return {
    p50: +at(50).toFixed(1),
    p90: +at(90).toFixed(1),
    p99: +at(99).toFixed(1),
    max: +at(100).toFixed(1),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-osdp-'));
  const pair = await new PtyPair(dir).start();
  const dataDir = join(dir, 'data');
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
  devices:
${devices.join('\n')}
`,
  );
  const site = new Site({ configPath: config });
  const roster = readRosterFiles([{ path: join(dir, 'residents.csv'), roster: 'residents' }], {
    key: site.key,
    timeZone: site.config.site.timezone,
  });
  site.registry.import(roster, { mode: 'merge' });
  site.checkpoint.start();
  const masterKey = loadOrCreateKey(site.config.osdp.masterKeyFile, 16, 'OSDP master key');
  const pds = ADDRESSES.map(
    (address) =>
      new SimulatedPd({
        address,
        cuid: cuidOf(address),
        model: { door: true },
        ...(SECURE === 'required'
          ? { secure: { scbk: deriveScbk(masterKey, cuidOf(address)), required: true } }
          : {}),
      }),
  );
  const sim = new BusSimulator({
    transport: new SerialTransport({ path: pair.b, baudRate: BAUD }),
    pds,
    baud: BAUD,
    turnaroundMs: TURNAROUND_MS,
  });
  await sim.start();
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
  const { writes, arrivals } = recorder as RecordingTransport;

  const rows: {
    total: number;
    pollWait: number;
    wire: number;
    cp: number;
    simLate: number;
    limit: number;
  }[] = [];
  const started = now();
  for (let i = 0; i < READS; i++) {
    if (i > 0 && i % 100 === 0)
      process.stderr.write(`${i} reads, ${((now() - started) / i).toFixed(0)} ms each\n`);
    const pd = pds[i % pds.length] as SimulatedPd;
    const model = pd.model;
    let raw: { startedAt: number; finishedAt: number } | undefined;
    let unlockedAt: number | undefined;
    let texted = false;
    const onSent = (e: { type: string; startedAt: number; finishedAt: number }) => {
      if (e.type === 'RAW') raw = e;
    };
    const onOutput = (e: { index: number; active: boolean; at: number }) => {
      if (e.index === 0 && e.active) unlockedAt ??= e.at;
    };
    // The TEXT command, not a change of the display: the same text may still be showing.
    const onCommand = (c: { type: string }) => {
      if (c.type === 'TEXT' && unlockedAt !== undefined) texted = true;
    };
    model.on('reportSent', onSent);
    model.on('output', onOutput);
    model.on('command', onCommand);
    // Presented at a random moment of the polling round.
    await new Promise((r) => setTimeout(r, Math.random() * 150));
    const t0 = now();
    model.presentCard({ format: 'wiegand26', facility: 12, card: 100 + (i % pds.length) });
    await waitFor('the unlock', () => unlockedAt !== undefined && raw !== undefined);
    // Let the LED, buzzer and text for this read finish, so the next read starts on a polling bus.
    await waitFor('the indication', () => texted);
    await waitFor('the lock to fall back', () => model.outputs()[0] === false);
    model.off('reportSent', onSent);
    model.off('output', onOutput);
    model.off('command', onCommand);
    const r = raw as { startedAt: number; finishedAt: number };
    const poll = [...writes].reverse().find((w) => w.address === pd.address && w.at < r.startedAt);
    const out = writes.find((w) => w.address === pd.address && w.at > r.finishedAt - 1);
    if (!poll || !out) throw new Error(`read ${i}: POLL or OUT not found in the CP's writes`);
    // The RAW was complete at the CP when its last chunk arrived: the last arrival before the OUT.
    const rawAtCp = arrivals.filter((a) => a < out.at).at(-1) ?? r.finishedAt;
    const pollWire = wireTimeMs(poll.length, BAUD);
    const outWire = wireTimeMs(out.length, BAUD);
    const rawWire = r.finishedAt - r.startedAt;
    const ackLength = poll.length; // an ACK is the size of a POLL, both with and without the Secure Channel
    const exchange = pollWire + TURNAROUND_MS + wireTimeMs(ackLength, BAUD) + IDLE_GAP_MS;
    rows.push({
      total: (unlockedAt as number) - t0,
      pollWait: Math.max(0, poll.at - t0),
      wire: pollWire + TURNAROUND_MS + rawWire + outWire,
      cp: out.at - rawAtCp,
      simLate: rawAtCp - r.finishedAt,
      limit: pds.length * exchange + pollWire + TURNAROUND_MS + rawWire + IDLE_GAP_MS + outWire,
    });
  }
  await host.stop();
  await sim.stop();
  site.close();
  await pair.stop();
  rmSync(dir, { recursive: true, force: true });

  const limit = Math.max(...rows.map((r) => r.limit));
  const total = stats(rows.map((r) => r.total));
  const cp = stats(rows.map((r) => r.cp));
  const added = stats(rows.map((r) => Math.max(0, r.cp - IDLE_GAP_MS)));
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
        pds: pds.length,
        idleGapMs: +IDLE_GAP_MS.toFixed(2),
        limitMs: +limit.toFixed(1),
        totalMs: total,
        pollWaitMs: stats(rows.map((r) => r.pollWait)),
        wireMs: stats(rows.map((r) => r.wire)),
        cpMs: cp,
        gatewayAddedMs: added,
        rawArrivalAfterModelMs: stats(rows.map((r) => r.simLate)),
        p99TotalOverLimit: +(total.p99 / limit).toFixed(2),
      },
      null,
      2,
    ),
  );
  // Targets of the OSDP issue (issue 3): p99 total ≤ 1.2 × the limit, gateway-added p99 ≤ 2 ms.
  const bench = 'osdp';
  const note = `${READS} reads, ${pds.length} PDs, ${BAUD} baud, Secure Channel ${SECURE}; limit ${limit.toFixed(1)} ms`;
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
