import type { WebSocket } from 'ws';
import type { MessageBus } from '../mqtt/bus.js';
import type { Api, ApiContext } from './server.js';

/** Time a client has to send its token after connecting. */
const AUTH_MS = 5000;
/** Bytes queued on a socket above which stream messages are dropped (a stalled tab). */
const MAX_BUFFERED = 1024 * 1024;
/** How often an open socket's session is checked again (expired, user removed or changed). */
const RECHECK_MS = 30_000;
/** Close codes: 4401 token refused (log in again); 4408 no token in time; 1013 too slow to keep up. */
export const LIVE_CLOSE = { unauthenticated: 4401, authTimeout: 4408, tooSlow: 1013 } as const;

/**
 * `GET /api/live`, the dashboard's WebSocket: the local live tree (docs/mqtt.md), fed by the
 * same LiveFeed as the embedded broker, so the payloads carry pseudonyms only. A browser cannot
 * put a bearer token on a WebSocket, so the first message must be `{"type":"auth","token":…}`
 * (a token in the URL would end up in proxies' logs). Then `{"type":"ready"}`, every retained
 * state, and every message as `{"type":"message","topic":…,"payload":…}`. A client that cannot
 * keep up loses stream messages (the journal keeps them; the REST routes give the present) and
 * is closed if it stays behind, so one stalled tab never holds the gateway's memory.
 */
export function liveRoutes(app: Api, { sessions, users }: ApiContext, bus: MessageBus): void {
  // Public at the HTTP level: the token comes as the first message (above). Not in the OpenAPI
  // document, which describes HTTP routes; docs/api.md describes it.
  const options = { websocket: true as const, config: { roles: 'public' as const }, schema: { hide: true } };
  app.get('/api/live', options, (socket: WebSocket) => {
    let unsubscribe: (() => Promise<void>) | undefined;
    let recheck: NodeJS.Timeout | undefined;
    let dropped = 0;
    const timer = setTimeout(() => socket.close(LIVE_CLOSE.authTimeout, 'no token'), AUTH_MS);
    const send = (data: unknown, droppable: boolean) => {
      if (socket.readyState !== socket.OPEN) return;
      if (droppable && socket.bufferedAmount > MAX_BUFFERED) {
        if (++dropped > 1000) socket.close(LIVE_CLOSE.tooSlow, 'too slow');
        return;
      }
      socket.send(JSON.stringify(data));
    };
    socket.on('message', (raw) => {
      if (unsubscribe !== undefined) return; // after auth the client has nothing more to say
      clearTimeout(timer);
      let token: unknown;
      try {
        token = (JSON.parse(String(raw)) as { type?: unknown; token?: unknown }).token;
      } catch {
        token = undefined;
      }
      const valid = () => {
        const session = typeof token === 'string' ? sessions.use(token) : undefined;
        return session !== undefined && users.get(session.user.name)?.role === session.user.role
          ? session
          : undefined;
      };
      const session = valid();
      if (session === undefined) {
        socket.close(LIVE_CLOSE.unauthenticated, 'log in again');
        return;
      }
      // An open dashboard keeps its session alive; a removed user's dashboard goes dark.
      recheck = setInterval(() => {
        if (valid() === undefined) socket.close(LIVE_CLOSE.unauthenticated, 'log in again');
      }, RECHECK_MS);
      send({ type: 'ready', user: session.user.name, role: session.user.role }, false);
      unsubscribe = () => Promise.resolve();
      void bus
        .subscribe('#', (message) => {
          let payload: unknown;
          try {
            payload = JSON.parse(message.payload.toString('utf8'));
          } catch {
            payload = message.payload.toString('utf8');
          }
          send({ type: 'message', topic: message.topic, payload }, true);
        })
        .then((end) => {
          if (socket.readyState === socket.OPEN) unsubscribe = end;
          else void end();
        });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      clearInterval(recheck);
      void unsubscribe?.();
    });
    socket.on('error', () => socket.terminate());
  });
}
