import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Api } from './server.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.wav': 'audio/wav',
};

/**
 * The dashboard's files (`dashboard/` and `dashboard/lib/`), read once at start into memory and
 * served at `/`. A fixed list, not a path handed to the file system: nothing outside those two
 * folders, no dot files, no traversal can be asked for. (@fastify/static would do this too, but
 * its current release needs Node 22.) Nothing is fetched from the network, at build or run time.
 */
export function staticRoutes(app: Api, root: string): void {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const folder of ['', 'lib']) {
    let names: string[];
    try {
      names = readdirSync(join(root, folder));
    } catch {
      continue;
    }
    for (const name of names) {
      const type = TYPES[extname(name)];
      const path = join(root, folder, name);
      if (type === undefined || name.startsWith('.') || !statSync(path).isFile()) continue;
      files.set(folder === '' ? name : `${folder}/${name}`, { type, body: readFileSync(path) });
    }
  }
  const serve = (name: string) => files.get(name);
  const headers = {
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // Only our own files and our own API: no script, style or request elsewhere.
    'content-security-policy':
      "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  };
  app.get('/', { config: { roles: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    const index = serve('index.html');
    if (index === undefined) return reply.code(404).send('no dashboard installed');
    return reply.headers(headers).type(index.type).send(index.body);
  });
  app.get<{ Params: { file: string } }>(
    '/:file',
    { config: { roles: 'public' }, schema: { hide: true } },
    async (request, reply) => {
      const file = serve(request.params.file);
      if (file === undefined) return reply.code(404).send('not found');
      return reply.headers(headers).type(file.type).send(file.body);
    },
  );
  app.get<{ Params: { file: string } }>(
    '/lib/:file',
    { config: { roles: 'public' }, schema: { hide: true } },
    async (request, reply) => {
      const file = serve(`lib/${request.params.file}`);
      if (file === undefined) return reply.code(404).send('not found');
      return reply.headers(headers).type(file.type).send(file.body);
    },
  );
}
