/**
 * The broker's view of its users file: loaded at start, re-read when the file changes (so
 * `gatewarden mqtt user add|remove` takes effect without a restart), and asked on every
 * CONNECT. A file that turns unreadable or invalid while running is logged and the users last
 * read stay in force; at start it is an error.
 */
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { DECOY_HASH, type PasswordHash, verifyPassword } from '../../util/password.js';
import { rolePatterns } from './device-conventions.js';
import type { AclSubject } from './topic-acl.js';
import { type BrokerUser, readUsersFile } from './users-file.js';

export interface KnownUser {
  name: string;
  subject: AclSubject;
  device?: string;
  password: PasswordHash;
}

export type Authentication =
  | { ok: true; user: KnownUser }
  | { ok: false; reason: 'unknown user' | 'wrong password' };

export class UserDirectory {
  private users = new Map<string, KnownUser>();
  private stamp = '';
  private readonly changed = new Set<string>();

  constructor(
    private readonly path: string,
    private readonly liveRoot: string,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.users.size;
  }

  /** Loads the file; throws a GatewardenError if it is unreadable, open to others or invalid. */
  load(): void {
    const stamp = fileStamp(this.path);
    const file = readUsersFile(this.path);
    this.users = new Map((file?.users ?? []).map((u) => [u.name, this.known(u)]));
    this.stamp = stamp;
  }

  /**
   * Re-reads the file if it changed since last read (a stat; cheap enough for every CONNECT).
   * Users that were removed or whose password or rights changed are kept for `takeChanged`.
   */
  refresh(): void {
    if (fileStamp(this.path) === this.stamp) return;
    const before = this.users;
    try {
      this.load();
    } catch (err) {
      this.log.error(
        { err, file: this.path },
        'MQTT users file unreadable or invalid; keeping the users last read',
      );
      this.stamp = fileStamp(this.path); // log once per change, not on every CONNECT
      return;
    }
    const changed = [...before.values()].filter(
      (u) => JSON.stringify(u) !== JSON.stringify(this.users.get(u.name)),
    );
    this.log.info({ users: this.users.size, changed: changed.length }, 'MQTT users file reloaded');
    for (const u of changed) this.changed.add(u.name);
  }

  /** Names of users removed or changed since the last call, whose connections must be closed. */
  takeChanged(): string[] {
    const names = [...this.changed];
    this.changed.clear();
    return names;
  }

  find(name: string): KnownUser | undefined {
    return this.users.get(name);
  }

  /** Checks a CONNECT's credentials. Unknown users cost one scrypt too (no timing oracle). */
  async authenticate(username: string | undefined, password: Buffer | undefined): Promise<Authentication> {
    this.refresh();
    const user = username === undefined ? undefined : this.users.get(username);
    const ok = await verifyPassword(password, user?.password ?? DECOY_HASH);
    if (user === undefined) return { ok: false, reason: 'unknown user' };
    return ok ? { ok: true, user } : { ok: false, reason: 'wrong password' };
  }

  private known(u: BrokerUser): KnownUser {
    const defaults =
      u.role === 'device' ? { publish: [], subscribe: [] } : rolePatterns(u.role, this.liveRoot);
    return {
      name: u.name,
      subject: {
        role: u.role,
        publish: u.publish ?? defaults.publish,
        subscribe: u.subscribe ?? defaults.subscribe,
      },
      ...(u.device === undefined ? {} : { device: u.device }),
      password: u.password,
    };
  }
}

/** Identity of the file's current content as far as stat can tell (a rename changes the inode). */
function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.mode}`;
  } catch {
    return 'absent';
  }
}
