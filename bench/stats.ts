/**
 * Percentiles for the benchmarks, one rule for all: the nearest rank, `sorted[floor(p% × n)]`
 * (the last value for p = 100), NaN when there is none.
 */

/** The p-th percentile (0–100) of values already sorted ascending. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** The p-th percentile (0–100) of values in any order. */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/** p50, p90, p99 and the maximum, rounded to `digits` decimals. */
export function distribution(values: readonly number[], digits = 1) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => +percentileOfSorted(sorted, p).toFixed(digits);
  return { p50: at(50), p90: at(90), p99: at(99), max: at(100) };
}
