/**
 * The telemetry of a running gateway, wired from the configuration: the InfluxDB sink over the
 * journal, the high-rate samples (device health, occupancy) and their outbox. Lifecycle as the
 * devices (style H5): the constructor builds, `start()` starts the sink and the sampler,
 * `stop()` stops both; the cursors and the outbox keep what was not sent yet.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeviceState } from '../devices/device-module.js';
import { childLogger } from '../logging.js';
import type { Site } from '../site.js';
import { InfluxSink } from './influx-sink.js';
import { InfluxWriter, type PointWriter } from './influx-writer.js';
import { entryTimestampNs, type FieldValue, type TelemetryPoint } from './line-protocol.js';
import { PointMapper } from './points.js';
import { type SampleClass, SampleOutbox } from './sample-outbox.js';

export interface TelemetryOptions {
  site: Site;
  log: Logger;
  /** Device states with their counters, for the health samples. */
  devices?: () => DeviceState[];
  /** Another writer than the configured InfluxDB (tests, benchmarks). */
  writer?: PointWriter;
}

/** Keyed pseudonym of a registry id, separate from the ID-number hashes (another label). */
export function telemetryPseudonym(key: Buffer, id: string): string {
  return createHmac('sha256', key).update(`telemetry-subject\0${id}`).digest('hex').slice(0, 16);
}

export class Telemetry {
  readonly sink: InfluxSink | undefined;
  readonly outbox: SampleOutbox;
  private readonly log: Logger;
  private sampler: NodeJS.Timeout | undefined;
  private sampleSeq = 0;

  constructor(private readonly options: TelemetryOptions) {
    const { site } = options;
    const config = site.config.telemetry;
    this.log = childLogger(options.log, 'telemetry');
    this.outbox = new SampleOutbox(site.db, {
      budgetBytes: Math.round(config.highRateBudgetMiB * 1024 * 1024),
      onThinned: (dropped) => {
        this.log.warn({ dropped }, 'high-rate samples over their disk budget: oldest thinned');
        site.journal.append('alarm', site.now(), {
          code: 'TELEMETRY_THINNED',
          severity: 'warning',
          detail: dropped as Record<string, number>,
        });
      },
    });
    const influx = config.influx;
    if (influx === undefined) return;
    this.sink = new InfluxSink({
      journal: site.journal,
      db: site.db,
      writer: options.writer ?? new InfluxWriter(influx),
      mapper: new PointMapper({
        siteId: site.config.site.id,
        feverThresholdC: site.config.policy.feverThresholdC,
        pseudonym: (id) => telemetryPseudonym(site.key, id),
      }),
      outbox: this.outbox,
      batchSize: influx.batchSize,
      flushMs: influx.flushSeconds * 1000,
      retry: { initialMs: influx.retry.initialSeconds * 1000, maxMs: influx.retry.maxSeconds * 1000 },
      replayPointsPerSecond: influx.replayPointsPerSecond,
      createDatabase: influx.createDatabase,
      log: this.log,
      alarm: (code, severity, detail) => site.journal.append('alarm', site.now(), { code, severity, detail }),
    });
  }

  start(): void {
    this.sink?.start();
    if (this.sink === undefined) return;
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

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    await this.sink?.stop();
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
          households_out: BigInt(new Set(outside.map((o) => o.householdId)).size),
        },
        timestampNs: ts(),
      },
    });
    this.outbox.add(samples);
  }
}
