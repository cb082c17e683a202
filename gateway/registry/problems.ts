import { GatewardenError, type Problem } from '../errors.js';

/** How many problems an import keeps in detail; the rest are only counted. */
export const DEFAULT_PROBLEM_LIMIT = 100;

/**
 * Collects every problem of an import (not just the first) while keeping memory bounded: the
 * first `limit` are kept, the others counted, and `list()` ends with one summary problem
 * `… and N more problems` when any were left out.
 */
export class ProblemCollector {
  private readonly kept: Problem[] = [];
  private dropped = 0;

  constructor(readonly limit: number = DEFAULT_PROBLEM_LIMIT) {}

  add(problem: Problem): void {
    if (this.kept.length < this.limit) this.kept.push(problem);
    else this.dropped++;
  }

  addAll(problems: readonly Problem[]): void {
    for (const p of problems) this.add(p);
  }

  /** Total problems seen, kept or not. */
  get count(): number {
    return this.kept.length + this.dropped;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  list(): Problem[] {
    if (this.dropped === 0) return [...this.kept];
    return [...this.kept, { message: `… and ${this.dropped} more problem${this.dropped === 1 ? '' : 's'}` }];
  }

  /** Throws a REGISTRY_IMPORT_INVALID error carrying the problems, when there are any. */
  throwIfAny(what: string): void {
    if (this.empty) return;
    const n = this.count;
    throw new GatewardenError(
      'REGISTRY_IMPORT_INVALID',
      `${what} refused: ${n} problem${n === 1 ? '' : 's'}`,
      {
        problems: this.list(),
      },
    );
  }
}
