import type { DeviceAlarm, LanePort } from '../../drivers/shared/lane-port.js';
import { createLogger } from '../../gateway/logging.js';
import type { Decision, PresentedCredential } from '../../gateway/rules/types.js';

/** A LanePort that records what it is given and answers with `decide` (default: a plain deny). */
export function recordingLanePort(
  decide: (laneId: string, credential: PresentedCredential) => Decision = () => ({
    allow: false,
    reasons: [{ effect: 'deny', code: 'VISITOR_NOT_REGISTERED' }],
    subject: { kind: 'unknown' },
    direction: 'in',
    actions: [],
  }),
) {
  const presented: { laneId: string; credential: PresentedCredential; source: string }[] = [];
  const decisions: Decision[] = [];
  const alarms: DeviceAlarm[] = [];
  const states: string[] = [];
  const port: LanePort = {
    present(laneId, credential, source) {
      presented.push({ laneId, credential, source });
      const decision = decide(laneId, credential);
      decisions.push(decision);
      return decision;
    },
    alarm: (alarm) => alarms.push(alarm),
    deviceState: (deviceId, state, detail) =>
      states.push(`${deviceId} ${state}${detail ? ` ${detail}` : ''}`),
    fire: () => undefined,
    fireActive: () => false,
  };
  return { port, presented, decisions, alarms, states };
}

/** A gatewarden logger at trace level writing into memory; `text()` is everything it wrote. */
export function memoryLog() {
  let text = '';
  const logger = createLogger({
    level: 'trace',
    destination: {
      write: (s: string) => {
        text += s;
      },
    },
  });
  return {
    logger,
    text: () => text,
    lines: () =>
      text
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
