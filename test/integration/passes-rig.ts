/**
 * A scratch site with serial QR scanners on socat pty pairs, the built CLI to issue passes, and
 * the journal read straight from the site's SQLite file (read-only, beside the running
 * gateway: WAL lets a reader in while it writes) to wait for each decision.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { QrSerialSimulator } from '../../simulators/qr/serial-scanner-sim.js';
import { PtyPair } from '../../simulators/shared/pty-pair.js';
import { waitFor } from '../helpers/wait-for.js';
import { type CliResult, ROOT, ScratchSite } from './helpers/cli.js';

export interface Issued {
  passId: string;
  text: string;
  secret?: string;
}

export interface DecisionSummary {
  seq: number;
  allow: boolean;
  lane: string;
  subject: string;
  denies: string[];
}

interface Row {
  seq: number;
  payload: string;
}

export class PassRig {
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-pass-'));
  site!: ScratchSite;
  readonly scanners = new Map<string, QrSerialSimulator>();
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private gateway: { stop: () => Promise<CliResult> } | undefined;
  private seq = 0;

  /** A site whose lanes each get a scanner (`<lane>` → device `<lane>-qr`), residents imported, mode open. */
  async setUp(lanes: readonly string[], extraYaml = ''): Promise<this> {
    this.cleanups.push(() => rmSync(this.dir, { recursive: true, force: true }));
    const lines: string[] = [];
    for (const lane of lanes) {
      const pair = await new PtyPair(this.dir, lane).start();
      this.cleanups.push(() => pair.stop());
      lines.push(
        `  - { id: ${lane}-qr, lane: ${lane}, serial: { path: ${pair.a}, baud: 115200, terminator: cr } }`,
      );
      const sim = new QrSerialSimulator({
        transport: new SerialTransport({ path: pair.b, baudRate: 115200 }),
        baudRate: 115200,
      });
      await sim.start();
      this.cleanups.push(() => sim.stop());
      this.scanners.set(lane, sim);
    }
    this.site = new ScratchSite(`scanners:\n${lines.join('\n')}\n${extraYaml}`);
    this.cleanups.push(() => this.site.dispose());
    const roster = join(ROOT, 'test/fixtures/registry/residents.csv');
    expect(this.site.run(['registry', 'import', roster, '--roster', 'residents']).status).toBe(0);
    expect(this.site.run(['mode', 'set', 'open', '--reason', 'test: no temperature screening']).status).toBe(
      0,
    );
    return this;
  }

  /** `gatewarden pass issue --json` for Wang Fang (res-wang) unless `args` say otherwise. */
  issue(args: readonly string[] = []): Issued {
    const r = this.site.run([
      'pass',
      'issue',
      '--kind',
      'household',
      '--holder',
      'res-wang',
      '--json',
      ...args,
    ]);
    expect(r.stderr).not.toMatch(/gatewarden:/);
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as Issued;
  }

  /** Starts the gateway and waits until every scanner's port is open. */
  async start(): Promise<void> {
    const gateway = await this.site.start();
    this.gateway = gateway;
    this.cleanups.push(async () => {
      await this.stop();
    });
    await waitFor('every scanner online', () => {
      const online = this.rows('device', 0).map(
        (r) => JSON.parse(r.payload) as { deviceId: string; state: string },
      );
      return [...this.scanners.keys()].every((lane) =>
        online.some((d) => d.deviceId === `${lane}-qr` && d.state === 'online'),
      );
    });
  }

  async stop(): Promise<CliResult | undefined> {
    const gateway = this.gateway;
    this.gateway = undefined;
    return gateway?.stop();
  }

  /** Shows `text` to the lane's scanner and returns the decision the gateway journaled for it. */
  async show(lane: string, text: string): Promise<DecisionSummary> {
    await (this.scanners.get(lane) as QrSerialSimulator).scan(text);
    let row: Row | undefined;
    await waitFor(`a decision at ${lane}`, () => {
      row = this.rows('decision', this.seq)[0];
      return row !== undefined;
    });
    const { seq, payload } = row as Row;
    this.seq = seq;
    const { request, decision } = JSON.parse(payload) as {
      request: { laneId: string };
      decision: {
        allow: boolean;
        subject: { kind: string; id?: string };
        reasons: { effect: string; code: string }[];
      };
    };
    return {
      seq,
      allow: decision.allow,
      lane: request.laneId,
      subject: decision.subject.id ?? decision.subject.kind,
      denies: decision.reasons.filter((r) => r.effect === 'deny').map((r) => r.code),
    };
  }

  /** The payloads of every journal entry of one type, parsed. */
  payloads<T>(type: string): T[] {
    return this.rows(type, 0).map((r) => JSON.parse(r.payload) as T);
  }

  /** Every journal payload, as the JSON text stored. */
  journalText(): string {
    return this.rows(undefined, 0)
      .map((r) => r.payload)
      .join('\n');
  }

  async dispose(): Promise<void> {
    for (const c of this.cleanups.splice(0).reverse()) await c();
  }

  private rows(type: string | undefined, after: number): Row[] {
    const db = new Database(join(this.site.dir, 'data/gatewarden.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      const sql = `SELECT seq, payload FROM journal WHERE seq > ?${type ? ' AND type = ?' : ''} ORDER BY seq`;
      return db.prepare<unknown[], Row>(sql).all(...(type ? [after, type] : [after]));
    } finally {
      db.close();
    }
  }
}
