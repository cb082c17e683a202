import type { TasmotaRelaySimulator } from './tasmota-relay-sim.js';
import type { Zigbee2MqttDoorSimulator } from './z2m-door-sim.js';

/** What one console line did: text to print, whether the console ends, a pause before the next line. */
export interface MqttControlResult {
  output: string;
  error?: boolean;
  quit?: boolean;
  waitMs?: number;
}

type Usage = readonly [usage: string, en: string, zh: string];

/** Commands both simulators take; English and Chinese side by side so they cannot drift apart. */
const COMMON: readonly Usage[] = [
  [
    'crash',
    'cut the connection without DISCONNECT (the broker publishes the will)',
    '断开连接（不发送 DISCONNECT，代理发布遗嘱）',
  ],
  ['connect', 'connect again after crash', '崩溃后重新连接'],
  ['status', 'link and device state', '状态'],
  ['wait <ms>', 'pause a script', '脚本暂停'],
  ['quit', 'stop in order (offline published first)', '正常退出（先发布离线）'],
];
const LOCK: readonly Usage[] = [
  ['open', 'open the door (forcing it if the lock is locked)', '开门（门锁锁住时为强行开门）'],
  ['close', 'close the door', '关门'],
  ['jam on|off', 'jam the bolt: commands answered not_fully_locked', '门锁卡住/恢复'],
  ['offline <lock|contact>', 'the device drops off the Zigbee mesh', '设备离开 Zigbee 网络'],
  ['online <lock|contact>', 'the device rejoins', '设备重新加入'],
  ['garbage <lock|contact> [n]', 'n random bytes on its state topic', '在状态主题发送 n 个随机字节'],
];
const RELAY: readonly Usage[] = [
  ['jam on|off', 'weld the relays where they are', '继电器触点粘连/恢复'],
  ['garbage [n]', 'n random bytes on stat/<topic>/RESULT', '在 RESULT 主题发送 n 个随机字节'],
];

const help = (list: readonly Usage[]) =>
  [...list, ...COMMON].map(([usage, en, zh]) => `${usage.padEnd(28)} ${en} / ${zh}`).join('\n');
export const MQTT_LOCK_HELP = help(LOCK);
export const MQTT_RELAY_HELP = help(RELAY);

/** The lock simulator's console: one line in, text out (shared by the CLI and tests). */
export async function runMqttLockControl(
  sim: Zigbee2MqttDoorSimulator,
  line: string,
  names: { lock: string; contact?: string },
): Promise<MqttControlResult> {
  const [verb = '', ...args] = line.trim().split(/\s+/);
  const device = (word: string | undefined): string => {
    if (word === 'lock') return names.lock;
    if (word === 'contact' && names.contact !== undefined) return names.contact;
    throw new RangeError(`name a device: lock${names.contact === undefined ? '' : ' or contact'}`);
  };
  return attempt(async () => {
    switch (verb) {
      case 'open':
      case 'close':
        await sim.setDoor(verb === 'open');
        return { output: `door ${verb === 'open' ? 'open' : 'closed'}` };
      case 'jam':
        await sim.jam(onOff(args[0]));
        return { output: `jam ${args[0]}` };
      case 'offline':
      case 'online':
        await sim.setReachable(device(args[0]), verb === 'online');
        return { output: `${args[0]} ${verb}` };
      case 'garbage':
        await sim.garbage(device(args[0]), count(args[1]));
        return { output: `garbage sent to ${args[0]}` };
      case 'status': {
        const s = sim.state;
        return {
          output: `link ${sim.link.connected ? 'up' : 'down'}, bolt ${s.bolt}, door ${s.doorOpen ? 'open' : 'closed'}, battery ${s.battery}%`,
        };
      }
      case 'help':
        return { output: MQTT_LOCK_HELP };
      default:
        return common(verb, args, sim);
    }
  });
}

/** The relay simulator's console. */
export async function runMqttRelayControl(
  sim: TasmotaRelaySimulator,
  line: string,
): Promise<MqttControlResult> {
  const [verb = '', ...args] = line.trim().split(/\s+/);
  return attempt(async () => {
    switch (verb) {
      case 'jam':
        sim.jam(onOff(args[0]));
        return { output: `jam ${args[0]}` };
      case 'garbage':
        await sim.garbage(count(args[0]));
        return { output: 'garbage sent' };
      case 'status': {
        const relays = sim.relays.map((on, i) => `${i + 1}:${on ? 'on' : 'off'}`).join(' ');
        return {
          output: `link ${sim.link.connected ? 'up' : 'down'}, relays ${relays}, pulse ${sim.pulseTimes.join(' ')}`,
        };
      }
      case 'help':
        return { output: MQTT_RELAY_HELP };
      default:
        return common(verb, args, sim);
    }
  });
}

async function common(
  verb: string,
  args: string[],
  sim: { link: { connected: boolean }; crash(): Promise<void>; start(): Promise<void> },
): Promise<MqttControlResult> {
  switch (verb) {
    case '':
      return { output: '' };
    case 'crash':
      await sim.crash();
      return { output: 'crashed' };
    case 'connect':
      if (sim.link.connected) throw new RangeError('already connected');
      await sim.start();
      return { output: 'connected' };
    case 'wait': {
      const ms = Number(args[0]);
      if (!/^\d+$/.test(args[0] ?? '') || !Number.isSafeInteger(ms))
        throw new RangeError(`wait needs milliseconds, not "${args[0] ?? ''}"`);
      return { output: '', waitMs: ms };
    }
    case 'quit':
    case 'exit':
      return { output: 'bye', quit: true };
    default:
      throw new RangeError(`unknown command "${verb}"; type help`);
  }
}

async function attempt(run: () => Promise<MqttControlResult>): Promise<MqttControlResult> {
  try {
    return await run();
  } catch (err) {
    return { output: `error: ${(err as Error).message}`, error: true };
  }
}

function onOff(word: string | undefined): boolean {
  if (word === 'on') return true;
  if (word === 'off') return false;
  throw new RangeError('say on or off');
}

function count(word: string | undefined): number {
  if (word === undefined) return 16;
  const n = Number(word);
  if (!/^\d+$/.test(word) || n < 1 || n > 65536) throw new RangeError('a byte count in 1..65536');
  return n;
}
