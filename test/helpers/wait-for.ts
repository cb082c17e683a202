/**
 * Waits until `condition()` holds, checking every 10 ms; fails naming `what` after `ms`. For
 * tests that watch real devices, processes and ptys, where an event is awaited by its effect.
 * The deadline only bounds how long a failing test hangs; no test asserts on time.
 */
export async function waitFor(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
