import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import { decodeJournalMessage, encodeJournalMessage } from '../../gateway/mqtt/upstream/journal-message.js';

const T0 = Date.UTC(2024, 4, 1);
const base = { prefix: 'gatewarden', siteId: 'maple', gatewayId: 'north' };

describe('journal messages upstream', () => {
  it('carry each entry with its links in the hash chain, so upstream sees the chain head', () => {
    const db = openDatabase(':memory:');
    try {
      const journal = Journal.open(db);
      const entries = [0, 1, 2].map((n) =>
        journal.append('operator', T0 + n, {
          action: `a${n}`,
          operator: 'op-1',
          shift: 'day',
          detail: { n },
        }),
      );
      const messages = entries.map((entry) => {
        const decoded = decodeJournalMessage(encodeJournalMessage(entry, base).payload);
        if (!decoded.ok) throw new Error(decoded.error);
        return decoded.message;
      });
      expect(messages.map((m) => m.hash)).toEqual(entries.map((e) => e.hash));
      expect(messages[1]?.prevHash).toBe(messages[0]?.hash);
      expect(messages[2]?.prevHash).toBe(messages[1]?.hash);
    } finally {
      db.close();
    }
  });

  it('are read without the links from gateways that predate them, and refused with bad ones', () => {
    const envelope = { seq: 7, at: T0, type: 'operator', gateway: 'north', site: 'maple', payload: {} };
    const hex = 'a'.repeat(64);
    const read = (extra: object) => decodeJournalMessage(JSON.stringify({ ...envelope, ...extra }));
    expect(read({})).toEqual({ ok: true, message: envelope });
    expect(read({ hash: hex, prevHash: hex })).toEqual({
      ok: true,
      message: { ...envelope, hash: hex, prevHash: hex },
    });
    expect(read({ hash: 'A'.repeat(64), prevHash: hex })).toEqual({
      ok: false,
      error: 'hash must be 64 lowercase hex digits',
    });
    expect(read({ hash: hex, prevHash: 42 })).toEqual({
      ok: false,
      error: 'prevHash must be 64 lowercase hex digits',
    });
    expect(read({ hash: hex })).toEqual({ ok: false, error: 'hash and prevHash come together' });
  });
});
