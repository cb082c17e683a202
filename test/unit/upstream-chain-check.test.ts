import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import { UpstreamChainCheck } from '../../gateway/mqtt/upstream/chain-check.js';
import {
  decodeJournalMessage,
  encodeJournalMessage,
  type JournalMessage,
} from '../../gateway/mqtt/upstream/journal-message.js';

const T0 = Date.UTC(2024, 4, 1);
const base = { prefix: 'gatewarden', siteId: 'maple', gatewayId: 'north' };

/** Real journal entries of several types (readings are chained by digest, the others by payload), as upstream receives them. */
function received(): JournalMessage[] {
  const db = openDatabase(':memory:');
  try {
    const journal = Journal.open(db);
    journal.append('mode', T0, { from: 'open', to: 'closed', operator: 'op-1', reason: '新增病例' });
    journal.append('reading', T0 + 1, {
      gateId: 'north',
      laneId: 'north-ped-in',
      reading: { at: T0 + 1, celsius: 36.6, mask: true },
      source: 'cam-1',
    });
    journal.append('alarm', T0 + 2, { code: 'DOOR_HELD_OPEN', severity: 'warning', laneId: 'north-ped-in' });
    journal.append('operator', T0 + 3, {
      action: 'note',
      operator: 'op-1',
      shift: 'day',
      detail: { n: 1.5 },
    });
    return [...journal.iterate(0)].map((entry) => {
      const decoded = decodeJournalMessage(encodeJournalMessage(entry, base).payload);
      if (!decoded.ok) throw new Error(decoded.error);
      return decoded.message;
    });
  } finally {
    db.close();
  }
}

const check = (messages: JournalMessage[]) => {
  const checker = new UpstreamChainCheck();
  return { problems: messages.flatMap((m) => checker.add(m)), head: checker.head };
};

describe('upstream chain check', () => {
  it('accepts a journal as delivered, whatever the entry types, and keeps its head', () => {
    const messages = received();
    expect(check(messages)).toEqual({
      problems: [],
      head: { seq: 4, hash: messages[3]?.hash },
    });
    // A repeat (QoS 1, replay after an outage) is ignored.
    expect(
      check([...messages.slice(0, 3), messages[1] as JournalMessage, ...messages.slice(3)]).problems,
    ).toEqual([]);
  });

  it('sees a payload changed before delivery, a left-out entry, and a forged link', () => {
    const messages = received();
    const edited = messages.map((m) =>
      m.seq === 2 ? { ...m, payload: { ...m.payload, source: 'cam-2' } } : m,
    );
    expect(check(edited).problems).toEqual([
      { seq: 2, kind: 'hash_mismatch', message: 'hash does not follow from the content and prevHash' },
    ]);
    expect(check(messages.filter((m) => m.seq !== 3)).problems.map((p) => [p.seq, p.kind])).toEqual([
      [4, 'gap'],
    ]);
    const relinked = messages.map((m) => (m.seq === 3 ? { ...m, prevHash: 'f'.repeat(64) } : m));
    expect(check(relinked).problems.map((p) => [p.seq, p.kind])).toEqual([
      [3, 'hash_mismatch'],
      [3, 'broken_link'],
    ]);
  });

  it('says so when a gateway sends no links', () => {
    const { hash: _h, prevHash: _p, ...bare } = received()[0] as JournalMessage;
    expect(check([bare]).problems.map((p) => p.kind)).toEqual(['no_links']);
  });
});
