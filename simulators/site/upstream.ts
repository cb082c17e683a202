import { accessSync, constants, mkdirSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import Database from 'better-sqlite3';
import { configSchema } from '../../config/schema.js';
import { UPSTREAM_CURSOR } from '../../gateway/mqtt/upstream/journal-publisher.js';
import { type Influxd, startInfluxd } from './influxd-server.js';
import { MOSQUITTO_BINARY, type Mosquitto, startMosquitto } from './mosquitto-server.js';

/**
 * The simulated site's upstream: a real InfluxDB 1.x and a real Mosquitto on loopback ports,
 * each in a folder of the site's working folder (`<dir>/upstream/`, cleared at every start),
 * with the gateway's InfluxDB sink and upstream MQTT bridge pointed at them. Started before the
 * gateway and stopped after it, so the gateway never starts or stops without its upstream.
 *
 * Both run without credentials on 127.0.0.1: nothing but this machine reaches them, as with the
 * gateway's own embedded broker in the simulated site. Mosquitto keeps its sessions on disk
 * (`persistence true`), as docs/mqtt-upstream.md asks of an upstream broker: a command-centre
 * subscriber with a persistent session gets what was queued for it across a broker restart
 * (the scenario's `upstream-down` fault). Retry and reconnection waits are short (0.2–2 s), so
 * the end of an outage shows within seconds in a compressed day.
 *
 * Choice: `auto` starts each one whose program is installed (scripts/bootstrap installs both);
 * `none`, `influx`, `mqtt`, `both` ask for exactly that, and a part asked for but missing is an
 * error naming the Debian package.
 */
export const UPSTREAM_CHOICES = ['auto', 'none', 'influx', 'mqtt', 'both'] as const;
export type UpstreamChoice = (typeof UPSTREAM_CHOICES)[number];

export interface UpstreamParts {
  influx: boolean;
  mqtt: boolean;
}

/** The database the site's sink writes to, and the upstream gateway id (topics `gatewarden/<site>/main/…`). */
export const SITE_INFLUX_DATABASE = 'gatewarden';
export const SITE_GATEWAY_ID = 'main';
const TOPIC_PREFIX = 'gatewarden';
/** The gateway's sink cursors (gateway/telemetry/influx-sink.ts names the InfluxDB ones). */
const CURSORS = { influx: ['influx', 'influx.bulk'], mqtt: [UPSTREAM_CURSOR] } as const;

/** Which upstream programs this machine has. */
export function installedUpstream(): UpstreamParts {
  const runnable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const onPath = (name: string) =>
    (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && runnable(join(d, name)));
  return { influx: onPath('influxd'), mqtt: runnable(MOSQUITTO_BINARY) };
}

/** What to start for `choice`; throws naming what is missing when a part asked for is not installed. */
export function resolveUpstream(choice: UpstreamChoice, installed = installedUpstream()): UpstreamParts {
  if (choice === 'auto') return installed;
  const want = {
    influx: choice === 'influx' || choice === 'both',
    mqtt: choice === 'mqtt' || choice === 'both',
  };
  const missing = [
    ...(want.influx && !installed.influx ? ['influxd (Debian package influxdb)'] : []),
    ...(want.mqtt && !installed.mqtt ? [`${MOSQUITTO_BINARY} (Debian package mosquitto)`] : []),
  ];
  if (missing.length > 0)
    throw new Error(`--upstream ${choice}: ${missing.join(' and ')} not installed; run scripts/bootstrap`);
  return want;
}

export class SiteUpstream {
  /** The site id of the configuration pointed at it (withUpstream), which names the topics. */
  private boundSite = '';

  private constructor(
    readonly influxd: Influxd | undefined,
    readonly mosquitto: Mosquitto | undefined,
  ) {}

  /** Starts the parts asked for in `<dir>` (cleared first); stops what it started if one fails. */
  static async start(dir: string, parts: UpstreamParts): Promise<SiteUpstream> {
    rmSync(dir, { recursive: true, force: true });
    let influxd: Influxd | undefined;
    try {
      if (parts.influx) {
        influxd = await startInfluxd({ dir: mkdir(join(dir, 'influxdb')) });
        await influxd.createDatabase(SITE_INFLUX_DATABASE);
      }
      const mosquitto = parts.mqtt
        ? await startMosquitto({
            dir: mkdir(join(dir, 'mosquitto')),
            config: (d) => ['persistence true', `persistence_location ${d}/`],
          })
        : undefined;
      return new SiteUpstream(influxd, mosquitto);
    } catch (err) {
      await influxd?.dispose();
      throw err;
    }
  }

  get active(): boolean {
    return this.influxd !== undefined || this.mosquitto !== undefined;
  }

  /** The journal's topics upstream: `<prefix>/<site>/<gateway>`. */
  get topicBase(): string {
    return `${TOPIC_PREFIX}/${this.boundSite}/${SITE_GATEWAY_ID}`;
  }

  /** Topic prefix, site id and gateway id, as the bridge names its topics. */
  get topics(): { prefix: string; siteId: string; gatewayId: string } {
    return { prefix: TOPIC_PREFIX, siteId: this.boundSite, gatewayId: SITE_GATEWAY_ID };
  }

  /** The cursors that must reach the journal's end for everything to be delivered. */
  cursorNames(): string[] {
    return [...(this.influxd ? CURSORS.influx : []), ...(this.mosquitto ? CURSORS.mqtt : [])];
  }

  bindSite(siteId: string): void {
    this.boundSite = siteId;
  }

  /** Banner lines: where to look. */
  describe(): string[] {
    return [
      ...(this.influxd ? [`  InfluxDB 遥测: ${this.influxd.url} database ${SITE_INFLUX_DATABASE}`] : []),
      ...(this.mosquitto
        ? [`  upstream MQTT 上级代理: ${this.mosquitto.url} topics ${this.topicBase}/#`]
        : []),
    ];
  }

  /** Stops both and keeps their folders (a look after the run; cleared at the next start). */
  async stop(): Promise<void> {
    await Promise.all([this.influxd?.stop(), this.mosquitto?.stop()]);
  }
}

/**
 * `config` with the InfluxDB sink and the upstream bridge pointed at `upstream`, checked
 * against the one schema (a mistake is reported field by field, not as a gateway that will not start).
 */
export function withUpstream(
  config: Record<string, unknown>,
  upstream: SiteUpstream,
): Record<string, unknown> {
  const fast = { initialSeconds: 0.2, maxSeconds: 2 };
  const out: Record<string, unknown> = { ...config };
  if (upstream.influxd !== undefined)
    out.telemetry = {
      ...(config.telemetry as object | undefined),
      influx: { url: upstream.influxd.url, database: SITE_INFLUX_DATABASE, flushSeconds: 0.2, retry: fast },
    };
  if (upstream.mosquitto !== undefined)
    out.mqtt = {
      ...(config.mqtt as object | undefined),
      upstream: {
        url: upstream.mosquitto.url,
        gatewayId: SITE_GATEWAY_ID,
        topicPrefix: TOPIC_PREFIX,
        reconnect: fast,
      },
    };
  const checked = configSchema.safeParse(out);
  if (!checked.success) {
    const problems = checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`the upstream part of the site configuration is invalid: ${problems}`);
  }
  upstream.bindSite(checked.data.site.id);
  return out;
}

/**
 * Waits until every cursor named has reached the journal's last seq (read-only, beside the
 * running gateway); resolves the cursors still behind after `timeoutMs` (empty: all delivered).
 */
export async function waitDelivered(databaseFile: string, cursors: readonly string[], timeoutMs: number) {
  const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
  const last = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM journal');
  const position = db.prepare<[string], { seq: number }>('SELECT seq FROM journal_cursor WHERE name = ?');
  const behind = () => {
    const end = last.get()?.seq ?? 0;
    return cursors
      .map((name) => ({ name, lag: end - (position.get(name)?.seq ?? 0) }))
      .filter((c) => c.lag > 0)
      .map((c) => `${c.name} ${c.lag} behind`);
  };
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const late = behind();
      if (late.length === 0 || Date.now() > deadline) return late;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    db.close();
  }
}

function mkdir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  return path;
}
