/**
 * The ONVIF camera simulator (simulators/onvif/) on 127.0.0.1, OS-chosen ports, driven by the
 * gateway's own client, the `onvif` package's Cam (agsh/onvif 0.8.3): connect, device
 * information, pull-point events with the exact values in the raw XML, authentication failures,
 * reboot, clock skew; WS-Discovery probed unicast; the hostile replies read raw over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import onvif, { type Cam } from 'onvif';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { DEEP_LEVELS, HUGE_BYTES } from '../../simulators/onvif/faults.js';
import { type OnvifCameraOptions, OnvifCameraSimulator } from '../../simulators/onvif/onvif-camera.js';
import { usernameTokenHeader } from '../../simulators/onvif/wsse.js';
import { parseXml, path, text } from '../../simulators/onvif/xml.js';
import { isoTime } from '../../simulators/onvif/xs-time.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';

const sims: OnvifCameraSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

async function startSim(options: OnvifCameraOptions = {}) {
  const sim = new OnvifCameraSimulator({ host: '127.0.0.1', port: 0, discoveryPort: 0, seed: 7, ...options });
  sims.push(sim);
  const bound = await sim.start();
  return { sim, ...bound };
}

function camera(port: number, password = 'admin'): Cam {
  return new onvif.Cam({ hostname: '127.0.0.1', port, username: 'admin', password, autoconnect: false });
}

function connect(cam: Cam): Promise<void> {
  return new Promise((resolve, reject) => cam.connect((err) => (err ? reject(err) : resolve())));
}

// biome-ignore lint/suspicious/noExplicitAny: the package's replies are untyped xml2js trees
type Reply = { data: any; xml: string };
function call(
  run: (done: (err: Error | null, data?: unknown, xml?: string) => void) => void,
): Promise<Reply> {
  return new Promise((resolve, reject) =>
    run((err, data, xml) => (err ? reject(Object.assign(err, { xml })) : resolve({ data, xml: xml ?? '' }))),
  );
}

/** Pulls until a response's raw XML holds `needle` (the first pull brings the Initialized property). */
async function pullUntil(cam: Cam, needle: string): Promise<string> {
  for (let i = 0; i < 5; i++) {
    const { xml } = await call((done) => cam.pullMessages({ messageLimit: 10 }, done));
    if (xml.includes(needle)) return xml;
  }
  throw new Error(`no pull brought ${needle}`);
}

describe('device and media', () => {
  it('connects with the real Cam and tells who it is', async () => {
    const { port } = await startSim({ name: 'north-thermal', lane: 'north-ped-in' });
    const cam = camera(port);
    const warnings: unknown[] = [];
    cam.on('warning', (w) => warnings.push(w));
    await connect(cam);
    expect(warnings).toEqual([]);
    expect(cam.activeSource?.sourceToken).toBe('VideoSource_1');
    expect(cam.activeSource?.profileToken).toBe('thermal_main');
    expect(cam.uri?.events?.href).toBe(`http://127.0.0.1:${port}/onvif/event_service`);
    const { data } = await call((done) => cam.getDeviceInformation(done));
    expect(data).toMatchObject({
      manufacturer: 'gatewarden',
      model: 'sim-thermal',
      firmwareVersion: '1.0.0-sim',
    });
    const scopes = await call((done) => cam.getScopes(done));
    expect(scopes.xml).toContain('onvif://www.onvif.org/name/north-thermal');
    expect(scopes.xml).toContain('onvif://www.onvif.org/location/north-ped-in');
    expect(scopes.xml).toContain('onvif://www.onvif.org/hardware/sim-thermal');
  });

  it('refuses a wrong password as a camera does (400, ter:NotAuthorized)', async () => {
    const { sim, port } = await startSim();
    await expect(connect(camera(port, 'wrong'))).rejects.toThrow(/Sender not Authorized/);
    const cam = camera(port);
    await connect(cam);
    sim.setPassword('admin', 'changed');
    const failure = call((done) => cam.createPullPointSubscription(done));
    await expect(failure).rejects.toThrow(/not Authorized/);
    await expect(failure).rejects.toMatchObject({ xml: expect.stringContaining('ter:NotAuthorized') });
    expect(sim.counters.refused).toBeGreaterThanOrEqual(3);
  });

  it('runs its clock skewed: a Cam that learns the shift works, one that does not is refused', async () => {
    const { sim, port } = await startSim();
    const before = camera(port);
    await connect(before);
    sim.setClockSkew(30);
    await expect(call((done) => before.getDeviceInformation(done))).rejects.toThrow(/not Authorized/);
    const after = camera(port);
    await connect(after);
    const { data } = await call((done) => after.getDeviceInformation(done));
    expect(data.model).toBe('sim-thermal');
  });
});

describe('events', () => {
  it('delivers a person (mask, then body temperature) with exact values', async () => {
    const { sim, port } = await startSim();
    const cam = camera(port);
    const raw: string[] = [];
    cam.on('rawResponse', (xml) => raw.push(xml));
    await connect(cam);
    const { data } = await call((done) => cam.createPullPointSubscription(done));
    expect(data.subscriptionReference.address.href).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${port}/onvif/subscription/[0-9a-f-]+$`),
    );
    const initial = await pullUntil(cam, 'PropertyOperation="Initialized"');
    expect(initial).toContain('<tt:SimpleItem Name="State" Value="false"/>');
    // The pull is waiting (nothing queued) when the person walks by: it is answered with them.
    const pulled = call((done) => cam.pullMessages({ messageLimit: 10 }, done));
    await waitFor('the pull to be held', () => sim.hub.all()[0]?.waiting === true);
    const person = await sim.person({ celsius: 38.2, mask: false });
    expect(person).toMatchObject({ kind: 'person', kelvin: '311.35', alarm: true, subscriptions: 1 });
    expect(typeof person.queuedAtHrtime).toBe('bigint');
    const { xml } = await pulled;
    const id = `<tt:SimpleItem Name="ObjectId" Value="${person.objectId}"/>`;
    // The callback's XML has its xmlns declarations stripped by the package; the raw response keeps them.
    expect(raw.at(-1)).toContain('xmlns:tns1="http://www.onvif.org/ver10/topics"');
    expect(raw.at(-1)).toContain(id);
    expect(xml).toContain('>tns1:RuleEngine/MaskDetection/Mask</wsnt:Topic>');
    expect(xml).toContain('>tns1:RuleEngine/Radiometry/BodyTemperatureAlarm</wsnt:Topic>');
    expect(xml.split(id).length - 1).toBe(2);
    expect(xml).toContain('<tt:SimpleItem Name="Mask" Value="false"/>');
    expect(xml).toContain('<tt:SimpleItem Name="Temperature" Value="311.35"/>');
    expect(xml).toContain('<tt:SimpleItem Name="State" Value="true"/>');
    expect(xml).toContain(`UtcTime="${person.utcTime}" PropertyOperation="Changed"`);
    expect(xml.indexOf('MaskDetection/Mask')).toBeLessThan(xml.indexOf('BodyTemperatureAlarm'));
  });

  it('reports spot readings with drift when so configured', async () => {
    const { sim, port } = await startSim({ temperatureTopic: 'spot' });
    sim.setCalibrationDrift(0.8);
    const cam = camera(port);
    const raw: string[] = [];
    cam.on('rawResponse', (xml) => raw.push(xml));
    await connect(cam);
    await call((done) => cam.createPullPointSubscription(done));
    const person = await sim.person({ celsius: 36.6, mask: true });
    const xml = await pullUntil(cam, 'SpotTemperatureReading');
    expect(person.measuredCelsius).toBe(37.4);
    expect(xml).toContain(
      `<ttr:SpotTemperatureReading ItemID="${person.objectId}" SpotTemperature="310.55"/>`,
    );
    expect(raw.at(-1)).toContain('xmlns:ttr="http://www.onvif.org/ver20/analytics/radiometry"');
  });

  it('delivers a plate as written, UTF-8 and leading zeros intact', async () => {
    const { sim, port } = await startSim({ kind: 'plate' });
    const cam = camera(port);
    await connect(cam);
    expect(cam.activeSource?.profileToken).toBe('plate_main');
    await call((done) => cam.createPullPointSubscription(done));
    const vehicle = await sim.vehicle('京A01234', 0.93);
    const xml = await pullUntil(cam, 'LicensePlateRecognition/Plate');
    expect(xml).toContain('<tt:SimpleItem Name="PlateNumber" Value="京A01234"/>');
    expect(xml).toContain('<tt:SimpleItem Name="Confidence" Value="0.93"/>');
    expect(xml).toContain(`<tt:SimpleItem Name="ObjectId" Value="${vehicle.objectId}"/>`);
    await expect(sim.person({ celsius: 36.5 })).rejects.toThrow(RangeError);
  });

  it('forgets subscriptions on reboot: the old one is ResourceUnknown, a new one works', async () => {
    const { sim, port } = await startSim();
    const cam = camera(port);
    await connect(cam);
    await call((done) => cam.createPullPointSubscription(done));
    await sim.reboot(100);
    const stale = call((done) => cam.pullMessages({ messageLimit: 10 }, done));
    await expect(stale).rejects.toThrow(/ResourceUnknown/);
    await expect(stale).rejects.toMatchObject({
      xml: expect.stringContaining('wsrf-rw:ResourceUnknownFault'),
    });
    await call((done) => cam.createPullPointSubscription(done));
    const person = await sim.person({ celsius: 36.4, mask: true });
    const xml = await pullUntil(cam, `Name="ObjectId" Value="${person.objectId}"`);
    expect(xml).toContain('<tt:SimpleItem Name="Temperature" Value="309.55"/>');
    expect(sim.settings.boots).toBe(2);
  });
});

describe('faults seen by the client', () => {
  it('is unreachable while rebooting: a held pull is reset, new requests refused, discovery quiet', async () => {
    const { sim, port, discoveryPort } = await startSim();
    const cam = camera(port);
    await connect(cam);
    await call((done) => cam.createPullPointSubscription(done));
    await pullUntil(cam, 'PropertyOperation="Initialized"');
    const held = call((done) => cam.pullMessages({ messageLimit: 10 }, done));
    await waitFor('the pull to be held', () => sim.hub.all()[0]?.waiting === true);
    const rebooted = sim.reboot(60_000);
    await expect(held).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(sim.down).toBe(true);
    await expect(call((done) => cam.getDeviceInformation(done))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    const socket = createSocket('udp4');
    onTestFinished(() => {
      socket.close();
    });
    socket.send(
      Buffer.from(
        '<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body><Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"/></Body></Envelope>',
      ),
      discoveryPort,
      '127.0.0.1',
    );
    await waitFor('the probe to be counted', () => sim.discoveryCounters.unmatched === 1);
    expect(sim.discoveryCounters.answered).toBe(0);
    await sim.stop();
    await rebooted;
  });

  it("runs the package's own event loop (create, pull, renew) end to end", async () => {
    const { sim, port } = await startSim();
    const cam = camera(port);
    await connect(cam);
    // biome-ignore lint/suspicious/noExplicitAny: the package's event payload is an untyped xml2js tree
    const seen: any[] = [];
    cam.on('event', (message) => seen.push(message));
    await waitFor('the Initialized property', () => seen.length > 0);
    const person = await sim.person({ celsius: 36.6, mask: true });
    await waitFor('the person', () => seen.length >= 3);
    expect(seen.map((m) => m.topic._)).toEqual([
      'tns1:RuleEngine/Radiometry/BodyTemperatureAlarm',
      'tns1:RuleEngine/MaskDetection/Mask',
      'tns1:RuleEngine/Radiometry/BodyTemperatureAlarm',
    ]);
    const items = Object.fromEntries(
      seen[2].message.message.data.simpleItem.map((i: { $: { Name: string; Value: unknown } }) => [
        i.$.Name,
        i.$.Value,
      ]),
    );
    // The package's linerase turns numeric text into numbers; the raw XML keeps "309.75".
    expect(items).toEqual({ State: false, ObjectId: person.objectId, Temperature: 309.75 });
    expect(seen[2].message.message.$.PropertyOperation).toBe('Changed');
    cam.removeAllListeners('event');
  });

  it('delays every reply when slow (on a hand-moved clock)', async () => {
    const clock = new ManualClock(Date.now());
    const { sim, port } = await startSim({ clock });
    const cam = camera(port);
    await connect(cam);
    sim.setSlowResponses(5_000);
    let answered = false;
    const info = call((done) => cam.getDeviceInformation(done)).then((r) => {
      answered = true;
      return r;
    });
    await waitFor('the reply to be delayed', () => clock.pending > 0);
    expect(answered).toBe(false);
    clock.advance(5_000);
    expect((await info).data.model).toBe('sim-thermal');
  });
});

/** A raw SOAP POST with a fresh token on the camera's clock; resolves with the response stream. */
async function rawPost(
  sim: OnvifCameraSimulator,
  url: string,
  bodyXml: string,
  token: { password?: string; nonce?: Buffer } = {},
) {
  const nonce = token.nonce ?? randomBytes(16);
  const header = usernameTokenHeader('admin', token.password ?? 'admin', isoTime(sim.cameraNow()), nonce);
  const body = Buffer.from(
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>${header}</s:Header>` +
      `<s:Body>${bodyXml}</s:Body></s:Envelope>`,
  );
  const req = request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Content-Length': body.length },
  });
  req.end(body);
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  return { req, res };
}

async function readAll(res: import('node:http').IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const PULL =
  '<PullMessages xmlns="http://www.onvif.org/ver10/events/wsdl"><Timeout>PT1S</Timeout><MessageLimit>10</MessageLimit></PullMessages>';

describe('hostile replies and limits', () => {
  it('serves each hostile kind once, in place of the next PullMessages', async () => {
    const { sim, port } = await startSim();
    const cam = camera(port);
    await connect(cam);
    const { data } = await call((done) => cam.createPullPointSubscription(done));
    const address: string = data.subscriptionReference.address.href;

    sim.serveHostile('huge');
    const huge = await rawPost(sim, address, PULL);
    let bytes = 0;
    for await (const chunk of huge.res) {
      bytes += (chunk as Buffer).length;
      if (bytes > HUGE_BYTES) break;
    }
    huge.req.destroy();
    expect(bytes).toBeGreaterThan(HUGE_BYTES);

    sim.serveHostile('deep');
    const deep = (await readAll((await rawPost(sim, address, PULL)).res)).toString('utf8');
    expect(deep.split('<ttr:Nest>').length - 1).toBe(DEEP_LEVELS);
    expect(deep).toContain('</env:Envelope>');

    sim.serveHostile('entities');
    const entities = (await readAll((await rawPost(sim, address, PULL)).res)).toString('utf8');
    expect(entities).toMatch(/<!DOCTYPE env:Envelope \[[\s\S]*<!ENTITY lol9 "(&lol8;){10}">/);
    expect(entities).toContain('Value="&lol9;"');

    sim.serveHostile('garbage');
    const garbage = await readAll((await rawPost(sim, address, PULL)).res);
    expect(garbage[0]).toBe(0xff);
    await expect(parseXml(garbage.toString('utf8'))).rejects.toThrow();

    expect(sim.counters.hostileServed).toBe(4);
    const normal = (await readAll((await rawPost(sim, address, PULL)).res)).toString('utf8');
    expect(normal).toContain('PropertyOperation="Initialized"');
  });

  it('answers a bad or replayed token with HTTP 400 and the NotAuthorized fault', async () => {
    const { sim, port } = await startSim();
    const url = `http://127.0.0.1:${port}/onvif/device_service`;
    const info = '<GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/>';
    const fault =
      '<env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value>' +
      '</env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text>';
    const wrong = await rawPost(sim, url, info, { password: 'nope' });
    expect(wrong.res.statusCode).toBe(400);
    expect((await readAll(wrong.res)).toString()).toContain(fault);
    const nonce = randomBytes(16);
    const first = await rawPost(sim, url, info, { nonce });
    expect(first.res.statusCode).toBe(200);
    first.res.resume();
    const replay = await rawPost(sim, url, info, { nonce });
    expect(replay.res.statusCode).toBe(400);
    expect((await readAll(replay.res)).toString()).toContain(fault);
  });

  it('refuses a request body over 256 KiB with 413', async () => {
    const { sim, port } = await startSim();
    const { res } = await rawPost(
      sim,
      `http://127.0.0.1:${port}/onvif/device_service`,
      `<GetScopes xmlns="http://www.onvif.org/ver10/device/wsdl"/><!--${'x'.repeat(300 * 1024)}-->`,
    );
    expect(res.statusCode).toBe(413);
    res.resume();
  });
});

describe('WS-Discovery', () => {
  const probe = (types: string, messageId: string) =>
    Buffer.from(
      '<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
        '<Header><wsa:MessageID xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">' +
        `${messageId}</wsa:MessageID></Header><Body>` +
        `<Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"><Types>${types}</Types><Scopes/></Probe>` +
        '</Body></Envelope>',
    );

  it('answers a unicast Probe, ignores garbage and other types', async () => {
    const { sim, port, discoveryPort } = await startSim({ name: 'east-thermal' });
    const socket = createSocket('udp4');
    onTestFinished(() => {
      socket.close();
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const replies: Buffer[] = [];
    socket.on('message', (msg) => replies.push(msg));

    socket.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), discoveryPort, '127.0.0.1');
    socket.send(probe('dn:Printer', 'urn:uuid:other'), discoveryPort, '127.0.0.1');
    await waitFor('garbage and the foreign probe to be counted', () => {
      const c = sim.discoveryCounters;
      return c.garbage === 1 && c.unmatched === 1;
    });
    socket.send(probe('dn:NetworkVideoTransmitter', 'urn:uuid:probe-1'), discoveryPort, '127.0.0.1');
    await waitFor('a ProbeMatches', () => replies.length > 0);
    expect(replies).toHaveLength(1);

    const doc = await parseXml((replies[0] as Buffer).toString('utf8'));
    const match = path(doc, 'Envelope', 'Body', 'ProbeMatches', 'ProbeMatch');
    expect(text(path(doc, 'Envelope', 'Header', 'RelatesTo'))).toBe('urn:uuid:probe-1');
    expect(text(path(match, 'EndpointReference', 'Address'))).toBe(sim.identity.endpoint);
    expect(text(path(match, 'Types'))).toBe('dn:NetworkVideoTransmitter tds:Device');
    expect(text(path(match, 'XAddrs'))).toBe(`http://127.0.0.1:${port}/onvif/device_service`);
    expect(text(path(match, 'Scopes'))).toContain('onvif://www.onvif.org/name/east-thermal');

    // The reply also parses the way agsh/onvif's Discovery reads ProbeMatches.
    const { linerase, parseSOAPString } = createRequire(import.meta.url)('onvif/lib/utils.js');
    const parsed = await new Promise<unknown[]>((resolve, reject) =>
      parseSOAPString((replies[0] as Buffer).toString('utf8'), (err: Error | null, data: unknown[]) =>
        err ? reject(err) : resolve(data),
      ),
    );
    expect(linerase(parsed).probeMatches.probeMatch.endpointReference.address).toBe(sim.identity.endpoint);
  });
});
