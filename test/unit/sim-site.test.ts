/**
 * The pure parts of the simulated site (simulators/site/): the generated community imports into
 * the registry whole for any seed and is the same for the same seed; the generated configuration
 * passes the one schema and names every planned device on the launcher's ptys and ports; the
 * cast picks people the rules should let through; the console refuses bad lines with a reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/db.js';
import { checkIdNumber } from '../../gateway/registry/id-number.js';
import { RegistryStore } from '../../gateway/registry/store.js';
import { Cast } from '../../simulators/site/cast.js';
import { type Community, generateCommunity } from '../../simulators/site/community.js';
import type { WatchedEntry } from '../../simulators/site/journal-watch.js';
import type { SiteActions } from '../../simulators/site/site-actions.js';
import { ptyPath, siteConfig } from '../../simulators/site/site-config.js';
import { SiteConsole } from '../../simulators/site/site-console.js';
import { CAMERAS, PTY_LINES, plannedDeviceIds } from '../../simulators/site/site-plan.js';
import { packageRoot } from '../../simulators/site/work-dir.js';

const NOW = Date.UTC(2022, 3, 10, 2);
const KEY = Buffer.alloc(32, 7);

function importInto(community: Community) {
  const store = new RegistryStore(openDatabase(':memory:'), { key: KEY, now: () => NOW });
  return store.import(community.document, { mode: 'replace' });
}

describe('the generated community', () => {
  it('imports whole for any seed: valid ID numbers, distinct cards, one designated shopper a household, orders in force now', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 32 - 1), fc.integer({ min: 2, max: 60 }), (seed, households) => {
        const community = generateCommunity({ seed, now: NOW, households });
        const counts = importInto(community);
        expect(counts.households).toBe(households);
        expect(counts.visitors).toBe(1);
        expect(counts.quarantineOrders).toBe(1);
        for (const p of community.persons) expect(checkIdNumber(p.idNumber, NOW)).toEqual({ ok: true });
        const cards = community.persons.flatMap((p) => (p.card ? [p.card.value] : []));
        expect(new Set(cards).size).toBe(cards.length);
        for (const h of community.document.households ?? []) expect(h.designatedMembers).toHaveLength(1);
        const [visit] = community.document.visitors ?? [];
        const [order] = community.document.quarantineOrders ?? [];
        expect(Date.parse(visit?.validFrom ?? '')).toBeLessThanOrEqual(NOW);
        expect(Date.parse(visit?.validUntil ?? '')).toBeGreaterThan(NOW);
        expect(Date.parse(order?.from ?? '')).toBeLessThanOrEqual(NOW);
        expect(Date.parse(order?.until ?? '')).toBeGreaterThan(NOW);
      }),
      { numRuns: 25 },
    );
  });

  it('is the same for the same seed and differs for another', () => {
    const a = generateCommunity({ seed: 7, now: NOW });
    expect(generateCommunity({ seed: 7, now: NOW })).toEqual(a);
    expect(generateCommunity({ seed: 8, now: NOW }).persons.map((p) => p.idNumber)).not.toEqual(
      a.persons.map((p) => p.idNumber),
    );
    expect(a.document.households).toHaveLength(36);
  });

  it('refuses a household count it cannot lay out, naming it', () => {
    expect(() => generateCommunity({ seed: 1, now: NOW, households: 1 })).toThrow(/households: 1 is not/);
  });
});

describe('the generated configuration', () => {
  const root = packageRoot();
  const dir = '/tmp/gw-sim-site-config';
  const config = siteConfig({
    dir,
    defaultConfig: `${root}/config/gatewarden.yaml`,
    schemaFile: `${root}/config/schema.json`,
    ports: { api: 18080, mqtt: 11883, mqttWebSocket: 19001 },
    cameraUrls: Object.fromEntries(
      CAMERAS.map((c, i) => [c.id, `http://127.0.0.1:${40000 + i}/onvif/device_service`]),
    ),
  });
  const text = JSON.stringify(config);

  it('names every planned device, on the gateway ends of the ptys and the chosen ports', () => {
    for (const id of plannedDeviceIds()) expect(text).toContain(`"${id}"`);
    for (const line of Object.values(PTY_LINES)) {
      expect(text).toContain(ptyPath(dir, line, 'gateway'));
      expect(text).not.toContain(ptyPath(dir, line, 'sim'));
    }
    expect(config.api).toEqual({ host: '127.0.0.1', port: 18080 });
    expect(text).toContain('"port":11883');
    expect(text).toContain('"port":19001');
    expect((config.site as { dataDir: string }).dataDir).toBe('data');
  });

  it('keeps the default site’s gates and adds building 1’s entrance', () => {
    const gates = config.gates as { id: string; primary?: boolean; kind?: string; building?: string }[];
    expect(gates.map((g) => [g.id, g.primary, g.kind])).toEqual([
      ['north', true, undefined],
      ['east', false, undefined],
      ['building-1', undefined, 'building'],
    ]);
    expect(gates[2]?.building).toBe('1');
  });

  it('lays policy overrides over the default policy one level deep', () => {
    const compressed = siteConfig({
      dir,
      defaultConfig: `${root}/config/gatewarden.yaml`,
      schemaFile: `${root}/config/schema.json`,
      ports: { api: 18080, mqtt: 11883, mqttWebSocket: 19001 },
      cameraUrls: Object.fromEntries(CAMERAS.map((c) => [c.id, `http://127.0.0.1:1/${c.id}`])),
      policy: { householdQuota: { periodHours: 0.01 } },
    });
    expect(compressed.policy).toEqual({ householdQuota: { periodHours: 0.01 } });
    expect(config.policy).toBeUndefined();
  });

  it('refuses a camera without a URL', () => {
    expect(() =>
      siteConfig({
        dir,
        defaultConfig: `${root}/config/gatewarden.yaml`,
        schemaFile: `${root}/config/schema.json`,
        ports: { api: 1, mqtt: 2, mqttWebSocket: 3 },
        cameraUrls: {},
      }),
    ).toThrow(/no URL for camera/);
  });
});

function allowed(subjectId: string, direction: 'in' | 'out', householdId?: string): WatchedEntry {
  return {
    seq: 1,
    at: NOW,
    type: 'decision',
    payload: {
      gateId: 'north',
      request: { laneId: `north-ped-${direction}` },
      decision: {
        allow: true,
        reasons: [{ effect: 'grant', code: 'RESIDENT' }],
        subject: { kind: 'person', id: subjectId, personKind: 'resident', householdId },
        direction,
        actions: [],
      },
    },
  } as unknown as WatchedEntry;
}

describe('the cast', () => {
  const community = generateCommunity({ seed: 3, now: NOW });

  it('sends in someone not in yet, never from the quarantined household', () => {
    const cast = new Cast(community);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const p = cast.nextResident('in');
      expect(p.householdId).not.toBe(community.quarantinedHouseholdId);
      expect(seen.has(p.id)).toBe(false);
      seen.add(p.id);
      cast.observe(allowed(p.id, 'in', p.householdId));
    }
  });

  it('sends out each household’s designated shopper once', () => {
    const cast = new Cast(community);
    const households = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const p = cast.nextResident('out');
      expect(p.designated).toBe(true);
      expect(households.has(p.householdId ?? '')).toBe(false);
      households.add(p.householdId ?? '');
      cast.observe(allowed(p.id, 'out', p.householdId));
    }
  });
});

describe('the console', () => {
  const run = async (line: string) => {
    const calls: string[] = [];
    const errors: string[] = [];
    const actions = {
      card: async (lane: string, who?: string) => void calls.push(`card ${lane} ${who ?? '-'}`),
    } as unknown as SiteActions;
    const console = new SiteConsole(
      actions,
      new Cast(generateCommunity({ seed: 1, now: NOW })),
      () => {},
      (l) => errors.push(l),
    );
    const result = await console.run(line);
    return { result, calls, errors };
  };

  it('runs a command, and quits on quit', async () => {
    expect((await run('card north-ped-in r-1-1-101-1')).calls).toEqual(['card north-ped-in r-1-1-101-1']);
    expect((await run('quit')).result).toBe('quit');
    expect((await run('  # a comment')).errors).toEqual([]);
  });

  it('answers a bad line with the reason and goes on', async () => {
    expect((await run('crad north-ped-in')).errors).toEqual([
      'error: unknown command "crad" (help lists them)',
    ]);
    expect((await run('card')).errors).toEqual(['error: name a lane, e.g. north-ped-in']);
    expect((await run('mode sideways')).errors).toEqual(['error: mode: one of open, closed, lockdown']);
  });
});
