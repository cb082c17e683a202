/**
 * A site with stations and one patrol route on a temporary folder, for the patrol tests: the
 * default configuration (gates north and east) plus patrol stations garden and garage, the duty
 * station guardhouse, route `loop` (day shift, a round every hour: garden at minute 10, garage at
 * 30, five minutes either way), a small registry of guards and residents, and the clock given.
 * `reopen()` opens a new Site over the same folder and database (a restart); `dispose()` closes
 * every site it opened and removes the folder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RegistryDocument } from '../../gateway/registry/document.js';
import { Site } from '../../gateway/site.js';
import { zonedToEpoch } from '../../gateway/util/site-time.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const TZ = 'Asia/Shanghai';
export const DATE = '2024-05-01';
/** `HH:MM` on DATE (or `date`) in site time, epoch ms. */
export const at = (time: string, date = DATE) => zonedToEpoch(date, time, TZ);

/** Wiegand 26 cards as the OSDP reader reports them: facility (8 bits), card (16 bits), hex. */
export const CARDS = {
  guard: { facility: 0x20, card: 1, value: '200001' },
  guard2: { facility: 0x20, card: 2, value: '200002' },
  /** A guard's card withdrawn before the tests' day. */
  revokedGuard: { facility: 0x20, card: 3, value: '200003' },
  resident: { facility: 0x30, card: 1, value: '300001' },
  unknown: { facility: 0x99, card: 9, value: '990009' },
} as const;

export const REGISTRY: RegistryDocument = {
  version: 1,
  households: [{ id: 'h-1', building: '1', unit: '1', room: '101' }],
  persons: [
    { id: 'g-1', kind: 'staff', shifts: ['day'] },
    { id: 'g-2', kind: 'staff' },
    { id: 'r-1', kind: 'resident', householdId: 'h-1' },
  ],
  credentials: [
    { kind: 'card', value: CARDS.guard.value, holder: 'g-1' },
    { kind: 'card', value: CARDS.guard2.value, holder: 'g-2' },
    { kind: 'card', value: CARDS.revokedGuard.value, holder: 'g-2', revokedAt: '2024-04-01' },
    { kind: 'card', value: CARDS.resident.value, holder: 'r-1' },
  ],
};

export const STATIONS_YAML = `
stations:
  - { id: garden, name: { zh: 花园, en: Garden }, purpose: patrol }
  - { id: garage, name: { zh: 地下车库, en: Garage }, purpose: patrol }
  - { id: guardhouse, name: { zh: 门岗, en: Guardhouse }, purpose: duty }
patrol:
  routes:
    - id: loop
      name: { zh: 环线, en: Loop }
      shifts: [day]
      everyMinutes: 60
      toleranceMinutes: 5
      points:
        - { station: garden, atMinutes: 10 }
        - { station: garage, atMinutes: 30 }
`;

export interface PatrolSite {
  readonly dir: string;
  readonly site: Site;
  /** A new Site over the same configuration and database, on the same clock. */
  reopen(): Site;
  dispose(): void;
}

export function patrolSite(now: () => number, extraYaml = ''): PatrolSite {
  const dir = mkdtempSync(join(tmpdir(), 'gw-patrol-'));
  const configPath = join(dir, 'gatewarden.yaml');
  const text = readFileSync(join(ROOT, 'config/gatewarden.yaml'), 'utf8')
    .replace('$schema: ./schema.json', `$schema: ${join(ROOT, 'config/schema.json')}`)
    .replace('dataDir: ../data', `dataDir: ${join(dir, 'data')}`)
    .replace('mode: closed', 'mode: open')
    .replace('  level: info', '  level: silent');
  writeFileSync(configPath, text + STATIONS_YAML + extraYaml);
  const sites: Site[] = [];
  const open = () => {
    const site = new Site({ configPath, now, gateway: true });
    sites.push(site);
    site.checkpoint.start();
    return site;
  };
  const site = open();
  site.registry.import(REGISTRY, { mode: 'replace' });
  return {
    dir,
    site,
    reopen: open,
    dispose() {
      for (const s of sites) s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
