import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../gateway/journal/events.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { signRequest } from '../../gateway/mqtt/upstream/request-signature.js';
import { UpstreamRequests } from '../../gateway/mqtt/upstream/requests.js';
import { upstreamTopics } from '../../gateway/mqtt/upstream/topics.js';
import type { Decision } from '../../gateway/rules/types.js';
import { syntheticIdNumber } from '../fixtures/registry/synthetic-ids.js';
import {
  envelope,
  pass,
  type ScratchGateway,
  SITE_ID,
  scratchGateway,
  silentLog,
} from '../integration/helpers/mqtt-requests-site.js';

const topics = { prefix: 'gw', siteId: SITE_ID, gatewayId: 'a' };
const MINUTE = 60_000;

let g: ScratchGateway;
let bus: MemoryBus;
let requests: UpstreamRequests;
let actuated: { laneId: string; decision: Decision; committed: boolean }[];

beforeEach(async () => {
  g = scratchGateway();
  bus = new MemoryBus();
  actuated = [];
  requests = new UpstreamRequests({
    site: g.site,
    bus,
    log: silentLog,
    topics,
    issuers: g.issuers,
    freshnessMs: 5 * MINUTE,
    retentionMs: 60 * MINUTE,
    alarmIntervalMs: MINUTE,
    actuate: (laneId, decision) => {
      const committed = !g.site.db.inTransaction && g.site.journal.lastSeq() > 0;
      actuated.push({ laneId, decision, committed });
    },
  });
  await requests.start();
});

afterEach(async () => {
  await requests.stop();
  g.dispose();
});

/** A signed request of `type` with `fields`, as upstream would send it. */
function signed(type: string, fields: Record<string, unknown>, transactionId = randomUUID()) {
  return signRequest({ ...envelope(g.clock, type, transactionId), ...fields }, g.privateKey);
}

/** Publishes on the request topic and returns the reply (parsed) and its text. */
async function send(message: object | string) {
  const before = bus.published.length;
  const payload = typeof message === 'string' ? message : JSON.stringify(message);
  // The memory bus delivers at once, and the reply is published before the handler first waits.
  await bus.publish(upstreamTopics.request(topics), payload, { qos: 1 });
  const replies = bus.published.slice(before).filter((m) => m.topic === upstreamTopics.response(topics));
  expect(replies).toHaveLength(1);
  const text = (replies[0] as { payload: Buffer }).payload.toString();
  return { reply: JSON.parse(text), text, qos: replies[0]?.qos };
}

const entries = (type: JournalEntry['type']) => [...g.site.journal.iterate(0, [type])];
const alarms = () => entries('alarm').map((e) => (e as JournalEntry<'alarm'>).payload);
const lastOperator = () => entries('operator').at(-1)?.payload as JournalEntry<'operator'>['payload'];

describe('each request type, applied through the site', () => {
  it('quarantine.add: the order is stored, journaled, and refuses the household at the gate', async () => {
    const order = { id: 'q-up-1', kind: 'home', target: { household: 'h-2' }, until: '2022-04-24' };
    const { reply, qos } = await send(signed('quarantine.add', { order }));
    expect(qos).toBe(1);
    expect(reply).toMatchObject({ ok: true, result: { orderId: 'q-up-1' } });
    expect(g.site.registry.listQuarantines().map((q) => q.id)).toContain('q-up-1');
    expect(lastOperator()).toMatchObject({
      action: 'quarantine.add',
      operator: 'upstream:district-1',
      detail: { order: 'q-up-1', transaction: reply.transactionId },
    });
    const { decision } = pass(g.site, 'north-ped-out', 'A0000003');
    expect(decision.reasons.map((r) => r.code)).toContain('QUARANTINED');
  });

  it('quarantine.lift lifts the order; an unknown order is REGISTRY_NOT_FOUND', async () => {
    const order = { id: 'q-up-2', kind: 'home', target: { person: 'r-3' }, until: '2022-04-24' };
    await send(signed('quarantine.add', { order }));
    const { reply } = await send(signed('quarantine.lift', { orderId: 'q-up-2' }));
    expect(reply).toMatchObject({ ok: true, result: { orderId: 'q-up-2', liftedAt: g.clock.now } });
    expect(lastOperator()).toMatchObject({ action: 'quarantine.lift', operator: 'upstream:district-1' });
    const missing = await send(signed('quarantine.lift', { orderId: 'q-none' }));
    expect(missing.reply).toMatchObject({ ok: false, error: { code: 'REGISTRY_NOT_FOUND' } });
  });

  it('credential.revoke revokes the card at the gate; revoking again changes nothing', async () => {
    const credential = { kind: 'card', value: 'a0:00:00:01' };
    const { reply } = await send(signed('credential.revoke', { credential }));
    expect(reply).toMatchObject({ ok: true, result: { revokedAt: g.clock.now, changed: true } });
    expect(lastOperator()).toMatchObject({ action: 'registry.revoke', operator: 'upstream:district-1' });
    const { decision } = pass(g.site, 'north-ped-out', 'A0000001');
    expect(decision.reasons.map((r) => r.code)).toContain('CREDENTIAL_REVOKED');
    const seq = g.site.journal.lastSeq();
    const again = await send(signed('credential.revoke', { credential }));
    expect(again.reply).toMatchObject({ ok: true, result: { changed: false } });
    expect(g.site.journal.lastSeq()).toBe(seq);
    const unknown = await send(signed('credential.revoke', { credential: { kind: 'card', value: 'FF' } }));
    expect(unknown.reply.error).toMatchObject({ code: 'REGISTRY_NOT_FOUND', field: 'credential.value' });
  });

  it('visitor.register registers by ID number with an escort, journaled without the number', async () => {
    const idNumber = syntheticIdNumber(7);
    const visitor = { idNumber, escorts: ['r-1'], validUntil: '2022-04-10T18:00:00+08:00' };
    const { reply } = await send(signed('visitor.register', { visitor }));
    expect(reply).toMatchObject({ ok: true, result: { registrationId: expect.any(String) } });
    expect(g.site.registry.counts().visitors).toBe(1);
    const entry = lastOperator();
    expect(entry).toMatchObject({ action: 'visitor.register', detail: { person: reply.result.personId } });
    expect(JSON.stringify(entries('operator'))).not.toContain(idNumber);
    const bad = { ...visitor, idNumber: `${idNumber.slice(0, 17)}${idNumber.endsWith('0') ? '1' : '0'}` };
    const refused = await send(signed('visitor.register', { visitor: bad }));
    expect(refused.reply.error).toMatchObject({ code: 'REGISTRY_IMPORT_INVALID', field: 'idNumber' });
  });

  it('mode.set switches the mode with the reason; the same mode again journals nothing', async () => {
    const { reply } = await send(signed('mode.set', { mode: 'lockdown', reason: 'district order 7' }));
    expect(reply).toMatchObject({ ok: true, result: { from: 'closed', mode: 'lockdown', changed: true } });
    expect(g.site.checkpoint.mode).toBe('lockdown');
    expect(entries('mode').at(-1)?.payload).toEqual({
      from: 'closed',
      to: 'lockdown',
      operator: 'upstream:district-1',
      reason: 'district order 7',
    });
    const seq = g.site.journal.lastSeq();
    const again = await send(signed('mode.set', { mode: 'lockdown', reason: 'again' }));
    expect(again.reply).toMatchObject({ ok: true, result: { changed: false } });
    expect(g.site.journal.lastSeq()).toBe(seq);
  });

  it('lane.open journals an override decision and actuates the lane after the commit', async () => {
    const { reply } = await send(signed('lane.open', { laneId: 'north-ped-in', reason: 'ambulance' }));
    expect(reply).toMatchObject({
      ok: true,
      result: { laneId: 'north-ped-in', allow: true, actuated: true },
    });
    const decision = entries('decision').at(-1) as JournalEntry<'decision'>;
    expect(decision.seq).toBe(reply.result.seq);
    expect(decision.payload.request.override).toEqual({
      operator: 'upstream:district-1',
      reason: 'ambulance',
    });
    expect(decision.payload.decision.reasons.map((r) => r.code)).toContain('EMERGENCY_OVERRIDE');
    expect(actuated).toEqual([
      { laneId: 'north-ped-in', decision: decision.payload.decision, committed: true },
    ]);
    const unknown = await send(signed('lane.open', { laneId: 'west-1', reason: 'x' }));
    expect(unknown.reply.error).toMatchObject({ code: 'REQUEST_INVALID', field: 'laneId' });
    expect(actuated).toHaveLength(1);
  });
});

describe('idempotency', () => {
  it('applies a transaction once and repeats its answer byte for byte, also after the window', async () => {
    const message = signed('mode.set', { mode: 'open', reason: 'order lifted' });
    const first = await send(message);
    const seq = g.site.journal.lastSeq();
    const second = await send(message);
    expect(second.text).toBe(first.text);
    expect(g.site.journal.lastSeq()).toBe(seq);
    g.clock.now += 30 * MINUTE; // stale now, but answered before
    expect((await send(message)).text).toBe(first.text);
    expect(g.site.journal.lastSeq()).toBe(seq);
  });

  it('keeps refusals of authentic requests too, and forgets answers past the retention', async () => {
    const message = signed('lane.open', { laneId: 'nowhere', reason: 'x' });
    const first = await send(message);
    expect(first.reply.ok).toBe(false);
    expect((await send(message)).text).toBe(first.text);
    g.clock.now += 61 * MINUTE;
    const late = await send(message);
    expect(late.reply.error).toMatchObject({ code: 'REQUEST_STALE', field: 'issuedAt' });
  });
});

describe('refusals', () => {
  it('refuses a stale request unapplied, with a critical alarm', async () => {
    const message = signed('mode.set', { mode: 'open', reason: 'old' });
    g.clock.now += 6 * MINUTE;
    const { reply } = await send(message);
    expect(reply.error).toMatchObject({ code: 'REQUEST_STALE' });
    expect(g.site.checkpoint.mode).toBe('closed');
    expect(alarms().at(-1)).toMatchObject({
      code: 'UPSTREAM_REQUEST_REFUSED',
      severity: 'critical',
      detail: { reason: 'REQUEST_STALE', transaction: reply.transactionId },
    });
  });

  it('answers malformed messages and bad fields, naming the field, and never throws', async () => {
    const garbage = await send('{"transactionId": "t-1", ');
    expect(garbage.reply).toMatchObject({
      transactionId: null,
      ok: false,
      error: { code: 'REQUEST_MALFORMED' },
    });
    const badField = await send(signed('mode.set', { mode: 'siege', reason: 'x' }));
    expect(badField.reply).toMatchObject({ ok: false, error: { code: 'REQUEST_INVALID', field: 'mode' } });
    const unknownType = await send(signed('gate.demolish', {}));
    expect(unknownType.reply.error).toMatchObject({ code: 'REQUEST_INVALID', field: 'type' });
    expect(bus.handlerErrors).toEqual([]);
    expect(alarms().map((a) => a.detail?.reason)).toEqual(['REQUEST_MALFORMED', 'REQUEST_INVALID']);
  });

  it('raises at most one alarm per reason in an interval, then reports how many were suppressed', async () => {
    const forged = { ...signed('mode.set', { mode: 'open', reason: 'x' }), mode: 'lockdown' };
    for (let i = 0; i < 5; i++) {
      const { reply } = await send(forged);
      expect(reply.error).toMatchObject({ code: 'NOT_AUTHORISED', field: 'signature' });
    }
    expect(alarms()).toHaveLength(1);
    expect(alarms()[0]).toMatchObject({ severity: 'critical', detail: { reason: 'NOT_AUTHORISED' } });
    expect(alarms()[0]?.detail).not.toHaveProperty('transaction');
    g.clock.now += MINUTE;
    await send(forged);
    expect(alarms()).toHaveLength(2);
    expect(alarms()[1]?.detail).toMatchObject({ reason: 'NOT_AUTHORISED', suppressed: 4 });
    expect(g.site.checkpoint.mode).toBe('closed');
  });
});
