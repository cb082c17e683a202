/**
 * The ID-card reader stack over a real pseudo-terminal pair from socat: the simulated SAM
 * (simulators/idcard) on one end, HalfDuplexLine + IdCardReaderSession + IdCardAdapter on the
 * other, at 115200 baud with replies paced at wire speed. The LanePort is a stub that records
 * what the adapter hands it and answers with the real `decide` over the rule-test world
 * (test/helpers/world.ts), where the deck's first card is registered as visitor `vis1`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IdCardAdapter } from '../../drivers/idcard/idcard-adapter.js';
import { IdCardReaderSession } from '../../drivers/idcard/reader-session.js';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { childLogger } from '../../gateway/logging.js';
import { hashIdNumber } from '../../gateway/registry/id-number.js';
import { decide } from '../../gateway/rules/decide.js';
import type { RegistryView } from '../../gateway/rules/types.js';
import { TEST_DECK } from '../../simulators/idcard/deck.js';
import { IdCardSimulator } from '../../simulators/idcard/simulator.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { memoryLog, recordingLanePort } from '../helpers/idcard-lane.js';
import { waitFor } from '../helpers/wait-for.js';
import { laneContext, NOW, policy, registry } from '../helpers/world.js';

const BAUD = 115200;
const KEY = Buffer.alloc(32, 0x5a);
const LANE = 'north-ped-in';
const VISITOR = 0;
const UNREGISTERED = 1;
const BAD_CHECK = 2;

const idNumber = (index: number) => TEST_DECK[index]?.fields.idNumber ?? '';

/**
 * The world registry, with the deck visitor's real hash standing in for the world's placeholder
 * credential value `hash-vis1`: every other lookup goes to the world unchanged.
 */
function worldWithDeckVisitor(): RegistryView {
  const alias = new Map([[hashIdNumber(KEY, idNumber(VISITOR)), 'hash-vis1']]);
  const value = (kind: string, v: string) => (kind === 'idcard' ? (alias.get(v) ?? v) : v);
  return new Proxy(registry, {
    get(target, property) {
      if (property === 'credential' || property === 'holder') {
        return (kind: 'idcard', v: string) => target[property](kind, value(kind, v));
      }
      const member = Reflect.get(target, property, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'gw-idcard-'));
  const pair = await new PtyPair(dir, 'idcard').start();
  cleanups.push(async () => {
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const sim = new IdCardSimulator({
    transport: new SerialTransport({ path: pair.b, baudRate: BAUD }),
    baudRate: BAUD,
    processing: { shortMs: 5, readMs: 60 },
    reopenIntervalMs: 100,
  });
  const line = new HalfDuplexLine(new SerialTransport({ path: pair.a, baudRate: BAUD }), {
    baudRate: BAUD,
    reopenIntervalMs: 100,
  });
  const session = new IdCardReaderSession({
    line,
    timing: { pollIntervalMs: 50, offlineAfterMs: 600, reconnectIntervalMs: 150 },
  });
  const view = worldWithDeckVisitor();
  const ctx = laneContext({ escorts: { res1: NOW - 5000 } });
  const lane = recordingLanePort((laneId, credential) =>
    decide(policy('closed'), view, ctx, { at: NOW, laneId, shift: 'day', credential }),
  );
  const log = memoryLog();
  const adapter = new IdCardAdapter(
    { deviceId: 'idcard-north', laneId: LANE },
    session,
    lane.port,
    KEY,
    childLogger(log.logger, 'driver:idcard-north'),
  );
  const events: string[] = [];
  session.on('online', () => events.push('online'));
  session.on('offline', () => events.push('offline'));
  session.on('read', () => events.push('read'));
  session.on('removed', () => events.push('removed'));
  adapter.start();
  cleanups.push(async () => {
    adapter.stop();
    await session.stop();
    await line.stop();
    await sim.stop();
  });
  expect(await sim.start()).toBe(true);
  expect(await line.start()).toBe(true);
  session.start();
  await waitFor('the reader online', () => events.includes('online'));
  /** Places a card and waits until the lane has been asked about it. */
  const present = async (index: number) => {
    const before = lane.presented.length;
    sim.model.place(index);
    await waitFor(`deck card ${index} presented`, () => lane.presented.length === before + 1);
  };
  return { pair, sim, line, session, lane, log, events, present };
}

describe('ID-card reader over a socat pseudo-terminal pair', () => {
  it('presents a registered visitor as the keyed hash with a valid number, and the lane allows', async () => {
    const t = await setUp();
    await t.present(VISITOR);
    expect(t.lane.presented).toStrictEqual([
      {
        laneId: LANE,
        source: 'idcard-north',
        credential: { kind: 'idcard', value: hashIdNumber(KEY, idNumber(VISITOR)), idNumberValid: true },
      },
    ]);
    expect(t.lane.decisions[0]).toMatchObject({ allow: true, subject: { kind: 'person', id: 'vis1' } });
  });

  it('refuses an unregistered visitor and a bad check digit with the rules’ reasons', async () => {
    const t = await setUp();
    await t.present(UNREGISTERED);
    t.sim.model.remove();
    await t.present(BAD_CHECK);
    expect(t.lane.presented.map((p) => p.credential)).toStrictEqual([
      { kind: 'idcard', value: hashIdNumber(KEY, idNumber(UNREGISTERED)), idNumberValid: true },
      { kind: 'idcard', value: hashIdNumber(KEY, idNumber(BAD_CHECK)), idNumberValid: false },
    ]);
    const denies = t.lane.decisions.map((d) =>
      d.reasons.filter((r) => r.effect === 'deny').map((r) => r.code),
    );
    expect(t.lane.decisions.map((d) => d.allow)).toEqual([false, false]);
    expect(denies[0]).toContain('VISITOR_NOT_REGISTERED');
    expect(denies[1]).toContain('IDCARD_INVALID');
    const logged = t.log.lines().filter((l) => l.msg === 'ID card presented');
    expect(logged.map((l) => l.problems)).toEqual([[], ['ID_NUMBER_INVALID']]);
  });

  it('reads a card left in place once, and a card removed and presented again twice', async () => {
    const t = await setUp();
    await t.present(VISITOR);
    const polled = t.sim.model.counters.commands;
    await waitFor('ten more polls (find + select each)', () => t.sim.model.counters.commands >= polled + 20);
    expect(t.lane.presented).toHaveLength(1);
    expect(t.sim.model.counters.reads).toBe(1);
    t.sim.model.remove();
    await waitFor('the removal', () => t.events.includes('removed'));
    await t.present(VISITOR);
    expect(t.lane.presented).toHaveLength(2);
    expect(t.events).toEqual(['online', 'read', 'removed', 'read']);
  });

  it('goes offline when the pair is stopped (reader unplugged) and back when it is restarted', async () => {
    const t = await setUp();
    await t.pair.stop();
    await waitFor('the reader offline', () => t.events.includes('offline'));
    expect(t.lane.states.at(-1)).toMatch(/^idcard-north offline/);
    expect(t.lane.alarms.map((a) => a.code)).toEqual(['DEVICE_OFFLINE']);
    await t.pair.start();
    await waitFor(
      'the reader online again',
      () => t.events.filter((e) => e === 'online').length === 2,
      15_000,
    );
    expect(t.line.counters.reopens).toBeGreaterThanOrEqual(1);
    await t.present(UNREGISTERED);
    expect(t.lane.presented.map((p) => p.credential.value)).toEqual([
      hashIdNumber(KEY, idNumber(UNREGISTERED)),
    ]);
  });
});
