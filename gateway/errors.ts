/**
 * The one catalogue of error codes. Every error the gateway reports to a person (CLI, API,
 * logs) carries a stable code from here and a message that names what is wrong and where.
 */

export const ERROR_CODES = {
  CONFIG_INVALID: 'configuration is invalid',
  CONFIG_UNREADABLE: 'configuration file cannot be read',
  REGISTRY_IMPORT_INVALID: 'registry import refused',
  REGISTRY_NOT_FOUND: 'no such registry record',
  REGISTRY_IN_USE: 'registry record still referred to by others',
  REQUEST_INVALID: 'pass request is invalid',
  JOURNAL_CORRUPT: 'journal verification failed',
  JOURNAL_UNAVAILABLE: 'journal cannot take appends (disk full or I/O error)',
  DATABASE_UNAVAILABLE: 'database cannot be opened',
  GATEWAY_RUNNING: 'another gateway is running on this database',
  DEVICE_UNREACHABLE: 'device cannot be reached or refused us',
  USAGE: 'wrong usage',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where in an input a problem is: a file, a 1-based line and column, a field path. */
export interface Problem {
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** Dotted path or column name, e.g. `gates.0.lanes.1.direction` or `id_number`. */
  field?: string;
}

export function formatProblem(p: Problem): string {
  const where = [
    p.file,
    p.line !== undefined ? `line ${p.line}` : undefined,
    p.field ? `field ${p.field}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return where ? `${where}: ${p.message}` : p.message;
}

export class GatewardenError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { problems?: readonly Problem[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewardenError';
    this.code = code;
    this.problems = options.problems ?? [];
  }

  /** One line per problem, headed by the message: what the CLI prints. */
  describe(): string {
    return [this.message, ...this.problems.map((p) => `  - ${formatProblem(p)}`)].join('\n');
  }
}
