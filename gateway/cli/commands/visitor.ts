import type { Command } from 'commander';
import type { TravelRecord } from '../../domain/model.js';
import { GatewardenError } from '../../errors.js';
import { formatInstant, parseInstant } from '../../registry/instant.js';
import type { VisitorRequest } from '../../registry/store.js';
import { type GlobalOptions, operatorName, parseWhen, print, withSite } from '../io.js';

interface RegisterOptions {
  idNumber?: string;
  person?: string;
  repair?: boolean;
  escort: string[];
  from?: string;
  until?: string;
  hours?: string;
  travel: string[];
  purpose?: string;
  host?: string;
  operator?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerVisitor(program: Command, globals: () => GlobalOptions): void {
  const visitor = program.command('visitor').description('Visitors registered by real name');
  visitor
    .command('register')
    .description(
      'Register a visitor (or repair worker) by ID number, with the residents who may lead them in. ' +
        'The ID number is checked (GB 11643) and stored only as a keyed hash and a masked form.',
    )
    .option('--id-number <number>', 'the visitor’s resident ID number')
    .option('--person <id>', 'a person already in the registry, instead of --id-number')
    .option('--repair', 'a repair worker approved by the community rather than a visitor')
    .option('--escort <personId>', 'a resident who may lead the visitor in (repeatable)', collect, [])
    .option('--from <when>', 'valid from (default now)')
    .option('--until <when>', 'valid until (exclusive)')
    .option('--hours <n>', 'validity in hours instead of --until', '4')
    .option(
      '--travel <region:date>',
      'a region code visited in the last 14 days and the last day there (repeatable)',
      collect,
      [],
    )
    .option('--purpose <text>', 'why they come')
    .option('--host <householdId>', 'the household they visit')
    .option('--operator <name>', 'who registers (journaled)')
    .action(async (options: RegisterOptions) => {
      await withSite(globals(), (site) => {
        const tz = site.config.site.timezone;
        const parse = (t: string) => parseInstant(t, tz);
        if ((options.idNumber === undefined) === (options.person === undefined)) {
          throw new GatewardenError('USAGE', 'give exactly one of --id-number, --person');
        }
        const validFrom = options.from ? parseWhen(options.from, '--from', parse) : site.now();
        const hours = Number(options.hours);
        if (!Number.isFinite(hours) || hours <= 0)
          throw new GatewardenError('USAGE', `--hours: "${options.hours}" is not a positive number`);
        const validUntil = options.until
          ? parseWhen(options.until, '--until', parse)
          : validFrom + hours * 3600_000;
        const request: VisitorRequest = {
          escorts: options.escort,
          validFrom,
          validUntil,
          travel: options.travel.map((t) => travel(t, parse)),
          kind: options.repair ? 'repair' : 'visitor',
        };
        if (options.idNumber !== undefined) request.idNumber = options.idNumber;
        if (options.person !== undefined) request.personId = options.person;
        if (options.purpose !== undefined) request.purpose = options.purpose;
        if (options.host !== undefined) request.hostHouseholdId = options.host;
        const registration = site.registry.registerVisitor(request);
        site.reloadRegistry();
        site.recordOperator('visitor.register', operatorName(options.operator), {
          registration: registration.id,
          person: registration.personId,
          escorts: registration.escortIds.length,
          validFrom,
          validUntil,
        });
        print(
          `visitor ${registration.personId} registered (${registration.id}), escorts ${registration.escortIds.join(', ') || 'none'}, ` +
            `valid ${formatInstant(validFrom, tz)} → ${formatInstant(validUntil, tz)}`,
        );
      });
    });
}

function travel(text: string, parse: (t: string) => number | undefined): TravelRecord {
  const i = text.lastIndexOf(':');
  const region = text.slice(0, i);
  const date = text.slice(i + 1);
  if (i <= 0 || date === '')
    throw new GatewardenError('USAGE', `--travel: "${text}" is not region:date, e.g. 420100:2022-04-01`);
  return { region, at: parseWhen(date, '--travel', parse) };
}
