/**
 * The Grafana dashboard (grafana/dashboards/gatewarden.json) against the telemetry schema: every
 * InfluxQL query names a measurement the gateway writes, selects fields it writes, filters and
 * groups by tags it writes (and known values of the enumerated tags), and the Prometheus panels
 * use the gateway's metric names. A renamed field in points.ts, or a typo in the dashboard,
 * fails here rather than as an empty panel on a site.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DENY_CODES, GRANT_CODES } from '../../gateway/rules/reasons.js';
import { MEASUREMENTS, type Measurement } from '../../gateway/telemetry/points.js';

interface MeasurementSchema {
  tags: readonly string[];
  fields: readonly string[];
  /** Field names made from data (alarm detail keys): any name with one of these prefixes. */
  fieldPrefixes?: readonly string[];
}

/** Fields `PointMapper.points` adds to every point of a journal entry (points.ts). */
const ENTRY_FIELDS = ['seq', 'replayed'] as const;

/** Counter names of the device links, written as device_health fields as they are (camelCase). */
const DEVICE_COUNTERS = [
  // ModbusBoardCounters (drivers/modbus/board-types.ts): barrier boards
  'requests',
  'replies',
  'retries',
  'timeouts',
  'crcErrors',
  'exceptions',
  'malformed',
  'polls',
  'writes',
  'writeFailures',
  'offlineTransitions',
  // PdCounters (drivers/osdp/link/control-panel.ts): OSDP readers
  'commands',
  'corrupt',
  'naks',
  'busy',
  'secureFailures',
  'recoveredReports',
  'withdrawn',
  // ReaderCounters (drivers/idcard/reader-session.ts): ID-card readers
  'resends',
  'statusErrors',
  'reads',
  'readFailures',
  'removals',
  'faults',
] as const;

/**
 * The schema as the gateway writes it, read off `PointMapper` in gateway/telemetry/points.ts
 * (journal entries) and `Telemetry.sample` in gateway/telemetry/telemetry.ts (device_health and
 * occupancy: samples, not journal entries, so without `seq` and `replayed`). Keep it in step
 * with those two files; the Record type makes tsc ask for a new measurement.
 */
const SCHEMA: Readonly<Record<Measurement, MeasurementSchema>> = {
  pass: {
    tags: ['site', 'gate', 'lane', 'direction', 'outcome', 'reason', 'subject_kind', 'credential', 'shift'],
    fields: ['reasons', 'decide_us', 'temperature_c', 'subject', 'override', ...ENTRY_FIELDS],
  },
  temperature: {
    tags: ['site', 'gate', 'lane', 'source', 'mask', 'fever', 'instrument', 'remeasure'],
    fields: ['celsius', ...ENTRY_FIELDS],
  },
  alarm: {
    tags: ['site', 'code', 'severity', 'lane'],
    fields: ['subject', ...ENTRY_FIELDS],
    fieldPrefixes: ['detail_'],
  },
  alarm_ack: { tags: ['site'], fields: ['alarm_seq', 'operator', ...ENTRY_FIELDS] },
  mode: { tags: ['site', 'from', 'to'], fields: ['operator', 'reason', ...ENTRY_FIELDS] },
  fire: { tags: ['site'], fields: ['active', 'source', ...ENTRY_FIELDS] },
  device: { tags: ['site', 'device', 'lane', 'state'], fields: ['online', 'detail', ...ENTRY_FIELDS] },
  operator_action: { tags: ['site', 'action', 'shift'], fields: ['operator', ...ENTRY_FIELDS] },
  passage: { tags: ['site', 'lane', 'direction'], fields: ['subject', ...ENTRY_FIELDS] },
  device_health: { tags: ['site', 'device'], fields: ['online', 'round_trip_ms', ...DEVICE_COUNTERS] },
  occupancy: { tags: ['site'], fields: ['out', 'households_out'] },
};

/** Values of the tags with a closed set of values (points.ts; reason codes from rules/reasons.ts). */
const TAG_VALUES: Readonly<Record<string, readonly string[]>> = {
  outcome: ['granted', 'refused'],
  reason: [...DENY_CODES, ...GRANT_CODES, 'NONE'],
  fever: ['true', 'false'],
  mask: ['yes', 'no', 'unknown'],
  instrument: ['camera', 'handheld'],
  remeasure: ['required', 'waiting', 'taken', 'none'],
  severity: ['warning', 'critical'],
};

/** The gateway's Prometheus metrics the dashboard may use (the sink-lag gauges). */
const PROM_METRICS = ['gatewarden_sink_lag_entries', 'gatewarden_sink_lag_seconds'];

/** Datasource uids a panel may name: the variables (`${DS_INFLUX}`, ...) and Grafana's own. */
const variable = (name: string) => `\${${name}}`;
const DATASOURCE_UIDS = [variable('DS_INFLUX'), variable('DS_PROM'), '-- Grafana --'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const dashboardText = readFileSync(
  new URL('../../grafana/dashboards/gatewarden.json', import.meta.url),
  'utf8',
);
const dashboard = JSON.parse(dashboardText) as JsonObject;

/** Every object in the document, with its JSON path. */
function* objects(node: Json, path = '$'): Generator<[string, JsonObject]> {
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) yield* objects(child, `${path}[${i}]`);
  } else if (isObject(node)) {
    yield [path, node];
    for (const [key, child] of Object.entries(node)) yield* objects(child, `${path}.${key}`);
  }
}

const datasourceType = (o: JsonObject): string | undefined => {
  const ds = o.datasource;
  return isObject(ds) && typeof ds.type === 'string' ? ds.type : undefined;
};

/** The InfluxQL of the dashboard: panel targets, template variables and annotations. */
function influxQueries(doc: Json): { path: string; query: string }[] {
  const out: { path: string; query: string }[] = [];
  for (const [path, o] of objects(doc)) {
    if (typeof o.query === 'string' && (o.rawQuery === true || datasourceType(o) === 'influxdb')) {
      out.push({ path, query: o.query });
    }
  }
  return out;
}

const quoted = (text: string): string[] => [...text.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);

/**
 * What is wrong with one InfluxQL query against the schema; empty when it is fine. Understands
 * the shapes the dashboard uses: `SHOW TAG VALUES FROM ... WITH KEY = ...`, and one-measurement
 * `SELECT ... FROM "m" WHERE ... GROUP BY ... ORDER BY ... LIMIT n` (no subqueries).
 */
function queryProblems(query: string): string[] {
  const problems: string[] = [];
  const froms = [...query.matchAll(/\bFROM\s+("?)([^"\s]+)\1/g)].map((m) => m[2] as string);
  if (froms.length !== 1) return [`expected exactly one FROM "<measurement>", found ${froms.length}`];
  const name = froms[0] as string;
  if (!(MEASUREMENTS as readonly string[]).includes(name)) return [`unknown measurement "${name}"`];
  const schema = SCHEMA[name as Measurement];
  const isTag = (id: string) => schema.tags.includes(id);
  const isField = (id: string) =>
    schema.fields.includes(id) || (schema.fieldPrefixes ?? []).some((p) => id.startsWith(p));

  const checkWhere = (where: string) => {
    for (const m of where.matchAll(/"([^"]+)"\s*(=~|!~|!=|<>|>=|<=|=|<|>)\s*('[^']*'|\/[^/]*\/|[^\s)]+)/g)) {
      const [, id = '', op, value = ''] = m;
      if (!isTag(id) && !isField(id)) {
        problems.push(`"${id}" in WHERE is neither a tag nor a field of ${name}`);
        continue;
      }
      if (isTag(id) && !isField(id)) {
        const regex = op === '=~' || op === '!~';
        if (regex ? !value.startsWith('/') : !value.startsWith("'")) {
          problems.push(`tag "${id}" compared with ${value}: tag values are strings ('...') or regexes`);
        }
        const known = TAG_VALUES[id];
        if (known !== undefined && !regex && !known.includes(value.slice(1, -1))) {
          problems.push(`tag "${id}" has no value ${value}`);
        }
      }
    }
  };

  const show = /^SHOW TAG VALUES FROM "[^"]+" WITH KEY = "([^"]+)"(?: WHERE (.+))?$/.exec(query);
  if (show !== null) {
    const [, key = '', where] = show;
    if (!isTag(key)) problems.push(`"${key}" is not a tag of ${name}`);
    if (where !== undefined) checkWhere(where);
    return problems;
  }

  const select =
    /^SELECT (.+?) FROM "[^"]+"(?: WHERE (.+?))?(?: GROUP BY (.+?))?(?: ORDER BY time (?:ASC|DESC))?(?: LIMIT \d+)?$/.exec(
      query,
    );
  if (select === null) return [`not a query shape this test understands: ${query}`];
  const [, columns = '', where, groupBy] = select;

  const selected = columns.replace(/\bAS\s+"[^"]+"/g, '');
  const inFunctions = new Set([...selected.matchAll(/\w+\(\s*"([^"]+)"/g)].map((m) => m[1] as string));
  const ids = quoted(selected);
  for (const id of ids) {
    if (inFunctions.has(id) ? !isField(id) : !isField(id) && !isTag(id)) {
      problems.push(`"${id}" is not a ${inFunctions.has(id) ? 'field' : 'field or tag'} of ${name}`);
    }
  }
  if (!ids.some(isField)) problems.push('SELECT names no field (InfluxQL returns nothing)');

  if (where === undefined || !where.includes('$timeFilter')) problems.push('no $timeFilter in WHERE');
  else checkWhere(where);

  for (const id of quoted(groupBy ?? '')) {
    if (!isTag(id)) problems.push(`GROUP BY "${id}": not a tag of ${name}`);
  }
  return problems;
}

describe('grafana/dashboards/gatewarden.json', () => {
  it('is a dashboard with the expected identity and variables', () => {
    expect(dashboard.uid).toBe('gatewarden-site');
    expect(dashboard.title).toBe('gatewarden — 门岗 / gate');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const templating = dashboard.templating;
    expect(isObject(templating) && Array.isArray(templating.list)).toBe(true);
    const vars = ((templating as JsonObject).list as JsonObject[]).map((v) => [v.name, v.type, v.query]);
    expect(vars).toEqual(
      expect.arrayContaining([
        ['DS_INFLUX', 'datasource', 'influxdb'],
        ['DS_PROM', 'datasource', 'prometheus'],
        ['site', 'query', 'SHOW TAG VALUES FROM "pass" WITH KEY = "site"'],
      ]),
    );
    expect(vars.some(([name, type]) => name === 'lane' && type === 'query')).toBe(true);
  });

  it('names every datasource through the datasource variables, never by a fixed uid', () => {
    for (const [path, o] of objects(dashboard)) {
      const ds = o.datasource;
      if (ds === undefined) continue;
      expect(isObject(ds), path).toBe(true);
      expect(DATASOURCE_UIDS, `${path}.datasource.uid`).toContain((ds as JsonObject).uid);
    }
  });

  it('has unique panel ids and bilingual titles, Chinese first', () => {
    const panels = dashboard.panels as JsonObject[];
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) expect(p.title, String(p.title)).toMatch(/^\p{Script=Han}.* \/ [A-Za-z]/u);
  });

  it('has raw InfluxQL in every InfluxDB panel target', () => {
    let targets = 0;
    for (const p of dashboard.panels as JsonObject[]) {
      for (const t of (p.targets ?? []) as JsonObject[]) {
        if (datasourceType(t) !== 'influxdb') continue;
        targets++;
        expect(t.rawQuery, `${p.title} ${t.refId}`).toBe(true);
        expect(typeof t.query).toBe('string');
      }
    }
    expect(targets).toBeGreaterThanOrEqual(8);
  });

  it('queries only measurements, fields and tags the gateway writes', () => {
    const queries = influxQueries(dashboard);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const problems = queries.flatMap(({ path, query }) => queryProblems(query).map((p) => `${path}: ${p}`));
    expect(problems).toEqual([]);
    const used = new Set(queries.map(({ query }) => /FROM "([^"]+)"/.exec(query)?.[1]));
    for (const m of ['pass', 'temperature', 'alarm', 'device_health', 'occupancy']) expect(used).toContain(m);
  });

  it('counts a high reading once: fever counts leave out its re-measure and the readings of the wait', () => {
    const feverCounts = influxQueries(dashboard).filter(({ query }) =>
      /FROM "temperature" .*"fever" = 'true'/.test(query),
    );
    expect(feverCounts.length).toBeGreaterThan(0);
    for (const { path, query } of feverCounts) {
      expect(query, path).toContain(`"remeasure" != 'taken'`);
      expect(query, path).toContain(`"remeasure" != 'waiting'`);
    }
  });

  it('uses only the gateway metrics in Prometheus targets', () => {
    const exprs: string[] = [];
    for (const [, o] of objects(dashboard)) {
      if (datasourceType(o) === 'prometheus' && typeof o.expr === 'string') exprs.push(o.expr);
    }
    expect(exprs.length).toBeGreaterThanOrEqual(2);
    const metrics = new Set(exprs.flatMap((e) => e.match(/\bgatewarden_\w+/g) ?? []));
    expect([...metrics].sort()).toEqual([...PROM_METRICS].sort());
  });
});

describe('the schema list and the query check', () => {
  it('covers exactly the measurements of points.ts', () => {
    expect(Object.keys(SCHEMA).sort()).toEqual([...MEASUREMENTS].sort());
  });

  it('accepts a good query', () => {
    expect(
      queryProblems(
        `SELECT count("seq") FROM "pass" WHERE "site" =~ /^$site$/ AND "outcome" = 'granted' AND $timeFilter GROUP BY time($__interval), "lane" fill(0)`,
      ),
    ).toEqual([]);
  });

  it.each([
    ['a misspelt measurement', `SELECT count("seq") FROM "passes" WHERE $timeFilter`, /unknown measurement/],
    [
      'a field of another measurement',
      `SELECT mean("celsius") FROM "pass" WHERE $timeFilter`,
      /"celsius" is not/,
    ],
    [
      'a tag as the argument of a function',
      `SELECT count("lane") FROM "pass" WHERE $timeFilter`,
      /not a field/,
    ],
    ['a sample without seq', `SELECT count("seq") FROM "occupancy" WHERE $timeFilter`, /"seq" is not/],
    ['GROUP BY a field', `SELECT count("seq") FROM "pass" WHERE $timeFilter GROUP BY "subject"`, /not a tag/],
    [
      'an unknown tag value',
      `SELECT count("seq") FROM "pass" WHERE "outcome" = 'denied' AND $timeFilter`,
      /no value/,
    ],
    [
      'a tag compared as a boolean',
      `SELECT count("celsius") FROM "temperature" WHERE "fever" = true AND $timeFilter`,
      /tag "fever"/,
    ],
    [
      'an unknown re-measure mark',
      `SELECT count("celsius") FROM "temperature" WHERE "remeasure" != 'pending' AND $timeFilter`,
      /tag "remeasure" has no value/,
    ],
    [
      'an unknown WHERE key',
      `SELECT count("seq") FROM "pass" WHERE "gate_id" = 'g1' AND $timeFilter`,
      /neither/,
    ],
    ['no time filter', `SELECT count("seq") FROM "pass"`, /\$timeFilter/],
    ['an unknown tag key', `SHOW TAG VALUES FROM "pass" WITH KEY = "sites"`, /not a tag/],
  ])('rejects %s', (_what, query, problem) => {
    const problems = queryProblems(query);
    expect(
      problems.some((p) => problem.test(p)),
      problems.join('; '),
    ).toBe(true);
  });
});
