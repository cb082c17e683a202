import type { ReplyCollector } from '../line/half-duplex-line.js';
import { decodeAdu, FUNCTION_OF, type ModbusRequest } from './codec.js';
import { EXCEPTION_ADU_LENGTH, EXCEPTION_FLAG, OFFSET } from './constants.js';
import { FrameScanner } from './frame-scanner.js';
import { decodeResponse, type ModbusReply, responseByteCount, responseLength } from './responses.js';

/**
 * Picks the reply to one Modbus request out of a shared line (for HalfDuplexLine.exchange).
 * A candidate starts with the request's unit and either its function (normal response, whose
 * length the request fixes; for reads the byte count must be the one asked for) or the
 * function | 0x80 (exception, 5 bytes); its CRC must match. Anything else — OSDP packets, another
 * board's late reply, noise — is skipped, and a candidate whose CRC fails is skipped too but
 * counted in `damaged`: if the wait then times out, the session reports a CRC error rather than
 * silence. The wait is not ended early on a bad CRC because a false header inside foreign bytes
 * would then cost the real reply that follows it.
 *
 * Limits (RTU has no transaction id): a late reply from the same unit to an identical earlier
 * request is indistinguishable from the answer to this one; and on a two-wire bus with local
 * echo, the echo of an FC05/06 request equals its response (our transports do not echo).
 */
export class ModbusReplyCollector implements ReplyCollector<ModbusReply> {
  /** Candidates whose CRC failed (line damage, or foreign bytes that looked like our header). */
  damaged = 0;
  private readonly scanner: FrameScanner;

  constructor(readonly request: ModbusRequest) {
    const unit = request.unit;
    const fc = FUNCTION_OF[request.fn];
    const normal = responseLength(request);
    const byteCount = responseByteCount(request);
    this.scanner = new FrameScanner((data, at) => {
      if (data[at + OFFSET.UNIT] !== unit) return undefined;
      const code = data[at + OFFSET.FUNCTION];
      if (code === undefined) return 'more';
      if (code === (fc | EXCEPTION_FLAG)) return EXCEPTION_ADU_LENGTH;
      if (code !== fc) return undefined;
      if (byteCount === undefined) return normal;
      const count = data[at + OFFSET.BYTE_COUNT];
      if (count === undefined) return 'more';
      return count === byteCount ? normal : undefined;
    });
  }

  push(bytes: Buffer): ModbusReply | undefined {
    for (const event of this.scanner.push(bytes)) {
      if (event.kind === 'rejected') this.damaged++;
      else return decodeResponse(this.request, decodeAdu(event.frame));
    }
    return undefined;
  }
}
