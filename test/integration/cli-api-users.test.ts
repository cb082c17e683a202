import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScratchSite } from './helpers/cli.js';

const sites: ScratchSite[] = [];
afterEach(() => {
  for (const s of sites.splice(0)) s.dispose();
});

describe('gatewarden api user', () => {
  it('adds, lists, replaces and removes users, journaling each change and never showing a hash', () => {
    const site = new ScratchSite();
    sites.push(site);
    const added = site.run(['api', 'user', 'add', 'guard-1', 'operator', '--generate-password']);
    expect(added.status).toBe(0);
    expect(added.stdout).toMatch(/API user guard-1 \(operator\) added\npassword \(shown once\): \S{20,}/);
    const pw = join(site.dir, 'tech.pw');
    writeFileSync(pw, 'a long enough password\n', { mode: 0o600 });
    expect(site.run(['api', 'user', 'add', 'tech-1', 'technician', '--password-file', pw]).status).toBe(0);
    const again = site.run(['api', 'user', 'add', 'tech-1', 'admin', '--password-file', pw]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists: add --replace/);
    expect(
      site.run(['api', 'user', 'add', 'tech-1', 'admin', '--password-file', pw, '--replace']).status,
    ).toBe(0);
    const list = site.run(['api', 'user', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([
      { name: 'guard-1', role: 'operator' },
      { name: 'tech-1', role: 'admin' },
    ]);
    expect(list.stdout).not.toMatch(/scrypt|salt|hash/);
    expect(site.run(['api', 'user', 'remove', 'guard-1']).status).toBe(0);
    expect(site.run(['api', 'user', 'remove', 'guard-1']).status).toBe(2);
    const journal = site.run(['journal', 'tail', '-n', '4', '--type', 'operator', '--json']);
    const actions = journal.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).payload.action);
    expect(actions).toEqual(['api.user.add', 'api.user.add', 'api.user.replace', 'api.user.remove']);
  });

  it('refuses a bad role and a bad name', () => {
    const site = new ScratchSite();
    sites.push(site);
    expect(site.run(['api', 'user', 'add', 'x', 'janitor', '--generate-password']).status).toBe(2);
    const name = site.run(['api', 'user', 'add', 'bad name', 'operator', '--generate-password']);
    expect(name.status).toBe(2);
    expect(name.stderr).toMatch(/user name "bad name": letters, digits/);
  });
});
