import type { OsdpReply } from '../messages/replies.js';
import type { PdCapability, PdIdentity, PdLink } from './pd-link.js';

/**
 * What the control panel tells about its PDs: status and counters (for the dashboard and
 * telemetry), its events, and the error a queued command fails with.
 */

/** Per-PD link health (style H19): what the dashboard and telemetry show for a reader. */
export interface PdCounters {
  commands: number;
  replies: number;
  timeouts: number;
  corrupt: number;
  naks: number;
  busy: number;
  retries: number;
  secureFailures: number;
  offlineTransitions: number;
  /** Reports (a card read, …) fetched by retrying a POLL left unanswered when the PD went offline. */
  recoveredReports: number;
  /** Commit-gated commands whose commit refused while they were on the wire, spoiled and not retried. */
  withdrawn: number;
}

export interface PdStatus {
  address: number;
  name: string;
  online: boolean;
  phase: PdLink['phase'];
  secure: boolean;
  identity?: PdIdentity;
  /** The PD's PDCAP entries from its last connection: what it has (LEDs, buzzer, display …). */
  capabilities?: PdCapability[];
  lastReplyAt?: number;
  /** Round-trip of the last exchange, ms, from the end of the command to the reply. */
  lastRoundTripMs?: number;
  counters: PdCounters;
}

/** Timing of an unsolicited report, for latency accounting (bench/osdp-latency). */
export interface ReportTiming {
  /** When the POLL that fetched the report left the wire. */
  sentAt: number;
  /** When the report was complete. */
  repliedAt: number;
}

export interface ControlPanelEvents {
  online: [status: PdStatus];
  offline: [status: PdStatus, reason: string];
  /** A PD reported something on a POLL: RAW, KEYPAD, LSTATR, ISTATR, OSTATR … */
  report: [address: number, reply: OsdpReply, timing: ReportTiming];
  /** The PD is reachable but refused: Secure Channel required and not offered, or failed. */
  refused: [status: PdStatus, reason: string];
  /** The PD was provisioned: its own SCBK was installed with KEYSET (it was on SCBK-D or the previous site key). */
  keyInstalled: [status: PdStatus];
}

export class OsdpCommandError extends Error {
  constructor(
    message: string,
    readonly reason: 'offline' | 'nak' | 'no-reply' | 'stopped' | 'withdrawn' | 'invalid',
    readonly nakCode?: number,
  ) {
    super(message);
    this.name = 'OsdpCommandError';
  }
}

/** A PD's counters at zero. */
export function zeroCounters(): PdCounters {
  return {
    commands: 0,
    replies: 0,
    timeouts: 0,
    corrupt: 0,
    naks: 0,
    busy: 0,
    retries: 0,
    secureFailures: 0,
    offlineTransitions: 0,
    recoveredReports: 0,
    withdrawn: 0,
  };
}
