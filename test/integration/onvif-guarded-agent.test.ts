import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import onvif, { type Cam } from 'onvif';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedAgent, routeSubscriptionCallsThrough } from '../../drivers/onvif/guarded-agent.js';
import { DEFAULT_XML_LIMITS, OnvifXmlError, type XmlLimits } from '../../drivers/onvif/xml-guard.js';

// A camera stand-in on 127.0.0.1 (port chosen by the OS) serving well-formed and hostile replies.

const SOAP_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"' +
  ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"' +
  ' xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"' +
  ' xmlns:wsa5="http://www.w3.org/2005/08/addressing"><SOAP-ENV:Body>';
const SOAP_CLOSE = '</SOAP-ENV:Body></SOAP-ENV:Envelope>';

/** GetSystemDateAndTimeResponse (ONVIF device.wsdl), with empty elements to cut between / and >. */
const DATE_TIME =
  `${SOAP_OPEN}<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>` +
  '<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
  '<tt:TimeZone><tt:TZ>CST-8</tt:TZ></tt:TimeZone><tt:Extension/>' +
  '<tt:UTCDateTime><tt:Time><tt:Hour>3</tt:Hour><tt:Minute>4</tt:Minute><tt:Second>5</tt:Second></tt:Time>' +
  '<tt:Date><tt:Year>2022</tt:Year><tt:Month>4</tt:Month><tt:Day>1</tt:Day></tt:Date></tt:UTCDateTime>' +
  `<tt:LocalDateTime/></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>${SOAP_CLOSE}`;

const HUGE_BYTES = 50 * 1024 * 1024;
const DEEP = `${SOAP_OPEN}${'<tt:Data>'.repeat(20_000)}${'</tt:Data>'.repeat(20_000)}${SOAP_CLOSE}`;
const LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('') +
  `]>${SOAP_OPEN}<x>&lol9;</x>${SOAP_CLOSE}`;
const XXE = `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${SOAP_OPEN}<x>&xxe;</x>${SOAP_CLOSE}`;
const HTML_401 =
  '<!DOCTYPE html><html><head><title>Document Error: Unauthorized</title></head>' +
  '<body><h2>Access Error: 401 -- Unauthorized</h2></body></html>';

let server: http.Server;
let port: number;
/** Body bytes each streamed response managed to write before the client went away. */
const written = new Map<string, number>();
/** Settles when the streamed response of a path is over (written whole, or the client went away). */
const streamed = new Map<string, Promise<void>>();
let requestsSeen: string[] = [];
let dateTimeAsked = 0;

/** Writes `size` bytes of one flat element, respecting back-pressure; stops when the client closes. */
async function stream(path: string, res: http.ServerResponse, size: number): Promise<void> {
  const block = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  async function* body() {
    yield Buffer.from(`${SOAP_OPEN}<x>`);
    while (sent < size) {
      sent += block.length;
      written.set(path, sent);
      yield block;
    }
    yield Buffer.from(`</x>${SOAP_CLOSE}`);
  }
  await pipeline(Readable.from(body()), res).catch(() => {});
}

/** Writes `xml` cut after every '/' and '<': with chunked encoding a size line lands in each cut. */
function writeCut(res: http.ServerResponse, xml: string): void {
  for (const piece of xml.split(/(?<=[/<])/)) res.write(piece);
  res.end();
}

function route(path: string, res: http.ServerResponse): void {
  const soap = { 'Content-Type': 'application/soap+xml; charset=utf-8' };
  if (path === '/normal') {
    res.writeHead(200, soap);
    writeCut(res, DATE_TIME);
  } else if (path === '/huge' || path === '/pull-huge') {
    res.writeHead(200, soap);
    streamed.set(path, stream(path, res, HUGE_BYTES));
  } else if (path === '/flat-2mib') {
    res.writeHead(200, soap);
    streamed.set(path, stream(path, res, 2 * 1024 * 1024));
  } else if (path === '/deep' || path === '/pull-deep') {
    res.writeHead(200, soap).end(DEEP);
  } else if (path === '/laughs') {
    res.writeHead(200, soap).end(LAUGHS);
  } else if (path === '/xxe') {
    res.writeHead(500, soap).end(XXE);
  } else if (path === '/html-401-then-ok') {
    // The first (anonymous) GetSystemDateAndTime is refused with an HTML page and no challenge;
    // the package then retries with a UsernameToken, which this camera accepts.
    if (dateTimeAsked++ === 0) res.writeHead(401, { 'Content-Type': 'text/html' }).end(HTML_401);
    else res.writeHead(200, soap).end(DATE_TIME);
  } else if (path === '/onvif/events') {
    res.writeHead(200, soap).end(pullPointCreated());
  } else res.writeHead(404).end();
}

function pullPointCreated(): string {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const later = new Date(Date.now() + 120_000).toISOString().replace(/\.\d+Z$/, 'Z');
  return (
    `${SOAP_OPEN}<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>` +
    `<wsa5:Address>http://127.0.0.1:${port}${pullPath}</wsa5:Address></tev:SubscriptionReference>` +
    `<wsnt:CurrentTime>${now}</wsnt:CurrentTime><wsnt:TerminationTime>${later}</wsnt:TerminationTime>` +
    `</tev:CreatePullPointSubscriptionResponse>${SOAP_CLOSE}`
  );
}
let pullPath = '/pull-huge';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requestsSeen.push(req.url ?? '');
    req.resume();
    req.on('end', () => route(req.url ?? '', res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Fetched {
  status?: number;
  body?: string;
  error?: Error;
  bytesRead: number;
  chunked?: boolean;
}

function fetch(path: string, limits: XmlLimits = DEFAULT_XML_LIMITS): Promise<Fetched> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: guardedAgent(limits) });
    const bytesRead = () => req.socket?.bytesRead ?? 0;
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString('utf8'),
          bytesRead: bytesRead(),
          chunked: res.headers['transfer-encoding'] === 'chunked',
        }),
      );
    });
    req.on('error', (error) => resolve({ error, bytesRead: bytesRead() }));
    req.end('<x/>');
  });
}

function xmlError(error: unknown): OnvifXmlError {
  expect(error).toBeInstanceOf(OnvifXmlError);
  return error as OnvifXmlError;
}

describe('guardedAgent with http.request', () => {
  it('passes a normal chunked SOAP response through unchanged', async () => {
    const got = await fetch('/normal');
    expect(got.error).toBeUndefined();
    expect(got.status).toBe(200);
    expect(got.chunked).toBe(true);
    expect(got.body).toBe(DATE_TIME);
  });

  it('stops reading a 50 MiB response at the limit and fails the request with too-large', async () => {
    const got = await fetch('/huge');
    const err = xmlError(got.error);
    expect(err.kind).toBe('too-large');
    expect(err.message).toContain('HTTP 200 response body');
    // Nothing past the limit (plus the head and one socket read) was taken in.
    expect(got.bytesRead).toBeLessThan(DEFAULT_XML_LIMITS.maxBytes + 256 * 1024);
    // The server saw the connection go and stopped well short of 50 MiB.
    await streamed.get('/huge');
    expect(written.get('/huge') ?? 0).toBeLessThan(HUGE_BYTES / 2);
  });

  it('refuses deep nesting, a billion-laughs DTD and an external entity', async () => {
    expect(xmlError((await fetch('/deep')).error).kind).toBe('too-deep');
    expect(xmlError((await fetch('/laughs')).error).kind).toBe('doctype');
    const xxe = xmlError((await fetch('/xxe')).error);
    expect(xxe.kind).toBe('doctype');
    expect(xxe.message).toContain('HTTP 500');
  });

  it('applies the caller limits', async () => {
    const got = await fetch('/normal', { maxBytes: 200, maxDepth: 64 });
    expect(xmlError(got.error).kind).toBe('too-large');
  });
});

function newCam(path: string, limits: XmlLimits = DEFAULT_XML_LIMITS): { cam: Cam; agent: http.Agent } {
  const agent = guardedAgent(limits);
  const cam = new onvif.Cam({
    hostname: '127.0.0.1',
    port,
    path,
    agent,
    autoconnect: false,
    username: 'admin',
    password: 'secret',
    timeout: 20_000,
  });
  return { cam, agent };
}

function dateTime(cam: Cam): Promise<{ err: Error | null; date: Date | undefined }> {
  return new Promise((resolve) => {
    cam.getSystemDateAndTime((err, date) => resolve({ err, date }));
  });
}

describe('guardedAgent with the onvif package', () => {
  it('lets GetSystemDateAndTime through', async () => {
    const { err, date } = await dateTime(newCam('/normal').cam);
    expect(err).toBeNull();
    expect(date?.toISOString()).toBe('2022-04-01T03:04:05.000Z');
  });

  it.each([
    ['/huge', 'too-large'],
    ['/deep', 'too-deep'],
    ['/laughs', 'doctype'],
  ])('fails GetSystemDateAndTime on %s with %s, naming the problem', async (path, kind) => {
    const { err } = await dateTime(newCam(path).cam);
    const e = xmlError(err);
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(/bytes|depth|DTD/);
    if (path === '/huge') {
      // The package never buffered the 50 MiB: the connection closed and the server stopped early.
      await streamed.get(path);
      expect(written.get(path) ?? 0).toBeLessThan(HUGE_BYTES / 2);
    }
  });

  it('keeps the package retry after a 401 HTML page (<!DOCTYPE html>) working', async () => {
    dateTimeAsked = 0;
    const { err, date } = await dateTime(newCam('/html-401-then-ok').cam);
    expect(err).toBeNull();
    expect(dateTimeAsked).toBe(2);
    expect(date?.toISOString()).toBe('2022-04-01T03:04:05.000Z');
  });
});

describe('routeSubscriptionCallsThrough', () => {
  function subscribeAndPull(cam: Cam, path: string): Promise<Error | null> {
    pullPath = path;
    (cam as unknown as { uri: Record<string, unknown> }).uri = { events: { path: '/onvif/events' } };
    return new Promise((resolve, reject) => {
      cam.createPullPointSubscription((err) => {
        if (err) reject(err);
        else cam.pullMessages({ messageLimit: 10 }, (pullErr) => resolve(pullErr));
      });
    });
  }

  it('without it the package pulls through the global agent, unguarded', async () => {
    const { cam } = newCam('/normal', { maxBytes: 64 * 1024, maxDepth: 64 });
    requestsSeen = [];
    const err = await subscribeAndPull(cam, '/flat-2mib');
    expect(err instanceof OnvifXmlError).toBe(false);
    expect(requestsSeen).toEqual(['/onvif/events', '/flat-2mib']);
    expect(written.get('/flat-2mib')).toBe(2 * 1024 * 1024);
  });

  it('with it PullMessages is guarded: a huge or deep reply fails with the guard error', async () => {
    const huge = newCam('/normal', { maxBytes: 64 * 1024, maxDepth: 64 });
    routeSubscriptionCallsThrough(huge.cam, huge.agent);
    expect(xmlError(await subscribeAndPull(huge.cam, '/pull-huge')).kind).toBe('too-large');

    const deep = newCam('/normal');
    routeSubscriptionCallsThrough(deep.cam, deep.agent);
    expect(xmlError(await subscribeAndPull(deep.cam, '/pull-deep')).kind).toBe('too-deep');
  });
});
