import type { Direction, SiteMode } from '../domain/model.js';
import type { TemperatureReading } from '../rules/types.js';
import type { RecentTimesSnapshot } from './recent-times.js';
import type { Outside } from './site-state.js';

/**
 * SiteState as data (site-state.ts `snapshot()` / `restore()`): everything its fold of the
 * journal built, by id (never by the process's dense indices), so that a state restored from it
 * and then given the entries after `seq` is the state a replay of the whole journal builds
 * (test/property/state-snapshot.test.ts). Bump `format` whenever the fold or this shape changes:
 * a snapshot of another format is ignored and the journal replayed whole.
 */
export const STATE_SNAPSHOT_FORMAT = 1;

export interface SiteStateSnapshot {
  format: typeof STATE_SNAPSHOT_FORMAT;
  mode: SiteMode;
  fireActive: boolean;
  dataRefreshedAt: number | null;
  staleAlarmedFor: number | null;
  temperatures: [laneId: string, readings: TemperatureReading[]][];
  pendingRemeasures: [laneId: string, reading: TemperatureReading][];
  presentations: [laneId: string, times: RecentTimesSnapshot][];
  lastDirections: [subjectId: string, direction: Direction, at: number][];
  householdExits: [householdId: string, times: number[]][];
  outside: Outside[];
  seenCodes: RecentTimesSnapshot;
}
