/**
 * Messages per second through the embedded broker with its security (authentication, topic
 * ACL, rate limit, packet-size guard), beside the same aedes without any hook or guard, and
 * beside a real Mosquitto (started here on a free loopback port, in a temporary folder that is
 * removed), all measured in one run at QoS 0 and QoS 1.
 *
 * Each run: one MQTT.js publisher and one MQTT.js subscriber over loopback TCP; the publisher
 * sends N messages of a pass-sized JSON payload (at most `window` unacknowledged at QoS 1,
 * or not yet written at QoS 0) and the clock stops when the subscriber has the last one. Also
 * measured: the gateway's own in-process publisher (LocalBus) to the same subscriber. Rounds
 * alternate the order of the targets; the median round is printed.
 *
 * The MQTT.js clients run in this process, so they share its event loop with the embedded
 * broker and the bare aedes, while Mosquitto has a process (and, on a multi-core machine, a
 * core) of its own: read the Mosquitto row as an upper bound, not a like-for-like figure.
 *
 * The embedded broker's rate limit is raised out of reach here (its check still runs on every
 * publish): the figure is the cost of the hooks, not of the limit. Mosquitto runs with its
 * defaults except `max_queued_messages 0` (no queue limit, so that it drops nothing).
 *
 * Run: npm run bench:broker   Options: --messages N (default 50000), --rounds R (default 3),
 *      --window W (default 1000)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { mqttBrokerSchema, resolveBrokerPaths } from '../config/mqtt-broker-schema.js';
import { devicePatterns } from '../gateway/mqtt/broker/device-conventions.js';
import { EmbeddedBroker } from '../gateway/mqtt/broker/embedded-broker.js';
import { writeUsersFile } from '../gateway/mqtt/broker/users-file.js';
import { hashPassword } from '../gateway/util/password.js';
import { startMosquitto } from '../test/integration/helpers/mosquitto.js';
import { reportFigure } from './figures.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '3' },
    window: { type: 'string', default: '1000' },
  },
});
const MESSAGES = Number(values.messages);
const ROUNDS = Number(values.rounds);
const WINDOW = Number(values.window);
const TOPIC = 'stat/bench-relay/RESULT';
const PAYLOAD = Buffer.from(
  JSON.stringify({
    seq: 123456,
    gate: 'north',
    lane: 'north-ped-in',
    allow: true,
    reasons: ['RESIDENT'],
    at: Date.now(),
  }),
);
const PUBLISHER = { username: 'bench-relay', password: 'bench-relay-secret' };
const SUBSCRIBER = { username: 'bench-gateway', password: 'bench-gateway-secret' };

interface Target {
  name: string;
  url: string;
  /** Publishes in process instead of through an MQTT.js client. */
  inProcess?: (topic: string, payload: Buffer, qos: 0 | 1) => Promise<void>;
}

async function measure(target: Target, qos: 0 | 1): Promise<{ seconds: number; received: number }> {
  const options: IClientOptions = { reconnectPeriod: 0, protocolVersion: 4 };
  const subscriber = await connectAsync(target.url, {
    ...options,
    ...SUBSCRIBER,
    clientId: `sub-${process.pid}`,
  });
  const publisher = target.inProcess
    ? undefined
    : await connectAsync(target.url, { ...options, ...PUBLISHER, clientId: `pub-${process.pid}` });
  let received = 0;
  const done = new Promise<void>((resolve) => {
    subscriber.on('message', () => {
      received += 1;
      if (received === MESSAGES) resolve();
    });
  });
  await subscriber.subscribeAsync(TOPIC, { qos });
  const start = process.hrtime.bigint();
  await publishAll(publisher, target, qos);
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 120_000).unref());
  await Promise.race([done, timeout]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await Promise.all([subscriber.endAsync(true), publisher?.endAsync(true)]);
  return { seconds, received };
}

/** Sends MESSAGES, keeping at most WINDOW not yet acknowledged (QoS 1) or not yet written (QoS 0). */
async function publishAll(client: MqttClient | undefined, target: Target, qos: 0 | 1): Promise<void> {
  let inFlight = 0;
  let failed: unknown;
  let slotFreed: (() => void) | undefined;
  const settle = (err?: unknown) => {
    inFlight -= 1;
    failed ??= err;
    slotFreed?.();
  };
  for (let i = 0; i < MESSAGES; i++) {
    inFlight += 1;
    if (client) client.publish(TOPIC, PAYLOAD, { qos }, (err) => settle(err ?? undefined));
    else target.inProcess?.(TOPIC, PAYLOAD, qos).then(() => settle(), settle);
    while (inFlight >= WINDOW) await new Promise<void>((resolve) => (slotFreed = resolve));
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (slotFreed = resolve));
  if (failed !== undefined) throw failed;
}

async function embeddedWithHooks(dir: string): Promise<{ broker: EmbeddedBroker; url: string }> {
  const config = resolveBrokerPaths(
    mqttBrokerSchema.parse({
      port: 0,
      websocket: { enabled: false },
      limits: { publishPerSecond: 1e9, publishBurst: 1e9 },
    }),
    dir,
  );
  writeUsersFile(config.usersFile, {
    version: 1,
    users: [
      {
        name: PUBLISHER.username,
        role: 'device',
        device: 'bench-relay',
        ...devicePatterns('tasmota', { name: 'bench-relay' }),
        password: await hashPassword(PUBLISHER.password),
      },
      { name: SUBSCRIBER.username, role: 'gateway', password: await hashPassword(SUBSCRIBER.password) },
    ],
  });
  const broker = new EmbeddedBroker({ config, log: pino({ level: 'silent' }), alarm: () => {} });
  const { mqtt } = await broker.start();
  return { broker, url: `mqtt://127.0.0.1:${mqtt.port}` };
}

async function bareAedes(): Promise<{ aedes: Aedes; server: Server; url: string }> {
  const aedes = await Aedes.createBroker({ drainTimeout: 30_000 });
  const server = createServer({ noDelay: true }, aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { aedes, server, url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-broker-'));
  const hooked = await embeddedWithHooks(dir);
  const bare = await bareAedes();
  const mosquitto = await startMosquitto({ config: ['max_queued_messages 0'] });
  const bus = hooked.broker.bus();
  const targets: Target[] = [
    { name: 'embedded, auth + ACL hooks', url: hooked.url },
    { name: 'aedes, no hooks', url: bare.url },
    { name: 'mosquitto', url: mosquitto.url },
    {
      name: 'embedded, LocalBus publisher',
      url: hooked.url,
      inProcess: (topic, payload, qos) => bus.publish(topic, payload, { qos }),
    },
  ];
  const rows: Record<string, string | number>[] = [];
  try {
    for (const qos of [0, 1] as const) {
      const runs = new Map<string, { seconds: number; received: number }[]>();
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? targets : [...targets].reverse();
        for (const target of order) {
          const result = await measure(target, qos);
          runs.set(target.name, [...(runs.get(target.name) ?? []), result]);
        }
      }
      for (const target of targets) {
        const results = runs.get(target.name) ?? [];
        const rates = results.map((r) => r.received / r.seconds);
        rows.push({
          target: target.name,
          qos,
          'msg/s (median)': Math.round(median(rates)),
          'msg/s (min–max)': `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))}`,
          received: `${Math.min(...results.map((r) => r.received))}/${MESSAGES}`,
        });
      }
    }
  } finally {
    await hooked.broker.stop();
    await new Promise<void>((resolve) => bare.aedes.close(() => resolve()));
    await new Promise((resolve) => bare.server.close(resolve));
    await mosquitto.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  // `mosquitto -h` prints its version first, and exits with 3.
  const mosquittoVersion = spawnSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }).stdout.split(
    '\n',
  )[0];
  console.log(
    `${MESSAGES} messages of ${PAYLOAD.length} bytes per run, window ${WINDOW}, median of ${ROUNDS} rounds; ` +
      `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Node ${process.version}, aedes 1.2.0, ${mosquittoVersion}, load ${loadavg()[0]?.toFixed(2)}`,
  );
  console.table(rows);
  const rate = (target: string, qos: number) =>
    Number(rows.find((r) => r.target === target && r.qos === qos)?.['msg/s (median)'] ?? Number.NaN);
  for (const qos of [0, 1]) {
    const hooked = rate('embedded, auth + ACL hooks', qos);
    reportFigure({
      bench: 'broker',
      figure: `embedded broker with hooks, QoS ${qos}, msg/s`,
      value: hooked,
      note: `median of ${ROUNDS} rounds of ${MESSAGES} messages; bare aedes ${rate('aedes, no hooks', qos)}, Mosquitto ${rate('mosquitto', qos)}`,
    });
  }
}

await main();
