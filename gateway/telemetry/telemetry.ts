/**
 * The telemetry of a running gateway, wired from the configuration: the InfluxDB sink over the
 * journal, the high-rate samples (device health, occupancy) and their outbox, and the Prometheus
 * endpoint (independent of the sink: either, both or none). Lifecycle as the devices (style H5):
 * the constructor builds, `start()` starts the sink, the sampler and the endpoint, `stop()` stops
 * them; the cursors and the outbox keep what was not sent yet. An endpoint that cannot bind its
 * port is logged and left off: metrics never keep the gates from working.
 *
 * While the sink runs, the journal prerenders each entry's line with the sink's own mapper
 * (prerender.ts), so the sink sends text ready at append time.
 */
import type { Logger } from 'pino';
import type { InfluxConfig } from '../../config/telemetry-schema.js';
import type { DeviceState } from '../devices/device-module.js';
import type { SiteLanePort } from '../devices/site-lane-port.js';
import { GatewardenError } from '../errors.js';
import { childLogger } from '../logging.js';
import type { Site } from '../site.js';
import { readSecretFile } from '../util/key-file.js';
import { WorkerBatchSource } from './batch-worker-source.js';
import { InfluxSink } from './influx-sink.js';
import { InfluxWriter, type PointWriter } from './influx-writer.js';
import { entryTimestampNs, type FieldValue, type TelemetryPoint } from './line-protocol.js';
import { GatewayMetrics } from './metrics.js';
import { MetricsServer } from './metrics-server.js';
import { PointMapper } from './points.js';
import { telemetryRenderer } from './prerender.js';
import { cachedPseudonym } from './pseudonym.js';
import { type SampleClass, SampleOutbox } from './sample-outbox.js';

export interface TelemetryOptions {
  site: Site;
  log: Logger;
  /** Device states with their counters, for the health samples. */
  devices?: () => DeviceState[];
  /** Another writer than the configured InfluxDB (tests, benchmarks). */
  writer?: PointWriter;
  /** The devices' lane port, observed for the card-to-unlock metric. */
  lanePort?: Pick<SiteLanePort, 'onDispatch'>;
}

export class Telemetry {
  readonly sink: InfluxSink | undefined;
  readonly outbox: SampleOutbox;
  /** The Prometheus metrics, when `telemetry.metrics` is configured. */
  readonly metrics: GatewayMetrics | undefined;
  private metricsServer: MetricsServer | undefined;
  private readonly log: Logger;
  private sampler: NodeJS.Timeout | undefined;
  private sampleSeq = 0;
  /** The sink's mapper, which also prerenders the journal's `telemetry` column. */
  private mapper: PointMapper | undefined;

  constructor(private readonly options: TelemetryOptions) {
    const { site } = options;
    const config = site.config.telemetry;
    this.log = childLogger(options.log, 'telemetry');
    this.outbox = new SampleOutbox(site.db, {
      budgetBytes: Math.round(config.highRateBudgetMiB * 1024 * 1024),
      onThinned: (dropped) => {
        this.log.warn({ dropped }, 'high-rate samples over their disk budget: oldest thinned');
        site.record('alarm', site.now(), {
          code: 'TELEMETRY_THINNED',
          severity: 'warning',
          detail: dropped as Record<string, number>,
        });
      },
    });
    const influx = config.influx;
    this.sink = influx === undefined ? undefined : this.buildSink(influx);
    if (config.metrics !== undefined) {
      this.metrics = new GatewayMetrics({
        site,
        devices: options.devices,
        sink: this.sink,
      });
      this.metricsServer = new MetricsServer({
        registry: this.metrics.registry,
        log: this.log,
        host: config.metrics.host,
        port: config.metrics.port,
        ...(config.metrics.bearerTokenFile === undefined
          ? {}
          : { bearerToken: readScrapeToken(config.metrics.bearerTokenFile) }),
      });
    }
  }

  private buildSink(influx: InfluxConfig): InfluxSink {
    const { site, writer } = this.options;
    const siteId = site.config.site.id;
    const feverThresholdC = site.config.policy.feverThresholdC;
    // Batches are read and rendered off the event loop, except for an in-memory database
    // (which another thread cannot open).
    const source = site.db.memory
      ? undefined
      : new WorkerBatchSource({
          databasePath: site.db.name,
          siteId,
          feverThresholdC,
          pseudonymKey: site.key,
        });
    this.mapper = new PointMapper({ siteId, feverThresholdC, pseudonym: cachedPseudonym(site.key) });
    return new InfluxSink({
      journal: site.journal,
      db: site.db,
      writer: writer ?? new InfluxWriter(influx),
      mapper: this.mapper,
      ...(source === undefined ? {} : { source }),
      outbox: this.outbox,
      batchSize: influx.batchSize,
      flushMs: influx.flushSeconds * 1000,
      retry: { initialMs: influx.retry.initialSeconds * 1000, maxMs: influx.retry.maxSeconds * 1000 },
      replayPointsPerSecond: influx.replayPointsPerSecond,
      createDatabase: influx.createDatabase,
      log: this.log,
      alarm: (code, severity, detail) => site.record('alarm', site.now(), { code, severity, detail }),
    });
  }

  async start(): Promise<void> {
    if (this.sink !== undefined) {
      if (this.mapper !== undefined)
        this.options.site.journal.setTelemetryRenderer(telemetryRenderer(this.mapper));
      this.sink.start();
      const everyMs = this.options.site.config.telemetry.sampleSeconds * 1000;
      this.sampler = setInterval(() => {
        try {
          this.sample();
        } catch (err) {
          this.log.error({ err }, 'taking high-rate samples failed');
        }
      }, everyMs);
      this.sampler.unref();
    }
    await this.startMetrics();
  }

  private async startMetrics(): Promise<void> {
    const { metrics, metricsServer } = this;
    if (metrics === undefined || metricsServer === undefined) return;
    this.options.lanePort?.onDispatch(metrics.dispatched);
    try {
      await metricsServer.listen();
      this.log.info({ url: metricsServer.url }, `Prometheus metrics at ${metricsServer.url}`);
    } catch (err) {
      this.log.error({ err, url: metricsServer.url }, 'the metrics endpoint cannot listen: metrics are off');
      this.metricsServer = undefined;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    if (this.sink !== undefined) this.options.site.journal.setTelemetryRenderer(undefined);
    this.options.lanePort?.onDispatch(undefined);
    this.metrics?.stop();
    await Promise.all([this.metricsServer?.close(), this.sink?.stop()]);
  }

  /** One round of high-rate samples into the outbox. */
  sample(): void {
    const { site } = this.options;
    const at = site.now();
    const siteId = site.config.site.id;
    // Samples are not journal entries: a running counter stands in for the seq in the timestamp.
    const ts = () => entryTimestampNs(at, this.sampleSeq++ % 1_000_000);
    const samples: { sampleClass: SampleClass; point: TelemetryPoint }[] = [];
    for (const device of this.options.devices?.() ?? []) {
      const fields: Record<string, FieldValue> = { online: device.online };
      if (device.roundTripMs !== undefined) fields.round_trip_ms = device.roundTripMs;
      for (const [k, v] of Object.entries(device.counters ?? {})) fields[k] = BigInt(Math.trunc(v));
      samples.push({
        sampleClass: 'device_health',
        point: {
          measurement: 'device_health',
          tags: { site: siteId, device: device.deviceId },
          fields,
          timestampNs: ts(),
        },
      });
    }
    const outside = site.checkpoint.outsideNow();
    samples.push({
      sampleClass: 'occupancy',
      point: {
        measurement: 'occupancy',
        tags: { site: siteId },
        fields: {
          out: BigInt(outside.length),
          households_out: BigInt(new Set(outside.flatMap((o) => o.householdId ?? [])).size),
        },
        timestampNs: ts(),
      },
    });
    this.outbox.add(samples);
  }
}

/** The token a Prometheus scrape must bear (`telemetry.metrics.bearerTokenFile`), from an owner-only file. */
function readScrapeToken(path: string): string {
  const token = readSecretFile(path, 'metrics bearer token file')?.toString('utf8').trim();
  if (token === undefined || token.length < 16) {
    throw new GatewardenError(
      'CONFIG_INVALID',
      `metrics bearer token file ${path} ${token === undefined ? 'does not exist' : 'holds fewer than 16 characters'}`,
      {
        problems: [
          { field: 'telemetry.metrics.bearerTokenFile', message: 'a token of 16 characters or more' },
        ],
      },
    );
  }
  return token;
}
