/**
 * How the bridge connects, against a real Mosquitto: (1) a wrong password is refused again and
 * again, journaled once as UPSTREAM_REFUSED, and a corrected password file is picked up without
 * a restart; (2) a broker that refuses MQTT 5 as a 3.1.1 broker does (a TCP front answering the
 * MQTT 5 CONNECT with CONNACK 0x01) gets a 3.1.1 connection instead; (3) TLS with a client
 * certificate connects, and a broker whose certificate does not verify is refused and alarmed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamBridge } from '../../gateway/mqtt/upstream/bridge.js';
import { waitFor } from '../helpers/wait-for.js';
import type { Mosquitto } from './helpers/mosquitto.js';
import { MqttFront } from './helpers/mqtt-front.js';
import {
  range,
  SITE_ID,
  silentLog,
  startUpstreamBroker,
  TempJournal,
  UpstreamConsumer,
  upstreamConfig,
} from './helpers/mqtt-upstream-rig.js';

function refusalAlarms(journal: TempJournal) {
  return journal.journal
    .read(0, 10_000, ['alarm'])
    .filter((e) => e.type === 'alarm' && e.payload.code === 'UPSTREAM_REFUSED');
}

/** A CA, and a certificate it signs for `cn` (with 127.0.0.1 as its address), in `dir`. */
function makeCertificates(dir: string, names: readonly string[]): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=gatewarden test CA',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const name of names) {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
  }
}

describe('upstream bridge: refusals, protocol fallback and TLS', () => {
  let broker: Mosquitto | undefined;
  let consumer: UpstreamConsumer | undefined;
  let journal: TempJournal | undefined;
  let bridge: UpstreamBridge | undefined;
  let front: MqttFront | undefined;
  let scratch: string | undefined;

  afterEach(async () => {
    await bridge?.stop();
    await front?.close();
    await consumer?.close();
    await broker?.dispose();
    journal?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    bridge = consumer = broker = journal = front = scratch = undefined;
  });

  function startBridge(j: TempJournal, url: string, extra: Record<string, unknown>): UpstreamBridge {
    bridge = new UpstreamBridge({
      journal: j.journal,
      upstream: upstreamConfig(url, extra),
      siteId: SITE_ID,
      log: silentLog,
    });
    bridge.start();
    return bridge;
  }

  it('journals one UPSTREAM_REFUSED per refusal streak, and connects once the password file is fixed', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'gw-upstream-auth-'));
    const passwd = join(scratch, 'passwd');
    execFileSync('mosquitto_passwd', ['-c', '-b', passwd, 'gw-north', 'right-secret']);
    execFileSync('mosquitto_passwd', ['-b', passwd, 'centre', 'centre-secret']);
    broker = await startUpstreamBroker({
      files: { passwd: readFileSync(passwd) },
      config: (dir) => [`password_file ${dir}/passwd`, 'allow_anonymous false'],
    });
    consumer = await UpstreamConsumer.connect(broker.url, { username: 'centre', password: 'centre-secret' });
    journal = new TempJournal();
    const passwordFile = join(scratch, 'upstream-password');
    writeFileSync(passwordFile, 'wrong-secret\n', { mode: 0o600 });
    const b = startBridge(journal, broker.url, { username: 'gw-north', passwordFile });

    await waitFor('several refused attempts', () => b.status().connection.refusals >= 4);
    expect(b.status().connection.connected).toBe(false);
    const alarms = refusalAlarms(journal);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.payload).toMatchObject({
      severity: 'critical',
      detail: { broker: broker.url, kind: 'refused' },
    });

    writeFileSync(passwordFile, 'right-secret\n', { mode: 0o600 });
    await waitFor('connected with the fixed password', () => b.status().connection.connected);
    journal.appendMix(5);
    await waitFor('the alarm and the entries upstream', () => consumer?.count === journal?.journal.lastSeq());
    expect(consumer.message(1)).toMatchObject({ type: 'alarm', payload: { code: 'UPSTREAM_REFUSED' } });
    expect(refusalAlarms(journal)).toHaveLength(1);
  });

  it('falls back to MQTT 3.1.1 when the broker refuses MQTT 5', async () => {
    broker = await startUpstreamBroker();
    consumer = await UpstreamConsumer.connect(broker.url);
    front = await MqttFront.start(broker, { refuseMqtt5: true });
    journal = new TempJournal();
    const b = startBridge(journal, front.url, { protocolVersion: 5 });
    await waitFor('connected', () => b.status().connection.connected);
    expect(b.status().connection.protocolVersion).toBe(4);
    expect(front.levels).toEqual([5, 4]);
    journal.appendMix(20);
    await waitFor('the entries upstream', () => consumer?.count === 20);
    expect(consumer.firstArrivals()).toEqual(range(1, 20));
    expect(refusalAlarms(journal)).toHaveLength(0);
    expect(consumer.statuses.at(-1)).toMatchObject({ state: 'online' });
  });

  it('connects over TLS with a client certificate, and refuses a broker it cannot verify', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'gw-upstream-tls-'));
    makeCertificates(scratch, ['broker', 'gw-north', 'centre']);
    const file = (name: string) => join(scratch as string, name);
    broker = await startUpstreamBroker({
      config: [
        `cafile ${file('ca.crt')}`,
        `certfile ${file('broker.crt')}`,
        `keyfile ${file('broker.key')}`,
        'require_certificate true',
        'use_identity_as_username true',
      ],
    });
    const url = `mqtts://127.0.0.1:${broker.port}`;
    consumer = await UpstreamConsumer.connect(url, {
      ca: readFileSync(file('ca.crt')),
      cert: readFileSync(file('centre.crt')),
      key: readFileSync(file('centre.key')),
    });
    journal = new TempJournal();
    const tls = { caFile: file('ca.crt'), certFile: file('gw-north.crt'), keyFile: file('gw-north.key') };
    const b = startBridge(journal, url, { tls });
    journal.appendMix(10);
    await waitFor('the entries upstream over TLS', () => consumer?.count === 10);
    await b.stop();
    bridge = undefined;

    // A CA that did not sign the broker's certificate.
    const other = join(scratch, 'other');
    mkdirSync(other);
    makeCertificates(other, []);
    const refused = startBridge(journal, url, { tls: { ...tls, caFile: join(other, 'ca.crt') } });
    await waitFor('several refused attempts', () => refused.status().connection.refusals >= 3);
    const alarms = refusalAlarms(journal);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.payload.detail).toMatchObject({ kind: 'tls' });
  });
});
