import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, ScratchSite } from './helpers/cli.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIXTURES = join(ROOT, 'test/fixtures/registry');

/** `gatewarden keys` on a scratch site: list, rotate issuer and osdp, retire; journaled without key material. */
describe('gatewarden keys', () => {
  let site: ScratchSite;
  const keyFile = (name: string) => join(site.dir, 'data', 'keys', name);
  const journal = () => site.run(['journal', 'tail', '-n', '50', '--json']).stdout;

  beforeEach(() => {
    site = new ScratchSite();
  });
  afterEach(() => site.dispose());

  it('rotates the issuer key: old passes work through the change-over, not after; new passes work', () => {
    expect(
      site.run(['registry', 'import', join(FIXTURES, 'residents.csv'), '--roster', 'residents']).status,
    ).toBe(0);
    const issue = () =>
      JSON.parse(
        site.run([
          'pass',
          'issue',
          '--kind',
          'household',
          '--holder',
          'res-wang',
          '--valid-hours',
          '240',
          '--json',
        ]).stdout,
      ) as { text: string };
    const verify = (text: string, at: number) =>
      site.run(['pass', 'verify', text, '--at', new Date(at).toISOString(), '--json']);
    const old = issue();
    const now = Date.now();

    const rotated = site.run(['keys', 'rotate', 'issuer', '--overlap-days', '2']);
    expect(rotated.stderr).toBe('');
    expect(rotated.stdout).toMatch(/new issuer key [0-9a-f]{8}; [0-9a-f]{8} trusted for 2 more days/);
    expect(statSync(keyFile('pass-issuer.key')).mode & 0o777).toBe(0o600);
    const fresh = issue();

    expect(verify(old.text, now + DAY).status).toBe(0); // the change-over: both keys valid
    const late = verify(old.text, now + 3 * DAY);
    expect(late.status).toBe(1);
    expect(late.stdout).toMatch(/key-outside-validity/);
    expect(verify(fresh.text, now + 3 * DAY).status).toBe(0);
    expect(journal()).toMatch(/"action":"pass.key-rotate"/);
  });

  it('rotates the OSDP site key, keeps the old one owner-only until retired, and journals no key', () => {
    expect(site.run(['keys', 'rotate', 'osdp']).stderr).toMatch(/no OSDP master key .* nothing to rotate/);
    mkdirSync(join(site.dir, 'data', 'keys'), { recursive: true, mode: 0o700 });
    const original = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    writeFileSync(keyFile('osdp-master.key'), original, { mode: 0o600 });

    const rotated = site.run(['keys', 'rotate', 'osdp']);
    expect(rotated.status).toBe(0);
    const current = readFileSync(keyFile('osdp-master.key'));
    expect(current).toHaveLength(16);
    expect(current.equals(original)).toBe(false);
    expect(readFileSync(keyFile('osdp-master.key.previous')).equals(original)).toBe(true);
    for (const f of ['osdp-master.key', 'osdp-master.key.previous'])
      expect(statSync(keyFile(f)).mode & 0o777, f).toBe(0o600);

    const again = site.run(['keys', 'rotate', 'osdp']);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/previous OSDP key is still kept .* keys retire osdp/);
    expect(site.run(['keys', 'retire', 'osdp']).stdout).toMatch(/retired/);

    const text = journal();
    expect(text).toMatch(/"action":"keys.rotate".*"key":"osdp"/);
    expect(text).toMatch(/"action":"keys.retire"/);
    for (const key of [original, current]) {
      expect(text).not.toContain(key.toString('hex'));
      expect(text).not.toContain(key.toString('base64'));
    }

    const listed = JSON.parse(site.run(['keys', 'list', '--json']).stdout) as {
      name: string;
      present: boolean;
      problem?: string;
    }[];
    expect(listed.find((k) => k.name === 'osdp')).toMatchObject({ present: true, mode: '0600' });
  });
});
