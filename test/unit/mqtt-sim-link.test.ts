/**
 * SimLink.stop() against a broker that answers CONNECT and SUBSCRIBE but never acknowledges a
 * PUBLISH (a broker that died with the socket still open): the stop must end anyway, dropping
 * the link, instead of waiting for the goodbye's PUBACK for ever (it hung the simulated site's
 * shutdown). A real TCP socket on loopback; the broker speaks just enough MQTT 3.1.1.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SimLink } from '../../simulators/mqtt/sim-link.js';

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** CONNACK to CONNECT, SUBACK to SUBSCRIBE, silence to everything else. */
function deafBroker(): Promise<number> {
  server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (data) => {
      const type = data[0] ?? 0;
      if (type === 0x10) socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
      else if (type === 0x82) {
        // Remaining length is one byte for these small packets; the packet id follows it.
        socket.write(Buffer.from([0x90, 0x03, data[2] ?? 0, data[3] ?? 0, 0x01]));
      }
    });
  });
  return new Promise((resolve) => {
    server?.listen(0, '127.0.0.1', () => {
      const address = server?.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

describe('SimLink', () => {
  it('stops even when the broker never acknowledges the goodbye', async () => {
    const port = await deafBroker();
    const link = new SimLink(
      { url: `mqtt://127.0.0.1:${port}`, clientId: 'sim-test', reconnectMs: 60_000 },
      { topic: 'dev/availability', payload: 'offline' },
      ['dev/set'],
    );
    await link.start();
    expect(link.connected).toBe(true);
    await link.stop({ topic: 'dev/availability', payload: 'offline' });
    expect(link.connected).toBe(false);
  }, 15_000);
});
