/**
 * The admin API, the dashboard and its live socket over HTTPS (`api.tls`), on the built gateway
 * (`gatewarden start`) with a certificate made by openssl for the test: a login and a read over
 * TLS verified against that certificate, the live socket over wss, nothing over plain HTTP on the
 * same port, and a key file others may read refused at start with the fix named.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { selfSignedCert } from '../helpers/self-signed-cert.js';
import { ScratchSite } from './helpers/cli.js';

const PASSWORD = 'a long enough password';
const sites: ScratchSite[] = [];
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const site of sites.splice(0)) site.dispose();
});

/** A scratch site whose API serves TLS with a fresh self-signed certificate for 127.0.0.1, and an operator. */
function tlsSite(keyMode = 0o600): { site: ScratchSite; cert: Buffer } {
  const site = new ScratchSite();
  sites.push(site);
  const dir = join(site.dir, 'data', 'tls');
  mkdirSync(dir, { recursive: true });
  const { certFile, keyFile } = selfSignedCert(dir);
  chmodSync(keyFile, keyMode);
  const text = readFileSync(site.config, 'utf8');
  const api = 'api:\n  host: 127.0.0.1\n  port: 0\n';
  expect(text).toContain(api);
  writeFileSync(
    site.config,
    text.replace(api, `${api}  tls: { certFile: tls/cert.pem, keyFile: tls/key.pem }\n`),
  );
  const pw = join(site.dir, 'op.pw');
  writeFileSync(pw, `${PASSWORD}\n`, { mode: 0o600 });
  const added = site.run(['api', 'user', 'add', 'op-1', 'operator', '--password-file', pw]);
  expect(added.status, added.stderr).toBe(0);
  return { site, cert: readFileSync(certFile) };
}

function fetchTls(
  url: string,
  ca: Buffer,
  options: { method?: string; body?: object; token?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest(
      url,
      {
        method: options.method ?? 'GET',
        ca,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

describe('the admin API over TLS', () => {
  it('serves the login, the API, the dashboard and the live socket over HTTPS, and nothing in plain HTTP', async () => {
    const { site, cert } = tlsSite();
    const gateway = await site.start();
    stops.push(() => gateway.stop());
    const base = /dashboard 管理界面: (https:\/\/127\.0\.0\.1:\d+)\//.exec(gateway.stderr())?.[1];
    expect(base).toBeDefined();
    const url = base as string;

    const login = await fetchTls(`${url}/api/session`, cert, {
      method: 'POST',
      body: { user: 'op-1', password: PASSWORD },
    });
    expect(login.status, login.body).toBe(200);
    const { token } = JSON.parse(login.body) as { token: string };
    const me = await fetchTls(`${url}/api/site`, cert, { token });
    expect(me.status, me.body).toBe(200);
    expect((await fetchTls(`${url}/`, cert)).body).toMatch(/<html/i);

    // The live socket: wss on the same port, the token as the first message.
    const ws = new WebSocket(`${url.replace('https:', 'wss:')}/api/live`, { ca: cert });
    const first = await new Promise<string>((done, fail) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
      ws.on('message', (m) => done(String(m)));
      ws.on('error', fail);
    });
    ws.close();
    expect(JSON.parse(first)).toMatchObject({ type: 'ready' });

    // Plain HTTP to the TLS port gets no answer from the API.
    const plain = await new Promise<string>((done) => {
      const req = httpRequest(`${url.replace('https:', 'http:')}/api/session`, { method: 'POST' }, (res) =>
        done(`status ${res.statusCode}`),
      );
      req.on('error', (err) => done(`error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      req.end('{}');
    });
    expect(plain).not.toMatch(/^status [245]\d\d/);
  });

  it('refuses to start with a private key other users may read, and names the fix', async () => {
    const { site } = tlsSite(0o644);
    await expect(site.start()).rejects.toThrow(
      /API TLS private key .*key\.pem is open to other users.*chmod 600/,
    );
  });
});
