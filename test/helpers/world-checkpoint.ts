import { Checkpoint, type CheckpointOptions, type SiteLayout } from '../../gateway/checkpoint/checkpoint.js';
import type { Db } from '../../gateway/db.js';
import { Journal } from '../../gateway/journal/journal.js';
import { policy, registry } from './world.js';

/** One perimeter gate with a pedestrian lane in and one out. */
export const PEDESTRIAN_LAYOUT: SiteLayout = {
  gates: [
    {
      id: 'north',
      primary: true,
      lanes: [
        { id: 'ped-in', kind: 'pedestrian', direction: 'in' },
        { id: 'ped-out', kind: 'pedestrian', direction: 'out' },
      ],
    },
  ],
};

/**
 * A checkpoint over the journal in `db`, deciding against the test world (world.ts: its registry
 * and policies, closed mode, Asia/Shanghai, a 4-hour return) at `now()`; `extra` overrides any
 * option (snapshots, another policy). Not started.
 */
export function worldCheckpoint(
  db: Db,
  now: () => number,
  extra: Partial<CheckpointOptions> = {},
): Checkpoint {
  return new Checkpoint({
    journal: Journal.open(db),
    layout: PEDESTRIAN_LAYOUT,
    registry: () => registry,
    policy,
    initialMode: 'closed',
    timezone: 'Asia/Shanghai',
    returnWithinMs: 4 * 3600_000,
    now,
    ...extra,
  });
}
