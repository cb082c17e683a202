import type { Logger } from '../logging.js';
import { UPSTREAM_CURSOR } from '../mqtt/upstream/journal-publisher.js';
import type { Site } from '../site.js';
import { type RetentionRunResult, retentionPeriods, runRetention } from './retention.js';

/**
 * Retention at a site: the periods of `retention` in the configuration, the sinks the
 * configuration says deliver readings (a configured sink that has not run yet holds back every
 * purge), a run at start and then every day while the gateway runs (docs/journal.md, Retention).
 */

const DAY_MS = 86_400_000;

/** The cursors of the sinks configured at the site (see the sinks' own modules for the names). */
export function configuredSinkCursors(config: Site['config']): string[] {
  const names: string[] = [];
  if (config.telemetry.influx !== undefined) names.push('influx', 'influx.bulk');
  if (config.mqtt.upstream !== undefined) names.push(UPSTREAM_CURSOR);
  return names;
}

/** One run with the site's configuration and clock; the registry snapshot reloads when visitors were purged. */
export function runSiteRetention(site: Site, now = site.now()): RetentionRunResult {
  const result = runRetention({
    db: site.db,
    journal: site.journal,
    periods: retentionPeriods(site.config.retention),
    now,
    requiredCursors: configuredSinkCursors(site.config),
  });
  if ((result.visitors?.purged ?? 0) > 0) site.reloadRegistry();
  return result;
}

export interface RetentionWatchOptions {
  site: Site;
  log: Logger;
  /** Timers; default the global ones (tests use fake timers). */
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/** Runs retention at `start()` and every 24 h after; a failed run is logged and tried again the next day. */
export class RetentionWatch {
  private handle: unknown;

  constructor(private readonly options: RetentionWatchOptions) {}

  start(): void {
    this.runOnce();
    const every = this.options.setInterval ?? ((fn, ms) => setInterval(fn, ms).unref());
    this.handle = every(() => this.runOnce(), DAY_MS);
  }

  stop(): void {
    if (this.handle === undefined) return;
    (this.options.clearInterval ?? ((h) => clearInterval(h as NodeJS.Timeout)))(this.handle);
    this.handle = undefined;
  }

  private runOnce(): void {
    const { site, log } = this.options;
    try {
      const result = runSiteRetention(site);
      if (result.seqs.length === 0) return;
      // Counts only: what was purged is exactly what must not reach a log.
      log.info(
        {
          seqs: result.seqs,
          readingsPurged: result.readings?.purged,
          readingsKeptUndelivered: result.readings?.keptUndelivered,
          visitorsPurged: result.visitors?.purged,
          skippedTampered: result.skippedTampered,
        },
        'retention run',
      );
    } catch (err) {
      log.error({ err }, 'retention run failed; tried again in a day');
    }
  }
}
