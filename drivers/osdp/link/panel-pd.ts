import type { OsdpCommand } from '../messages/commands.js';
import type { OsdpReply } from '../messages/replies.js';
import type { Commit, CommitGate } from './commit-gate.js';
import { type PdConfig, PdLink } from './pd-link.js';
import { type OsdpCommandError, type PdCounters, type PdStatus, zeroCounters } from './pd-status.js';

export interface Job {
  command: OsdpCommand;
  resolve: (reply: OsdpReply) => void;
  reject: (error: OsdpCommandError) => void;
  gate?: CommitGate;
}

export interface SendOptions {
  /**
   * Sends the command commit-gated (commit-gate.ts): on the wire at once, its last byte only
   * once `commit(true)` returned true. Such a command goes before every other one on the line.
   */
  commit?: Commit;
}

/** A PD as the control panel tracks it: its link, its queue, what is on the wire, its timers. */
export interface Pd {
  link: PdLink;
  online: boolean;
  refused: boolean;
  queue: Job[];
  /** The command on the wire, kept byte-exact so a retry is identical (and the MAC chain intact). */
  inFlight?: { bytes: Buffer; command: OsdpCommand; attempts: number; job?: Job };
  lastReplyAt: number;
  lastTryAt: number;
  nextPollAt: number;
  /** The PD answered BUSY: nothing is sent to it before this time. */
  busyUntil: number;
  /**
   * Offline with a POLL unanswered: that POLL is retried, byte-identical, until this time, and
   * only then is the PD reset (timing.lostPollRetryMs says why).
   */
  retryLostPollUntil?: number;
  lastRoundTripMs?: number;
  counters: PdCounters;
}

/** A PD not yet heard from: offline, due for its first try at once. */
export function newPd(config: PdConfig): Pd {
  return {
    link: new PdLink({ ...config }),
    online: false,
    refused: false,
    queue: [],
    lastReplyAt: 0,
    lastTryAt: Number.NEGATIVE_INFINITY,
    nextPollAt: 0,
    busyUntil: 0,
    counters: zeroCounters(),
  };
}

/** What the panel tells about a PD: its status with a copy of its counters. */
export function describePd(pd: Pd): PdStatus {
  const status: PdStatus = {
    address: pd.link.config.address,
    name: pd.link.config.name,
    online: pd.online,
    phase: pd.link.phase,
    secure: pd.link.secureActive,
    counters: { ...pd.counters },
  };
  if (pd.link.identity) status.identity = pd.link.identity;
  if (pd.link.capabilities.length > 0) status.capabilities = [...pd.link.capabilities];
  if (pd.lastReplyAt > 0) status.lastReplyAt = pd.lastReplyAt;
  if (pd.lastRoundTripMs !== undefined) status.lastRoundTripMs = pd.lastRoundTripMs;
  return status;
}
