/**
 * MetricsServer: GET /metrics answers the registry's exposition with its content type, other
 * paths 404, other methods 405; with a bearer token only to a scrape that bears it; a collect that throws answers 500 and the server goes on; a
 * port already taken rejects listen().
 */
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsServer } from '../../gateway/telemetry/metrics-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('MetricsServer', () => {
  async function serve(registry: Registry) {
    const server = new MetricsServer({ registry, log: pino({ level: 'silent' }), port: 0 });
    const port = await server.listen();
    cleanups.push(() => server.close());
    return { server, base: `http://127.0.0.1:${port}` };
  }

  it('answers GET /metrics, 404 elsewhere, 405 for other methods', async () => {
    const registry = new Registry();
    new Gauge({ name: 'x_up', help: 'Test gauge.', registers: [registry] }).set(1);
    const { server, base } = await serve(registry);
    expect(server.url).toBe(`${base}/metrics`);
    const ok = await fetch(`${base}/metrics?debug=1`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe(registry.contentType);
    expect(await ok.text()).toMatch(/^x_up 1$/m);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('with a bearer token, answers only a scrape that bears it; 401 otherwise', async () => {
    const registry = new Registry();
    new Gauge({ name: 'x_up', help: 'Test gauge.', registers: [registry] }).set(1);
    const token = 'scrape-token-0123456789';
    const server = new MetricsServer({
      registry,
      log: pino({ level: 'silent' }),
      port: 0,
      bearerToken: token,
    });
    const port = await server.listen();
    cleanups.push(() => server.close());
    const url = `http://127.0.0.1:${port}/metrics`;
    const bare = await fetch(url);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await bare.text()).not.toMatch(/x_up/);
    for (const wrong of [`Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, `bearer ${token}`])
      expect((await fetch(url, { headers: { authorization: wrong } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^x_up 1$/m);
  });

  it('answers 500 when a collect throws, and keeps serving', async () => {
    const registry = new Registry();
    let broken = true;
    new Gauge({
      name: 'x_flaky',
      help: 'Test gauge.',
      registers: [registry],
      collect() {
        if (broken) throw new Error('database is locked');
        this.set(2);
      },
    });
    const { base } = await serve(registry);
    const failed = await fetch(`${base}/metrics`);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toMatch(/collecting metrics failed/);
    broken = false;
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^x_flaky 2$/m);
  });

  it('refuses to listen on a port already taken', async () => {
    const { base } = await serve(new Registry());
    const port = Number(new URL(base).port);
    const second = new MetricsServer({ registry: new Registry(), log: pino({ level: 'silent' }), port });
    await expect(second.listen()).rejects.toThrow(/EADDRINUSE/);
  });
});
