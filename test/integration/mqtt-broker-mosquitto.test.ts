/**
 * The Mosquitto test helper (test/integration/helpers/mosquitto.ts) that the broker benchmark
 * and the upstream tests build on: a real mosquitto on a free loopback port, stopped and
 * started again on the same port (an outage), its extra config lines applied, removed after.
 */
import { existsSync } from 'node:fs';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { startMosquitto } from './helpers/mosquitto.js';

describe('startMosquitto', () => {
  it('runs, stops and starts again on the same port, and cleans up', async () => {
    const broker = await startMosquitto();
    try {
      expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
      const client = await connectAsync(broker.url, { reconnectPeriod: 0 });
      const got = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())));
      await client.subscribeAsync('t');
      await client.publishAsync('t', 'hello', { qos: 1 });
      expect(await got).toBe('hello');
      await client.endAsync();

      await broker.stop();
      expect(broker.running).toBe(false);
      await expect(connectAsync(broker.url, { reconnectPeriod: 0, connectTimeout: 2000 })).rejects.toThrow();
      await broker.start();
      const again = await connectAsync(broker.url, { reconnectPeriod: 0 });
      await again.endAsync();
    } finally {
      await broker.dispose();
    }
    expect(existsSync(broker.dir)).toBe(false);
  });

  it('applies extra configuration lines, with files of its own directory', async () => {
    const broker = await startMosquitto({
      files: { acl: 'topic readwrite only/#\n' },
      config: (dir) => ['allow_anonymous true', `acl_file ${dir}/acl`],
    });
    try {
      const client = await connectAsync(broker.url, { reconnectPeriod: 0 });
      const got: string[] = [];
      client.on('message', (topic) => got.push(topic));
      await client.subscribeAsync('#');
      await client.publishAsync('other/x', 'denied by the ACL', { qos: 1 });
      await client.publishAsync('only/x', 'allowed', { qos: 1 });
      await waitFor('the allowed message', () => got.length > 0);
      expect(got).toEqual(['only/x']);
      await client.endAsync();
    } finally {
      await broker.dispose();
    }
  });

  it('leaves anonymous access off when the extra lines say so', async () => {
    const broker = await startMosquitto({ config: ['allow_anonymous false'] });
    try {
      await expect(connectAsync(broker.url, { reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);
    } finally {
      await broker.dispose();
    }
  });
});
