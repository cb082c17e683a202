import type { ReplyCollector } from '../line/half-duplex-line.js';
import type { SamResponse } from './framing/frame.js';
import { SamFrameParser } from './framing/parser.js';

/** What came back for one request: a response frame, or a response the line damaged. */
export type CollectedResponse =
  | { kind: 'frame'; response: SamResponse }
  | { kind: 'corrupt'; reason: string };

/**
 * Picks the SAM's response to one request out of the line. The reader's UART is point to point,
 * so the first complete frame is the answer; noise before it is skipped. A damaged frame ends
 * the wait at once, so the resend does not sit out the whole reply timeout. Our own request,
 * were it echoed, has LEN 3, below a response's minimum of 4, and is discarded as a bad header.
 */
export class SamReplyCollector implements ReplyCollector<CollectedResponse> {
  private readonly parser = new SamFrameParser('response');

  push(bytes: Buffer): CollectedResponse | undefined {
    for (const event of this.parser.push(bytes)) {
      switch (event.kind) {
        case 'frame':
          return { kind: 'frame', response: event.frame };
        case 'bad-check':
          return { kind: 'corrupt', reason: `bad check in a ${event.length}-byte frame` };
        case 'discarded':
          break;
      }
    }
    return undefined;
  }
}
