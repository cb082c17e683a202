import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { hashIdNumber } from '../../gateway/registry/id-number.js';
import type { Decision, PresentedCredential } from '../../gateway/rules/types.js';
import { type Clock, systemClock } from '../shared/clock.js';
import type { LanePort } from '../shared/lane-port.js';
import { assessCard, SUPPORTED_CARD_TYPES } from './card-check.js';
import type { IdCardReaderSession } from './reader-session.js';
import type { IdCardRead, ReaderSessionEvents, ReadFailure } from './reader-types.js';
import type { SamStatusInfo } from './status-words.js';

export interface IdCardAdapterConfig {
  /** Device id from the configuration: names the reader in the journal and on the dashboard. */
  deviceId: string;
  laneId: string;
}

export interface IdCardAdapterEvents {
  /** The lane's decision for a read, for whatever actuates the lane (door, barrier). */
  decision: [decision: Decision];
}

/**
 * The lane-facing side of an ID-card reader. The privacy boundary of the driver: a read holds
 * name, address, birth date, ID number and more, and exactly this leaves it —
 * `{ kind: 'idcard', value: hashIdNumber(key, idNumber), idNumberValid }` to `LanePort.present`,
 * where `idNumberValid` folds in the GB 11643 check and the card's validity period. Log lines
 * carry reason codes, the card type and the decision's reason codes; never a name, a number
 * (plain, masked or hashed), an address or the photo (which the session never even decodes).
 *
 * Cards whose layout is not a resident card or an HK/Macau/Taiwan residence permit (foreigner's
 * permanent residence cards, unknown flags) are not presented: their number is not at the
 * resident offset and not a GB 11643 number; the guard handles them by hand.
 */
export class IdCardAdapter extends EventEmitter<IdCardAdapterEvents> {
  private readonly clock: Clock;
  private readonly removers: (() => void)[] = [];

  constructor(
    private readonly config: IdCardAdapterConfig,
    private readonly session: IdCardReaderSession,
    private readonly port: LanePort,
    /** The site's pseudonym key (`pseudonymKey`): the same key the registry hashes with. */
    private readonly key: Buffer,
    private readonly log: Logger,
    clock?: Clock,
  ) {
    super();
    this.clock = clock ?? systemClock;
  }

  /** Subscribes to the session; `stop()` removes exactly these listeners. */
  start(): void {
    this.listen('read', (read) => this.onRead(read));
    this.listen('readFailed', (failure) => this.onReadFailed(failure));
    this.listen('removed', () => this.log.debug('card taken off the reader'));
    this.listen('online', () => {
      this.log.info('ID-card reader online');
      this.port.deviceState(this.config.deviceId, 'online', undefined, this.config.laneId);
    });
    this.listen('offline', (reason) => this.onOffline(reason));
    this.listen('fault', (status) => this.onFault(status));
  }

  stop(): void {
    for (const remove of this.removers.splice(0)) remove();
  }

  private onRead(read: IdCardRead): void {
    const card = read.card;
    if (!SUPPORTED_CARD_TYPES.includes(card.cardType)) {
      this.log.warn({ cardType: card.cardType, reason: 'UNSUPPORTED_CARD_TYPE' }, 'card type not presented');
      return;
    }
    const { idNumberValid, problems } = assessCard(card, this.clock.now());
    const credential: PresentedCredential = {
      kind: 'idcard',
      value: hashIdNumber(this.key, card.idNumber),
      idNumberValid,
    };
    let decision: Decision;
    try {
      decision = this.port.present(this.config.laneId, credential, this.config.deviceId);
    } catch (err) {
      // Not journaled, so nothing may be actuated: the person places the card again.
      this.log.error({ err }, 'pass could not be recorded; nothing actuated');
      return;
    }
    this.log.info(
      {
        cardType: card.cardType,
        idNumberValid,
        problems,
        attempts: read.attempts,
        allow: decision.allow,
        reasons: decision.reasons.map((r) => r.code),
      },
      'ID card presented',
    );
    this.emit('decision', decision);
  }

  /** Nothing was decided: the guard must know to have the card placed again. */
  private onReadFailed(failure: ReadFailure): void {
    const detail: Record<string, string | number> = { problem: failure.detail, attempts: failure.attempts };
    if (failure.status) detail.status = failure.status.name;
    this.log.warn(detail, 'ID card could not be read; it must be placed again');
    this.port.alarm({
      code: 'CARD_UNREADABLE',
      severity: 'warning',
      deviceId: this.config.deviceId,
      laneId: this.config.laneId,
      detail,
    });
  }

  private onOffline(reason: string): void {
    this.log.warn({ reason }, 'ID-card reader offline');
    this.port.deviceState(this.config.deviceId, 'offline', reason, this.config.laneId);
    this.port.alarm({
      code: 'DEVICE_OFFLINE',
      severity: 'critical',
      deviceId: this.config.deviceId,
      laneId: this.config.laneId,
      detail: { reason },
    });
  }

  private onFault(status: SamStatusInfo): void {
    this.log.error({ status: status.name }, 'ID-card reader SAM unusable');
    this.port.deviceState(this.config.deviceId, 'error', status.en, this.config.laneId);
  }

  private listen<K extends keyof ReaderSessionEvents>(
    event: K,
    listener: (...args: ReaderSessionEvents[K]) => void,
  ): void {
    // EventEmitter<T>'s overloads do not narrow a generic K; the cast keeps the call typed here.
    const plain = this.session as unknown as EventEmitter;
    const wrapped = listener as (...args: unknown[]) => void;
    plain.on(event, wrapped);
    this.removers.push(() => plain.off(event, wrapped));
  }
}
