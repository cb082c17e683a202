import WebSocket from 'ws';

/**
 * A forced full garbage collection in another Node.js process and its memory right after, through
 * the V8 inspector (Chrome DevTools Protocol: `HeapProfiler.collectGarbage`, then
 * `process.memoryUsage()` evaluated in the process). The process must have been started with
 * `--inspect-port=127.0.0.1:0` (NODE_OPTIONS) and sent SIGUSR1, which opens the inspector and
 * prints `Debugger listening on ws://…` on its stderr: that address is `url`. Nothing is changed
 * in the process until then, so the measured run is the gateway as it runs in the field.
 */
export interface MemoryAfterGc {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export const INSPECTOR_URL = /Debugger listening on (ws:\/\/\S+)/;

export async function memoryAfterGc(url: string, timeoutMs = 30_000): Promise<MemoryAfterGc> {
  const socket = new WebSocket(url);
  const timer = setTimeout(() => socket.terminate(), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`the inspector at ${url} closed`)));
    });
    let nextId = 1;
    const call = (method: string, params: object = {}) =>
      new Promise<{ result?: { value?: unknown } }>((resolve, reject) => {
        const id = nextId++;
        const onMessage = (data: WebSocket.RawData) => {
          const message = JSON.parse(data.toString()) as {
            id?: number;
            result?: unknown;
            error?: { message: string };
          };
          if (message.id !== id) return;
          socket.off('message', onMessage);
          if (message.error) reject(new Error(`${method}: ${message.error.message}`));
          else resolve(message.result as { result?: { value?: unknown } });
        };
        socket.on('message', onMessage);
        socket.send(JSON.stringify({ id, method, params }));
      });
    await call('HeapProfiler.collectGarbage');
    const answer = await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const value = answer.result?.value;
    if (typeof value !== 'string') throw new Error('the inspector did not return process.memoryUsage()');
    return JSON.parse(value) as MemoryAfterGc;
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}
