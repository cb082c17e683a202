import type { Logger } from 'pino';
import type { BusMessage } from '../../gateway/mqtt/bus.js';
import type { Clock } from '../shared/clock.js';
import { preview } from './payload.js';

/** At most one malformed-payload line per device in this time; the rest are counted. */
const INTERVAL_MS = 1000;
/** Bytes of a bad payload quoted in the log line (escaped), enough to recognise it. */
const SAMPLE_BYTES = 64;

/**
 * Logs malformed payloads of one device with what and where (device id, topic, reason, size,
 * an escaped excerpt), at most one line a second: a device flooding garbage cannot flood the
 * log. The line after a quiet spell says how many were left out (`suppressed`).
 */
export class MalformedLog {
  count = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly deviceId: string,
  ) {}

  drop(message: BusMessage, reason: string): void {
    this.count++;
    const now = this.clock.now();
    if (now - this.lastAt < INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    const suppressed = this.suppressed;
    this.lastAt = now;
    this.suppressed = 0;
    const sample = preview(message.payload.toString('utf8', 0, SAMPLE_BYTES));
    const where = { device: this.deviceId, topic: message.topic };
    this.log.warn(
      { ...where, reason, bytes: message.payload.length, sample, suppressed },
      'malformed payload dropped / 格式错误的消息已丢弃',
    );
  }
}
