/**
 * Pieces of the embedded broker's security that need no network: password hashes, the users
 * file and its directory, the rate-bounded security events, the token bucket, the packet meter.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PacketSizeMeter } from '../../gateway/mqtt/broker/packet-guard.js';
import { type SecurityAlarm, SecurityEventThrottle } from '../../gateway/mqtt/broker/security-events.js';
import { TokenBucket } from '../../gateway/mqtt/broker/token-bucket.js';
import { UserDirectory } from '../../gateway/mqtt/broker/user-directory.js';
import { readUsersFile, type UsersFile, writeUsersFile } from '../../gateway/mqtt/broker/users-file.js';
import { DECOY_HASH, hashPassword, verifyPassword } from '../../gateway/util/password.js';

const FAST = { N: 1024, r: 8, p: 1 };
const secret = (s: string) => Buffer.from(s);

describe('password hashes', () => {
  it('verifies the password it was made from and nothing else', async () => {
    const stored = await hashPassword('correct horse', FAST);
    expect(stored).toMatchObject({ algorithm: 'scrypt', N: 1024, r: 8, p: 1 });
    expect(JSON.stringify(stored)).not.toContain('correct horse');
    expect(await verifyPassword(secret('correct horse'), stored)).toBe(true);
    expect(await verifyPassword(secret('correct hors'), stored)).toBe(false);
    expect(await verifyPassword(undefined, stored)).toBe(false);
  });

  it('salts each hash, and uses the default cost when none is given', async () => {
    const [a, b] = [await hashPassword('same password', FAST), await hashPassword('same password')];
    expect(a.salt).not.toBe(b.salt);
    expect(b.N).toBe(2 ** 15);
  });

  it('refuses passwords too short to be one', async () => {
    await expect(hashPassword('short', FAST)).rejects.toThrow(/8 to 1024 bytes/);
  });

  it('matches no password against the decoy hash', async () => {
    expect(await verifyPassword(secret(''), DECOY_HASH)).toBe(false);
  });
});

describe('users file and directory', () => {
  let dir: string;
  let path: string;
  const file = async (password = 'device-secret'): Promise<UsersFile> => ({
    version: 1,
    users: [
      {
        name: 'lock-1',
        role: 'device',
        device: 'lock-1',
        publish: ['zigbee2mqtt/lock-1'],
        subscribe: ['zigbee2mqtt/lock-1/set'],
        password: await hashPassword(password, FAST),
      },
      { name: 'ha', role: 'tool', password: await hashPassword('tool-secret', FAST) },
    ],
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-users-'));
    path = join(dir, 'data', 'mqtt-users.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is written with mode 0600 and read back', async () => {
    writeUsersFile(path, await file());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readUsersFile(path)?.users.map((u) => u.name)).toEqual(['lock-1', 'ha']);
  });

  it('is refused when group or others may read it', async () => {
    writeUsersFile(path, await file());
    chmodSync(path, 0o640);
    expect(() => readUsersFile(path)).toThrow(/open to other users.*chmod 600/);
  });

  it('is refused when invalid, naming each problem', async () => {
    const bad = JSON.parse(JSON.stringify(await file())) as { users: Record<string, unknown>[] };
    bad.users.push({ ...bad.users[0], role: 'dashboard', publish: ['x'] });
    delete bad.users[0]?.subscribe;
    writeFileSync(path.replace('data/', ''), JSON.stringify(bad), { mode: 0o600 });
    let error: unknown;
    try {
      readUsersFile(path.replace('data/', ''));
    } catch (e) {
      error = e;
    }
    expect((error as { describe(): string }).describe()).toMatch(
      /device user needs[\s\S]*dashboard user never publishes[\s\S]*lists a user name twice/,
    );
  });

  it('is absent when missing: no users', () => {
    expect(readUsersFile(path)).toBeUndefined();
  });

  it('authenticates against the file, gives tools their default topics, and picks up changes', async () => {
    const original = await file();
    writeUsersFile(path, original);
    const users = new UserDirectory(path, 'gatewarden', pino({ level: 'silent' }));
    users.load();
    expect(await users.authenticate('lock-1', secret('device-secret'))).toMatchObject({ ok: true });
    expect(await users.authenticate('lock-1', secret('wrong'))).toEqual({
      ok: false,
      reason: 'wrong password',
    });
    expect(await users.authenticate('nobody', secret('device-secret'))).toEqual({
      ok: false,
      reason: 'unknown user',
    });
    expect(users.find('ha')?.subject).toEqual({
      role: 'tool',
      publish: ['homeassistant/status'],
      subscribe: ['gatewarden/#', 'homeassistant/#'],
    });
    const [lock, ha] = original.users;
    if (!lock || !ha) throw new Error('two users expected');
    writeUsersFile(path, {
      version: 1,
      users: [{ ...lock, password: await hashPassword('new-device-secret', FAST) }, ha],
    });
    expect(await users.authenticate('lock-1', secret('new-device-secret'))).toMatchObject({ ok: true });
    expect(users.takeChanged()).toEqual(['lock-1']);
    expect(users.takeChanged()).toEqual([]);
  });

  it('keeps the users last read when the file turns invalid while running', async () => {
    writeUsersFile(path, await file());
    const users = new UserDirectory(path, 'gatewarden', pino({ level: 'silent' }));
    users.load();
    chmodSync(path, 0o644);
    expect(await users.authenticate('lock-1', secret('device-secret'))).toMatchObject({ ok: true });
    expect(readFileSync(path, 'utf8')).toContain('lock-1');
  });
});

describe('SecurityEventThrottle', () => {
  let now = 0;
  let journaled: SecurityAlarm[];
  let throttle: SecurityEventThrottle;
  const wrong = (user: string, remote = '10.0.0.9:5000') =>
    ({ code: 'MQTT_AUTH_FAILED', reason: 'wrong password', user, clientId: 'c', remote }) as const;

  beforeEach(() => {
    now = 1_000_000;
    journaled = [];
    throttle = new SecurityEventThrottle(
      (a) => journaled.push(a),
      60_000,
      () => now,
      3,
    );
  });

  it('journals the first event of a key per interval and counts the rest into the next', () => {
    for (let i = 0; i < 5; i++) throttle.report(wrong('lock-1'));
    expect(journaled).toHaveLength(1);
    now += 60_000;
    throttle.report(wrong('lock-1'));
    expect(journaled.map((a) => a.detail.suppressed)).toEqual([undefined, 4]);
    expect(journaled[0]).toEqual({
      code: 'MQTT_AUTH_FAILED',
      severity: 'warning',
      detail: { reason: 'wrong password', user: 'lock-1', clientId: 'c', remote: '10.0.0.9:5000' },
    });
  });

  it('writes held-back counts at the latest when the interval ended (flush), or at once with all', () => {
    throttle.report(wrong('a'));
    throttle.report(wrong('a'));
    throttle.flush();
    expect(journaled).toHaveLength(1);
    now += 60_000;
    throttle.flush();
    expect(journaled.map((a) => a.detail.suppressed)).toEqual([undefined, 1]);
    throttle.report(wrong('a'));
    throttle.flush(true);
    expect(journaled.map((a) => a.detail.suppressed)).toEqual([undefined, 1, 1]);
  });

  it('keeps users and kinds apart, and unknown users apart by address', () => {
    throttle.report(wrong('a'));
    throttle.report(wrong('b'));
    throttle.report({ ...wrong('a'), code: 'MQTT_ACCESS_DENIED' });
    expect(journaled).toHaveLength(3);
    throttle = new SecurityEventThrottle(
      (a) => journaled.push(a),
      60_000,
      () => now,
      100,
    );
    journaled = [];
    throttle.report(wrong('(unknown)', '10.0.0.1:1'));
    throttle.report(wrong('(unknown)', '10.0.0.2:1'));
    throttle.report(wrong('(unknown)', '10.0.0.1:1'));
    expect(journaled.map((a) => a.detail.remote)).toEqual(['10.0.0.1:1', '10.0.0.2:1']);
  });

  it('bounds its memory: past maxKeys, new keys share one window per kind', () => {
    for (let i = 0; i < 10; i++) throttle.report(wrong(`user-${i}`));
    expect(journaled).toHaveLength(4); // three keys, then the shared one
  });

  it('clips long values', () => {
    throttle.report({ ...wrong('a'), clientId: 'x'.repeat(500), topic: 't'.repeat(500) });
    expect(String(journaled[0]?.detail.clientId).length).toBe(64);
    expect(String(journaled[0]?.detail.topic).length).toBe(256);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then the rate', () => {
    const bucket = new TokenBucket(2, 3, 0);
    expect([1, 2, 3, 4].map(() => bucket.take(0))).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(10_000)).toBe(true);
    expect([1, 2, 3].map(() => bucket.take(10_000))).toEqual([true, true, false]);
  });
});

describe('PacketSizeMeter', () => {
  it('accepts a packet of exactly the limit and trips one byte over', () => {
    expect(new PacketSizeMeter(200).feed(Buffer.from([0x30, 0xc8, 0x01]))).toEqual({ ok: true });
    expect(new PacketSizeMeter(200).feed(Buffer.from([0x30, 0xc9, 0x01]))).toEqual({
      ok: false,
      reason: 'packet too large',
      bytes: 201,
    });
  });

  it('trips on a Remaining Length longer than four bytes, and stays tripped', () => {
    const meter = new PacketSizeMeter(1 << 28);
    expect(meter.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]))).toEqual({
      ok: false,
      reason: 'malformed length',
    });
    expect(meter.feed(Buffer.from([0xc0, 0x00]))).toMatchObject({ ok: false });
  });

  it('takes zero-length packets (PINGREQ) back to back', () => {
    expect(new PacketSizeMeter(2).feed(Buffer.from([0xc0, 0, 0xc0, 0, 0xe0, 0]))).toEqual({ ok: true });
  });
});
