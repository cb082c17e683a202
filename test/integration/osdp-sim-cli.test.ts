import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeWiegand26 } from '../../drivers/osdp/messages/card-data.js';
import type { OsdpCommand } from '../../drivers/osdp/messages/commands.js';
import type { OsdpReply } from '../../drivers/osdp/messages/replies.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { type CpResult, MiniCp } from '../helpers/osdp-cp.js';

/**
 * The built `gatewarden-sim osdp` on one end of a socat pty pair, a minimal CP on the other.
 * Needs `socat` and the compiled CLI (`npx tsc -p tsconfig.json`; npm test builds first).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/simulators/cli/main.js');
const REPLY_TIMEOUT_MS = 1000;

let dir: string;
let socat: ChildProcessWithoutNullStreams | undefined;
let cpPort: string;
let simPort: string;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.json)`);
  dir = mkdtempSync(join(tmpdir(), 'gw-osdp-sim-'));
  cpPort = join(dir, 'a');
  simPort = join(dir, 'b');
  const child = spawn('socat', [
    '-d',
    '-d',
    `pty,raw,echo=0,link=${cpPort}`,
    `pty,raw,echo=0,link=${simPort}`,
  ]);
  socat = child;
  let log = '';
  child.stderr.on('data', (d) => {
    log += d;
  });
  const deadline = Date.now() + 10_000;
  while (!(existsSync(cpPort) && existsSync(simPort))) {
    if (child.exitCode !== null) throw new Error(`socat exited: ${log}`);
    if (Date.now() > deadline) throw new Error(`socat made no pty pair: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(async () => {
  const child = socat;
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** One run of the simulator CLI with its output collected line by line. */
class Sim {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private waiters: (() => void)[] = [];

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, 'osdp', '--port', simPort, ...args], { cwd: ROOT });
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
    this.collect(this.child.stdout, this.out);
    this.collect(this.child.stderr, this.err);
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the first line (of stdout or stderr) matching `pattern`. */
  async line(pattern: RegExp, from: 'out' | 'err' = 'out', timeoutMs = 15_000): Promise<string> {
    const lines = from === 'out' ? this.out : this.err;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines.find((l) => pattern.test(l));
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no line ${pattern} on std${from}; got:\n${lines.join('\n')}\n${this.err.join('\n')}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  private collect(stream: NodeJS.ReadableStream, into: string[]): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      into.push(...parts);
      for (const w of this.waiters.splice(0)) w();
    });
  }
}

function replyOf(result: CpResult): OsdpReply {
  if (result.kind !== 'reply') throw new Error(`expected a reply, got ${result.kind}`);
  return result.reply;
}

describe('gatewarden-sim osdp over a pty pair', () => {
  let transport: SerialTransport | undefined;
  afterEach(async () => {
    await transport?.close();
    transport = undefined;
  });

  async function openCp(): Promise<SerialTransport> {
    transport = new SerialTransport({ path: cpPort, baudRate: 9600 });
    await transport.open();
    return transport;
  }

  it('answers a CP: ID, POLL, a card as RAW, OUT with an output line, and quits with 0', async () => {
    const sim = new Sim(['--address', '1', '--address', '2', '--door']);
    await sim.line(/^ready osdp port .* baud 9600 pds 1,2 plain$/);
    const line = await openCp();
    const cp = new MiniCp(line, { address: 1 });
    const two = new MiniCp(line, { address: 2 });
    const exchange = (c: MiniCp, ...args: Parameters<MiniCp['exchange']>) =>
      c.exchange(args[0], { timeoutMs: REPLY_TIMEOUT_MS, ...args[1] });

    expect(replyOf(await exchange(cp, { type: 'ID' }))).toMatchObject({ type: 'PDID' });
    expect(replyOf(await exchange(cp, { type: 'POLL' }))).toEqual({ type: 'ACK' });
    expect(replyOf(await exchange(two, { type: 'ID' }))).toMatchObject({ type: 'PDID' });

    sim.send('card 1 w26 12 345');
    await sim.line(/^pd 1 queued RAW$/);
    expect(replyOf(await exchange(cp, { type: 'POLL' }))).toEqual({
      type: 'RAW',
      reader: 0,
      format: 1,
      ...encodeWiegand26(12, 345),
    });
    await sim.line(/^pd 1 reported RAW$/);

    const out: OsdpCommand = { type: 'OUT', outputs: [{ output: 0, control: 2, timer100ms: 0 }] };
    expect(replyOf(await exchange(cp, out))).toEqual({
      type: 'OSTATR',
      outputs: [1, 0],
    });
    await sim.line(/^pd 1 output 0 on$/);
    const text = {
      type: 'TEXT',
      reader: 0,
      control: 1,
      tempSeconds: 0,
      row: 1,
      column: 1,
      text: 'NOT REGISTERED',
    } as const;
    expect(replyOf(await exchange(cp, text))).toEqual({ type: 'ACK' });
    await sim.line(/^pd 1 text "NOT REGISTERED"$/);

    sim.send('card 9 w26 1 1');
    expect(await sim.line(/^error: line \d+: no PD 9 on this bus/, 'err')).toContain('hosted: 1, 2');
    sim.send('door 2 open');
    await sim.line(/^pd 2 input 0 active$/);
    expect(replyOf(await exchange(two, { type: 'POLL' }))).toEqual({ type: 'ISTATR', inputs: [1, 0, 0, 0] });
    sim.send('status');
    await sim.line(/^pd 1 outputs 0:on 1:off$/);
    await sim.line(/^pd 1 texts 0:"NOT REGISTERED"$/);

    sim.send('quit');
    expect(await sim.exited).toBe(0);
  });

  it('runs a --script, reports bad lines by number and carries on, exits 0 at its end', async () => {
    const script = join(dir, 'script.txt');
    writeFileSync(
      script,
      ['# a comment', 'card 1 w34 4000 65000', 'bogus 1', 'tamper 1 on', 'status'].join('\n'),
    );
    const sim = new Sim(['--address', '1', '--script', script]);
    expect(await sim.exited).toBe(0);
    expect(sim.out).toContain('pd 1 queued RAW');
    expect(sim.out).toContain('pd 1 tamper on power ok');
    expect(sim.err).toContain('error: line 3: unknown command "bogus" (try: help)');
    expect(
      sim.out.some((l) => /^pd 1 tamper on power ok secure off baud 9600 queued 2 faults none$/.test(l)),
    ).toBe(true);
  });

  it('closes the port and exits 0 on SIGTERM, and on the end of its input', async () => {
    const byTerm = new Sim(['--address', '3']);
    await byTerm.line(/^ready /);
    byTerm.kill('SIGTERM');
    expect(await byTerm.exited).toBe(0);
    const byEof = new Sim(['--address', '3', '--secure']);
    await byEof.line(/^warning: no --scbk given/);
    const cp = new MiniCp(await openCp(), { address: 3 });
    expect(replyOf(await cp.exchange({ type: 'ID' }, { timeoutMs: REPLY_TIMEOUT_MS })).type).toBe('PDID');
    byEof.endInput();
    expect(await byEof.exited).toBe(0);
  });
});
