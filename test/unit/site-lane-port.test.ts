import { describe, expect, it } from 'vitest';
import type { LaneActuator } from '../../drivers/shared/lane-port.js';
import { SiteLanePort } from '../../gateway/devices/site-lane-port.js';
import type { Decision, PassRequest } from '../../gateway/rules/types.js';
import type { Site } from '../../gateway/site.js';

const DECISION: Decision = {
  allow: true,
  reasons: [{ effect: 'grant', code: 'VISITOR_REGISTERED' }],
  subject: { kind: 'person', id: 'v-1', personKind: 'visitor' },
  direction: 'in',
  actions: [{ type: 'unlock', durationMs: 5000 }],
};

/** Just enough of a Site for the port's decision path: a checkpoint that records requests. */
function fakeSite(requests: Partial<PassRequest>[]): Site {
  const checkpoint = {
    present: (request: Partial<PassRequest>) => {
      requests.push(request);
      return { decision: DECISION };
    },
  };
  return { checkpoint } as unknown as Site;
}

function actuator(deviceId: string, seen: string[]): LaneActuator {
  return { deviceId, actuate: (d) => seen.push(`${deviceId}:${d.allow}`) };
}

describe('SiteLanePort', () => {
  it('hands a decision to every actuator of the lane except the device that read the credential', () => {
    const requests: Partial<PassRequest>[] = [];
    const port = new SiteLanePort(fakeSite(requests));
    const seen: string[] = [];
    port.addActuator('north-ped-in', actuator('door-module', seen));
    port.addActuator('north-ped-in', actuator('osdp-reader', seen));
    port.addActuator('north-ped-out', actuator('other-lane-door', seen));
    const decision = port.present(
      'north-ped-in',
      { kind: 'idcard', value: 'ab', idNumberValid: true },
      'osdp-reader',
    );
    expect(decision).toBe(DECISION);
    expect(requests).toEqual([
      { laneId: 'north-ped-in', credential: { kind: 'idcard', value: 'ab', idNumberValid: true } },
    ]);
    expect(seen).toEqual(['door-module:true']);
  });
});
