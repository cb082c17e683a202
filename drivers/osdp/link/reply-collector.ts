import type { ReplyCollector } from '../../line/half-duplex-line.js';
import type { OsdpFrame, Sequence } from '../framing/frame.js';
import { OsdpParser } from '../framing/parser.js';
import { REPLY } from '../messages/codes.js';

/** What came back for one command: a reply frame, or a reply the line damaged. */
export type CollectedReply =
  | { kind: 'frame'; frame: OsdpFrame; packet: Buffer }
  | { kind: 'corrupt'; reason: string };

/**
 * Picks the reply to one command out of the line: a reply frame (address bit 7) from the
 * addressed PD with the command's sequence number, or BUSY with sequence 0 (libosdp sends it
 * so). Anything else — another PD's late reply, our own echo on a two-wire bus, noise — is
 * skipped. A damaged reply from the addressed PD ends the wait at once, so the retry does not
 * sit out the whole reply timeout.
 */
export class OsdpReplyCollector implements ReplyCollector<CollectedReply> {
  private readonly parser = new OsdpParser();

  constructor(
    private readonly address: number,
    private readonly sequence: Sequence,
  ) {}

  push(bytes: Buffer): CollectedReply | undefined {
    for (const event of this.parser.push(bytes)) {
      switch (event.kind) {
        case 'frame': {
          const f = event.frame;
          if (!f.reply || f.address !== this.address) break;
          const busy = f.code === REPLY.BUSY && f.sequence === 0;
          if (f.sequence !== this.sequence && !busy) break;
          return { kind: 'frame', frame: f, packet: event.packet };
        }
        case 'bad-check':
          if (event.reply && event.address === this.address) return { kind: 'corrupt', reason: 'bad check' };
          break;
        case 'malformed':
          if (event.reply && event.address === this.address) return { kind: 'corrupt', reason: event.reason };
          break;
        case 'discarded':
          break;
      }
    }
    return undefined;
  }
}
