import { createServer } from 'node:net';

/**
 * Loopback ports for the simulated site. A free port is found by binding port 0 and closing
 * again: another process could take it before the gateway binds it, which on a workstation or
 * a test run is rare enough, and the gateway then fails loudly (EADDRINUSE) rather than quietly.
 */

const LOOPBACK = '127.0.0.1';

/** Binds `port` on loopback and resolves with the port bound; rejects when it is taken. */
function bind(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** A port nobody listens on now, chosen by the system. */
export function freePort(): Promise<number> {
  return bind(0);
}

/** Whether `port` can be bound on loopback now. */
export async function portIsFree(port: number): Promise<boolean> {
  try {
    await bind(port);
    return true;
  } catch {
    return false;
  }
}
