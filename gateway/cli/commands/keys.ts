import { Argument, type Command } from 'commander';
import { GatewardenError } from '../../errors.js';
import { passesConfigOf } from '../../passes/site-passes.js';
import { rotateDynamicKey, rotateIssuerKey } from '../../passes/trust-writes.js';
import { type GlobalOptions, operatorName, print, printJson, withSite } from '../io.js';
import { keyFileState, retireOsdpPreviousKey, rotateOsdpMasterKey, siteKeyFiles } from '../site-keys.js';

const DAY_MS = 86_400_000;
const ROTATABLE = ['issuer', 'osdp', 'dynamic'] as const;
type Rotatable = (typeof ROTATABLE)[number];

/**
 * `gatewarden keys`: the site's keys in one place (docs/security.md §1, "Keys and rotation").
 * Every rotation is journaled as an operator action naming the key, never its material.
 */
export function registerKeys(program: Command, globals: () => GlobalOptions): void {
  const keys = program
    .command('keys')
    .description('The site’s keys: where they are, their permissions, rotation');

  keys
    .command('list')
    .description('Each key file: present or not, its mode, and whether the gateway would refuse it')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      await withSite(globals(), (site) => {
        const rows = siteKeyFiles(site.config).map((file) => ({ ...file, ...keyFileState(file) }));
        if (options.json) {
          printJson(rows);
          return;
        }
        for (const r of rows) {
          const state = r.present ? `${r.mode}${r.problem ? `  REFUSED: ${r.problem}` : ''}` : '(none)';
          print(`${r.name.padEnd(16)} ${state.padEnd(6)}  ${r.path}`);
        }
      });
    });

  keys
    .command('rotate')
    .description(
      'Rotate a key. issuer: a new QR issuer key; the old one stays trusted for --overlap-days. ' +
        'osdp: a new site key; each reader is moved to it with KEYSET under its old key at its next connection (restart the gateway). ' +
        'dynamic: a new dynamic-code key; codes of passes issued before are accepted for --overlap-days (reissue them)',
    )
    .addArgument(new Argument('<which>', 'the key').choices(ROTATABLE))
    .option(
      '--overlap-days <n>',
      'issuer, dynamic: how long passes made under the old key keep working',
      '30',
    )
    .option('--operator <name>', 'who rotates (journaled)')
    .action(async (which: Rotatable, options: { overlapDays: string; operator?: string }) => {
      await withSite(globals(), (site) => {
        const operator = operatorName(options.operator);
        const days = Number(options.overlapDays);
        if (!(days >= 0 && days <= 3660))
          throw new GatewardenError('USAGE', `--overlap-days: "${options.overlapDays}" is not 0–3660`);
        if (which === 'dynamic') {
          const { validUntil } = rotateDynamicKey(passesConfigOf(site.config), site.now(), days * DAY_MS);
          site.recordOperator('keys.rotate', operator, { key: 'dynamic', overlapDays: days });
          print(
            `新动态码密钥 new dynamic-code key; codes of earlier passes accepted until ${new Date(validUntil).toISOString()}: reissue them (restart the gateway)`,
          );
          return;
        }
        if (which === 'issuer') {
          const rotated = rotateIssuerKey(passesConfigOf(site.config), site.now(), days * DAY_MS);
          // The same action as `pass keys --new`: the freshness check counts it as a key refresh.
          site.recordOperator('pass.key-rotate', operator, {
            key: rotated.key.keyId,
            retired: rotated.retired ?? '',
            overlapDays: days,
          });
          print(
            `新签发密钥 new issuer key ${rotated.key.keyId}${rotated.retired ? `; ${rotated.retired} trusted for ${days} more days` : ''}`,
          );
          return;
        }
        rotateOsdpMasterKey(site.config.osdp.masterKeyFile);
        site.recordOperator('keys.rotate', operator, { key: 'osdp' });
        print(
          '新门禁站点密钥 new OSDP site key: readers move to it at their next connection (restart the gateway); ' +
            'the old key is kept until gatewarden keys retire osdp',
        );
      });
    });

  keys
    .command('retire')
    .description(
      'osdp: drop the OSDP site key before the last rotation, once every reader is online with the new one',
    )
    .addArgument(new Argument('<which>', 'the key').choices(['osdp']))
    .option('--operator <name>', 'who retires it (journaled)')
    .action(async (_which: 'osdp', options: { operator?: string }) => {
      await withSite(globals(), (site) => {
        const retired = retireOsdpPreviousKey(site.config.osdp.masterKeyFile);
        if (retired) site.recordOperator('keys.retire', operatorName(options.operator), { key: 'osdp' });
        print(
          retired ? 'previous OSDP site key retired' : 'no previous OSDP site key kept: nothing to retire',
        );
      });
    });
}
