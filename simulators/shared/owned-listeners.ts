import type { EventEmitter } from 'node:events';

/**
 * Listeners registered on behalf of one owner (a CLI printer, a benchmark), removed together
 * with `dispose()` (style H6, after zigbee2mqtt's owner-keyed removeListeners): the owner never
 * has to keep each listener to unsubscribe it, and never removes anyone else's.
 */
export class OwnedListeners {
  private readonly removers: (() => void)[] = [];

  on<T extends Record<keyof T, unknown[]>, K extends keyof T & string>(
    emitter: EventEmitter<T>,
    event: K,
    listener: (...args: T[K]) => void,
  ): void {
    // EventEmitter<T>'s overloads do not narrow a generic K; the cast keeps the call typed at the boundary.
    const plain = emitter as unknown as EventEmitter;
    const wrapped = listener as (...args: unknown[]) => void;
    plain.on(event, wrapped);
    this.removers.push(() => plain.off(event, wrapped));
  }

  dispose(): void {
    for (const remove of this.removers.splice(0)) remove();
  }
}
