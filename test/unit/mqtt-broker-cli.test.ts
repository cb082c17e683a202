/**
 * `gatewarden mqtt user add|list|remove` (gateway/cli/commands/mqtt.ts), run in process on a
 * scratch copy of the default configuration: the users file it writes, what it prints (never a
 * hash), the journaled operator actions, and refused combinations.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerMqtt } from '../../gateway/cli/commands/mqtt.js';
import { Site } from '../../gateway/site.js';
import { verifyPassword } from '../../gateway/util/password.js';
import { userPassword } from '../../gateway/util/password-input.js';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;
let config: string;
let usersFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-cli-'));
  config = join(dir, 'gatewarden.yaml');
  const base = readFileSync(join(ROOT, 'config/gatewarden.yaml'), 'utf8')
    .replace('$schema: ./schema.json', '')
    .replace('dataDir: ../data', `dataDir: ${join(dir, 'data')}`);
  writeFileSync(config, base);
  usersFile = join(dir, 'data', 'mqtt-users.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `gatewarden --config <scratch> mqtt …`; returns what it printed, or throws its error. */
async function run(...args: string[]): Promise<string> {
  const program = new Command('gatewarden').exitOverride().option('-c, --config <file>');
  registerMqtt(program, () => ({ config }));
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'gatewarden', 'mqtt', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

function operatorActions(): unknown[] {
  const site = new Site({ configPath: config });
  try {
    return [...site.journal.iterate(0, ['operator'])].map((e) => e.payload);
  } finally {
    site.close();
  }
}

describe('gatewarden mqtt user', () => {
  it('adds a device with its convention’s topics and a hashed password from a 0600 file', async () => {
    const passwordFile = join(dir, 'pw');
    writeFileSync(passwordFile, 'lock-secret-1\n', { mode: 0o600 });
    const printed = await run(
      ...['user', 'add', 'lock-north', '--role', 'device', '--device', 'lock-north'],
      ...['--convention', 'zigbee2mqtt', '--topic', 'north_lock', '--password-file', passwordFile],
    );
    expect(printed).toContain('MQTT user lock-north (device) added');
    expect(statSync(usersFile).mode & 0o777).toBe(0o600);
    const stored = readFileSync(usersFile, 'utf8');
    expect(stored).not.toContain('lock-secret-1');
    expect(JSON.parse(stored).users[0]).toMatchObject({
      name: 'lock-north',
      device: 'lock-north',
      publish: ['zigbee2mqtt/north_lock', 'zigbee2mqtt/north_lock/availability'],
      password: { algorithm: 'scrypt', N: 32768 },
    });
    expect(operatorActions()).toEqual([
      expect.objectContaining({
        action: 'mqtt.user.add',
        detail: { user: 'lock-north', role: 'device', device: 'lock-north' },
      }),
    ]);
  });

  it('generates a password once, lists users without hashes, removes them', async () => {
    const added = await run('user', 'add', 'dash', '--role', 'dashboard', '--generate-password');
    const password = /password: (\S+)/.exec(added)?.[1];
    expect(password?.length).toBeGreaterThanOrEqual(20);
    const listed = await run('user', 'list', '--json');
    expect(JSON.parse(listed)).toEqual([{ name: 'dash', role: 'dashboard' }]);
    expect(listed).not.toMatch(/salt|hash|scrypt/);
    expect(await run('user', 'remove', 'dash')).toContain('removed');
    expect(await run('user', 'list')).toContain('no MQTT users');
    expect(operatorActions().map((a) => (a as { action: string }).action)).toEqual([
      'mqtt.user.add',
      'mqtt.user.remove',
    ]);
  });

  it.each([
    [['--role', 'device', '--generate-password'], /needs --device/],
    [['--role', 'dashboard', '--publish', 'gatewarden/x', '--generate-password'], /never publishes/],
    [['--role', 'owner', '--generate-password'], /not one of/],
    [['--role', 'tool'], /exactly one of/],
    [['--role', 'device', '--device', 'a', '--convention', 'homie', '--generate-password'], /--convention/],
  ])('refuses %j', async (options, message) => {
    await expect(run('user', 'add', 'x', ...options)).rejects.toThrow(message);
  });

  it('takes a password from standard input, without its trailing newline', async () => {
    const { password } = await userPassword({ passwordStdin: true }, () => Buffer.from('stdin-secret\n'));
    expect(await verifyPassword(Buffer.from('stdin-secret'), { ...password })).toBe(true);
  });

  it('refuses a password file others may read, and an existing user without --replace', async () => {
    const passwordFile = join(dir, 'pw');
    writeFileSync(passwordFile, 'tool-secret-1', { mode: 0o644 });
    await expect(run('user', 'add', 'ha', '--role', 'tool', '--password-file', passwordFile)).rejects.toThrow(
      /chmod 600/,
    );
    await run('user', 'add', 'ha', '--role', 'tool', '--generate-password');
    await expect(run('user', 'add', 'ha', '--role', 'tool', '--generate-password')).rejects.toThrow(
      /--replace/,
    );
    expect(await run('user', 'add', 'ha', '--role', 'tool', '--generate-password', '--replace')).toContain(
      'replaced',
    );
  });
});
