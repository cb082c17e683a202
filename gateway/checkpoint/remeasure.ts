import type { Policy, RemeasureMark, TemperatureReading } from '../rules/types.js';

/**
 * The re-measure mark of a reading about to be recorded (see `RemeasurePolicy`), from the
 * reading the lane has pending (`SiteState.pendingRemeasure`) and the policy. Pure: the
 * checkpoint calls it once per reading and journals the result, so a replay reads the mark and
 * never judges again.
 *
 * With a reading pending: a handheld reading (if `handheld`) or a camera reading at least
 * `waitMs` after the pending one (if `camera`) is its re-measure (`taken`); any other reading is
 * `waiting`. With none: a camera reading at or above the threshold is `required`; everything
 * else, a handheld reading included (it is already the careful measurement), is ordinary.
 */
export function remeasureMark(
  reading: TemperatureReading,
  pending: TemperatureReading | undefined,
  policy: Policy,
): RemeasureMark | undefined {
  const remeasure = policy.remeasure;
  if (remeasure === undefined || !remeasure.enabled) return undefined;
  const handheld = reading.instrument === 'handheld';
  if (pending !== undefined) {
    const confirms = handheld
      ? remeasure.handheld
      : remeasure.camera && reading.at - pending.at >= remeasure.waitMs;
    return confirms ? 'taken' : 'waiting';
  }
  return !handheld && reading.celsius >= policy.feverThresholdC ? 'required' : undefined;
}

/** The reading as it is journaled: with the checkpoint's mark, never one handed in by a caller. */
export function withRemeasureMark(
  reading: TemperatureReading,
  mark: RemeasureMark | undefined,
): TemperatureReading {
  const { remeasure: _handedIn, ...rest } = reading;
  return mark === undefined ? rest : { ...rest, remeasure: mark };
}
