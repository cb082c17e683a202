/**
 * `gatewarden start` with its data directory on a small tmpfs of its own, in a private mount
 * namespace (`unshare -m`, needs root): the one way to fill the gateway's disk for real without
 * filling the machine's. The scratch site's data (roster, users, keys), prepared by the CLI
 * beforehand, is copied onto the tmpfs. A holder process (`sleep`) keeps the namespace and its
 * tmpfs while the gateway is killed and started again in it (`crash`, `restart`); `cli`, `fill`
 * and `free` run inside it (`nsenter -m`). The namespace and its tmpfs go with the holder, at `stop`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, type CliResult, type ScratchSite } from '../integration/helpers/cli.js';

/** Whether this machine lets the tests make a mount namespace with a tmpfs (root, unshare). */
export function canUnshareMounts(): boolean {
  return process.getuid?.() === 0;
}

export class NamespacedGateway {
  /** What the gateway running now has written to stderr. */
  stderr = '';
  private stdout = '';
  private child!: ChildProcess;
  private exited!: Promise<CliResult>;

  private constructor(
    private readonly site: ScratchSite,
    private readonly holder: ChildProcess,
  ) {}

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
      'echo mounted',
      'exec sleep infinity',
    ].join('\n');
    const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((mounted, fail) => {
      let err = '';
      holder.stderr?.on('data', (d) => {
        err += d;
      });
      holder.stdout?.on('data', (d) => {
        if (String(d).includes('mounted')) mounted();
      });
      holder.on('exit', (status) => fail(new Error(`the namespace could not be made (${status}): ${err}`)));
    });
    const gateway = new NamespacedGateway(site, holder);
    await gateway.restart();
    return gateway;
  }

  /** Starts the gateway (again) in the namespace, on what the tmpfs holds; resolves when ready. */
  async restart(): Promise<void> {
    this.stderr = '';
    this.stdout = '';
    const child = this.spawnInside([process.execPath, CLI, '--config', this.site.config, 'start'], {
      GATEWARDEN_LOG_LEVEL: 'info',
    });
    this.child = child;
    child.stdout?.on('data', (d) => {
      this.stdout += d;
    });
    child.stderr?.on('data', (d) => {
      this.stderr += d;
    });
    this.exited = new Promise((done) => {
      child.on('exit', (status) => done({ status, stdout: this.stdout, stderr: this.stderr }));
    });
    await new Promise<void>((ready, fail) => {
      const onData = () => {
        if (this.stderr.includes('gatewarden ready')) {
          child.stderr?.off('data', onData);
          ready();
        }
      };
      child.stderr?.on('data', onData);
      void this.exited.then((r) => fail(new Error(`gateway exited before ready (${r.status}): ${r.stderr}`)));
    });
  }

  /** Runs a command in the gateway's mount namespace. */
  inside(command: readonly string[]): Promise<CliResult> {
    const child = this.spawnInside(command);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
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

  /**
   * Ends the gateway alone, the tmpfs stays for `restart`: SIGKILL is the power cut as the
   * gateway sees it (no stop code runs), SIGTERM a clean stop.
   */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<CliResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** Stops the gateway with `signal`, then the namespace and its tmpfs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<CliResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const result = await this.exited;
    if (this.holder.exitCode === null && this.holder.signalCode === null) this.holder.kill('SIGKILL');
    return result;
  }

  private spawnInside(command: readonly string[], env: Record<string, string> = {}): ChildProcess {
    const pid = this.holder.pid;
    if (pid === undefined) throw new Error('the namespace holder has no pid');
    return spawn('nsenter', ['-t', String(pid), '-m', ...command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
  }
}
