import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ApiConfig } from '../../../config/api-schema.js';
import { buildApiServer } from '../../api/server.js';
import { ApiUserStore } from '../../api/users.js';
import type { DeviceHost } from '../../devices/device-host.js';
import { GatewardenError } from '../../errors.js';
import { childLogger, type Logger } from '../../logging.js';
import { LiveFeed } from '../../mqtt/live-feed.js';
import { MemoryBus } from '../../mqtt/memory-bus.js';
import type { Site } from '../../site.js';
import { readSecretFile } from '../../util/key-file.js';
import { PACKAGE_ROOT } from '../io.js';

export interface RunningApi {
  follow(): void;
  close(): Promise<void>;
}

/**
 * Serves the admin API and the dashboard (the configuration has an `api` section). The
 * dashboard's live socket is fed by a LiveFeed of its own on a memory bus (the same messages
 * as the embedded broker's live tree, whether or not the broker runs). Loaded by start.ts only
 * once the gateway decides: Fastify, its schemas and the OpenAPI document are the largest part
 * of the start-up.
 */
export async function startApi(site: Site, log: Logger, devices: DeviceHost): Promise<RunningApi> {
  const config = site.config.api;
  if (config === undefined) throw new Error('startApi without an api section');
  const tls = config.tls === undefined ? undefined : readApiTls(config.tls);
  const liveBus = new MemoryBus({ record: false });
  const live = new LiveFeed({
    journal: site.journal,
    config: site.config,
    bus: liveBus,
    log: childLogger(log, 'api-live'),
    pseudonymKey: site.key,
    now: site.now,
  });
  live.start();
  let api: FastifyInstance;
  try {
    api = await buildApiServer({
      site,
      config,
      users: new ApiUserStore(site.db),
      log: childLogger(log, 'api'),
      devices: () => devices.states(),
      actuate: (laneId, decision) => devices.port.actuate(laneId, decision),
      liveBus,
      dashboardDir: join(PACKAGE_ROOT, 'dashboard'),
      ...(tls === undefined ? {} : { tls }),
    });
    const address = await api.listen({ host: config.host, port: config.port });
    // fastify names the scheme from its own https option, not from a server factory.
    const url = tls === undefined ? address : address.replace(/^http:/, 'https:');
    log.info({ url }, 'admin API and dashboard listening');
    process.stderr.write(`dashboard 管理界面: ${url}/\n`);
  } catch (err) {
    await live.stop();
    throw err;
  }
  return {
    follow: () => live.follow(),
    close: async () => {
      await api.close();
      await live.stop();
    },
  };
}

/** The API's certificate and key (`api.tls`); the key only from an owner-only file. */
function readApiTls(files: NonNullable<ApiConfig['tls']>): { cert: Buffer; key: Buffer } {
  const key = readSecretFile(files.keyFile, 'API TLS private key');
  if (key === undefined) {
    throw new GatewardenError('CONFIG_INVALID', `API TLS private key ${files.keyFile} does not exist`, {
      problems: [{ field: 'api.tls.keyFile', message: 'no such file' }],
    });
  }
  try {
    return { cert: readFileSync(files.certFile), key };
  } catch (cause) {
    throw new GatewardenError('CONFIG_UNREADABLE', `cannot read the API TLS certificate ${files.certFile}`, {
      cause,
      problems: [{ field: 'api.tls.certFile', message: 'not readable' }],
    });
  }
}
