/**
 * The embedded broker as the mqtt-broker integration tests start it: on ephemeral loopback
 * ports, with a users file written into a temporary data directory (cheap scrypt cost so the
 * tests stay fast; the cost travels with each hash), a real Journal over a temporary SQLite
 * database as the alarm sink, and mosquitto_pub / mosquitto_sub as independent clients.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  type MqttBrokerConfig,
  mqttBrokerSchema,
  resolveBrokerPaths,
} from '../../config/mqtt-broker-schema.js';
import { type Db, openDatabase } from '../../gateway/db.js';
import type { JournalEntry } from '../../gateway/journal/events.js';
import { Journal } from '../../gateway/journal/journal.js';
import { devicePatterns } from '../../gateway/mqtt/broker/device-conventions.js';
import { EmbeddedBroker } from '../../gateway/mqtt/broker/embedded-broker.js';
import { journalAlarmSink } from '../../gateway/mqtt/broker/security-events.js';
import type { Role } from '../../gateway/mqtt/broker/topic-acl.js';
import { type BrokerUser, writeUsersFile } from '../../gateway/mqtt/broker/users-file.js';
import { hashPassword } from '../../gateway/util/password.js';
import { waitFor } from '../helpers/wait-for.js';

export const FAST_COST = { N: 2 ** 10, r: 8, p: 1 };

export interface RigUser {
  name: string;
  role: Role;
  password: string;
  /** For a device: its id, also its Tasmota topic (convention tasmota). */
  device?: string;
}

export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Sub {
  readonly lines: string[];
  readonly stderr: () => string;
  readonly exited: Promise<ClientRun>;
  readonly running: () => boolean;
  stop(): Promise<ClientRun>;
  /** Kills it without a DISCONNECT (SIGKILL), so the broker publishes its will. */
  kill(): void;
}

export interface ClientArgs {
  user?: string;
  password?: string;
  clientId?: string;
  port?: number;
}

export class BrokerRig {
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-broker-'));
  readonly db: Db = openDatabase(join(this.dir, 'gatewarden.db'));
  readonly journal = Journal.open(this.db);
  readonly config: MqttBrokerConfig;
  readonly broker: EmbeddedBroker;
  private readonly children = new Set<ChildProcess>();

  constructor(overrides: Record<string, unknown> = {}) {
    const parsed = mqttBrokerSchema.parse({ port: 0, websocket: { port: 0 }, ...overrides });
    this.config = resolveBrokerPaths(parsed, join(this.dir, 'data'));
    this.broker = new EmbeddedBroker({
      config: this.config,
      log: pino({ level: process.env.GW_TEST_LOG ?? 'silent' }),
      alarm: journalAlarmSink((type, at, payload) => this.journal.append(type, at, payload)),
    });
  }

  static async start(users: RigUser[], overrides: Record<string, unknown> = {}): Promise<BrokerRig> {
    const rig = new BrokerRig(overrides);
    await rig.writeUsers(users);
    await rig.broker.start();
    return rig;
  }

  async writeUsers(users: RigUser[]): Promise<void> {
    const entries: BrokerUser[] = [];
    for (const u of users) {
      const patterns = u.device ? devicePatterns('tasmota', { name: u.device }) : {};
      entries.push({
        name: u.name,
        role: u.role,
        ...(u.device ? { device: u.device } : {}),
        ...patterns,
        password: await hashPassword(u.password, FAST_COST),
      });
    }
    writeUsersFile(this.config.usersFile, { version: 1, users: entries });
  }

  get port(): number {
    return this.broker.addresses.mqtt.port;
  }

  /** The alarm entries journaled so far, oldest first. */
  alarms(): JournalEntry<'alarm'>['payload'][] {
    return [...this.journal.iterate(0, ['alarm'])].map((e) => e.payload as JournalEntry<'alarm'>['payload']);
  }

  async alarm(code: string, match: (detail: Record<string, string | number>) => boolean = () => true) {
    const find = () => this.alarms().find((a) => a.code === code && match(a.detail ?? {}));
    await waitFor(`a ${code} alarm`, () => find() !== undefined);
    return find() as JournalEntry<'alarm'>['payload'];
  }

  /** Resolves once the broker granted a subscription of client `clientId` (SUBACK sent). */
  subscribed(clientId: string): Promise<void> {
    return new Promise((resolve) => {
      const listener = (_subs: unknown, client: { id: string }) => {
        if (client.id !== clientId) return;
        this.broker.aedes.removeListener('subscribe', listener);
        resolve();
      };
      this.broker.aedes.on('subscribe', listener);
    });
  }

  private args(a: ClientArgs): string[] {
    return [
      ...['-h', '127.0.0.1', '-p', String(a.port ?? this.port)],
      ...(a.user === undefined ? [] : ['-u', a.user]),
      ...(a.password === undefined ? [] : ['-P', a.password]),
      ...(a.clientId === undefined ? [] : ['-i', a.clientId]),
    ];
  }

  /** Runs mosquitto_pub to its end; `input` goes to its stdin (for `-l` or `-s`). */
  pub(a: ClientArgs, extra: string[], input?: string | Buffer): Promise<ClientRun> {
    const child = this.spawn('mosquitto_pub', [...this.args(a), ...extra]);
    child.stdin?.on('error', () => {}); // the broker may cut it off mid-flood
    child.stdin?.end(input ?? '');
    return collect(child).exited;
  }

  /** Starts mosquitto_sub -v; each line "topic payload" lands in `lines`. */
  sub(a: ClientArgs, extra: string[]): Sub {
    const child = this.spawn('mosquitto_sub', [...this.args(a), '-v', ...extra]);
    child.stdin?.end();
    return collect(child);
  }

  private spawn(command: string, args: string[]): ChildProcess {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async dispose(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await this.broker.stop();
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function collect(child: ChildProcess): Sub {
  const lines: string[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  let alive = true;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<ClientRun>((resolve) => {
    child.once('close', (code) => {
      alive = false;
      resolve({ code, stdout, stderr });
    });
  });
  return {
    lines,
    stderr: () => stderr,
    exited,
    running: () => alive,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
