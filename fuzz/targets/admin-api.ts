import assert from 'node:assert/strict';
import fc from 'fast-check';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { alarmRoutes } from '../../gateway/api/routes/alarms.js';
import { dutyRoutes } from '../../gateway/api/routes/duty.js';
import { registryRoutes } from '../../gateway/api/routes/registry.js';
import { registryEditRoutes } from '../../gateway/api/routes/registry-edit.js';
import { sessionRoutes } from '../../gateway/api/routes/session.js';
import { siteRoutes } from '../../gateway/api/routes/site.js';
import type { ApiContext } from '../../gateway/api/server.js';
import { openDatabase } from '../../gateway/db.js';
import { GatewardenError } from '../../gateway/errors.js';
import { parseInstant } from '../../gateway/registry/instant.js';
import { EDITABLE_SECTIONS, type EditableSection, RegistryStore } from '../../gateway/registry/store.js';
import { fromZod } from '../json-arbitrary.js';
import { defineTarget, neverThrows, onlyThrows } from '../target.js';
import { ID_NUMBERS, REGISTRY_KEY, REGISTRY_NOW, REGISTRY_STRINGS, REGISTRY_TIME_ZONE } from './registry.js';

/**
 * The admin API's request bodies (gateway/api/routes): each body through the route's own zod
 * schema, then, for the routes that change the registry, through the checks of the handler and
 * the store, without starting fastify. The schemas are taken from the real route modules: a
 * fastify instance is built (never started) and an onRoute hook records each body schema.
 */

interface BodyRoute {
  /** `PUT /api/registry/persons/:id`. */
  key: string;
  body: z.ZodType;
}

/** Route modules read a few settings when they register: a stub that answers any property. */
function stubContext(): ApiContext {
  const stub: unknown = new Proxy(() => stub, {
    get: (_target, key) =>
      key === 'timezone' ? REGISTRY_TIME_ZONE : key === Symbol.toPrimitive ? () => '' : stub,
  });
  return stub as ApiContext;
}

function bodyRoutes(): BodyRoute[] {
  const app = Fastify().withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes: BodyRoute[] = [];
  app.addHook('onRoute', (route) => {
    const body = (route.schema as { body?: z.ZodType } | undefined)?.body;
    if (body !== undefined) routes.push({ key: `${String(route.method)} ${route.url}`, body });
  });
  const context = stubContext();
  for (const register of [
    sessionRoutes,
    siteRoutes,
    alarmRoutes,
    dutyRoutes,
    registryRoutes,
    registryEditRoutes,
  ])
    register(app, context);
  return routes;
}

const ROUTES = bodyRoutes();
const ROUTE = new Map(ROUTES.map((r) => [r.key, r]));
const STRINGS = [...REGISTRY_STRINGS, 'admin', 'guard-1', '卡丢失 lost card', 'closed', '110101199003070019'];

/** A seeded in-memory registry; each case runs in a transaction that is rolled back. */
let store: { db: ReturnType<typeof openDatabase>; registry: RegistryStore } | undefined;

function seeded() {
  if (store !== undefined) return store;
  const db = openDatabase(':memory:');
  const registry = new RegistryStore(db, {
    key: REGISTRY_KEY,
    timeZone: REGISTRY_TIME_ZONE,
    now: () => REGISTRY_NOW,
  });
  registry.import(
    {
      version: 1,
      households: [
        { id: 'h-1', building: '1', unit: '1', room: '101' },
        { id: 'h-2', building: '2', unit: '1', room: '201' },
      ],
      persons: [
        { id: 'r-1', kind: 'resident', householdId: 'h-1', idNumber: ID_NUMBERS[0] as string },
        { id: 's-1', kind: 'staff', shifts: ['day'] },
      ],
      credentials: [{ kind: 'card', value: 'A0000001', holder: 'r-1' }],
      vehicles: [{ id: 'v-1', plate: '京A12345', kind: 'resident', householdId: 'h-1' }],
    },
    { mode: 'replace' },
  );
  store = { db, registry };
  return store;
}

const PATH_IDS = ['h-1', 'h-2', 'r-1', 's-1', 'v-1', 'card:A0000001', 'new-1', 'x y', ''];

/** Codes the API's error handler answers with 4xx; anything else thrown would be a 500. */
const CLIENT_ERRORS = new Set([
  'REQUEST_INVALID',
  'REGISTRY_IMPORT_INVALID',
  'REGISTRY_NOT_FOUND',
  'REGISTRY_IN_USE',
]);

export const adminApiBodies = defineTarget({
  name: 'admin-api-bodies',
  contract:
    'Every admin API body schema (login, mode, emergency open, alarms, duty, visitors, quarantine, registry ' +
    'edits) on schema-guided and mutated bodies: safeParse never throws and names the field of each issue; ' +
    "a body it accepts for a registry route goes through the handler's own checks and the store, which " +
    'answer or refuse with a 4xx error code, never anything a 500 would come from.',
  boundedCases: 200,
  arbitrary: fc.oneof(
    ...ROUTES.map((r) =>
      fc.record(
        {
          route: fc.constant(r.key),
          id: fc.constantFrom(...PATH_IDS),
          body: fromZod(r.body, { strings: STRINGS }),
        },
        { noNullPrototype: true },
      ),
    ),
  ),
  check({ route, id, body }) {
    const schema = ROUTE.get(route)?.body;
    assert.ok(schema !== undefined, `no route ${route}`);
    const parsed = neverThrows(() => schema.safeParse(body));
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        assert.ok(Array.isArray(issue.path) && issue.message !== '', 'an issue without a field');
      return;
    }
    const { db, registry } = seeded();
    db.exec('BEGIN');
    try {
      const outcome = onlyThrows(
        () => handle(registry, route, id, parsed.data as Record<string, unknown>),
        GatewardenError,
      );
      if (!outcome.ok)
        assert.ok(
          CLIENT_ERRORS.has((outcome.error as GatewardenError).code),
          `answered ${(outcome.error as GatewardenError).code}`,
        );
    } finally {
      db.exec('ROLLBACK');
    }
  },
});

/** What the registry routes do with an accepted body (gateway/api/routes/registry*.ts), store included. */
function handle(registry: RegistryStore, route: string, id: string, body: Record<string, unknown>): void {
  const instant = (text: unknown, field: string) => {
    const ms = parseInstant(String(text), REGISTRY_TIME_ZONE);
    if (ms === undefined)
      throw new GatewardenError('REQUEST_INVALID', 'not a real instant', {
        problems: [{ field, message: 'not a real instant' }],
      });
    return ms;
  };
  const put = /^PUT \/api\/registry\/(\w+)\/:id$/.exec(route)?.[1];
  if (put !== undefined && (EDITABLE_SECTIONS as readonly string[]).includes(put)) {
    if (body.id !== undefined && body.id !== id) return; // pathId() refuses: REQUEST_INVALID
    registry.put({ section: put as EditableSection, entry: { ...body, id } } as Parameters<
      RegistryStore['put']
    >[0]);
  } else if (route === 'POST /api/registry/credentials/:id/revoke') {
    if (/\d{15,}/.test(String(body.reason))) return;
    registry.revokeCredential(id, body.at === undefined ? REGISTRY_NOW : instant(body.at, 'body.at'));
  } else if (route === 'POST /api/quarantine') {
    const order = body as { id: string; kind: never; target: never; from?: string; until: string };
    const from = order.from === undefined ? REGISTRY_NOW : instant(order.from, 'order.from');
    registry.addQuarantine({
      id: order.id,
      kind: order.kind,
      target: order.target,
      from,
      until: instant(order.until, 'order.until'),
    });
  } else if (route === 'POST /api/visitors') {
    const v = body as {
      escorts: string[];
      validFrom?: string;
      validUntil: string;
      travel?: { region: string; date: string }[];
      repair?: boolean;
      id?: string;
      idNumber?: string;
      personId?: string;
      purpose?: string;
      hostHouseholdId?: string;
    };
    registry.registerVisitor({
      escorts: v.escorts,
      validFrom: v.validFrom === undefined ? REGISTRY_NOW : instant(v.validFrom, 'visitor.validFrom'),
      validUntil: instant(v.validUntil, 'visitor.validUntil'),
      travel: (v.travel ?? []).map((t, i) => ({
        region: t.region,
        at: instant(t.date, `visitor.travel.${i}.date`),
      })),
      kind: v.repair ? 'repair' : 'visitor',
      ...(v.id === undefined ? {} : { id: v.id }),
      ...(v.idNumber === undefined ? {} : { idNumber: v.idNumber }),
      ...(v.personId === undefined ? {} : { personId: v.personId }),
      ...(v.purpose === undefined ? {} : { purpose: v.purpose }),
      ...(v.hostHouseholdId === undefined ? {} : { hostHouseholdId: v.hostHouseholdId }),
    });
  }
}
