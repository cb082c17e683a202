/**
 * Structured logging: one JSON line per event (pino), object first then message, errors under
 * `err`. Every line carries a namespace `ns` such as `gw:driver:osdp-1:framing`, so a reader can
 * filter one area or one device. Residents' private information and secrets are censored by key
 * (plan 4 §2.(3)): callers still must not put them in messages, which are not inspected.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The root namespace; `childLogger` namespaces hang below it. */
export const ROOT_NAMESPACE = 'gw';

const SENSITIVE_KEYS = [
  'password',
  'secret',
  'key',
  'token',
  'idNumber',
  'id_number',
  'name',
  'fullName',
  'phone',
] as const;

/**
 * Censored at the top level of a log object and one level down (`{ person: { idNumber } }`).
 * Deeper values are not inspected: log ids, not records. `name` is censored too, which is why
 * the logger's own name travels as `ns` rather than pino's `name`.
 */
export const REDACT_PATHS: readonly string[] = [...SENSITIVE_KEYS, ...SENSITIVE_KEYS.map((k) => `*.${k}`)];

export const REDACTED = '[redacted]';

export interface LoggerOptions {
  level: LogLevel;
  /** Append to this file instead of writing to stderr. */
  file?: string;
  /** Root namespace; defaults to `gw`. */
  name?: string;
  /** Site id, bound to every line. */
  site?: string;
  /** Write here instead (tests); takes precedence over `file`. */
  destination?: DestinationStream;
}

/** Where a logger's namespace is kept: children inherit it through pino's prototype chain. */
const NAMESPACE = Symbol('gatewarden.namespace');
type Namespaced = Logger & { [NAMESPACE]?: string };

/**
 * Logs go to stderr by default so that CLI commands can print clean JSON on stdout. Writes are
 * synchronous: the last lines before a crash are the ones an operator needs, and the gateway
 * logs far less than it could ever be slowed by.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.destination ??
    pino.destination(
      options.file === undefined
        ? { dest: 2, sync: true }
        : { dest: options.file, sync: true, mkdir: true, mode: 0o600 },
    );
  const logger: Namespaced = pino(
    {
      level: options.level,
      base: options.site === undefined ? { pid: process.pid } : { pid: process.pid, site: options.site },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      serializers: { err: pino.stdSerializers.err },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The namespace is added per line rather than bound, because pino appends child bindings
      // and a nested namespace would otherwise appear as duplicate `ns` keys.
      mixin: (_obj, _level, current) => ({ ns: (current as Namespaced)[NAMESPACE] }),
    },
    destination,
  );
  logger[NAMESPACE] = options.name ?? ROOT_NAMESPACE;
  return logger;
}

/**
 * A child logger for one area or device. `namespace` is one or more `:`-separated segments
 * appended to the parent's (`childLogger(root, 'driver')` → `gw:driver`, then `'osdp-1'` →
 * `gw:driver:osdp-1`); a namespace that already starts with `gw:` is taken as is.
 */
export function childLogger(
  parent: Logger,
  namespace: string,
  bindings: Record<string, unknown> = {},
): Logger {
  const parentNs = (parent as Namespaced)[NAMESPACE] ?? ROOT_NAMESPACE;
  const child: Namespaced = parent.child(bindings);
  child[NAMESPACE] = namespace.startsWith(`${ROOT_NAMESPACE}:`) ? namespace : `${parentNs}:${namespace}`;
  return child;
}
