import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../config/load.js';
import { policyFromConfig } from '../../config/schema.js';
import { configJsonSchema } from '../../config/write-json-schema.js';
import { GatewardenError } from '../../gateway/errors.js';

const configDir = fileURLToPath(new URL('../../config/', import.meta.url));
const defaultFile = join(configDir, 'gatewarden.yaml');

const MINIMAL = `site:
  id: tiny
  name: { zh: 小区, en: Tiny }
gates:
  - id: main
    name: { zh: 大门, en: Main }
    primary: true
    lanes:
      - { id: main-in, name: { zh: 入, en: In }, kind: pedestrian, direction: in }
`;

/** The error a failing call throws; fails the test when it does not throw one. */
function thrown(fn: () => unknown): GatewardenError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewardenError);
    return error as GatewardenError;
  }
  throw new Error('expected a GatewardenError');
}

describe('the default configuration', () => {
  it('loads a site with a primary north gate of four lanes and a secondary east gate', () => {
    const config = loadConfig(defaultFile, { env: {} });
    expect(config.site.id).toBe('demo-community');
    expect(config.gates.map((g) => [g.id, g.primary])).toEqual([
      ['north', true],
      ['east', false],
    ]);
    expect(config.gates[0]?.lanes.map((l) => `${l.id}:${l.kind}:${l.direction}`)).toEqual([
      'north-ped-in:pedestrian:in',
      'north-ped-out:pedestrian:out',
      'north-vehicle-in:vehicle:in',
      'north-vehicle-out:vehicle:out',
    ]);
    expect(config.gates[1]?.lanes.map((l) => l.id)).toEqual(['east-ped-in', 'east-ped-out']);
  });

  it('resolves dataDir from the file’s folder and the other paths from dataDir', () => {
    const config = loadConfig(defaultFile, { env: {} });
    const dataDir = resolve(configDir, '../data');
    expect(config.site.dataDir).toBe(dataDir);
    expect(config.site.database).toBe(join(dataDir, 'gatewarden.db'));
    expect(config.registry.pseudonymKeyFile).toBe(join(dataDir, 'keys', 'pseudonym.key'));
  });
});

describe('defaults', () => {
  it('fill in every optional field', () => {
    const config = parseConfigText(MINIMAL, '/etc/gatewarden/site.yaml');
    expect(config.mode).toBe('closed');
    expect(config.site.timezone).toBe('Asia/Shanghai');
    expect(config.site.dataDir).toBe(resolve('/etc/gatewarden/data'));
    expect(config.site.database).toBe(resolve('/etc/gatewarden/data/gatewarden.db'));
    expect(config.log).toEqual({ level: 'info' });
    expect(config.policy).toEqual({
      feverThresholdC: 37.3,
      temperatureWindowSeconds: 10,
      remeasure: { enabled: true, waitSeconds: 30, withinSeconds: 300, camera: true, handheld: true },
      temperatureDirections: ['in', 'out'],
      maskRequired: true,
      escortWindowSeconds: 30,
      householdQuota: { exits: 1, periodHours: 48 },
      returnWithinHours: 4,
      highRiskLookbackDays: 14,
      disinfectionPeriodHours: 24,
      antiPassback: true,
      repairNeedsEscort: false,
      unlockSeconds: 5,
      quarantineDays: { centralised: 14, highRisk: 14, outOfProvince: 7 },
    });
  });

  it('keep the unset fields of a partly written section', () => {
    const config = parseConfigText(`${MINIMAL}policy:\n  householdQuota: { exits: 2 }\n`, 'site.yaml');
    expect(config.policy.householdQuota).toEqual({ exits: 2, periodHours: 48 });
    expect(config.policy.feverThresholdC).toBe(37.3);
  });
});

describe('a broken file', () => {
  const BROKEN = [
    /*  1 */ 'site:',
    /*  2 */ '  id: demo',
    /*  3 */ '  name: { zh: 幸福里, en: Xingfuli }',
    /*  4 */ '  timezone: Mars/Olympus_Mons',
    /*  5 */ 'policy:',
    /*  6 */ '  feverThresholdC: hot',
    /*  7 */ '  maskRequred: true',
    /*  8 */ 'gates:',
    /*  9 */ '  - id: north',
    /* 10 */ '    name: { zh: 北门, en: North }',
    /* 11 */ '    lanes:',
    /* 12 */ '      - id: lane-a',
    /* 13 */ '        name: { zh: 甲, en: A }',
    /* 14 */ '        direction: in',
    /* 15 */ '      - id: lane-a',
    /* 16 */ '        name: { zh: 乙, en: B }',
    /* 17 */ '        kind: pedestrian',
    /* 18 */ '        direction: out',
    '',
  ].join('\n');

  it('reports every problem in one error, each with its line, column and field', () => {
    const error = thrown(() => parseConfigText(BROKEN, 'broken.yaml'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems.map(({ line, column, field }) => ({ line, column, field }))).toEqual([
      { line: 4, column: 13, field: 'site.timezone' }, // invalid time zone: at the value
      { line: 6, column: 20, field: 'policy.feverThresholdC' }, // wrong type: at the value
      { line: 7, column: 3, field: 'policy.maskRequred' }, // unknown key: at the key
      { line: 8, column: 1, field: 'gates' }, // no primary gate
      { line: 12, column: 9, field: 'gates.0.lanes.0.kind' }, // missing: at the parent mapping
      { line: 15, column: 13, field: 'gates.0.lanes.1.id' }, // duplicate lane id
    ]);
    expect(error.problems.every((p) => p.file === 'broken.yaml')).toBe(true);
    const messages = error.problems.map((p) => p.message);
    expect(messages[0]).toMatch(/time zone/);
    expect(messages[1]).toMatch(/expected number/);
    expect(messages[2]).toBe('unknown field "maskRequred"');
    expect(messages[3]).toMatch(/primary/);
    expect(messages[4]).toBe('required field "kind" is missing');
    expect(messages[5]).toMatch(/duplicate lane id "lane-a"/);
    expect(error.describe()).toContain('broken.yaml, line 15, field gates.0.lanes.1.id: duplicate lane id');
  });

  it('reports a missing section at the line of its parent mapping', () => {
    const error = thrown(() => parseConfigText('# comment\nsite:\n  name: { zh: 甲, en: A }\n', 'x.yaml'));
    expect(error.problems.map(({ line, field, message }) => ({ line, field, message }))).toEqual([
      { line: 2, field: 'site.id', message: 'required field "id" is missing' },
      { line: 2, field: 'gates', message: 'required field "gates" is missing' },
    ]);
  });

  it('reports duplicate gate ids', () => {
    const second = `  - id: main
    name: { zh: 二门, en: Second }
    lanes:
      - { id: second-in, name: { zh: 入, en: In }, kind: pedestrian, direction: in }
`;
    const error = thrown(() => parseConfigText(MINIMAL + second, 'x.yaml'));
    expect(error.problems.map(({ line, field }) => ({ line, field }))).toEqual([
      { line: 10, field: 'gates.1.id' },
    ]);
    expect(error.problems[0]?.message).toMatch(/duplicate gate id "main"/);
  });

  it('checks that devices name a line and a lane that exist, once per line address', () => {
    const devices = `lines:
  - { id: bus, path: /dev/ttyUSB0 }
osdp:
  devices:
    - { id: r1, line: bus, address: 1, lane: main-in }
    - { id: r2, line: nobus, address: 2, lane: main-in }
    - { id: r3, line: bus, address: 1, lane: nowhere }
    - { id: r1, line: bus, address: 3, lane: main-in, secure: maybe }
idcard:
  devices:
    - { id: r2, line: bus, lane: main-in }
    - { id: id2, line: bus, lane: gone }
`;
    const error = thrown(() => parseConfigText(MINIMAL + devices, 'x.yaml'));
    expect(error.problems.map(({ line, field }) => ({ line, field }))).toEqual([
      { line: 15, field: 'osdp.devices.1.line' },
      { line: 16, field: 'osdp.devices.2.address' },
      { line: 16, field: 'osdp.devices.2.lane' },
      { line: 17, field: 'osdp.devices.3.id' },
      { line: 17, field: 'osdp.devices.3.secure' }, // reported with the cross-reference problems
      { line: 20, field: 'idcard.devices.0.id' }, // ids are unique across device families
      { line: 21, field: 'idcard.devices.1.lane' },
    ]);
    expect(error.problems.map((p) => p.message)).toEqual([
      'no line "nobus" under lines',
      'address 1 is used twice on line "bus"',
      'no lane "nowhere" in gates',
      'duplicate device id "r1"',
      expect.stringMatching(/expected one of "required"\|"off"/),
      'duplicate device id "r2"',
      'no lane "gone" in gates',
    ]);
  });

  it('fills in the device defaults: 9600 baud, Secure Channel required, a fail-secure door', () => {
    const config = parseConfigText(
      `${MINIMAL}lines: [{ id: bus, path: /dev/ttyUSB0 }]\nosdp: { devices: [{ id: r1, line: bus, address: 1, lane: main-in, door: {} }] }\n`,
      'x.yaml',
    );
    expect(config.lines[0]?.baud).toBe(9600);
    expect(config.osdp.devices[0]).toMatchObject({
      secure: 'required',
      installKey: false,
      door: { lock: 'fail-secure', output: 0 },
    });
    expect(config.osdp.offlineAfterSeconds).toBe(1.5);
  });

  it('telemetry: fills in the InfluxDB defaults and resolves the password file from dataDir', () => {
    const config = parseConfigText(
      `${MINIMAL}telemetry:\n  influx: { url: 'http://127.0.0.1:8086', passwordFile: keys/influx.password }\n`,
      '/etc/gatewarden/site.yaml',
    );
    expect(config.telemetry.influx).toMatchObject({
      database: 'gatewarden',
      batchSize: 5000,
      flushSeconds: 1,
      createDatabase: true,
      retry: { initialSeconds: 0.5, maxSeconds: 60 },
      passwordFile: join(config.site.dataDir, 'keys', 'influx.password'),
    });
    expect(config.telemetry.metrics).toBeUndefined();
    expect(config.telemetry.highRateBudgetMiB).toBe(64);
  });

  it('telemetry: names each wrong field', () => {
    const telemetry = `telemetry:
  influx:
    url: 'ftp://127.0.0.1:8086'
    database: 'my db'
    batchSize: 0
    password: secret
  metrics: { port: 70000 }
`;
    const error = thrown(() => parseConfigText(MINIMAL + telemetry, 'x.yaml'));
    expect(error.problems.map((p) => p.field).sort()).toEqual([
      'telemetry.influx.batchSize',
      'telemetry.influx.database',
      // A password is never accepted inline, only passwordFile: an unknown key.
      'telemetry.influx.password',
      'telemetry.influx.url',
      'telemetry.metrics.port',
    ]);
  });

  it('loads the OSDP example for real hardware', () => {
    const config = loadConfig(join(configDir, 'examples/osdp-north-gate.yaml'), { env: {} });
    expect(config.osdp.devices.map((d) => `${d.id}@${d.line}/${d.address}`)).toEqual([
      'north-in-reader@north-485/1',
      'north-out-reader@north-485/2',
    ]);
    expect(config.osdp.masterKeyFile).toBe(join(config.site.dataDir, 'keys', 'osdp-master.key'));
  });

  it('names the line of a YAML syntax error', () => {
    const error = thrown(() => parseConfigText('site:\n  id: x\n name: y\ngates: []\n', 'syntax.yaml'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems).toEqual([
      expect.objectContaining({
        file: 'syntax.yaml',
        line: 3,
        column: 1,
        message: expect.stringMatching(/YAML/),
      }),
    ]);
  });

  it('reports an empty gate list once', () => {
    const error = thrown(() => parseConfigText(`${MINIMAL.split('gates:')[0]}gates: []\n`, 'x.yaml'));
    expect(error.problems.map(({ line, field }) => ({ line, field }))).toEqual([{ line: 4, field: 'gates' }]);
  });

  it('refuses an empty file', () => {
    const error = thrown(() => parseConfigText('', 'empty.yaml'));
    expect(error.problems).toEqual([
      expect.objectContaining({ line: 1, message: expect.stringMatching(/object/) }),
    ]);
  });
});

describe('loading from disk', () => {
  it('reports an unreadable file as CONFIG_UNREADABLE', () => {
    const error = thrown(() => loadConfig('/nonexistent/gatewarden.yaml', { env: {} }));
    expect(error.code).toBe('CONFIG_UNREADABLE');
    expect(error.problems[0]?.file).toBe('/nonexistent/gatewarden.yaml');
  });

  it('applies and validates environment overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatewarden-config-'));
    try {
      const file = join(dir, 'site.yaml');
      writeFileSync(file, MINIMAL);
      const config = loadConfig(file, {
        env: { GATEWARDEN_LOG_LEVEL: 'debug', GATEWARDEN_DATA_DIR: '/srv/gw' },
      });
      expect(config.log.level).toBe('debug');
      expect(config.site.dataDir).toBe(resolve('/srv/gw'));
      expect(config.site.database).toBe(resolve('/srv/gw/gatewarden.db'));
      const error = thrown(() => loadConfig(file, { env: { GATEWARDEN_LOG_LEVEL: 'loud' } }));
      expect(error.problems).toEqual([
        expect.objectContaining({
          field: 'log.level',
          message: expect.stringMatching(/GATEWARDEN_LOG_LEVEL/),
        }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config/schema.json', () => {
  it('is up to date with the zod schema (run `npm run schema`)', () => {
    const onDisk: unknown = JSON.parse(readFileSync(join(configDir, 'schema.json'), 'utf8'));
    expect(onDisk).toEqual(configJsonSchema());
  });

  it('describes every property and carries the defaults', () => {
    const schema = configJsonSchema() as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
    };
    const policy = schema.properties.policy?.properties ?? {};
    expect(Object.keys(policy)).toHaveLength(14);
    for (const field of Object.values(policy)) expect(field).toHaveProperty('description');
    expect(policy.feverThresholdC).toMatchObject({ default: 37.3, minimum: 35, maximum: 42 });
  });
});

describe('policyFromConfig', () => {
  it('converts human units to milliseconds and takes the given mode', () => {
    const config = parseConfigText(
      `${MINIMAL}policy:\n  householdQuota: { periodHours: 0.5 }\n  unlockSeconds: 2.5\n`,
      'site.yaml',
    );
    expect(policyFromConfig(config, 'lockdown')).toEqual({
      mode: 'lockdown',
      feverThresholdC: 37.3,
      temperatureWindowMs: 10_000,
      temperatureDirections: ['in', 'out'],
      maskRequired: true,
      escortWindowMs: 30_000,
      householdQuota: { exits: 1, periodMs: 1_800_000 },
      highRiskLookbackMs: 14 * 86_400_000,
      disinfectionPeriodMs: 24 * 3_600_000,
      antiPassback: true,
      repairNeedsEscort: false,
      unlockMs: 2_500,
      remeasure: { enabled: true, waitMs: 30_000, withinMs: 300_000, camera: true, handheld: true },
    });
  });
});
