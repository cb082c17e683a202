import { readFileSync } from 'node:fs';

/**
 * The resident set size of another process, as the kernel counts it (`VmRSS` in
 * /proc/<pid>/status: every page of the process in RAM, heap, code and shared libraries alike),
 * sampled at a steady pace, and a summary of the samples for a benchmark's report.
 */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status (has it exited?)`);
  return Number(kib) * 1024;
}

export interface RssSample {
  /** Milliseconds since the sampler started. */
  atMs: number;
  bytes: number;
}

/** Samples `pid` every `everyMs` until stopped; a failed read (the process ended) ends sampling. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly pid: number,
    private readonly everyMs: number,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop(): RssSample[] {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    return this.samples;
  }

  private sample(): void {
    try {
      this.samples.push({ atMs: Date.now() - this.startedAt, bytes: rssBytes(this.pid) });
    } catch {
      this.stop();
    }
  }
}

/** Samples `pid` for `durationMs`; resolves the samples. */
export async function sampleRss(pid: number, durationMs: number, everyMs = 1000): Promise<RssSample[]> {
  const sampler = new RssSampler(pid, everyMs).start();
  await new Promise((r) => setTimeout(r, durationMs));
  return sampler.stop();
}

export interface RssSummary {
  count: number;
  min: number;
  median: number;
  max: number;
  first: number;
  last: number;
}

export function summariseRss(samples: readonly RssSample[]): RssSummary {
  if (samples.length === 0) throw new RangeError('no RSS samples');
  const sorted = samples.map((s) => s.bytes).sort((a, b) => a - b);
  return {
    count: samples.length,
    min: sorted[0] ?? 0,
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    max: sorted[sorted.length - 1] ?? 0,
    first: samples[0]?.bytes ?? 0,
    last: samples[samples.length - 1]?.bytes ?? 0,
  };
}

/** Bytes as decimal megabytes with one decimal (the targets are in MB). */
export function mb(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}

/**
 * CPU time (user + system) another process has used so far, in ms: on a shared machine, a
 * figure less bent by others' load than the wall-clock time of the same work.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces), from its closing parenthesis: utime is the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux the gateway runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
