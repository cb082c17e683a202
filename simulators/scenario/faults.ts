import {
  CAMERAS,
  IDCARD_READER,
  LANES_WITH,
  OSDP_READERS,
  QR_SCANNERS,
  THERMOMETER,
} from '../site/site-plan.js';
import type { PlannedAction } from './plan.js';

/**
 * Scheduled faults of the crowd scenario: what they are, how they are written, and where they
 * fall in the day. Pure; fault-driver.ts makes them happen.
 *
 *   <kind>[:<target>]@[d<day>/]<HH:MM>+<duration>     e.g.  reader-offline:north-ped-out@10:30+5m
 *
 * The time is scenario time: `HH:MM` on day 1 (which starts at 06:00), `d2/08:00` on a later day;
 * `duration` is `90s`, `5m`, `2h` or `1h30m`. Kinds, and what each does to the expected outcomes, by construction:
 *
 * | kind                       | target (default)                       | during the fault                                    |
 * | -------------------------- | -------------------------------------- | --------------------------------------------------- |
 * | `reader-offline[:<lane>]`  | a lane with an OSDP reader (north-ped-in) | the reader answers no poll; the gateway must see it offline |
 * | `camera-reboot[:<camera>]` | a camera id (north-in-thermal)         | the camera is powered off, then boots again         |
 * | `influx-down`              | none                                   | the site's InfluxDB is stopped                      |
 * | `upstream-down`            | none                                   | the site's upstream Mosquitto is stopped            |
 *
 * An action that needs a device under a fault (a card at that reader, anything screened by that
 * camera) is **held, not attempted and not expected to time out**: the people queue at the gate
 * until the fault is over and the gateway has the device online again, and every later action
 * waits behind it. The plan's order is kept, so every expectation of the plan stands unchanged.
 * A fault never starts between an action and its continuation (the next action less than a
 * minute later, such as the visitor led in 10 s after the escort's card), because holding the
 * second would change its outcome. `influx-down` and `upstream-down` change no decision (the gate
 * decides at the edge): what they must change is only when the journal reaches upstream, and
 * after the day every entry must be there.
 */
export const FAULT_KINDS = ['reader-offline', 'camera-reboot', 'influx-down', 'upstream-down'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ScheduledFault {
  /** As written, for messages. */
  spec: string;
  kind: FaultKind;
  /** The gateway's device id the fault takes away; undefined for influx-down and upstream-down. */
  device?: string;
  /** Milliseconds since 06:00, like PlannedAction.at. */
  startMs: number;
  endMs: number;
}

const DAY_START_MINUTES = 6 * 60;
const MINUTE_MS = 60_000;
/** An action less than this after the previous one continues it (escort and visitor). */
export const CONTINUATION_MS = MINUTE_MS;

/** A bad --fault value; the message names the part that is wrong. */
export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/** Parses one `--fault` value; throws FaultSpecError naming the bad part. */
export function parseFault(spec: string): ScheduledFault {
  const fail = (why: string): never => {
    throw new FaultSpecError(`--fault ${JSON.stringify(spec)}: ${why}`);
  };
  const m = /^([^:@+]+)(?::([^@+]*))?@([^+]*)\+(.*)$/.exec(spec.trim());
  if (m === null)
    return fail('expected <kind>[:<target>]@[d<day>/]<HH:MM>+<duration>, e.g. reader-offline@10:30+5m');
  const [, kindText = '', target, timeText = '', durationText = ''] = m;
  if (!(FAULT_KINDS as readonly string[]).includes(kindText))
    return fail(`kind "${kindText}" is not one of ${FAULT_KINDS.join(', ')}`);
  const kind = kindText as FaultKind;
  const time = /^(?:d([1-9]\d?)\/)?([01]\d|2[0-3]):([0-5]\d)$/.exec(timeText);
  if (time === null) return fail(`time "${timeText}" is not HH:MM or d<day>/HH:MM (day 1 to 99)`);
  const day = Number(time[1] ?? 1);
  const minutes = (day - 1) * 24 * 60 + Number(time[2]) * 60 + Number(time[3]);
  if (minutes < DAY_START_MINUTES)
    return fail(`time ${timeText} is before the scenario starts at 06:00 of day 1`);
  const durationMs = parseDuration(durationText);
  if (durationMs === undefined)
    return fail(`duration "${durationText}" is not like 90s, 5m, 2h or 1h30m (more than 0, at most 18h)`);
  const startMs = (minutes - DAY_START_MINUTES) * MINUTE_MS;
  const device = faultDevice(kind, target, fail);
  return { spec, kind, ...(device === undefined ? {} : { device }), startMs, endMs: startMs + durationMs };
}

function faultDevice(kind: FaultKind, target: string | undefined, fail: (why: string) => never) {
  switch (kind) {
    case 'reader-offline': {
      const lane = target ?? LANES_WITH.reader[0];
      const reader = OSDP_READERS.find((r) => r.lane === lane);
      return (
        reader?.id ??
        fail(`lane "${lane}" has no card reader (lanes with one: ${LANES_WITH.reader.join(', ')})`)
      );
    }
    case 'camera-reboot': {
      const id = target ?? CAMERAS[0]?.id;
      const camera = CAMERAS.find((c) => c.id === id);
      return camera?.id ?? fail(`"${id}" is not a camera (cameras: ${CAMERAS.map((c) => c.id).join(', ')})`);
    }
    case 'influx-down':
    case 'upstream-down':
      return target === undefined ? undefined : fail(`${kind} takes no target (":${target}")`);
  }
}

/** `90s`, `5m`, `2h`, `1h30m`… in ms; undefined when malformed, zero or over 18 h. */
function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d{1,2})h)?(?:(\d{1,4})m)?(?:(\d{1,5})s)?$/.exec(text);
  if (m === null || text === '') return undefined;
  const ms = (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
  return ms > 0 && ms <= 18 * 3600_000 ? ms : undefined;
}

/** The scenario time `atMs` as a fault's time: `HH:MM` on day 1, `d<day>/HH:MM` after (minutes rounded down). */
export function faultTime(atMs: number): string {
  const minutes = DAY_START_MINUTES + Math.floor(atMs / MINUTE_MS);
  const day = Math.floor(minutes / (24 * 60)) + 1;
  const hhmm = `${String(Math.floor(minutes / 60) % 24).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return day === 1 ? hhmm : `d${day}/${hhmm}`;
}

/** Throws FaultSpecError when two faults of the same kind and device overlap. */
export function checkFaultSet(faults: readonly ScheduledFault[]): void {
  for (const [i, a] of faults.entries())
    for (const b of faults.slice(i + 1))
      if (a.kind === b.kind && a.device === b.device && a.startMs < b.endMs && b.startMs < a.endMs)
        throw new FaultSpecError(`--fault ${JSON.stringify(a.spec)} and ${JSON.stringify(b.spec)} overlap`);
}

/**
 * The gateway device ids an action goes through (site-actions.ts): the lane's thermal camera
 * first for a person, then the reader, ID-card reader, scanner or thermometer; the plate camera
 * for a vehicle. An action kind not known here is taken to need every device of its lane, so a
 * fault at that lane holds it rather than letting it meet the fault unexpectedly.
 */
export function devicesNeeded(action: Pick<PlannedAction, 'kind' | 'lane'>): string[] {
  const here = <T extends { lane: string; id: string }>(list: readonly T[]) =>
    list.filter((d) => d.lane === action.lane).map((d) => d.id);
  const camera = (kind: 'thermal' | 'plate') => here(CAMERAS.filter((c) => c.kind === kind));
  const reader = here(OSDP_READERS);
  switch (action.kind) {
    case 'card':
      return [...camera('thermal'), ...reader];
    case 'idcard':
      return [...camera('thermal'), ...here([IDCARD_READER])];
    case 'qr':
      return [...camera('thermal'), ...here(QR_SCANNERS)];
    case 'fever':
      return [...camera('thermal'), ...here([THERMOMETER]), ...reader];
    case 'plate':
      return camera('plate');
    default:
      return [...here(CAMERAS), ...reader, ...here([IDCARD_READER, THERMOMETER]), ...here(QR_SCANNERS)];
  }
}

export type DayStep =
  | { kind: 'fault-start'; at: number; fault: ScheduledFault }
  | { kind: 'fault-end'; at: number; fault: ScheduledFault }
  /** `at` is when it is played; `heldBy` the faults that held it past its planned time. */
  | { kind: 'action'; at: number; action: PlannedAction; heldBy: ScheduledFault[] };

/**
 * The day as played: the plan's actions in their order, each at its planned time or later, with
 * every fault's start and end between them. At one instant, ends come before starts and starts
 * before actions. An action needing a device under a fault is played at that fault's end (see
 * above); a fault due between an action and its continuation starts right after the continuation.
 * Faults still running after the last action start and end after it.
 */
export function scheduleDay(actions: readonly PlannedAction[], faults: readonly ScheduledFault[]): DayStep[] {
  const starts = [...faults].sort((a, b) => a.startMs - b.startMs);
  let active: ScheduledFault[] = [];
  const steps: DayStep[] = [];
  /** Steps never go back in time: a deferred start is played when it is applied. */
  const now = (t: number) => Math.max(t, steps.at(-1)?.at ?? 0);
  const endUpTo = (t: number) => {
    for (const f of [...active].sort((a, b) => a.endMs - b.endMs)) {
      if (f.endMs > t) break;
      active = active.filter((x) => x !== f);
      steps.push({ kind: 'fault-end', at: now(f.endMs), fault: f });
    }
  };
  /** Applies every start and end up to `t`, in time order (an end at t before a start at t). */
  const applyUpTo = (t: number, startsAllowed: boolean) => {
    for (;;) {
      const next = starts[0];
      if (!startsAllowed || next === undefined || next.startMs > t) return endUpTo(t);
      endUpTo(next.startMs);
      starts.shift();
      active.push(next);
      steps.push({ kind: 'fault-start', at: now(next.startMs), fault: next });
    }
  };
  let previous: PlannedAction | undefined;
  let playedAt = 0;
  for (const action of actions) {
    const continues = previous !== undefined && action.at - previous.at < CONTINUATION_MS;
    let at = Math.max(action.at, playedAt);
    applyUpTo(at, !continues);
    const heldBy: ScheduledFault[] = [];
    for (;;) {
      const needed = new Set(devicesNeeded(action));
      const blocking = active.filter((f) => f.device !== undefined && needed.has(f.device));
      if (blocking.length === 0) break;
      heldBy.push(...blocking);
      at = Math.max(...blocking.map((f) => f.endMs));
      applyUpTo(at, !continues);
    }
    steps.push({ kind: 'action', at: now(at), action, heldBy });
    playedAt = at;
    previous = action;
  }
  applyUpTo(Number.POSITIVE_INFINITY, true);
  return steps;
}
