import type fc from 'fast-check';

/**
 * One fuzz target: an input space and the contract a parser or decoder keeps on every input of
 * it. The same targets run twice: a few hundred cases each in `npm test`
 * (test/property/fuzz-targets.test.ts) and a million each in `npm run fuzz` (fuzz/run.ts).
 *
 * `check` feeds the input to the real code and throws when the contract is broken: an
 * AssertionError from node:assert, or whatever unexpected error the code under test threw (use
 * `onlyThrows` to let the documented error type through). It must be synchronous and
 * deterministic: a reproducer is replayed by calling it again with the saved input.
 */
export interface FuzzTarget<T = unknown> {
  /** Kebab-case, unique; names the reproducer files and the `--target` option. */
  readonly name: string;
  /** The parser and the contract, one sentence, for `--list` and docs/fuzzing.md. */
  readonly contract: string;
  readonly arbitrary: fc.Arbitrary<T>;
  check(input: T): void;
  /** Cases in the bounded run of `npm test` (default BOUNDED_CASES): fewer for slow targets. */
  readonly boundedCases?: number;
}

export const BOUNDED_CASES = 300;

/** Erases the input type so that targets of every shape fit one catalogue. */
export function defineTarget<T>(target: FuzzTarget<T>): FuzzTarget<unknown> {
  return target as FuzzTarget<unknown>;
}

type ErrorClass = abstract new (...args: never[]) => Error;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/**
 * Runs `run`; an error of one of the `documented` classes comes back as `{ ok: false }`, any
 * other error is rethrown as an UnexpectedError naming what was allowed, so the fuzz report says
 * which contract broke.
 */
export function onlyThrows<T>(run: () => T, ...documented: ErrorClass[]): Outcome<T> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (documented.some((type) => error instanceof type)) return { ok: false, error: error as Error };
    throw new UnexpectedError(error, documented);
  }
}

/** Runs `run`, which must not throw at all (incremental codecs, "never throws" parsers). */
export function neverThrows<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new UnexpectedError(error, []);
  }
}

/** A thrown value the contract does not allow; `cause` is the original. */
export class UnexpectedError extends Error {
  constructor(cause: unknown, documented: readonly ErrorClass[]) {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : `non-Error ${String(cause)}`;
    const allowed = documented.length === 0 ? 'nothing' : documented.map((d) => d.name).join(' or ');
    super(`threw ${what} (the contract allows ${allowed})`, { cause });
    this.name = 'UnexpectedError';
  }
}
