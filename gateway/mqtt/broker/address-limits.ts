import { isIPv4 } from 'node:net';

/**
 * Per-address limits of the embedded broker: how many connections one address may hold open.
 * Addresses are the peer's IP without the port; loopback (the gateway's own box) is exempt
 * unless `capLoopback`, so a local tool cannot lock out the rest of the box.
 */

/** The IP of a `remote` as the listeners write it (`ip:port`, IPv6 unbracketed). */
export function addressOf(remote: string): string {
  const colon = remote.lastIndexOf(':');
  return colon < 0 ? remote : remote.slice(0, colon);
}

export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.startsWith('127.');
  return address === '::1';
}

export class ConnectionCap {
  private readonly open = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly capLoopback: boolean,
  ) {}

  /** Counts a new connection from `address`; false (not counted) when it already holds `max`. */
  take(address: string): boolean {
    if (!this.capLoopback && isLoopback(address)) return true;
    const n = this.open.get(address) ?? 0;
    if (n >= this.max) return false;
    this.open.set(address, n + 1);
    return true;
  }

  /** A counted connection from `address` closed. */
  release(address: string): void {
    if (!this.capLoopback && isLoopback(address)) return;
    const n = (this.open.get(address) ?? 0) - 1;
    if (n > 0) this.open.set(address, n);
    else this.open.delete(address);
  }
}
