import { HOSTILE_KINDS, isHostileKind } from './faults.js';
import type { CameraEvent, OnvifCameraSimulator } from './onvif-camera.js';

/** What one console line did: text to print, whether it is an error, whether the console ends. */
export interface OnvifControlResult {
  output: string;
  error?: boolean;
  quit?: boolean;
  /** `wait <ms>`: pause this long before the next line. */
  waitMs?: number;
}

/** One entry per console command, English and Chinese side by side so they cannot drift apart. */
const COMMANDS: readonly [usage: string, en: string, zh: string][] = [
  ['person [°C] [mask|nomask]', 'a person walks past (thermal camera)', '一人经过（测温摄像机）'],
  ['vehicle [plate] [confidence]', 'a vehicle drives past (plate camera)', '一车经过（车牌摄像机）'],
  ['reboot <ms>', 'power-cycle: down for ms, subscriptions forgotten', '重启：断开 ms 毫秒，订阅全部失效'],
  ['skew <s>', 'camera clock = real time + s seconds', '摄像机时钟偏差（秒）'],
  ['slow <ms>', 'delay every HTTP reply (0 = off)', '每个 HTTP 应答延迟（毫秒）'],
  ['drift <°C>', 'add to every reported temperature', '测温校准漂移（°C）'],
  [`hostile ${HOSTILE_KINDS.join('|')}`, 'serve a hostile reply to the next pull', '下一次拉取返回恶意应答'],
  ['password <user> <pw>', 'change the account the camera accepts', '更改摄像机账户'],
  ['pause | resume', 'stop / restart the automatic crowd', '暂停/恢复自动人流'],
  ['status', 'settings and counters', '状态：设置和计数'],
  ['wait <ms>', 'pause a script', '脚本暂停'],
  ['quit', 'stop the simulator', '退出'],
];

export const ONVIF_CONTROL_HELP = COMMANDS.map(([usage, en, zh]) => `${usage.padEnd(36)} ${en} / ${zh}`).join(
  '\n',
);

/**
 * The camera simulator's console: one line in, text out, shared by the CLI and tests.
 * `reboot` returns at once (the camera prints `power down` / `power up` as it goes), so a
 * technician can inject people while it is down; a script waits with `wait`.
 */
export async function runOnvifControl(sim: OnvifCameraSimulator, line: string): Promise<OnvifControlResult> {
  const [verb = '', ...args] = line.trim().split(/\s+/);
  try {
    switch (verb) {
      case '':
        return { output: '' };
      case 'person': {
        const celsius = args.find((a) => /^\d/.test(a));
        const maskWord = args.find((a) => !/^\d/.test(a));
        if (maskWord !== undefined && maskWord !== 'mask' && maskWord !== 'nomask')
          throw new RangeError(`say mask or nomask, not "${maskWord}"`);
        const event = await sim.person({
          ...(celsius === undefined ? {} : { celsius: decimal(celsius, 'temperature') }),
          ...(maskWord === undefined ? {} : { mask: maskWord === 'mask' }),
        });
        return { output: eventLine(event) };
      }
      case 'vehicle': {
        const confidence = args[1] === undefined ? undefined : decimal(args[1], 'confidence');
        return { output: eventLine(await sim.vehicle(args[0], confidence)) };
      }
      case 'reboot': {
        const ms = whole(args[0], 'reboot needs the down time in ms');
        sim.reboot(ms).catch((err: Error) => process.stderr.write(`error: reboot: ${err.message}\n`));
        return { output: `rebooting, down for ${ms} ms` };
      }
      case 'skew':
        sim.setClockSkew(decimal(args[0], 'skew needs seconds'));
        return { output: `camera clock skew ${sim.settings.skewSeconds} s` };
      case 'slow':
        sim.setSlowResponses(whole(args[0], 'slow needs milliseconds'));
        return { output: `replies delayed ${sim.settings.slowMs} ms` };
      case 'drift':
        sim.setCalibrationDrift(decimal(args[0], 'drift needs °C'));
        return { output: `calibration drift ${sim.settings.driftCelsius} °C` };
      case 'hostile': {
        const kind = args[0] ?? '';
        if (!isHostileKind(kind)) throw new RangeError(`hostile ${HOSTILE_KINDS.join('|')}`);
        sim.serveHostile(kind);
        return { output: `next pull gets ${kind}` };
      }
      case 'password':
        if (args.length !== 2) throw new RangeError('password <user> <password>');
        sim.setPassword(args[0] as string, args[1] as string);
        return { output: `account now ${args[0]}` };
      case 'pause':
      case 'resume':
        sim[verb]();
        return { output: verb === 'pause' ? 'crowd paused' : 'crowd resumed' };
      case 'status':
        return { output: status(sim) };
      case 'help':
        return { output: ONVIF_CONTROL_HELP };
      case 'wait':
        return { output: '', waitMs: whole(args[0], 'wait needs milliseconds') };
      case 'quit':
      case 'exit':
        return { output: 'bye', quit: true };
      default:
        throw new RangeError(`unknown command "${verb}"; type help`);
    }
  } catch (err) {
    return { output: `error: ${(err as Error).message}`, error: true };
  }
}

/** One line per event, stable for grep and tests. */
export function eventLine(e: CameraEvent): string {
  const tail = `utc=${e.utcTime} subscriptions=${e.subscriptions}`;
  if (e.kind === 'vehicle')
    return `vehicle id=${e.objectId} plate=${e.plate} confidence=${e.confidence} ${tail}`;
  return (
    `person id=${e.objectId} celsius=${e.celsius} reported=${e.measuredCelsius} kelvin=${e.kelvin}` +
    ` mask=${e.mask ? 'yes' : 'no'} alarm=${e.alarm ? 'yes' : 'no'} ${tail}`
  );
}

function status(sim: OnvifCameraSimulator): string {
  const s = sim.settings;
  const d = sim.discoveryCounters;
  const c = sim.counters;
  return [
    `camera:        ${sim.identity.model} ${sim.identity.name} ${sim.down ? 'DOWN (rebooting)' : 'up'}, boot ${s.boots}`,
    `url:           ${sim.deviceServiceUrl}`,
    `faults:        skew ${s.skewSeconds} s, slow ${s.slowMs} ms, drift ${s.driftCelsius} °C, hostile ${s.hostile ?? 'none'}`,
    `crowd:         ${sim.paused ? 'paused' : 'running'}`,
    `subscriptions: ${sim.hub.size} (messages dropped ${sim.hub.dropped})`,
    `http:          ${c.requests} replies, ${c.faults} faults, ${c.refused} refused tokens, ${c.hostileServed} hostile`,
    `discovery:     ${d.probes} probes, ${d.answered} answered, ${d.unmatched} unmatched, ${d.garbage} garbage`,
  ].join('\n');
}

function decimal(word: string | undefined, what: string): number {
  const n = Number(word);
  if (word === undefined || !/^-?\d+(\.\d+)?$/.test(word) || !Number.isFinite(n)) throw new RangeError(what);
  return n;
}

function whole(word: string | undefined, what: string): number {
  const n = Number(word);
  if (word === undefined || !/^\d+$/.test(word) || !Number.isSafeInteger(n)) throw new RangeError(what);
  return n;
}
