import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { probeCameras } from '../../drivers/onvif/discovery.js';
import {
  buildProbe,
  DN_NS,
  parseProbeMatches,
  TDS_NS,
  WSA_2004_NS,
  WSD_NS,
} from '../../drivers/onvif/discovery-messages.js';
import { childOf, parseSoapEnvelope, SOAP12_NS } from '../../drivers/onvif/soap-xml.js';
import { OnvifXmlError } from '../../drivers/onvif/xml-guard.js';

const PROBE_MATCHES = readFileSync(new URL('../fixtures/onvif/probe-matches.xml', import.meta.url), 'utf8');
const ENDPOINT = 'urn:uuid:a1b2c3d4-0000-4000-8000-000000000001';

describe('buildProbe', () => {
  it('builds a WS-Discovery 2005/04 Probe for network video transmitters', () => {
    const { header, body } = parseSoapEnvelope(buildProbe('urn:uuid:1234'));
    expect(childOf(header, 'MessageID')).toMatchObject({ ns: WSA_2004_NS, text: 'urn:uuid:1234' });
    expect(childOf(header, 'To')?.text).toBe('urn:schemas-xmlsoap-org:ws:2005:04:discovery');
    expect(childOf(header, 'Action')?.text).toBe(`${WSD_NS}/Probe`);
    expect(body).toMatchObject({ ns: WSD_NS, name: 'Probe' });
    const types = childOf(body, 'Types');
    expect(types?.text).toBe('dn:NetworkVideoTransmitter');
    expect(types?.prefixes.dn).toBe(DN_NS);
    expect(types?.prefixes.tds).toBe(TDS_NS);
    expect(childOf(body, 'Scopes')).toBeDefined();
    expect(buildProbe('x')).toContain(`xmlns:s="${SOAP12_NS}"`);
  });

  it('probes for other types and escapes what it is given', () => {
    const xml = buildProbe('urn:uuid:<&>', 'tds:Device');
    const { header, body } = parseSoapEnvelope(xml);
    expect(childOf(header, 'MessageID')?.text).toBe('urn:uuid:<&>');
    expect(childOf(body, 'Types')?.text).toBe('tds:Device');
  });
});

describe('parseProbeMatches', () => {
  it('reads the endpoint, types, scopes, service addresses and the decoded name, hardware and location', () => {
    expect(parseProbeMatches(PROBE_MATCHES)).toEqual([
      {
        endpoint: ENDPOINT,
        types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
        scopes: [
          'onvif://www.onvif.org/type/video_encoder',
          'onvif://www.onvif.org/Profile/Streaming',
          'onvif://www.onvif.org/name/North%20Gate%20%E5%8C%97%E9%97%A8',
          'onvif://www.onvif.org/hardware/TC-100',
          'onvif://www.onvif.org/location/country/china',
          'onvif://www.onvif.org/location/gate/north',
        ],
        xaddrs: ['http://192.0.2.10/onvif/device_service', 'http://[2001:db8::10]/onvif/device_service'],
        metadataVersion: 10,
        name: 'North Gate 北门',
        hardware: 'TC-100',
        location: 'country/china',
        relatesTo: 'RELATES_TO',
      },
    ]);
  });

  it('keeps a badly percent-encoded scope value as written and skips matches without an endpoint', () => {
    const xml = PROBE_MATCHES.replace('North%20Gate%20%E5%8C%97%E9%97%A8', 'Gate%E5%8C%ZZ').replace(
      '</wsdd:ProbeMatches>',
      '<wsdd:ProbeMatch><wsdd:Types>dn:X</wsdd:Types></wsdd:ProbeMatch></wsdd:ProbeMatches>',
    );
    const matches = parseProbeMatches(xml);
    expect(matches).toHaveLength(1);
    expect(matches[0]?.name).toBe('Gate%E5%8C%ZZ');
  });

  it('refuses a Probe (or anything but ProbeMatches), garbage and DTDs', () => {
    expect(() => parseProbeMatches(buildProbe('urn:uuid:1'))).toThrow(OnvifXmlError);
    expect(() => parseProbeMatches('\u0001\u0002 not xml')).toThrow(OnvifXmlError);
    expect(() =>
      parseProbeMatches(`<!DOCTYPE x>${PROBE_MATCHES.slice(PROBE_MATCHES.indexOf('<SOAP-ENV'))}`),
    ).toThrow(/DTD/);
  });
});

/** A device stand-in on 127.0.0.1 that answers each probe with `replies(messageId)`. */
async function responder(replies: (messageId: string) => string[]) {
  const socket = dgram.createSocket('udp4');
  const probes: string[] = [];
  let sent = 0;
  const probed = new Promise<void>((resolve) => {
    socket.on('message', (datagram, remote) => {
      const { header } = parseSoapEnvelope(datagram.toString('utf8'));
      const messageId = childOf(header, 'MessageID')?.text ?? '';
      probes.push(messageId);
      for (const reply of replies(messageId)) socket.send(reply, remote.port, remote.address, () => sent++);
      resolve();
    });
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, port: socket.address().port, probes, probed, sent: () => sent };
}

const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

describe('probeCameras (unicast to a responder on 127.0.0.1)', () => {
  it('collects the answers to its probe, de-duplicated, and lists what it refused', async () => {
    const device = await responder((messageId) => [
      'garbage \u0000 not xml',
      PROBE_MATCHES.replace('RELATES_TO', 'urn:uuid:someone-else'),
      PROBE_MATCHES.replace('RELATES_TO', messageId),
      PROBE_MATCHES.replace('RELATES_TO', messageId).replace(
        '</wsdd:XAddrs>',
        ' http://192.0.2.11/onvif/device_service</wsdd:XAddrs>',
      ),
    ]);
    sockets.push(device.socket);
    const result = await probeCameras({
      target: { address: '127.0.0.1', port: device.port },
      bindAddress: '127.0.0.1',
      timeoutMs: 1500,
    });
    expect(device.probes).toHaveLength(1);
    expect(device.probes[0]).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(result.cameras).toHaveLength(1);
    expect(result.cameras[0]).toMatchObject({
      endpoint: ENDPOINT,
      name: 'North Gate 北门',
      relatesTo: device.probes[0],
    });
    expect(result.cameras[0]?.xaddrs).toEqual([
      'http://192.0.2.10/onvif/device_service',
      'http://[2001:db8::10]/onvif/device_service',
      'http://192.0.2.11/onvif/device_service',
    ]);
    expect(result.refused).toHaveLength(2);
    expect(result.refused.map((r) => r.from)).toEqual([
      `127.0.0.1:${device.port}`,
      `127.0.0.1:${device.port}`,
    ]);
    expect(result.refused[0]?.error).toMatch(/not well-formed|no XML element|not a SOAP/);
    expect(result.refused[1]?.error).toBe('RelatesTo "urn:uuid:someone-else" does not answer our probe');
  });

  it('stops listening when aborted, resolving with what it has', async () => {
    const device = await responder(() => []);
    sockets.push(device.socket);
    const abort = new AbortController();
    const probing = probeCameras({
      target: { address: '127.0.0.1', port: device.port },
      signal: abort.signal,
    });
    await device.probed;
    abort.abort();
    await expect(probing).resolves.toEqual({ cameras: [], refused: [] });
  });

  it('resolves at once for an already aborted signal, and rejects when the probe cannot be sent', async () => {
    await expect(probeCameras({ signal: AbortSignal.abort() })).resolves.toEqual({
      cameras: [],
      refused: [],
    });
    await expect(
      probeCameras({ target: { address: '127.0.0.1', port: 1 }, bindAddress: '192.0.2.1', timeoutMs: 1000 }),
    ).rejects.toThrow(/EADDRNOTAVAIL|bind/);
  });
});
