import { z } from 'zod';
import { problem, problemSchema } from '../problems.js';
import type { Api, ApiContext } from '../server.js';
import { ROLES } from '../users.js';

const Me = z.object({ user: z.string(), role: z.enum(ROLES) });

/** Log in (a bearer token), who am I, log out. */
export function sessionRoutes(app: Api, { users, sessions, throttle }: ApiContext): void {
  app.post(
    '/api/session',
    {
      config: { roles: 'public' },
      schema: {
        summary: 'Log in: a bearer token for the other routes',
        body: z.strictObject({ user: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
        response: { 200: Me.extend({ token: z.string() }), 401: problemSchema, 429: problemSchema },
      },
    },
    async (request, reply) => {
      const { user, password } = request.body;
      const keys = [`ip:${request.ip}`, `user:${user.toLowerCase()}`];
      const wait = throttle.retryAfter(keys);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        return reply
          .code(429)
          .send(problem('LOGIN_LOCKED', `too many failed logins: try again in ${wait} s`));
      }
      const found = await users.authenticate(user, password);
      if (found === undefined) {
        throttle.failed(keys);
        request.log.warn({ ip: request.ip }, 'API login refused');
        return reply.code(401).send(problem('UNAUTHENTICATED', 'wrong user or password'));
      }
      throttle.succeeded(keys);
      const session = sessions.open(found);
      request.log.info({ user: found.name, role: found.role }, 'API login');
      return { user: found.name, role: found.role, token: session.token };
    },
  );

  app.get(
    '/api/session',
    {
      config: { roles: ROLES },
      schema: { summary: 'The logged-in user', response: { 200: Me } },
    },
    async (request) => {
      const { user } = request.session ?? unreachable();
      return { user: user.name, role: user.role };
    },
  );

  app.delete(
    '/api/session',
    { config: { roles: ROLES }, schema: { summary: 'Log out' } },
    async (request, reply) => {
      sessions.close(request.session?.token ?? '');
      return reply.code(204).send();
    },
  );
}

/** The auth hook sets the session before any route that is not public runs. */
export function unreachable(): never {
  throw new Error('no session on an authenticated route');
}
