/**
 * Reads, validates and resolves the configuration file. A configuration is either wholly valid
 * or refused with one `CONFIG_INVALID` error listing every problem, each located by file,
 * 1-based line and column, and dotted field path, so an operator fixes them all in one pass.
 *
 * Environment overrides (applied before validation, so they are validated like the file):
 *   GATEWARDEN_LOG_LEVEL  replaces `log.level`
 *   GATEWARDEN_DATA_DIR   replaces `site.dataDir`; a relative value is taken from the working directory
 *
 * Paths: `site.dataDir` is relative to the folder of the configuration file; `site.database`,
 * `registry.pseudonymKeyFile`, `osdp.masterKeyFile`, `telemetry.influx.passwordFile`,
 * `telemetry.metrics.bearerTokenFile`, `api.tls`'s files, the cameras' `passwordFile` and `log.file`
 * are relative to `site.dataDir`. The returned
 * configuration holds them all as absolute paths.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { GatewardenError, type Problem } from '../gateway/errors.js';
import { resolveApiPaths } from './api-schema.js';
import { resolveCameraPaths } from './cameras-schema.js';
import { resolveMqttPaths } from './mqtt-schema.js';
import { resolvePassesPaths } from './passes-schema.js';
import { configSchema, type GatewardenConfig } from './schema.js';

/** Environment variable → the field it replaces. */
export const ENV_OVERRIDES = {
  GATEWARDEN_LOG_LEVEL: ['log', 'level'],
  GATEWARDEN_DATA_DIR: ['site', 'dataDir'],
} as const satisfies Record<string, readonly [string, string]>;

export interface LoadOptions {
  /** Where overrides are read from: `process.env` for `loadConfig`, none for `parseConfigText`. */
  env?: Readonly<Record<string, string | undefined>>;
}

type Path = readonly PropertyKey[];
interface Position {
  line: number;
  column: number;
}

export function loadConfig(path: string, options: LoadOptions = {}): GatewardenConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new GatewardenError('CONFIG_UNREADABLE', `cannot read configuration file ${path}`, {
      cause,
      problems: [{ file: path, message }],
    });
  }
  return parseConfigText(text, path, { env: options.env ?? process.env });
}

/** Parses configuration text as if read from `fileName`, which also anchors relative paths. */
export function parseConfigText(text: string, fileName: string, options: LoadOptions = {}): GatewardenConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw invalid(
      fileName,
      doc.errors.map((e) => ({ file: fileName, ...at(e.pos[0]), message: `YAML syntax: ${e.message}` })),
    );
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw invalid(fileName, [{ file: fileName, message: `YAML: ${message}` }]);
  }
  const fromEnv = applyEnvOverrides(raw, options.env ?? {});

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const locate = (path: Path, pointAtKey: boolean) => at(locateOffset(doc, path, pointAtKey));
    const problems = result.error.issues.flatMap((issue) =>
      issueProblems(issue, fileName, raw, fromEnv, locate),
    );
    throw invalid(fileName, problems);
  }
  return resolvePaths(result.data, dirname(fileName));
}

function invalid(fileName: string, problems: Problem[]): GatewardenError {
  const sorted = problems.sort(
    (a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0),
  );
  const count = sorted.length === 1 ? '1 problem' : `${sorted.length} problems`;
  return new GatewardenError('CONFIG_INVALID', `configuration ${fileName} is invalid (${count})`, {
    problems: sorted,
  });
}

/** Writes overrides into the parsed document; returns the dotted fields they replaced. */
function applyEnvOverrides(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const replaced = new Map<string, string>();
  if (!isRecord(raw)) return replaced;
  for (const [name, [section, field]] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    raw[section] ??= {};
    const target = raw[section];
    if (!isRecord(target)) continue; // the section's own type error is reported instead
    target[field] = name === 'GATEWARDEN_DATA_DIR' ? resolve(value) : value;
    replaced.set(`${section}.${field}`, name);
  }
  return replaced;
}

function issueProblems(
  issue: z.core.$ZodIssue,
  file: string,
  raw: unknown,
  fromEnv: ReadonlyMap<string, string>,
  locate: (path: Path, pointAtKey: boolean) => Position,
): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return { file, ...locate(path, true), field: dotted(path), message: `unknown field "${key}"` };
    });
  }
  const field = dotted(issue.path);
  const env = fromEnv.get(field);
  if (env !== undefined) return [{ field, message: `${issue.message} (from environment variable ${env})` }];
  const last = issue.path.at(-1);
  const missing = last !== undefined && isMissing(raw, issue.path);
  const message = missing ? `required field "${String(last)}" is missing` : issue.message;
  return [{ file, ...locate(issue.path, false), ...(field === '' ? {} : { field }), message }];
}

function dotted(path: Path): string {
  return path.map(String).join('.');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when the parent of `path` is a mapping without its last key. */
function isMissing(raw: unknown, path: Path): boolean {
  let node = raw;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return isRecord(node) && !Object.hasOwn(node, path.at(-1) as PropertyKey);
}

/**
 * Source offset to report for a field path. A scalar value is reported where it stands, a
 * collection or a `pointAtKey` field at its key, a sequence item where it starts. A path that
 * leaves the document (a missing key) is reported at the deepest node that exists: its parent
 * mapping's key, or for a sequence item the item's first line.
 */
function locateOffset(doc: Document.Parsed, path: Path, pointAtKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range[0] ?? 0;
  for (const [depth, segment] of path.entries()) {
    const isLast = depth === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) break;
      node = pair.value;
      if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      if (isLast && !pointAtKey && isScalar(node) && node.value !== null && node.range)
        offset = node.range[0];
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      node = item;
      if ((isScalar(item) || isMap(item) || isSeq(item)) && item.range) offset = item.range[0];
    } else {
      break;
    }
  }
  return offset;
}

function resolvePaths(config: GatewardenConfig, baseDir: string): GatewardenConfig {
  const dataDir = resolve(baseDir, config.site.dataDir);
  const { file, ...log } = config.log;
  return {
    ...config,
    site: { ...config.site, dataDir, database: resolve(dataDir, config.site.database) },
    registry: { ...config.registry, pseudonymKeyFile: resolve(dataDir, config.registry.pseudonymKeyFile) },
    osdp: { ...config.osdp, masterKeyFile: resolve(dataDir, config.osdp.masterKeyFile) },
    telemetry: resolveTelemetry(config.telemetry, dataDir),
    mqtt: resolveMqttPaths(config.mqtt, dataDir),
    passes: resolvePassesPaths(config.passes, dataDir),
    cameras: resolveCameraPaths(config.cameras, dataDir),
    ...(config.api === undefined ? {} : { api: resolveApiPaths(config.api, dataDir) }),
    log: file === undefined ? log : { ...log, file: resolve(dataDir, file) },
  };
}

function resolveTelemetry(
  telemetry: GatewardenConfig['telemetry'],
  dataDir: string,
): GatewardenConfig['telemetry'] {
  const { influx, metrics } = telemetry;
  return {
    ...telemetry,
    ...(influx?.passwordFile === undefined
      ? {}
      : { influx: { ...influx, passwordFile: resolve(dataDir, influx.passwordFile) } }),
    ...(metrics?.bearerTokenFile === undefined
      ? {}
      : { metrics: { ...metrics, bearerTokenFile: resolve(dataDir, metrics.bearerTokenFile) } }),
  };
}
