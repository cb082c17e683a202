import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Influxd, startInfluxd } from './helpers/influxd.js';

const DB = 'gatewarden';

/** Line protocol: a tag value with an escaped space, and a string field in Chinese. */
const EAST = String.raw`passage,gate=East\ Gate direction="in",count=2i 1700000000123456789`;
const NORTH = 'passage,gate=North resident="张伟" 1700000000987654321';
const LATER = 'passage,gate=North resident="李娜" 1700000001000000001';

/**
 * Proves the harness in helpers/influxd.ts against a real influxd: points written over HTTP come
 * back exactly (nanosecond times included), and data survives a stop and restart on the same port.
 */
describe('influxd harness', () => {
  let influxd: Influxd;

  const write = (lines: string) =>
    fetch(`${influxd.url}/write?db=${DB}&precision=ns`, { method: 'POST', body: lines });

  beforeAll(async () => {
    influxd = await startInfluxd();
  }, 60_000);

  afterAll(async () => {
    const dir = influxd?.dir;
    await influxd?.dispose();
    if (dir !== undefined) expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it('round-trips points and keeps them across a stop and restart', { timeout: 60_000 }, async () => {
    expect(influxd.url).toBe(`http://127.0.0.1:${influxd.port}`);
    await influxd.createDatabase(DB);

    const written = await write(`${EAST}\n${NORTH}\n`);
    expect(written.status, await written.text()).toBe(204);

    const both = [
      { time: 1700000000123456789n, count: 2, direction: 'in', gate: 'East Gate', resident: null },
      { time: 1700000000987654321n, count: null, direction: null, gate: 'North', resident: '张伟' },
    ];
    expect(await influxd.series('SELECT * FROM passage', DB)).toEqual(both);
    // Grouped: two series, each row carrying its series' tag.
    expect(await influxd.series('SELECT count, resident FROM passage GROUP BY gate', DB)).toEqual([
      { gate: 'East Gate', time: 1700000000123456789n, count: 2, resident: null },
      { gate: 'North', time: 1700000000987654321n, count: null, resident: '张伟' },
    ]);

    await influxd.stop();
    expect(influxd.running).toBe(false);
    await expect(write(LATER)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });

    await influxd.restart();
    expect(influxd.running).toBe(true);
    expect(await influxd.series('SELECT * FROM passage', DB)).toEqual(both);
    const again = await write(LATER);
    expect(again.status, await again.text()).toBe(204);
    expect(await influxd.series("SELECT resident FROM passage WHERE gate = 'North'", DB)).toEqual([
      { time: 1700000000987654321n, resident: '张伟' },
      { time: 1700000001000000001n, resident: '李娜' },
    ]);
  });
});
