/**
 * An emergency open through the admin API reaches a real (simulated) lock: the OSDP door module
 * at north-ped-out, on an in-memory RS-485 line, driven by the gateway's DeviceHost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardRig, RIG_PASSWORD, startDashboardRig } from '../helpers/dashboard-rig.js';
import { waitFor } from '../helpers/wait-for.js';

let rig: DashboardRig;
beforeAll(async () => {
  rig = await startDashboardRig();
});
afterAll(async () => {
  await rig?.stop();
});

describe('emergency open through the API', () => {
  it('releases the simulated door module’s strike, journaled as an override by the operator', async () => {
    const post = (path: string, body: object, token?: string) =>
      fetch(new URL(path, rig.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const { token } = (await (
      await post('/api/session', { user: 'operator-1', password: RIG_PASSWORD })
    ).json()) as {
      token: string;
    };
    expect(rig.doorReleased()).toBe(false);
    const open = await post('/api/lanes/north-ped-out/open', { reason: '救护车 ambulance' }, token);
    expect(open.status).toBe(200);
    await waitFor('the strike released', () => rig.doorReleased());
    const { seq } = (await open.json()) as { seq: number };
    expect(rig.site.journal.get(seq)?.payload).toMatchObject({
      request: { laneId: 'north-ped-out', override: { operator: 'operator-1' } },
      decision: { allow: true },
    });
  });
});
