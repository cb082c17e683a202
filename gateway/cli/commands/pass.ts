import { type Command, Option } from 'commander';
import { GatewardenError } from '../../errors.js';
import { describeVerdict } from '../../passes/describe.js';
import { issueAtSite } from '../../passes/issue-at-site.js';
import { PASS_ID_PATTERN, PASS_KINDS, type PassKind } from '../../passes/pass-codec.js';
import { passesConfigOf, readDynamicKey, readPreviousDynamicKey } from '../../passes/site-passes.js';
import { TrustFiles } from '../../passes/trust-files.js';
import {
  addRevocation,
  currentIssuerKeyId,
  readRingEntries,
  rotateIssuerKey,
} from '../../passes/trust-writes.js';
import { verifyPass } from '../../passes/verify-pass.js';
import { formatInstant, parseInstant } from '../../registry/instant.js';
import { type GlobalOptions, operatorName, parseWhen, print, printJson, withSite } from '../io.js';

interface IssueOptions {
  kind: PassKind;
  holder: string;
  validHours: string;
  from?: string;
  until?: string;
  dynamic?: boolean;
  bindIdcard?: boolean;
  png?: string;
  json?: boolean;
  operator?: string;
}

const HOUR_MS = 3600_000;
const warn = (line: string) => process.stderr.write(`${line}\n`);
const DAY_MS = 24 * HOUR_MS;

export function registerPass(program: Command, globals: () => GlobalOptions): void {
  const pass = program
    .command('pass')
    .description('Signed QR passes (签名通行码): issue, verify, revoke; issuer keys (docs/passes.md)');

  pass
    .command('issue')
    .description(
      'Issue a signed pass to a registered person: prints its QR code, writes a PNG, registers the pass id as their qr credential',
    )
    .addOption(new Option('--kind <kind>', 'what the pass is').choices(PASS_KINDS).makeOptionMandatory())
    .requiredOption('--holder <personId>', 'the registry person the pass is for')
    .option('--valid-hours <n>', 'validity from now (or --from), in hours', '24')
    .option('--from <when>', 'valid from (default now)')
    .option('--until <when>', 'valid until (exclusive), instead of --valid-hours')
    .option('--dynamic', 'a phone pass: shown with a time-step code, refused as a bare screenshot')
    .option('--bind-idcard', 'bind the pass to the holder’s registered ID card')
    .option('--png <file>', 'write the QR code as a PNG (owner-only)')
    .option('--json', 'print the issued pass as JSON instead of text and QR code')
    .option('--operator <name>', 'who issues (journaled)')
    .action(async (options: IssueOptions) => {
      await withSite(globals(), async (site) => {
        const tz = site.config.site.timezone;
        const parse = (t: string) => parseInstant(t, tz);
        const validFrom = options.from ? parseWhen(options.from, '--from', parse) : site.now();
        const hours = Number(options.validHours);
        if (!(hours > 0 && hours <= 366 * 24))
          throw new GatewardenError(
            'USAGE',
            `--valid-hours: "${options.validHours}" is not 0 < hours ≤ 8784`,
          );
        const validUntil = options.until
          ? parseWhen(options.until, '--until', parse)
          : validFrom + hours * HOUR_MS;
        if (validUntil <= validFrom) throw new GatewardenError('USAGE', '--until is not after --from');
        const request = {
          kind: options.kind,
          holderId: options.holder,
          validFrom,
          validUntil,
          dynamic: options.dynamic ?? false,
          bindIdcard: options.bindIdcard ?? false,
        };
        const { issued, createdKey, trusted } = issueAtSite(site, request, operatorName(options.operator));
        const { body, text, secret } = issued;
        if (createdKey) warn(`新签发密钥 new issuer key ${body.keyId} created and added to the key ring`);
        if (!trusted)
          warn(`注意 key ${body.keyId} is not trusted now by the key ring: gateways will refuse this pass`);
        // qrcode (and its PNG encoder) only for this command, not for every CLI start.
        const { qrForTerminal, qrVersion, writeQrPng } = await import('../../passes/render.js');
        if (options.png) await writeQrPng(options.png, text);
        if (options.json) {
          printJson({ ...body, text, ...(secret ? { secret } : {}) });
          return;
        }
        print(await qrForTerminal(text, process.stdout.isTTY === true));
        print(
          `pass ${body.passId} (${body.kind}${body.dynamic ? ', dynamic' : ''}) signed by key ${body.keyId}`,
        );
        print(
          `valid ${formatInstant(body.validFrom * 1000, tz)} → ${formatInstant(body.validUntil * 1000, tz)}`,
        );
        print(`text (QR version ${qrVersion(text)}): ${text}`);
        if (secret) {
          print(`phone secret (秘密，仅交给持证人手机 / give it only to the holder's phone): ${secret}`);
          print(
            '动态通行码：闸机只接受手机上带动态码的二维码 / the gate takes this pass only with its time-step code',
          );
        }
        if (options.png) print(`PNG written to ${options.png}`);
      });
    });

  pass
    .command('verify')
    .description(
      'Check a scanned pass text offline, as the gateway would (for technicians); exit 1 when invalid',
    )
    .argument('<text>', 'the scanned text, GW1:…')
    .option('--at <when>', 'check as of this instant (default now)')
    .option('--json', 'print the verdict as JSON')
    .action(async (text: string, options: { at?: string; json?: boolean }) => {
      await withSite(globals(), (site) => {
        const passes = passesConfigOf(site.config);
        const tz = site.config.site.timezone;
        const at = options.at ? parseWhen(options.at, '--at', (t) => parseInstant(t, tz)) : site.now();
        const trust = new TrustFiles(passes).current();
        const verdict = trust.ok
          ? verifyPass(text.trim(), {
              at,
              ring: trust.ring,
              isRevoked: (id) => trust.revoked.has(id),
              dynamicKey: readDynamicKey(passes),
              previousDynamicKey: readPreviousDynamicKey(passes),
              stepSeconds: passes.stepSeconds,
              siteKey: site.key,
              holderOf: (id) => site.registrySnapshot().credential('qr', id)?.holderId,
            })
          : ({ ok: false, fault: 'trust-unavailable', detail: trust.problem } as const);
        if (options.json) printJson(verdict);
        else for (const line of describeVerdict(verdict, tz)) print(line);
        if (!verdict.ok) process.exitCode = 1;
      });
    });

  pass
    .command('revoke')
    .description('Add a pass to the revocation list; gateways refuse it from their next scan')
    .argument('<passId>', 'the pass id, gwp-…')
    .option('--note <text>', 'why (kept in the list; no names)')
    .option('--operator <name>', 'who revokes (journaled)')
    .action(async (passId: string, options: { note?: string; operator?: string }) => {
      await withSite(globals(), (site) => {
        if (!PASS_ID_PATTERN.test(passId))
          throw new GatewardenError('USAGE', `"${passId}" is not a pass id (gwp- and 16 hex digits)`);
        const passes = passesConfigOf(site.config);
        const at = site.now();
        const added = addRevocation(passes, { passId, at, ...(options.note ? { note: options.note } : {}) });
        if (!added) {
          print(`${passId} is already revoked`);
          return;
        }
        site.recordOperator('pass.revoke', operatorName(options.operator), { pass: passId });
        print(`已注销 revoked ${passId} (${passes.revocationFile})`);
      });
    });

  pass
    .command('keys')
    .description('List the trusted issuer keys; --new rotates to a fresh issuer key')
    .option('--new', 'create a new issuer key; the current one stays trusted for --overlap-days')
    .option('--overlap-days <n>', 'how long passes signed by the old key keep working', '30')
    .option('--operator <name>', 'who rotates (journaled)')
    .action(async (options: { new?: boolean; overlapDays: string; operator?: string }) => {
      await withSite(globals(), (site) => {
        const passes = passesConfigOf(site.config);
        const tz = site.config.site.timezone;
        if (options.new) {
          const days = Number(options.overlapDays);
          if (!(days >= 0 && days <= 3660))
            throw new GatewardenError('USAGE', `--overlap-days: "${options.overlapDays}" is not 0–3660`);
          const rotated = rotateIssuerKey(passes, site.now(), days * DAY_MS);
          site.recordOperator('pass.key-rotate', operatorName(options.operator), {
            key: rotated.key.keyId,
            retired: rotated.retired ?? '',
            overlapDays: days,
          });
          print(
            `新签发密钥 new issuer key ${rotated.key.keyId}${rotated.retired ? `; ${rotated.retired} retires in ${days} days` : ''}`,
          );
        }
        const current = currentIssuerKeyId(passes);
        for (const e of readRingEntries(passes)) {
          const until = e.validUntil ? formatInstant(Date.parse(e.validUntil), tz) : '(open)';
          const mark = e.id === current ? '  * signs new passes' : '';
          print(`${e.id}  ${formatInstant(Date.parse(e.validFrom), tz)} → ${until}${mark}`);
        }
      });
    });
}
