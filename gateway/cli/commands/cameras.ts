import type { Command } from 'commander';
import { GatewardenError } from '../../errors.js';
import { readSecretFile } from '../../util/key-file.js';
import { type GlobalOptions, print, printJson, withSite } from '../io.js';

/**
 * `gatewarden cameras discover`: WS-Discovery on the LAN (multicast 239.255.255.250:3702), or
 * by unicast to one address with `--target`, lists the ONVIF devices that answer.
 * `gatewarden cameras check <id>`: connects to a configured camera once and says what it is,
 * how far its clock is off ours and whether it gives us a pull-point subscription.
 */
export function registerCameras(program: Command, globals: () => GlobalOptions): void {
  const cameras = program.command('cameras').description('ONVIF cameras: find them on the LAN, check one');
  cameras
    .command('discover')
    .description('Probe for ONVIF devices (WS-Discovery) and list them for the configuration')
    .option('--target <host:port>', 'probe this address by unicast instead of the multicast group')
    .option('--timeout <seconds>', 'how long to listen for answers', '3')
    .option('--json', 'print JSON')
    .action(async (options: { target?: string; timeout: string; json?: boolean }) => {
      const timeoutMs = seconds(options.timeout, '--timeout') * 1000;
      const { probeCameras } = await import('../../../drivers/onvif/discovery.js');
      const result = await probeCameras({
        timeoutMs,
        ...(options.target === undefined ? {} : { target: hostPort(options.target) }),
      });
      if (options.json) {
        printJson(result);
        return;
      }
      if (result.cameras.length === 0) print('no ONVIF device answered 未发现 ONVIF 设备');
      for (const c of result.cameras) {
        print(`${c.name ?? '(no name)'}  ${c.hardware ?? ''}  ${c.location ?? ''}`.trimEnd());
        for (const x of c.xaddrs) print(`  url: ${x}`);
        print(`  endpoint: ${c.endpoint}`);
      }
      for (const r of result.refused) print(`ignored an answer from ${r.from}: ${r.error}`);
    });
  cameras
    .command('check <id>')
    .description('Connect to a configured camera once: identity, clock offset, event subscription')
    .action(async (id: string) => {
      await withSite(globals(), async (site) => {
        const camera = site.config.cameras.devices.find((c) => c.id === id);
        if (camera === undefined) {
          const known = site.config.cameras.devices.map((c) => c.id).join(', ') || 'none';
          throw new GatewardenError('USAGE', `no camera "${id}" in the configuration (known: ${known})`);
        }
        const url = new URL(camera.url);
        const password =
          camera.passwordFile === undefined
            ? undefined
            : readSecretFile(camera.passwordFile, `password file of camera "${id}"`)?.toString('utf8').trim();
        // The ONVIF stack (onvif, xml2js) is loaded for this command only.
        const { connectCamera } = await import('../../../drivers/onvif/camera-link.js');
        const { classifyFailure } = await import('../../../drivers/onvif/camera-failures.js');
        const { guardedAgent } = await import('../../../drivers/onvif/guarded-agent.js');
        const agent = guardedAgent();
        try {
          const link = await connectCamera({
            hostname: url.hostname.replace(/^\[|\]$/g, ''),
            port: Number(url.port || 80),
            path: url.pathname,
            agent,
            timeoutMs: 5000,
            ...(camera.username === undefined ? {} : { username: camera.username }),
            ...(password === undefined ? {} : { password }),
          });
          const info = await link.deviceInformation();
          const before = Date.now();
          const time = await link.systemTime();
          const offset = Math.round((time.getTime() - (before + Date.now()) / 2) / 1000);
          print(`${id}: ${[info.manufacturer, info.model, info.firmwareVersion].filter(Boolean).join(' ')}`);
          print(`  clock offset 时钟偏差: ${offset} s`);
          const point = await link.createPullPoint();
          print(`  event subscription 事件订阅: ok (${point.address})`);
          await link.unsubscribe().catch(() => {});
        } catch (err) {
          const failure = classifyFailure(err);
          throw new GatewardenError(
            'DEVICE_UNREACHABLE',
            `camera "${id}": ${failure.kind}: ${failure.detail}`,
          );
        } finally {
          agent.destroy();
        }
      });
    });
}

function seconds(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 60)
    throw new GatewardenError('USAGE', `${option} must be a number of seconds between 0 and 60`);
  return n;
}

function hostPort(text: string): { address: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65535)
    throw new GatewardenError('USAGE', `--target must be host:port, e.g. 192.168.1.64:3702 (got "${text}")`);
  return { address: match[1] as string, port };
}
