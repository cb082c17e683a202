import { randomUUID } from 'node:crypto';
import { type Command, Option } from 'commander';
import { QUARANTINE_KINDS, type QuarantineKind, type QuarantineTarget } from '../../domain/model.js';
import { GatewardenError } from '../../errors.js';
import { formatInstant, parseInstant } from '../../registry/instant.js';
import { type GlobalOptions, operatorName, parseWhen, print, printJson, withSite } from '../io.js';

interface AddOptions {
  person?: string;
  household?: string;
  building?: string;
  unit?: string;
  kind: QuarantineKind;
  from?: string;
  until?: string;
  days?: string;
  id?: string;
  operator?: string;
}

const DAY = 24 * 3600_000;

export function registerQuarantine(program: Command, globals: () => GlobalOptions): void {
  const quarantine = program
    .command('quarantine')
    .description('Quarantine orders: a person, a household, a building or a unit');

  quarantine
    .command('add')
    .description(
      'Add a quarantine order (journaled). Give exactly one target: --person, --household, or --building [--unit].',
    )
    .option('--person <id>', 'a person id')
    .option('--household <id>', 'a household id (building-unit-room)')
    .option('--building <b>', 'a whole building')
    .option('--unit <u>', 'one unit of --building')
    .addOption(
      new Option('--kind <kind>', 'centralised or home').choices(QUARANTINE_KINDS).makeOptionMandatory(),
    )
    .option('--from <when>', 'start (ISO 8601 or date; default now)')
    .option('--until <when>', 'end (exclusive)')
    .option(
      '--days <n>',
      'length in days instead of --until (default from the policy: 14 centralised, 14 home)',
    )
    .option('--id <id>', 'order id (default: generated)')
    .option('--operator <name>', 'who orders it (journaled)')
    .action(async (options: AddOptions) => {
      await withSite(globals(), (site) => {
        const tz = site.config.site.timezone;
        const parse = (t: string) => parseInstant(t, tz);
        const from = options.from ? parseWhen(options.from, '--from', parse) : site.now();
        const days = options.days
          ? Number(options.days)
          : site.config.policy.quarantineDays[options.kind === 'home' ? 'highRisk' : 'centralised'];
        if (!Number.isFinite(days) || days <= 0)
          throw new GatewardenError('USAGE', `--days: "${options.days}" is not a positive number`);
        const until = options.until ? parseWhen(options.until, '--until', parse) : from + days * DAY;
        const order = {
          id: options.id ?? `q-${randomUUID().slice(0, 8)}`,
          kind: options.kind,
          target: target(options),
          from,
          until,
        };
        site.registry.addQuarantine(order);
        site.recordOperator('quarantine.add', operatorName(options.operator), {
          order: order.id,
          kind: order.kind,
          target: describeTarget(order.target),
          from,
          until,
        });
        print(
          `quarantine order ${order.id}: ${order.kind}, ${describeTarget(order.target)}, ${formatInstant(from, tz)} → ${formatInstant(until, tz)}`,
        );
      });
    });

  quarantine
    .command('list')
    .description('List quarantine orders')
    .option('--active', 'only orders in force now')
    .option('--json', 'print JSON')
    .action(async (options: { active?: boolean; json?: boolean }) => {
      await withSite(globals(), (site) => {
        const tz = site.config.site.timezone;
        const orders = site.registry.listQuarantines(options.active ? { activeAt: site.now() } : {});
        if (options.json) return printJson(orders);
        for (const o of orders) {
          const lifted = o.liftedAt === undefined ? '' : `  lifted ${formatInstant(o.liftedAt, tz)}`;
          print(
            `${o.id}  ${o.kind}  ${describeTarget(o.target)}  ${formatInstant(o.from, tz)} → ${formatInstant(o.until, tz)}${lifted}`,
          );
        }
        if (orders.length === 0) print('no quarantine orders');
      });
    });

  quarantine
    .command('lift')
    .description('Lift a quarantine order now (journaled)')
    .argument('<id>', 'order id')
    .option('--operator <name>', 'who lifts it (journaled)')
    .action(async (id: string, options: { operator?: string }) => {
      await withSite(globals(), (site) => {
        const order = site.registry.liftQuarantine(id, site.now());
        site.recordOperator('quarantine.lift', operatorName(options.operator), { order: id });
        print(`quarantine order ${order.id} lifted`);
      });
    });
}

function target(o: AddOptions): QuarantineTarget {
  const given = [o.person, o.household, o.building].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw new GatewardenError('USAGE', 'give exactly one of --person, --household, --building');
  if (o.unit !== undefined && o.building === undefined)
    throw new GatewardenError('USAGE', '--unit needs --building');
  if (o.person !== undefined) return { person: o.person };
  if (o.household !== undefined) return { household: o.household };
  return o.unit === undefined
    ? { building: o.building as string }
    : { building: o.building as string, unit: o.unit };
}

export function describeTarget(t: QuarantineTarget): string {
  if ('person' in t) return `person ${t.person}`;
  if ('household' in t) return `household ${t.household}`;
  return 'unit' in t ? `building ${t.building} unit ${t.unit}` : `building ${t.building}`;
}
