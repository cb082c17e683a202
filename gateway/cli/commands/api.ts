import { Argument, type Command } from 'commander';
import { ApiUserStore, ROLES, type Role } from '../../api/users.js';
import { GatewardenError } from '../../errors.js';
import { type PasswordSource, userPassword } from '../../util/password-input.js';
import { type GlobalOptions, operatorName, print, printJson, withSite } from '../io.js';

interface AddOptions extends PasswordSource {
  replace?: boolean;
  operator?: string;
}

/**
 * Users of the admin API (docs/api.md), kept in the site database. A running gateway checks the
 * user at every request: a removed user, or one given another role, is logged out at once.
 */
export function registerApi(program: Command, globals: () => GlobalOptions): void {
  const api = program.command('api').description('The admin API (管理接口)');
  const user = api.command('user').description('Users of the admin API: operators, technicians, admins');

  user
    .command('add')
    .description('Add (or with --replace, replace) a user with a scrypt-hashed password')
    .argument('<name>', 'user name: letters, digits, . _ - (journaled as who made a change)')
    .addArgument(new Argument('<role>', 'what the user may do').choices(ROLES))
    .option('--password-file <file>', 'read the password from this file (mode 0600)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--generate-password', 'make a random password and print it once')
    .option('--replace', 'replace a user of that name')
    .option('--operator <name>', 'who makes the change (journaled)')
    .action(async (name: string, role: Role, options: AddOptions) => {
      await withSite(globals(), async (site) => {
        const users = new ApiUserStore(site.db);
        const exists = users.list().some((u) => u.name === name);
        if (exists && !options.replace)
          throw new GatewardenError('USAGE', `API user "${name}" exists: add --replace to replace it`);
        const { password, generated } = await userPassword(options);
        users.add(name, role, password, site.now());
        site.recordOperator(exists ? 'api.user.replace' : 'api.user.add', operatorName(options.operator), {
          user: name,
          role,
        });
        print(`API user ${name} (${role}) ${exists ? 'replaced' : 'added'}`);
        if (generated !== undefined) print(`password (shown once): ${generated}`);
      });
    });

  user
    .command('remove <name>')
    .description('Remove a user (logged out at once)')
    .option('--operator <name>', 'who makes the change (journaled)')
    .action(async (name: string, options: { operator?: string }) => {
      await withSite(globals(), (site) => {
        if (!new ApiUserStore(site.db).remove(name))
          throw new GatewardenError('USAGE', `no API user "${name}"`);
        site.recordOperator('api.user.remove', operatorName(options.operator), { user: name });
        print(`API user ${name} removed`);
      });
    });

  user
    .command('list')
    .description('List users and their roles (never their password hashes)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withSite(globals(), (site) => {
        const users = new ApiUserStore(site.db).list();
        if (options.json) return printJson(users);
        if (users.length === 0)
          print('no API users (nobody can log in): gatewarden api user add <name> <role>');
        for (const u of users) print(`${u.name}  ${u.role}`);
      });
    });
}
