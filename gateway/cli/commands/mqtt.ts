import type { Command } from 'commander';
import { GatewardenError } from '../../errors.js';
import {
  CONVENTIONS,
  type Convention,
  devicePatterns,
  isTopicName,
} from '../../mqtt/broker/device-conventions.js';
import { ROLES, type Role } from '../../mqtt/broker/topic-acl.js';
import { type BrokerUser, readUsersFile, USER_NAME, writeUsersFile } from '../../mqtt/broker/users-file.js';
import { userPassword } from '../../util/password-input.js';
import { type GlobalOptions, operatorName, print, printJson, withSite } from '../io.js';

interface AddOptions {
  role: string;
  device?: string;
  convention: string;
  topic?: string;
  base?: string;
  publish: string[];
  subscribe: string[];
  passwordFile?: string;
  passwordStdin?: boolean;
  generatePassword?: boolean;
  replace?: boolean;
  operator?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * Users of the embedded broker (docs/mqtt-broker.md). Edits the users file only; a running
 * gateway picks the change up within seconds and disconnects clients of removed or changed users.
 * Each change is journaled as an operator action. Passwords are never printed, except one made
 * by --generate-password, once.
 */
export function registerMqtt(program: Command, globals: () => GlobalOptions): void {
  const mqtt = program.command('mqtt').description('The embedded MQTT broker (本地 MQTT 代理)');
  const user = mqtt.command('user').description('Users of the embedded broker: devices, dashboard, tools');

  user
    .command('add <name>')
    .description('Add (or with --replace, replace) a user with a scrypt-hashed password')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--device <id>', 'for a device: the device id it belongs to')
    .option('--convention <c>', `for a device: its topics, ${CONVENTIONS.join(' | ')}`, 'plain')
    .option(
      '--topic <name>',
      'for a device: its topic name (Zigbee2MQTT friendly name, Tasmota topic); default the device id',
    )
    .option('--base <topic>', 'for a zigbee2mqtt device: the base topic', 'zigbee2mqtt')
    .option(
      '--publish <filter>',
      'a topic filter it may publish to, instead of the defaults (repeatable)',
      collect,
      [],
    )
    .option(
      '--subscribe <filter>',
      'a topic filter it may subscribe within, instead of the defaults (repeatable)',
      collect,
      [],
    )
    .option('--password-file <file>', 'read the password from this file (mode 0600)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--generate-password', 'make a random password and print it once')
    .option('--replace', 'replace a user of that name')
    .option('--operator <name>', 'who makes the change (journaled)')
    .action(async (name: string, options: AddOptions) => {
      await withSite(globals(), async (site) => {
        const path = site.config.mqtt.broker.usersFile;
        const entry = { name, ...accessOf(name, options) };
        const { password, generated } = await userPassword(options);
        const file = readUsersFile(path) ?? { version: 1 as const, users: [] };
        const exists = file.users.some((u) => u.name === name);
        if (exists && !options.replace)
          throw new GatewardenError('USAGE', `MQTT user "${name}" exists: add --replace to replace it`);
        const users = [...file.users.filter((u) => u.name !== name), { ...entry, password }];
        writeUsersFile(path, { version: 1, users });
        site.recordOperator(exists ? 'mqtt.user.replace' : 'mqtt.user.add', operatorName(options.operator), {
          user: name,
          role: entry.role,
          ...(entry.device ? { device: entry.device } : {}),
        });
        print(`MQTT user ${name} (${entry.role}) ${exists ? 'replaced' : 'added'} in ${path}`);
        if (generated !== undefined) print(`password: ${generated}`);
      });
    });

  user
    .command('remove <name>')
    .description('Remove a user; its clients are disconnected')
    .option('--operator <name>', 'who makes the change (journaled)')
    .action(async (name: string, options: { operator?: string }) => {
      await withSite(globals(), (site) => {
        const path = site.config.mqtt.broker.usersFile;
        const file = readUsersFile(path);
        if (!file?.users.some((u) => u.name === name))
          throw new GatewardenError('USAGE', `no MQTT user "${name}" in ${path}`);
        writeUsersFile(path, { version: 1, users: file.users.filter((u) => u.name !== name) });
        site.recordOperator('mqtt.user.remove', operatorName(options.operator), { user: name });
        print(`MQTT user ${name} removed from ${path}`);
      });
    });

  user
    .command('list')
    .description('List users with their roles and topics (never their password hashes)')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      await withSite(globals(), (site) => {
        const users = (readUsersFile(site.config.mqtt.broker.usersFile)?.users ?? []).map(
          ({ password: _hidden, ...rest }) => rest,
        );
        if (options.json) return printJson(users);
        if (users.length === 0) print('no MQTT users (every client is refused)');
        for (const u of users) {
          print(`${u.name}  ${u.role}${u.device ? `  device ${u.device}` : ''}`);
          if (u.publish) print(`    publish:   ${u.publish.join(' ') || '-'}`);
          if (u.subscribe) print(`    subscribe: ${u.subscribe.join(' ') || '-'}`);
        }
      });
    });
}

/** The role and topic patterns of a new user, from the options; throws USAGE on a bad combination. */
function accessOf(name: string, o: AddOptions): Omit<BrokerUser, 'name' | 'password'> {
  if (!USER_NAME.test(name))
    throw new GatewardenError(
      'USAGE',
      `"${name}": a user name is letters, digits, ".", "_" and "-" (at most 64)`,
    );
  if (!(ROLES as readonly string[]).includes(o.role))
    throw new GatewardenError('USAGE', `--role: "${o.role}" is not one of ${ROLES.join(', ')}`);
  const role = o.role as Role;
  const own = {
    ...(o.publish.length > 0 ? { publish: o.publish } : {}),
    ...(o.subscribe.length > 0 ? { subscribe: o.subscribe } : {}),
  };
  if (role === 'dashboard' && o.publish.length > 0)
    throw new GatewardenError('USAGE', 'a dashboard user never publishes: drop --publish');
  if (role !== 'device') {
    if (o.device !== undefined) throw new GatewardenError('USAGE', '--device is for --role device only');
    return { role, ...own };
  }
  if (o.device === undefined || !isTopicName(o.device))
    throw new GatewardenError('USAGE', 'a device user needs --device <id> (no +, #, / or leading $)');
  if (!(CONVENTIONS as readonly string[]).includes(o.convention))
    throw new GatewardenError(
      'USAGE',
      `--convention: "${o.convention}" is not one of ${CONVENTIONS.join(', ')}`,
    );
  const topicName = o.topic ?? o.device;
  if (!isTopicName(topicName))
    throw new GatewardenError('USAGE', `--topic: "${topicName}" holds +, # or a leading $`);
  const defaults = devicePatterns(o.convention as Convention, {
    name: topicName,
    base: o.base ?? 'zigbee2mqtt',
  });
  return { role, device: o.device, ...defaults, ...own };
}
