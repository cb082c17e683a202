import fc from 'fast-check';
import { fromJsonValue, type Reproducer, toJsonValue } from './reproducer.js';
import type { FuzzTarget } from './target.js';

export interface RunOptions {
  cases: number;
  seed: number;
  /** Stop after this long (the run then counts as interrupted, not failed). */
  maxMs?: number;
  /** Called before every case (generated or shrunk): the worker's heartbeat. */
  onCase?: () => void;
  /** Called after every case, passed or failed. */
  onCaseDone?: () => void;
  /** Called when a case fails, before fast-check starts shrinking it. */
  onCaseFailed?: () => void;
}

export interface FuzzFailure {
  seed: number;
  path: string;
  error: string;
  /** The shrunk input, JSON-safe (`toJsonValue`). */
  input: unknown;
}

export interface RunResult {
  target: string;
  /** Cases that ran to the end of `check` without a failure (shrink runs not counted). */
  cases: number;
  seconds: number;
  /** The longest single case, generation excluded: a parser that goes quadratic shows here first. */
  slowestCaseMs: number;
  interrupted: boolean;
  failure?: FuzzFailure;
}

/** Runs `target` for `options.cases` cases through fc.check, shrinking a failure. */
export function runTarget(target: FuzzTarget, options: RunOptions): RunResult {
  let slowest = 0;
  const property = fc.property(target.arbitrary, (input) => {
    options.onCase?.();
    const started = performance.now();
    try {
      target.check(input);
    } catch (error) {
      options.onCaseFailed?.();
      throw error;
    } finally {
      options.onCaseDone?.();
      const took = performance.now() - started;
      if (took > slowest) slowest = took;
    }
  });
  const started = performance.now();
  const details = fc.check(property, {
    numRuns: options.cases,
    seed: options.seed,
    ...(options.maxMs === undefined ? {} : { plugins: [fc.interruptAfterTimeLimit(options.maxMs)] }),
  });
  const seconds = (performance.now() - started) / 1000;
  const result: RunResult = {
    target: target.name,
    cases: details.numRuns,
    seconds,
    slowestCaseMs: slowest,
    interrupted: details.interrupted,
  };
  if (details.failed && details.counterexample !== null) {
    result.failure = {
      seed: details.seed,
      path: details.counterexamplePath,
      error: describeError(details.errorInstance),
      input: toJsonValue((details.counterexample as [unknown])[0]),
    };
  } else if (details.failed) {
    result.failure = { seed: details.seed, path: '', error: 'too many skipped cases', input: null };
  }
  return result;
}

/** The input the target's arbitrary generates at `path` for `seed` (run index, then shrink steps). */
export function inputAt(target: FuzzTarget, seed: number, path: string): unknown {
  let captured: { value: unknown } | undefined;
  fc.check(
    fc.property(target.arbitrary, (input) => {
      captured ??= { value: input };
    }),
    { seed, path, numRuns: 1 },
  );
  if (captured === undefined) throw new Error(`no input at seed ${seed} path ${path}`);
  return captured.value;
}

export interface ReplayResult {
  /** The saved input, fed to `check` as it is. */
  saved: { failed: boolean; error?: string };
  /** The input regenerated from seed and path (differs from `saved` once the arbitrary changed). */
  regenerated: { failed: boolean; error?: string; sameInput: boolean };
}

/** Runs a reproducer's input through `target.check` again, both as saved and as regenerated. */
export function replay(target: FuzzTarget, reproducer: Reproducer): ReplayResult {
  const saved = fromJsonValue(reproducer.input);
  const regenerated = inputAt(target, reproducer.seed, reproducer.path);
  return {
    saved: attempt(target, saved),
    regenerated: {
      ...attempt(target, regenerated),
      sameInput: JSON.stringify(toJsonValue(regenerated)) === JSON.stringify(reproducer.input),
    },
  };
}

function attempt(target: FuzzTarget, input: unknown): { failed: boolean; error?: string } {
  try {
    target.check(input);
    return { failed: false };
  } catch (error) {
    return { failed: true, error: describeError(error) };
  }
}

/** Message, then the first lines of the stack of the error (or of its cause, where the fault is). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `non-Error thrown: ${String(error)}`;
  const origin = error.cause instanceof Error ? error.cause : error;
  const frames = (origin.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, 6)
    .map((line) => line.trim());
  return [`${error.name}: ${error.message}`, ...frames].join('\n');
}
