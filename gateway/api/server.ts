import { createServer as createHttpsServer } from 'node:https';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerFactory,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { ApiConfig } from '../../config/api-schema.js';
import type { DeviceState } from '../devices/device-module.js';
import { GatewardenError } from '../errors.js';
import type { MessageBus } from '../mqtt/bus.js';
import type { LaneActuation } from '../mqtt/upstream/requests-apply.js';
import type { Site } from '../site.js';
import { LoginThrottle } from '../util/login-throttle.js';
import { liveRoutes } from './live-socket.js';
import { problem } from './problems.js';
import { alarmRoutes } from './routes/alarms.js';
import { dutyRoutes } from './routes/duty.js';
import { historyRoutes } from './routes/history.js';
import { registryRoutes } from './routes/registry.js';
import { registryEditRoutes } from './routes/registry-edit.js';
import { sessionRoutes } from './routes/session.js';
import { siteRoutes } from './routes/site.js';
import { type Session, SessionStore } from './sessions.js';
import { staticRoutes } from './static-files.js';
import type { ApiUserStore, Role } from './users.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: roles, or 'public' (login, the OpenAPI document). Required. */
    roles?: readonly Role[] | 'public';
  }
  interface FastifyRequest {
    session: Session | null;
  }
}

export interface ApiServerOptions {
  site: Site;
  config: ApiConfig;
  users: ApiUserStore;
  log: Logger;
  /** Device states for the health view; absent: none. */
  devices?: () => DeviceState[];
  /** Hands an emergency-open decision to the lane's lock or barrier; absent: journaled only. */
  actuate?: LaneActuation;
  /** The local live tree (a LiveFeed's bus) for `/api/live`; absent: no live socket. */
  liveBus?: MessageBus;
  /** Folder of the dashboard's files, served at `/`; absent: none served. */
  dashboardDir?: string;
  /** Serve HTTPS with this certificate (chain) and key, both PEM (read by the caller); absent: plain HTTP. */
  tls?: { cert: Buffer; key: Buffer };
}

/** What route modules get: the site, the stores and the options. */
export interface ApiContext extends ApiServerOptions {
  sessions: SessionStore;
  throttle: LoginThrottle;
}

/** The server as route modules see it: typed by the zod schemas of each route. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/**
 * The admin API (fastify, every body and query validated by a zod schema, an OpenAPI document at
 * `/api/openapi.json`). Every route declares who may call it (`config.roles`); a route that does
 * not is refused at start, so the auth matrix has no holes. A request carries its session as a
 * bearer token (`Authorization: Bearer …`, from `POST /api/session`).
 *
 * Errors are `{ error, message, problems? }` with a code from the one catalogue (errors.ts):
 * 400 with the field that is wrong, 401 without a valid session, 403 for a role that may not,
 * 404 for an unknown record, 429 while a login is locked, 503 while the database or the journal
 * cannot be written (JOURNAL_UNAVAILABLE: the disk is full and held entries reached their bound).
 */
export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const now = options.site.now;
  const { config } = options;
  const context: ApiContext = {
    ...options,
    sessions: new SessionStore({
      now,
      idleMs: config.sessionIdleMinutes * 60_000,
      lifetimeMs: config.sessionHours * 3600_000,
    }),
    throttle: new LoginThrottle({
      now,
      maxFailures: config.login.maxFailures,
      windowMs: config.login.windowMinutes * 60_000,
      lockMs: config.login.lockMinutes * 60_000,
    }),
  };
  const { tls } = options;
  const app = Fastify({
    ...(tls === undefined ? {} : { serverFactory: httpsServer(tls) }),
    loggerInstance: options.log as FastifyBaseLogger,
    // No log line per request (the dashboard polls); errors are logged by our error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('session', null);

  app.addHook('onRoute', (route) => {
    if (route.config?.roles === undefined && !route.url.startsWith('/api/openapi'))
      throw new Error(`route ${route.method} ${route.url} does not say who may call it (config.roles)`);
  });
  app.addHook('onRequest', async (request, reply) => {
    const roles = request.routeOptions.config.roles;
    if (roles === 'public' || request.url.startsWith('/api/openapi')) return;
    const token = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(request.headers.authorization ?? '')?.[1];
    const session = token === undefined ? undefined : context.sessions.use(token);
    if (session === undefined) return reply.code(401).send(problem('UNAUTHENTICATED', 'log in first'));
    // A user removed, or given another role, since the login (gatewarden api user …) is out at once.
    const stored = options.users.get(session.user.name);
    if (stored?.role !== session.user.role) {
      context.sessions.close(session.token);
      return reply.code(401).send(problem('UNAUTHENTICATED', 'the user was changed: log in again'));
    }
    if (roles === undefined || !roles.includes(session.user.role))
      return reply.code(403).send(problem('FORBIDDEN', `a ${session.user.role} may not do this`));
    request.session = session;
  });
  app.setErrorHandler((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'body';
      return reply.code(400).send(
        problem('REQUEST_INVALID', 'the request is invalid', {
          problems: error.validation.map((v) => ({
            field: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
            message: v.message ?? 'invalid',
          })),
        }),
      );
    }
    if (error instanceof GatewardenError) {
      const status =
        error.code === 'REGISTRY_NOT_FOUND'
          ? 404
          : error.code === 'REGISTRY_IN_USE'
            ? 409
            : error.code.startsWith('DATABASE') || error.code === 'JOURNAL_UNAVAILABLE'
              ? 503
              : 400;
      return reply.code(status).send(problem(error.code, error.message, { problems: error.problems }));
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return reply.code(status).send(problem('REQUEST_INVALID', (error as Error).message));
    request.log.error({ err: error, route: request.routeOptions.url }, 'API route failed');
    return reply.code(500).send(problem('INTERNAL', 'internal error (logged)'));
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'gatewarden admin API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(websocket, { options: { maxPayload: 4096 } });

  sessionRoutes(app, context);
  siteRoutes(app, context);
  alarmRoutes(app, context);
  dutyRoutes(app, context);
  historyRoutes(app, context);
  registryRoutes(app, context);
  registryEditRoutes(app, context);
  if (options.liveBus !== undefined) liveRoutes(app, context, options.liveBus);
  if (options.dashboardDir !== undefined) staticRoutes(app, options.dashboardDir);
  await app.ready();
  return app;
}

/**
 * An HTTPS server for fastify: the handler and the rest of fastify are the same whatever the
 * transport, so the API keeps its http.Server typing (an https.Server is one, over TLS).
 */
function httpsServer(tls: { cert: Buffer; key: Buffer }): FastifyServerFactory<RawServerDefault> {
  return (handler) => createHttpsServer(tls, handler);
}
