import { checkIsValid, decodePacket, minimumPacketLength, OsdpCodecError } from './codec.js';
import {
  ADDRESS_MASK,
  CTRL,
  HEADER_LENGTH,
  MARK,
  MAX_PACKET_LENGTH,
  OFFSET,
  REPLY_FLAG,
  SOM,
} from './constants.js';
import type { OsdpFrame, Sequence } from './frame.js';

/**
 * What one push of bytes produced (the taxonomy of style H9). "Need more bytes" has no event:
 * the bytes stay buffered and `pending()` is non-zero. Foreign packets (another PD's address,
 * another PD's reply) are ordinary `frame` events; filtering is the session's job.
 *
 * - `frame`: a complete packet whose check matched and whose layout decoded. `packet` is
 *   SOM..check exactly as received (for the MAC check and for logs); `mark` tells whether a 0xFF
 *   mark byte came right before SOM (a libosdp PD mirrors the CP's choice).
 * - `bad-check`: complete as announced by LEN, but the CRC/checksum is wrong. A PD addressed by
 *   it answers NAK 0x01. Its header fields may be line noise, so treat them as a hint. The
 *   parser rescans the bytes after its SOM.
 * - `malformed`: the check matched but the packet cannot be a frame (reserved CTRL bits, an SCB
 *   that leaves no room for the code or MAC). `reason` names the field. Not rescanned: the check
 *   proves the packet was delimited as sent.
 * - `discarded`: bytes skipped. `reason` is `noise` for bytes before a SOM (including the mark
 *   byte of a rejected candidate), or names the bad header (LEN out of range); a bad header
 *   discards only its SOM, the bytes after it are rescanned.
 */
export type ParseEvent =
  | { kind: 'frame'; frame: OsdpFrame; packet: Buffer; mark: boolean }
  | { kind: 'bad-check'; address: number; reply: boolean; sequence: Sequence; packet: Buffer }
  | { kind: 'malformed'; reason: string; address: number; reply: boolean; sequence: Sequence; packet: Buffer }
  | { kind: 'discarded'; bytes: number; reason: string };

type Candidate =
  | { status: 'need-more' }
  | { status: 'bad-header'; reason: string }
  | { status: 'complete'; length: number; checkOk: boolean };

/**
 * Incremental OSDP packet parser: push bytes as they arrive, however chunked; the same bytes in
 * any chunking give the same frames (and the same total of discarded bytes). Never throws on
 * input. Between pushes it keeps at most one incomplete packet plus its mark byte, so never more
 * than MAX_PACKET_LENGTH bytes; a lone trailing 0xFF is kept because it may be the next mark.
 *
 * Resynchronisation (after libosdp's phy_rescan_packet_buf): when a SOM turns out to start a bad
 * header or a packet with a wrong check, scanning resumes at the byte after that SOM, so a real
 * packet hidden inside the false one is still found once the false one's LEN bytes have arrived.
 * A frame is therefore lost only if a false SOM before it announces a packet whose check happens
 * to match (chance 1/65536 with CRC, 1/256 with the checksum). The inter-character timeout is the
 * session's: it calls `reset()` when `pending()` has sat too long.
 */
export class OsdpParser {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ParseEvent[] {
    const data = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: ParseEvent[] = [];
    let noise = 0;
    const flushNoise = (): void => {
      if (noise > 0) events.push({ kind: 'discarded', bytes: noise, reason: 'noise' });
      noise = 0;
    };
    let pos = 0;
    let keepFrom = data.length;
    while (pos < data.length) {
      const som = data.indexOf(SOM, pos);
      if (som < 0) {
        const trailingMark = data[data.length - 1] === MARK ? 1 : 0;
        noise += data.length - pos - trailingMark;
        keepFrom = data.length - trailingMark;
        break;
      }
      const mark = som > pos && data[som - 1] === MARK;
      noise += som - pos - (mark ? 1 : 0);
      const candidate = inspect(data, som);
      if (candidate.status === 'need-more') {
        keepFrom = mark ? som - 1 : som;
        break;
      }
      if (candidate.status === 'bad-header') {
        noise += mark ? 1 : 0;
        flushNoise();
        events.push({ kind: 'discarded', bytes: 1, reason: candidate.reason });
        pos = som + 1;
        continue;
      }
      const packet = Buffer.from(data.subarray(som, som + candidate.length));
      if (!candidate.checkOk) {
        noise += mark ? 1 : 0;
        flushNoise();
        events.push({ kind: 'bad-check', ...headerFields(packet), packet });
        pos = som + 1;
        continue;
      }
      flushNoise();
      events.push(decodeEvent(packet, mark));
      pos = som + candidate.length;
    }
    flushNoise();
    this.buffer = Buffer.from(data.subarray(keepFrom));
    return events;
  }

  /** Drop buffered bytes, e.g. after the inter-character timeout or when the link reopens. */
  reset(): void {
    this.buffer = Buffer.alloc(0);
  }

  /** Bytes held for an incomplete packet (or a trailing possible mark byte). */
  pending(): number {
    return this.buffer.length;
  }
}

function inspect(data: Buffer, som: number): Candidate {
  const available = data.length - som;
  if (available < HEADER_LENGTH) return { status: 'need-more' };
  const length = data.readUInt16LE(som + OFFSET.LEN_LSB);
  const minimum = minimumPacketLength(data[som + OFFSET.CTRL] ?? 0);
  if (length < minimum) return { status: 'bad-header', reason: `bad header: LEN ${length} below ${minimum}` };
  if (length > MAX_PACKET_LENGTH) {
    return { status: 'bad-header', reason: `bad header: LEN ${length} above ${MAX_PACKET_LENGTH}` };
  }
  if (available < length) return { status: 'need-more' };
  return { status: 'complete', length, checkOk: checkIsValid(data.subarray(som, som + length)) };
}

function headerFields(packet: Buffer): { address: number; reply: boolean; sequence: Sequence } {
  const addressByte = packet[OFFSET.ADDR] ?? 0;
  return {
    address: addressByte & ADDRESS_MASK,
    reply: (addressByte & REPLY_FLAG) !== 0,
    sequence: ((packet[OFFSET.CTRL] ?? 0) & CTRL.SQN) as Sequence,
  };
}

function decodeEvent(packet: Buffer, mark: boolean): ParseEvent {
  try {
    return { kind: 'frame', frame: decodePacket(packet), packet, mark };
  } catch (error) {
    if (!(error instanceof OsdpCodecError)) throw error;
    return { kind: 'malformed', reason: error.message, ...headerFields(packet), packet };
  }
}
