/**
 * A pass at a building's door is no passage of the community: through a real checkpoint over
 * an in-memory journal, building-door decisions leave anti-passback, who is outside (overdue
 * returns) and household exits (quota) as they were, live and after a replay, and a peer
 * gateway's building-door decision is no passage here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpoint, type SiteLayout } from '../../gateway/checkpoint/checkpoint.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import { GatewardenError } from '../../gateway/errors.js';
import { Journal } from '../../gateway/journal/journal.js';
import { type PeerDecision, passageOf } from '../../gateway/mqtt/upstream/peers-message.js';
import type { Decision } from '../../gateway/rules/types.js';
import { buildingRegistries, BUILDING_LAYOUT as LAYOUT, order } from '../helpers/building-world.js';
import { cardValue, NOW, policy } from '../helpers/world.js';

const S = 1000;
const H = 3600 * S;

const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function site(orders = [order('q-b3', { building: '3' })]) {
  const db = openDatabase(':memory:');
  dbs.push(db);
  const journal = Journal.open(db);
  const { exact } = buildingRegistries(orders);
  const clock = { now: NOW };
  const open = () => {
    const cp = new Checkpoint({
      journal,
      layout: LAYOUT,
      registry: () => exact,
      policy: (mode) => policy(mode),
      initialMode: 'closed',
      timezone: 'Asia/Shanghai',
      returnWithinMs: 4 * H,
      now: () => clock.now,
    });
    cp.start();
    return cp;
  };
  return { clock, open, cp: open() };
}

/** A card at a lane now; the main gate's lanes get a good reading just before. */
function pass(cp: Checkpoint, clock: { now: number }, laneId: string, card: string): Decision {
  clock.now += 60 * S;
  if (laneId.startsWith('main')) cp.reading(laneId, { at: clock.now - S, celsius: 36.5, mask: true }, 'cam');
  return cp.present({ laneId, credential: { kind: 'card', value: cardValue(card) } }).decision;
}

const codes = (d: Decision) => d.reasons.map((r) => `${r.effect}:${r.code}`);

describe('building-door passes and the community state', () => {
  it('going out of one’s building is not going out of the community', () => {
    const { cp, clock } = site([]);
    expect(pass(cp, clock, 'b3-out', 'C-R32').allow).toBe(true);
    expect(cp.outsideNow()).toEqual([]);
    // The household's one exit in 48 h is still there to take at the main gate.
    expect(codes(pass(cp, clock, 'main-out', 'C-R32'))).toEqual(['grant:RESIDENT']);
    expect(cp.outsideNow().map((o) => o.personId)).toEqual(['r32']);
  });

  it('going into one’s building is not coming back: still outside, and no overdue alarm missed', () => {
    const { cp, clock } = site([]);
    pass(cp, clock, 'main-out', 'C-R31');
    expect(pass(cp, clock, 'b3-in', 'C-R31').allow).toBe(true);
    expect(cp.outsideNow().map((o) => o.personId)).toEqual(['r31']);
    clock.now += 5 * H;
    expect(cp.tick().map((a) => a.payload.subjectId)).toEqual(['r31']);
  });

  it('leaves anti-passback to the perimeter, and the building door never checks it', () => {
    const { cp, clock } = site([]);
    expect(pass(cp, clock, 'main-in', 'C-R31').allow).toBe(true);
    expect(pass(cp, clock, 'b3-in', 'C-R31').allow).toBe(true); // in, then in again: another door
    expect(pass(cp, clock, 'b3-out', 'C-R31').allow).toBe(true);
    // The building door's `out` did not make them out of the community.
    expect(codes(pass(cp, clock, 'main-in', 'C-R31'))).toEqual(['deny:ANTI_PASSBACK']);
  });

  it('a resident of a building makes no overdue return however long they stay out of it', () => {
    const { cp, clock } = site([]);
    pass(cp, clock, 'b3-out', 'C-R31');
    clock.now += 24 * H;
    expect(cp.tick()).toEqual([]);
  });

  it('rebuilds the same state from the journal, building decisions included', () => {
    const { cp, clock, open } = site();
    pass(cp, clock, 'main-out', 'C-R5');
    expect(pass(cp, clock, 'b3-out', 'C-R31').allow).toBe(false); // sealed: journaled, refused
    pass(cp, clock, 'b3-out', 'C-STAFF1');
    pass(cp, clock, 'b3-in', 'C-R31'); // home quarantine, coming home: let in with the alarm
    const restarted = open();
    expect(restarted.outsideNow()).toEqual(cp.outsideNow());
    expect(restarted.outsideNow().map((o) => o.personId)).toEqual(['r5']);
  });

  it('records the entrance in the journaled decision', () => {
    const { cp, clock } = site();
    const d = pass(cp, clock, 'b3-out', 'C-R31');
    expect(d.entrance).toEqual({ building: '3' });
    expect(codes(d)).toEqual(['deny:BUILDING_SEALED', 'deny:QUARANTINED']);
    expect('entrance' in pass(cp, clock, 'main-out', 'C-R5')).toBe(false);
  });

  it('refuses a layout whose building gate names no building', () => {
    const db = openDatabase(':memory:');
    dbs.push(db);
    const broken: SiteLayout = {
      gates: [{ ...(LAYOUT.gates[1] as SiteLayout['gates'][number]), building: undefined }],
    };
    const build = () =>
      new Checkpoint({
        journal: Journal.open(db),
        layout: broken,
        registry: () => buildingRegistries().exact,
        policy: (mode) => policy(mode),
        initialMode: 'closed',
        timezone: 'Asia/Shanghai',
        returnWithinMs: H,
        now: () => NOW,
      });
    expect(build).toThrow(GatewardenError);
    expect(build).toThrow(/building gate "b3"/);
  });
});

describe('a peer gateway’s decision', () => {
  const message = (entrance?: { building: string }): PeerDecision => ({
    seq: 7,
    at: NOW,
    type: 'decision',
    gateway: 'south-gate',
    site: 'demo-community',
    payload: {
      request: { laneId: 'b9-out' },
      decision: {
        allow: true,
        direction: 'out',
        subject: { kind: 'person', id: 'r5', personKind: 'resident', householdId: '5-1-101' },
        ...(entrance === undefined ? {} : { entrance }),
      },
    },
  });
  it('at its building door is no passage here', () => {
    expect(passageOf(message({ building: '9' }))).toBeUndefined();
  });
  it('at its perimeter is one, with the household exit', () => {
    expect(passageOf(message())).toMatchObject({ subjectId: 'r5', direction: 'out', householdId: '5-1-101' });
  });
});
