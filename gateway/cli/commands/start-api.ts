import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../api/server.js';
import { ApiUserStore } from '../../api/users.js';
import type { DeviceHost } from '../../devices/device-host.js';
import { childLogger, type Logger } from '../../logging.js';
import { LiveFeed } from '../../mqtt/live-feed.js';
import { MemoryBus } from '../../mqtt/memory-bus.js';
import type { Site } from '../../site.js';
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
    });
    const url = await api.listen({ host: config.host, port: config.port });
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
