/**
 * A sealed building while the rest of the community stays in closed mode, through real readers:
 * the default site (closed mode, primary north gate) plus the entrance of building 3, with
 * simulated OSDP reader-and-door modules (the PD simulator on an in-memory RS-485 line, driven
 * by the gateway's DeviceHost) at the north gate's way in and at building 3's two doors. Once
 * an order seals building 3, its resident is refused at its door (BUILDING_SEALED and
 * QUARANTINED) and the door stays locked, while a resident of building 5 passes the north gate;
 * the site stays in closed mode, and the building door changed nobody's place in or out of the
 * community.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus as Rs485Line } from '../../drivers/transport/memory-bus.js';
import { DeviceHost } from '../../gateway/devices/device-host.js';
import type { JournalEntry } from '../../gateway/journal/events.js';
import { Site } from '../../gateway/site.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = resolve(import.meta.dirname, '../..');
const H = 3600_000;

const BUILDING_GATE = `gates:
  - id: building-3
    name: { zh: 3号楼, en: Building 3 }
    kind: building
    building: "3"
    lanes:
      - { id: b3-in, name: { zh: 3号楼进门, en: Building 3 in }, kind: pedestrian, direction: in }
      - { id: b3-out, name: { zh: 3号楼出门, en: Building 3 out }, kind: pedestrian, direction: out }
`;

const DEVICES = `
lines: [{ id: bus, path: memory, baud: 9600 }]
osdp:
  devices:
    - { id: north-in-door, line: bus, address: 1, lane: north-ped-in, reader: 0, secure: off, door: {} }
    - { id: b3-in-door, line: bus, address: 2, lane: b3-in, reader: 0, secure: off, door: {} }
    - { id: b3-out-door, line: bus, address: 3, lane: b3-out, reader: 0, secure: off, door: {} }
`;

/** Cards are Wiegand 26: facility 3 card 1 reads as 030001, facility 5 card 1 as 050001. */
const REGISTRY = {
  version: 1 as const,
  households: [
    { id: '3-1-101', building: '3', unit: '1', room: '101' },
    { id: '5-1-101', building: '5', unit: '1', room: '101' },
  ],
  persons: [
    { id: 'r-3', kind: 'resident' as const, householdId: '3-1-101' },
    { id: 'r-5', kind: 'resident' as const, householdId: '5-1-101' },
  ],
  credentials: [
    { kind: 'card' as const, value: '030001', holder: 'r-3' },
    { kind: 'card' as const, value: '050001', holder: 'r-5' },
  ],
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startSite() {
  const dir = mkdtempSync(join(tmpdir(), 'gw-building-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'gatewarden.yaml');
  const base = readFileSync(join(ROOT, 'config/gatewarden.yaml'), 'utf8');
  expect(base).toContain('\ngates:\n');
  expect(base).toContain('mode: closed');
  const text = base
    .replace('$schema: ./schema.json', `$schema: ${join(ROOT, 'config/schema.json')}`)
    .replace('dataDir: ../data', `dataDir: ${join(dir, 'data')}`)
    .replace('  level: info', '  level: silent')
    .replace('\ngates:\n', `\n${BUILDING_GATE}`);
  writeFileSync(config, text + DEVICES);
  const site = new Site({ configPath: config, now: Date.now, gateway: true });
  cleanups.push(() => site.close());
  site.registry.import(REGISTRY, { mode: 'replace' });
  site.checkpoint.start();

  const line = new Rs485Line();
  const pds = [1, 2, 3].map((address) => new SimulatedPd({ address, model: { door: true } }));
  const pdSide = new BusSimulator({ transport: line.attach('door-modules'), pds });
  await pdSide.start();
  cleanups.push(() => pdSide.stop());
  const host = new DeviceHost({
    site,
    log: pino({ level: 'silent' }),
    transportFor: () => line.attach('gateway'),
  });
  await host.start();
  cleanups.push(() => host.stop());
  await waitFor('the three door modules online', () => host.states().filter((s) => s.online).length === 3);
  const [north, b3In, b3Out] = pds as [SimulatedPd, SimulatedPd, SimulatedPd];
  return { site, north, b3In, b3Out };
}

/** Shows a card at a reader and waits for the gateway to journal its decision. */
async function swipe(site: Site, pd: SimulatedPd, facility: number, card: number) {
  const before = site.journal.lastSeq();
  pd.model.presentCard({ format: 'wiegand26', facility, card });
  let found: JournalEntry<'decision'> | undefined;
  await waitFor(`a decision for card ${facility}/${card}`, () => {
    found = [...site.journal.iterate(before)].find(
      (e): e is JournalEntry<'decision'> => e.type === 'decision',
    );
    return found !== undefined;
  });
  return (found as JournalEntry<'decision'>).payload;
}

const codes = (p: JournalEntry<'decision'>['payload']) =>
  p.decision.reasons.map((r) => `${r.effect}:${r.code}`);
const strikeReleased = (pd: SimulatedPd) => pd.model.outputs()[0] === true;

describe('a building entrance while the community is in closed mode', () => {
  it('seals building 3 against its resident while a resident of building 5 passes the main gate', async () => {
    const { site, north, b3In, b3Out } = await startSite();
    expect(site.checkpoint.mode).toBe('closed');

    // Before any order: the resident goes home through their building's door, no temperature asked.
    const home = await swipe(site, b3In, 3, 1);
    expect(home.gateId).toBe('building-3');
    expect(codes(home)).toEqual(['grant:RESIDENT']);
    expect(home.decision.entrance).toEqual({ building: '3' });
    await waitFor('building 3 door released', () => strikeReleased(b3In));

    // A positive case: the district seals building 3 (journaled like `gatewarden quarantine add`).
    const now = site.now();
    site.registry.addQuarantine({
      id: 'q-b3',
      kind: 'home',
      target: { building: '3' },
      from: now - H,
      until: now + 14 * 24 * H,
    });
    site.recordOperator('quarantine.add', 'test-op', { order: 'q-b3', kind: 'home', target: 'building 3' });

    const outsideBefore = site.checkpoint.outsideNow();
    const refused = await swipe(site, b3Out, 3, 1);
    expect(refused.decision.allow).toBe(false);
    expect(codes(refused)).toEqual(['deny:BUILDING_SEALED', 'deny:QUARANTINED']);
    await waitFor('building 3 reader shows the seal', () =>
      b3Out.model.texts().some((t) => t.text.includes('BUILDING SEALED')),
    );
    expect(strikeReleased(b3Out)).toBe(false);

    // The rest of the community stays in closed mode: the main gate takes the temperature and lets in a resident of building 5.
    site.checkpoint.reading(
      'north-ped-in',
      { at: site.now() - 1000, celsius: 36.4, mask: true },
      'test-camera',
    );
    const passed = await swipe(site, north, 5, 1);
    expect(passed.gateId).toBe('north');
    expect(codes(passed)).toEqual(['grant:RESIDENT']);
    expect('entrance' in passed.decision).toBe(false);
    await waitFor('north gate door released', () => strikeReleased(north));

    // The mode never changed, and the building door moved nobody in or out of the community.
    expect(site.checkpoint.mode).toBe('closed');
    expect([...site.journal.iterate(0)].filter((e) => e.type === 'mode')).toEqual([]);
    expect(outsideBefore).toEqual([]);
    expect(site.checkpoint.outsideNow()).toEqual([]);
    // Building 3's door let r-3 in before the order, yet the north gate's anti-passback has nothing
    // on them: coming in there is coming home under home quarantine, let in with the alarm.
    site.checkpoint.reading(
      'north-ped-in',
      { at: site.now() - 1000, celsius: 36.4, mask: true },
      'test-camera',
    );
    expect(codes(await swipe(site, north, 3, 1))).toEqual(['grant:RESIDENT', 'notice:QUARANTINED']);
  });
});
