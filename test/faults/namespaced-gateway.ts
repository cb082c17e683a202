/**
 * `gatewarden start` with its data directory on a small tmpfs of its own, in a private mount
 * namespace (`unshare -m`, needs root): the one way to fill the gateway's disk for real without
 * filling the machine's. The scratch site's data (roster, users, keys), prepared by the CLI
 * beforehand, is copied onto the tmpfs; `cli`, `fill` and `free` run inside the namespace
 * (`nsenter -m`), where the tmpfs is. The namespace and its tmpfs go with the gateway.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, type CliResult, type ScratchSite } from '../integration/helpers/cli.js';

/** Whether this machine lets the tests make a mount namespace with a tmpfs (root, unshare). */
export function canUnshareMounts(): boolean {
  return process.getuid?.() === 0;
}

export class NamespacedGateway {
  stderr = '';
  private readonly exited: Promise<CliResult>;
  private stdout = '';

  private constructor(
    private readonly site: ScratchSite,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d) => {
      this.stdout += d;
    });
    child.stderr?.on('data', (d) => {
      this.stderr += d;
    });
    this.exited = new Promise((done) => {
      child.on('exit', (status) => done({ status, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** The data directory, inside the namespace. */
  get dataDir(): string {
    return join(this.site.dir, 'data');
  }

  /** Starts the gateway on a tmpfs of `sizeMb` over the site's data directory; resolves when ready. */
  static async start(site: ScratchSite, sizeMb: number): Promise<NamespacedGateway> {
    const data = join(site.dir, 'data');
    const stage = join(site.dir, 'stage');
    const script = [
      'set -e',
      `cp -a '${data}' '${stage}'`,
      `mount -t tmpfs -o size=${sizeMb}m gw-data '${data}'`,
      `cp -a '${stage}/.' '${data}/'`,
      `exec '${process.execPath}' '${CLI}' --config '${site.config}' start`,
    ].join('\n');
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GATEWARDEN_LOG_LEVEL: 'info' },
    });
    const gateway = new NamespacedGateway(site, child);
    await new Promise<void>((ready, fail) => {
      const onData = () => {
        if (gateway.stderr.includes('gatewarden ready')) {
          child.stderr?.off('data', onData);
          ready();
        }
      };
      child.stderr?.on('data', onData);
      void gateway.exited.then((r) =>
        fail(new Error(`gateway exited before ready (${r.status}): ${r.stderr}`)),
      );
    });
    return gateway;
  }

  /** Runs a command in the gateway's mount namespace. */
  inside(command: readonly string[]): Promise<CliResult> {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('the gateway has no pid');
    const child = spawn('nsenter', ['-t', String(pid), '-m', ...command], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    return new Promise((done) => child.on('exit', (status) => done({ status, stdout, stderr })));
  }

  /** The CLI on the gateway's own data directory (the tmpfs). */
  cli(args: readonly string[]): Promise<CliResult> {
    return this.inside([process.execPath, CLI, '--config', this.site.config, ...args]);
  }

  /** Fills the tmpfs to the last byte with a file `free()` removes. */
  async fill(): Promise<void> {
    await this.inside(['sh', '-c', `dd if=/dev/zero of='${this.dataDir}/filler' bs=16k 2>/dev/null; true`]);
  }

  async free(): Promise<void> {
    await this.inside(['rm', '-f', join(this.dataDir, 'filler')]);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<CliResult> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}
