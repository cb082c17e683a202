import type { Db } from '../db.js';
import { GatewardenError } from '../errors.js';
import { DECOY_HASH, type PasswordHash, verifyPassword } from '../util/password.js';

export const ROLES = ['operator', 'technician', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiUser {
  name: string;
  role: Role;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS api_users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
`;

/** A user name: letters, digits, `.`, `_`, `-`; it appears in the journal as who made a change. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The admin API's users (operators, technicians, admins) in the site database, with scrypt
 * password hashes (util/password.ts). Users are managed with `gatewarden api user add|remove|list`
 * by whoever may run the CLI on the gateway; the API has no route that creates one.
 */
export class ApiUserStore {
  constructor(private readonly db: Db) {
    db.exec(SCHEMA);
  }

  add(name: string, role: Role, password: PasswordHash, now: number): void {
    if (!NAME.test(name))
      throw new GatewardenError(
        'USAGE',
        `user name "${name}": letters, digits, . _ - (at most 64), not starting with . _ -`,
      );
    this.db
      .prepare(
        'INSERT INTO api_users (name, role, password, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET role = excluded.role, password = excluded.password',
      )
      .run(name, role, JSON.stringify(password), now);
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM api_users WHERE name = ?').run(name).changes > 0;
  }

  /** The user as stored now (a session checks it at every request: removed or changed ends it). */
  get(name: string): ApiUser | undefined {
    const row = this.db
      .prepare<[string], { name: string; role: Role }>('SELECT name, role FROM api_users WHERE name = ?')
      .get(name);
    return row === undefined ? undefined : { name: row.name, role: row.role };
  }

  list(): ApiUser[] {
    return this.db
      .prepare<[], { name: string; role: Role }>('SELECT name, role FROM api_users ORDER BY name')
      .all()
      .map((r) => ({ name: r.name, role: r.role }));
  }

  /**
   * The user when the password is theirs, else undefined. An unknown name costs the same scrypt
   * as a known one (a decoy hash), so response times do not tell which names exist.
   */
  async authenticate(name: string, password: string): Promise<ApiUser | undefined> {
    const row = this.db
      .prepare<[string], { name: string; role: Role; password: string }>(
        'SELECT name, role, password FROM api_users WHERE name = ?',
      )
      .get(name);
    const stored: PasswordHash = row === undefined ? DECOY_HASH : (JSON.parse(row.password) as PasswordHash);
    const ok = await verifyPassword(Buffer.from(password, 'utf8'), stored);
    return ok && row !== undefined ? { name: row.name, role: row.role } : undefined;
  }
}
