// Sends one OSDP OUT (output 0 on for 2 s, address 1, sequence 0, plain) commit-gated through
// the gateway's HalfDuplexLine on a serial device, then exits. `die` SIGKILLs this process
// inside the commit, as a crash or power cut would end a gateway mid-journal-write; `commit`
// lets the last byte go; `slow` lets it go after 150 ms (a journal slower than the PD's 20-ms
// inter-character timeout), then sends the OUT again whole, as the control panel's retry does.
// Prints "committing" (synchronously) before the commit's outcome, then each exchange's status.
// Usage: node gated-out-writer.mjs <device> <baud> die|commit|slow
import { writeSync } from 'node:fs';
import { HalfDuplexLine } from '../../../dist/drivers/line/half-duplex-line.js';
import { encodeFrame } from '../../../dist/drivers/osdp/framing/codec.js';
import { OUT_CONTROL } from '../../../dist/drivers/osdp/messages/codes.js';
import { encodeCommand } from '../../../dist/drivers/osdp/messages/commands.js';
import { SerialTransport } from '../../../dist/drivers/transport/serial-transport.js';

const [path, baud, mode] = process.argv.slice(2);
const line = new HalfDuplexLine(new SerialTransport({ path, baudRate: Number(baud) }), {
  baudRate: Number(baud),
});
if (!(await line.start())) throw new Error(`${path} did not open`);
const { code, data } = encodeCommand({
  type: 'OUT',
  outputs: [{ output: 0, control: OUT_CONTROL.TEMP_ON, timer100ms: 20 }],
});
const bytes = encodeFrame(
  { address: 1, reply: false, sequence: 0, useCrc: true, code, data },
  { mark: true },
);
const result = await line.exchange({
  bytes,
  replyTimeoutMs: 200,
  commit: () => {
    writeSync(1, 'committing\n');
    if (mode === 'die') process.kill(process.pid, 'SIGKILL');
    if (mode === 'slow') for (const until = Date.now() + 150; Date.now() < until; );
    return mode !== 'die';
  },
});
writeSync(1, `${result.status}\n`);
if (mode === 'slow') {
  await new Promise((resolve) => setTimeout(resolve, 100));
  writeSync(1, `${(await line.exchange({ bytes, replyTimeoutMs: 200 })).status}\n`);
}
await line.stop();
