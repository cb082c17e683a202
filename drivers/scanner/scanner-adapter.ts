import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { normaliseCredentialValue } from '../../gateway/registry/credential-value.js';
import type { Decision } from '../../gateway/rules/types.js';
import type { ScanCredential, ScanCredentials } from '../shared/code-credentials.js';
import type { LanePort } from '../shared/lane-port.js';
import { type ScanFingerprint, scanFingerprint } from './scan-text.js';
import type { Scan, Scanner, ScannerEvents } from './scanner.js';

export interface ScannerAdapterConfig {
  /** Device id from the configuration: names the scanner in the journal and on the dashboard. */
  deviceId: string;
  laneId: string;
  /**
   * Key for the log fingerprints of codes. Pass the site's pseudonym key to make fingerprints
   * comparable across restarts; without it a random key per adapter is used (comparable
   * within one run only).
   */
  fingerprintKey?: Buffer;
  /**
   * Turns a scanned code into the credential presented at the lane: the signed-pass check
   * (gateway/passes) sits here. Without it a code is presented as a plain `qr` value.
   */
  credentials?: ScanCredentials;
}

export interface ScannerAdapterEvents {
  /** The lane's decision for a scan, for whatever actuates the lane (door, barrier, turnstile). */
  decision: [decision: Decision];
}

/**
 * The lane-facing side of a QR/barcode scanner, serial or HID: a scan becomes a `qr` credential
 * (value in the registry's normal form) on `LanePort.present`, and the journaled decision is
 * emitted for the lane's actuator. Link changes become device states; going offline also
 * raises DEVICE_OFFLINE. Signed-pass verification (`signature`, `codeId`) is the injected
 * `credentials` layer between the scan and the lane; the adapter itself does no crypto.
 *
 * Privacy: a code may identify a person. Log lines carry the scan's fingerprint (length and a
 * keyed hash prefix), the symbology and the decision's reason codes, never the code's text.
 */
export class ScannerAdapter extends EventEmitter<ScannerAdapterEvents> {
  private readonly key: Buffer;
  private readonly removers: (() => void)[] = [];

  constructor(
    private readonly config: ScannerAdapterConfig,
    private readonly scanner: Scanner,
    private readonly port: LanePort,
    private readonly log: Logger,
  ) {
    super();
    this.key = config.fingerprintKey ?? randomBytes(32);
  }

  /** Subscribes to the scanner (which the host starts and stops); `stop()` removes exactly these listeners. */
  start(): void {
    this.listen('scan', (scan) => this.onScan(scan));
    this.listen('online', () => {
      this.port.deviceState(this.config.deviceId, 'online', undefined, this.config.laneId);
    });
    this.listen('offline', (reason) => this.onOffline(reason));
    this.listen('fault', (reason) => {
      this.port.deviceState(this.config.deviceId, 'error', reason, this.config.laneId);
    });
  }

  stop(): void {
    for (const remove of this.removers.splice(0)) remove();
  }

  /** What a log line may say about a code. */
  fingerprint(text: string): ScanFingerprint {
    return scanFingerprint(this.key, text);
  }

  private onScan(scan: Scan): void {
    const value = normaliseCredentialValue('qr', scan.text);
    const code = this.fingerprint(value);
    if (value === '') {
      this.log.warn({ code }, 'blank code not presented');
      return;
    }
    let read: ScanCredential;
    try {
      read = this.config.credentials?.credentialFor(value, scan.at) ?? { credential: { kind: 'qr', value } };
    } catch (err) {
      // A broken verifier must not open the gate, nor stop the scanner: nothing is presented.
      this.log.error({ err, code }, 'code could not be checked; not presented');
      return;
    }
    let decision: Decision;
    try {
      decision = this.port.present(this.config.laneId, read.credential, this.config.deviceId);
    } catch (err) {
      // Not journaled, so nothing may be actuated: the person scans again.
      this.log.error({ err, code }, 'pass could not be recorded; nothing actuated');
      return;
    }
    this.log.info(
      {
        code,
        ...(scan.symbology ? { symbology: scan.symbology } : {}),
        ...(read.note ? { pass: read.note } : {}),
        allow: decision.allow,
        reasons: decision.reasons.map((r) => r.code),
      },
      'code scanned',
    );
    this.emit('decision', decision);
  }

  private onOffline(reason: string): void {
    this.port.deviceState(this.config.deviceId, 'offline', reason, this.config.laneId);
    this.port.alarm({
      code: 'DEVICE_OFFLINE',
      severity: 'critical',
      deviceId: this.config.deviceId,
      laneId: this.config.laneId,
      detail: { reason },
    });
  }

  private listen<K extends keyof ScannerEvents>(
    event: K,
    listener: (...args: ScannerEvents[K]) => void,
  ): void {
    // EventEmitter<T>'s overloads do not narrow a generic K; the cast keeps the call typed here.
    const plain = this.scanner as unknown as EventEmitter;
    const wrapped = listener as (...args: unknown[]) => void;
    plain.on(event, wrapped);
    this.removers.push(() => plain.off(event, wrapped));
  }
}
