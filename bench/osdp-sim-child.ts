/**
 * The four simulated readers of `bench/osdp-latency.ts`, in a process of their own: on a real
 * site the PDs are other hardware, so their pacing timers must not queue behind the gateway's
 * work on one event loop (nor the gateway behind theirs), or CP time measures both. A process,
 * not a worker thread: serialport's native poller calls into V8 from a worker without the
 * isolate's lock and aborts the process (@serialport/bindings-cpp 12, Node 20).
 *
 * Started by `child_process.fork` with the settings (SimProcessSettings) as JSON in argv[2].
 * Messages in: `{ kind: 'present', address, card }` presents a 26-bit card at that PD;
 * `{ kind: 'ping', id }` is answered with this process's clock (the parent estimates the offset);
 * `{ kind: 'stop' }`. Messages out: `ready`, `presented` (when), `raw` (the RAW reply's modelled
 * wire start and end), `output` (output 0 on or off), `buzzer` (a BUZ command arrived: a pass's last indication), `pong`.
 * Times are `performance.timeOrigin + performance.now()` of this process.
 */

import { systemClock } from '../drivers/shared/clock.js';
import { SerialTransport } from '../drivers/transport/serial-transport.js';
import { BusSimulator } from '../simulators/osdp/bus-simulator.js';
import { SimulatedPd } from '../simulators/osdp/pd-responder.js';
import type { FromSimProcess, SimProcessSettings, ToSimProcess } from './osdp-sim-process.js';

const now = systemClock.now;

async function run(data: SimProcessSettings): Promise<void> {
  const send = (message: FromSimProcess) => process.send?.(message);
  const pds = data.pds.map(
    ({ address, cuidHex, scbkHex }) =>
      new SimulatedPd({
        address,
        cuid: Buffer.from(cuidHex, 'hex'),
        model: { door: true },
        ...(scbkHex ? { secure: { scbk: Buffer.from(scbkHex, 'hex'), required: true } } : {}),
      }),
  );
  for (const pd of pds) {
    const address = pd.address;
    pd.model.on('reportSent', (e) => {
      if (e.type === 'RAW') send({ kind: 'raw', address, startedAt: e.startedAt, finishedAt: e.finishedAt });
    });
    pd.model.on('output', (e) => {
      if (e.index === 0) send({ kind: 'output', address, active: e.active, at: e.at });
    });
    pd.model.on('command', (c) => {
      if (c.type === 'BUZ') send({ kind: 'buzzer', address, at: c.receivedAt });
    });
  }
  const sim = new BusSimulator({
    transport: new SerialTransport({ path: data.path, baudRate: data.baud }),
    pds,
    baud: data.baud,
    turnaroundMs: data.turnaroundMs,
  });
  await sim.start();
  process.on('message', (message: ToSimProcess) => {
    switch (message.kind) {
      case 'present': {
        const pd = pds.find((p) => p.address === message.address);
        if (!pd) throw new Error(`no PD at address ${message.address}`);
        const at = now();
        pd.model.presentCard({ format: 'wiegand26', facility: 12, card: message.card });
        send({ kind: 'presented', address: message.address, at });
        break;
      }
      case 'ping':
        send({ kind: 'pong', id: message.id, at: now() });
        break;
      case 'stop':
        void sim.stop().then(() => {
          send({ kind: 'stopped' });
          process.disconnect();
        });
        break;
    }
  });
  send({ kind: 'ready' });
}

await run(JSON.parse(process.argv[2] ?? '{}') as SimProcessSettings);
