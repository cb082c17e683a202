/**
 * Upstream's check of one gateway's journal as it arrives over MQTT (journal-message.ts): each
 * message's `hash` must follow from its content and its `prevHash`, exactly as the gateway's own
 * `journal verify` computes it (docs/journal.md), and each `prevHash` must be the hash of the
 * message before. So an entry rewritten on the gateway before it was delivered, an entry left
 * out, or a payload changed on the way shows at the first message after it.
 *
 * Contract: feed one gateway's messages in seq order; a repeat of a seq already checked (QoS 1,
 * the replay after an outage) is ignored. Problems are returned, never thrown. The first message
 * seen is taken as the start: its `prevHash` is checked only against its own hash, since what came
 * before was not seen. Messages without links (gateways before they were sent) are reported.
 */
import { canonicalJson, entryCanonical, entryCanonicalV2, payloadDigest } from '../../journal/canonical.js';
import { chainHash } from '../../journal/journal.js';
import type { JournalMessage } from './journal-message.js';

export type ChainProblemKind = 'no_links' | 'hash_mismatch' | 'broken_link' | 'gap';

export interface ChainProblem {
  seq: number;
  kind: ChainProblemKind;
  message: string;
}

export class UpstreamChainCheck {
  private last: { seq: number; hash: string } | undefined;

  /** The newest checked entry: upstream's copy of the chain head. */
  get head(): { seq: number; hash: string } | undefined {
    return this.last;
  }

  add(message: JournalMessage): ChainProblem[] {
    if (this.last !== undefined && message.seq <= this.last.seq) return [];
    const { seq, hash, prevHash } = message;
    if (hash === undefined || prevHash === undefined) {
      return [{ seq, kind: 'no_links', message: 'the message carries no hash: the chain cannot be checked' }];
    }
    const problems: ChainProblem[] = [];
    if (!hashFollows(message, hash, prevHash)) {
      problems.push({
        seq,
        kind: 'hash_mismatch',
        message: 'hash does not follow from the content and prevHash',
      });
    }
    if (this.last !== undefined) {
      if (seq !== this.last.seq + 1) {
        problems.push({ seq, kind: 'gap', message: `seq ${seq} follows seq ${this.last.seq}` });
      }
      if (prevHash !== this.last.hash && seq === this.last.seq + 1) {
        problems.push({
          seq,
          kind: 'broken_link',
          message: `prevHash is not the hash of seq ${this.last.seq}`,
        });
      }
    }
    this.last = { seq, hash };
    return problems;
  }
}

/** Either chain format the journal uses for the entry's type (canonical.ts): digest first, then the full payload. */
function hashFollows(message: JournalMessage, hash: string, prevHash: string): boolean {
  let payloadJson: string;
  try {
    payloadJson = canonicalJson(message.payload);
  } catch {
    return false;
  }
  const { seq, at, type } = message;
  if (chainHash(prevHash, entryCanonicalV2(seq, at, type, payloadDigest(payloadJson))) === hash) return true;
  return chainHash(prevHash, entryCanonical(seq, at, type, payloadJson)) === hash;
}
