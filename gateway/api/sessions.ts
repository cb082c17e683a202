import { randomBytes } from 'node:crypto';
import type { ApiUser } from './users.js';

export interface Session {
  user: ApiUser;
  token: string;
  createdAt: number;
  lastUsedAt: number;
}

export interface SessionOptions {
  now: () => number;
  /** A session unused this long ends (a guard who walked away). */
  idleMs: number;
  /** A session ends this long after login whatever its use (one duty shift and some). */
  lifetimeMs: number;
}

/**
 * Bearer-token sessions of the admin API, in memory: a restart of the gateway logs everyone out,
 * which is what a restarted gate controller should do. Tokens are 32 random bytes (base64url);
 * only the holder of the token has the session.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: SessionOptions) {}

  open(user: ApiUser): Session {
    const now = this.options.now();
    const token = randomBytes(32).toString('base64url');
    const session = { user, token, createdAt: now, lastUsedAt: now };
    this.sessions.set(token, session);
    this.sweep(now);
    return session;
  }

  /** The live session of this token, its use recorded; undefined when unknown or expired. */
  use(token: string): Session | undefined {
    const session = this.sessions.get(token);
    if (session === undefined) return undefined;
    const now = this.options.now();
    if (this.expired(session, now)) {
      this.sessions.delete(token);
      return undefined;
    }
    session.lastUsedAt = now;
    return session;
  }

  close(token: string): void {
    this.sessions.delete(token);
  }

  private expired(s: Session, now: number): boolean {
    return now - s.lastUsedAt > this.options.idleMs || now - s.createdAt > this.options.lifetimeMs;
  }

  private sweep(now: number): void {
    for (const [token, s] of this.sessions) if (this.expired(s, now)) this.sessions.delete(token);
  }
}
