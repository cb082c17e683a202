/**
 * Every OSDP timing constant of the control panel in one place (style H12). Defaults follow
 * libosdp `osdp_config.h.in` and the SIA spec where they agree, except where noted.
 */
export interface OsdpTiming {
  /** A PD must reply within 200 ms of the end of the command (SIA OSDP 2.2 §5.7). */
  replyTimeoutMs: number;
  /** A PD that has had nothing to say is polled at most this often (libosdp: 50 ms). */
  pollIntervalMs: number;
  /**
   * An online PD with no valid reply for this long is offline. libosdp reaches offline after
   * 8 retries 800 ms apart (≈ 8 s); a gate needs to know sooner, so the default is 1.5 s,
   * which is still several missed polls even on a busy 9600 baud bus.
   */
  offlineAfterMs: number;
  /** An offline PD is tried again (ID with sequence 0) this often, once per try. */
  reconnectIntervalMs: number;
  /**
   * A PD that went offline with a POLL unanswered is sent that POLL again, byte-identical, at
   * its polling turn for this long before it is reset. The lost reply may have been a card read,
   * which the PD keeps only in its reply cache: a reset (sequence 0) discards it, and the card
   * is gone. After this long the person has presented the card again or left.
   */
  lostPollRetryMs: number;
  /** After BUSY the same command is sent again after this wait. */
  busyRetryMs: number;
  /** A queued command (OUT, LED, …) that has not been answered after this many sends fails. */
  commandAttempts: number;
  /** A partial packet left in the receive buffer this long is dropped (inter-character timeout). */
  interCharacterTimeoutMs: number;
}

export const DEFAULT_OSDP_TIMING: OsdpTiming = {
  replyTimeoutMs: 200,
  pollIntervalMs: 50,
  offlineAfterMs: 1500,
  reconnectIntervalMs: 1000,
  lostPollRetryMs: 1500,
  busyRetryMs: 20,
  commandAttempts: 3,
  interCharacterTimeoutMs: 20,
};

/** Sequence numbers after the reset value 0: 1, 2, 3, 1, 2, 3 … (0 is sent only to reset). */
export function nextSequence(sequence: number): 1 | 2 | 3 {
  return sequence === 3 ? 1 : ((sequence + 1) as 1 | 2 | 3);
}
