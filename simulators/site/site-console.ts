import type { Cast } from './cast.js';
import type { SiteActions } from './site-actions.js';

/**
 * The simulated site's console: one command per line, from a terminal (with a prompt) or a
 * pipe. A bad line prints `error: …` and the console goes on; `quit` stops the site. Commands
 * name lanes by id; a person, plate or vehicle may be named, else the next one in turn is taken
 * (cast.ts), someone the rules should let through.
 */
const COMMANDS: readonly (readonly [usage: string, en: string, zh: string])[] = [
  ['card <lane> [person|unknown]', 'present a card at the lane’s reader (camera first)', '刷门禁卡'],
  ['idcard <lane> [person|unknown|invalid]', 'an ID card on the lane’s ID-card reader', '刷身份证'],
  ['qr <lane> [person|unknown]', 'scan a QR pass at the lane’s scanner', '扫通行码'],
  [
    'fever <lane> [person]',
    'a high temperature, the handheld re-measure, then the card',
    '发热：测温、复测、刷卡',
  ],
  [
    'plate <lane> [vehicle|plate|unknown]',
    'a car at the barrier: the camera reads its plate',
    '车牌识别，车辆通过',
  ],
  ['visitor', 'the registered visitor with the escort at north-ped-in', '访客由陪同人带入'],
  ['open <lane>', 'emergency open through the admin API', '应急开门'],
  ['mode <open|closed|lockdown>', 'switch the site mode through the admin API', '切换模式'],
  ['fire <on|off>', 'the fire alarm input: every lock releases, every barrier rises', '消防联动'],
  ['status', 'how many devices are online', '设备状态'],
  ['people', 'ids of residents, staff, the visitor, the quarantined household, vehicles', '人员与车辆'],
  ['help', 'this list', '帮助'],
  ['quit', 'stop the gateway and every simulator (also Ctrl-C)', '退出'],
];

export const SITE_CONSOLE_HELP = COMMANDS.map(
  ([usage, en, zh]) => `  ${usage.padEnd(40)} ${en} / ${zh}`,
).join('\n');

export class SiteConsole {
  constructor(
    private readonly actions: SiteActions,
    private readonly cast: Cast,
    private readonly print: (line: string) => void,
    private readonly printError: (line: string) => void,
  ) {}

  /** Runs one line; never throws for a bad one. Returns 'quit' for `quit`. */
  async run(line: string): Promise<'quit' | undefined> {
    const [command, ...args] = line.trim().split(/\s+/).filter(Boolean);
    if (command === undefined || command.startsWith('#')) return undefined;
    try {
      return await this.execute(command, args);
    } catch (err) {
      this.printError(`error: ${(err as Error).message}`);
      return undefined;
    }
  }

  private async execute(command: string, args: string[]): Promise<'quit' | undefined> {
    const a = this.actions;
    switch (command) {
      case 'card':
        await a.card(lane(args), args[1]);
        break;
      case 'idcard':
        await a.idcard(lane(args), args[1]);
        break;
      case 'qr':
        await a.qr(lane(args), args[1]);
        break;
      case 'fever':
        await a.fever(lane(args), args[1]);
        break;
      case 'plate':
        await a.plate(lane(args), args[1]);
        break;
      case 'visitor':
        await a.visitor('north-ped-in');
        break;
      case 'open':
        await a.open(lane(args));
        break;
      case 'mode':
        await a.mode(oneOf(args[0], ['open', 'closed', 'lockdown'], 'mode'));
        break;
      case 'fire':
        a.fire(oneOf(args[0], ['on', 'off'], 'fire') === 'on');
        break;
      case 'status':
        await a.status();
        break;
      case 'people':
        for (const l of this.cast.notable()) this.print(l);
        break;
      case 'help':
        this.print(SITE_CONSOLE_HELP);
        break;
      case 'quit':
      case 'exit':
        return 'quit';
      default:
        throw new RangeError(`unknown command "${command}" (help lists them)`);
    }
    return undefined;
  }
}

function lane(args: string[]): string {
  const id = args[0];
  if (id === undefined) throw new RangeError('name a lane, e.g. north-ped-in');
  return id;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T {
  if (value === undefined || !(allowed as readonly string[]).includes(value))
    throw new RangeError(`${what}: one of ${allowed.join(', ')}`);
  return value as T;
}
