import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How the running gateway keeps its V8 heap small (docs/performance.md "Time zones without ICU,
 * a malloc trim threshold, a compacted heap"). Set here rather than as command-line flags: one
 * place, and a V8 that no longer knows a flag ignores it instead of refusing to start.
 */

/**
 * Compact the heap at every full GC. The old generation is ~30 MB of long-lived state and
 * modules, which V8 would otherwise leave fragmented after the start and each later full GC:
 * ~10 MB of the resident set at 100,000 residents. Costs ~50 ms per full GC (against ~3 ms);
 * full GCs come minutes apart.
 */
export function compactHeapOnFullGc(): void {
  setFlagsFromString('--compact-on-every-full-gc');
  setFlagsFromString('--heap-growing-percent=25');
}

/**
 * One full (and so compacting) GC now: called once the gateway is ready, to return what the
 * start left behind (modules compiled, the configuration parsed, the registry's first reads)
 * instead of keeping it until the heap next fills. `gc` is taken from a fresh context, so no
 * `gc` global is exposed to the gateway's code.
 */
export function collectGarbageNow(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  gc();
}
