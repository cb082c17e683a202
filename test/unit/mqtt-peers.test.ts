import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../gateway/journal/events.js';
import type { AnyJournalEntry } from '../../gateway/journal/journal.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { encodeJournalMessage } from '../../gateway/mqtt/upstream/journal-message.js';
import { PeerPasses } from '../../gateway/mqtt/upstream/peers.js';
import { upstreamTopics } from '../../gateway/mqtt/upstream/topics.js';
import { Site } from '../../gateway/site.js';
import {
  pass,
  type ScratchGateway,
  SITE_ID,
  scratchGateway,
  silentLog,
} from '../integration/helpers/mqtt-requests-site.js';

const base = (gatewayId: string) => ({ prefix: 'gw', siteId: SITE_ID, gatewayId });

let a: ScratchGateway;
let b: ScratchGateway;
let bus: MemoryBus;
let peersA: PeerPasses;
let peersB: PeerPasses;

beforeEach(async () => {
  a = scratchGateway();
  b = scratchGateway();
  bus = new MemoryBus();
  peersA = new PeerPasses({ site: a.site, bus, log: silentLog, topics: base('a') });
  peersB = new PeerPasses({ site: b.site, bus, log: silentLog, topics: base('b') });
  await peersA.start();
  await peersB.start();
});

afterEach(async () => {
  await peersA.stop();
  await peersB.stop();
  a.dispose();
  b.dispose();
});

/** What the journal publisher sends for a decision entry of gateway `gateway`. */
function message(entry: JournalEntry, gateway = 'a') {
  const { seq, at, type, payload, prevHash, hash } = entry;
  return { seq, at, type, gateway, site: SITE_ID, payload, prevHash, hash };
}

async function publish(entry: JournalEntry, gateway = 'a', body: unknown = message(entry, gateway)) {
  await bus.publish(upstreamTopics.journal(base(gateway), 'decision'), JSON.stringify(body), { qos: 1 });
}

const passages = (g: ScratchGateway) =>
  [...g.site.journal.iterate(0, ['passage'])].map((e) => e.payload as JournalEntry<'passage'>['payload']);
const codes = (d: { reasons: readonly { code: string }[] }) => d.reasons.map((r) => r.code);

describe('passes made at another gateway of the site', () => {
  it('a card that entered at A is refused re-entry at B (ANTI_PASSBACK)', async () => {
    const atA = pass(a.site, 'north-ped-in', 'A0000003');
    expect(atA.decision.allow).toBe(true);
    await publish(atA.entry);
    expect(passages(b)).toEqual([
      {
        subjectId: 'r-3',
        direction: 'in',
        laneId: 'north-ped-in',
        origin: { gateway: 'a', seq: atA.entry.seq },
      },
    ]);
    const atB = pass(b.site, 'north-ped-in', 'A0000003');
    expect(atB.decision.allow).toBe(false);
    expect(codes(atB.decision)).toContain('ANTI_PASSBACK');
    // A does not take its own message back.
    expect(passages(a)).toEqual([]);
  });

  it("a household's exit at A counts against its quota at B", async () => {
    const out = pass(a.site, 'north-ped-out', 'A0000001');
    expect(out.decision.allow).toBe(true);
    await publish(out.entry);
    expect(passages(b)[0]).toMatchObject({ subjectId: 'r-1', direction: 'out', householdId: 'h-1' });
    const second = pass(b.site, 'north-ped-out', 'A0000002');
    expect(codes(second.decision)).toContain('HOUSEHOLD_QUOTA_EXCEEDED');
    // Another household is not affected.
    expect(pass(b.site, 'north-ped-out', 'A0000003').decision.allow).toBe(true);
  });

  it('a return at A ends the stay outside that B started', async () => {
    expect(pass(b.site, 'north-ped-out', 'A0000001').decision.allow).toBe(true);
    expect(b.site.checkpoint.outsideNow().map((o) => o.personId)).toEqual(['r-1']);
    b.clock.now += 60_000;
    a.clock.now += 60_000;
    await publish(pass(a.site, 'north-ped-in', 'A0000001').entry);
    expect(b.site.checkpoint.outsideNow()).toEqual([]);
  });
});

describe('the message format', () => {
  it("is what the journal publisher sends for A's entries", () => {
    const { entry } = pass(a.site, 'north-ped-in', 'A0000003');
    const encoded = encodeJournalMessage(entry as AnyJournalEntry, base('a'));
    expect(encoded.topic).toBe(upstreamTopics.journal(base('a'), 'decision'));
    expect(JSON.parse(encoded.payload)).toEqual(message(entry));
  });

  it('takes nothing in once stopped', async () => {
    await peersB.stop();
    await publish(pass(a.site, 'north-ped-in', 'A0000003').entry);
    expect(passages(b)).toEqual([]);
  });
});

describe('idempotency and bad input', () => {
  it('applies each peer seq once: repeats and older seqs change nothing', async () => {
    const first = pass(a.site, 'north-ped-in', 'A0000003').entry;
    a.clock.now += 1000;
    const second = pass(a.site, 'north-ped-out', 'A0000003').entry;
    await publish(second);
    await publish(second);
    await publish(first); // older than one applied: already superseded
    expect(passages(b).map((p) => p.origin?.seq)).toEqual([second.seq]);
    expect(peersB.appliedUpTo('a')).toBe(second.seq);
    expect(
      peersB.receive({
        topic: 'gw/demo-community/a/journal/decision',
        payload: Buffer.from(JSON.stringify(message(second))),
      }),
    ).toBe('duplicate');
  });

  it('records nothing for a refusal, but moves past it', async () => {
    const refused = pass(a.site, 'east-ped-in', 'A0000003').entry; // east is shut in closed mode
    expect(refused.payload.decision.allow).toBe(false);
    await publish(refused);
    expect(passages(b)).toEqual([]);
    expect(peersB.appliedUpTo('a')).toBe(refused.seq);
  });

  it('drops malformed and foreign messages without harm', async () => {
    const entry = pass(a.site, 'north-ped-in', 'A0000003').entry;
    const topic = upstreamTopics.journal(base('a'), 'decision');
    const receive = (body: unknown, t = topic) =>
      peersB.receive({
        topic: t,
        payload: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      });
    expect(receive('{"seq": 1,')).toBe('dropped');
    expect(receive({ ...message(entry), seq: -1 })).toBe('dropped');
    expect(receive({ ...message(entry), site: 'elsewhere' })).toBe('dropped');
    expect(receive(message(entry, 'c'))).toBe('dropped'); // says c, published under a
    expect(receive(message(entry, 'b'), upstreamTopics.journal(base('b'), 'decision'))).toBe('own');
    expect(receive({ ...message(entry), payload: { decision: { allow: true } } })).toBe('dropped');
    expect(passages(b)).toEqual([]);
    expect(bus.handlerErrors).toEqual([]);
  });

  it('keeps what it applied across a restart: the state and the seqs come back', async () => {
    const entry = pass(a.site, 'north-ped-in', 'A0000003').entry;
    await publish(entry);
    await peersB.stop();
    const configPath = join(b.dir, 'gatewarden.yaml');
    b.site.close();
    const reopened = new Site({ configPath, now: () => b.clock.now });
    try {
      reopened.checkpoint.start();
      const again = new PeerPasses({ site: reopened, bus, log: silentLog, topics: base('b') });
      const body = Buffer.from(JSON.stringify(message(entry)));
      expect(again.receive({ topic: upstreamTopics.journal(base('a'), 'decision'), payload: body })).toBe(
        'duplicate',
      );
      expect(codes(pass(reopened, 'north-ped-in', 'A0000003').decision)).toContain('ANTI_PASSBACK');
    } finally {
      reopened.close();
    }
  });
});
