import { read } from 'node:fs';
import { promisify } from 'node:util';
import {
  autoDetect,
  type BindingInterface,
  type DarwinPortBinding,
  type LinuxPortBinding,
  type OpenOptions,
} from '@serialport/bindings-cpp';
// Not re-exported by the package index; the module the Linux and macOS bindings read through.
import { unixRead } from '@serialport/bindings-cpp/dist/unix-read.js';

const readAsync = promisify(read);

/** The error a hung-up tty's read turns into: serialport closes the port on it (`disconnect`). */
export class HangupError extends Error {
  readonly code = 'EHANGUP';
  readonly disconnect = true;
}

/**
 * `fs.read` for a serial tty, where end of file means the device hung up. An open tty in
 * non-blocking mode answers "no data yet" with EAGAIN; it answers 0 bytes only once it has
 * been hung up (a USB adapter pulled out, the far end of a pty gone, a modem's carrier lost).
 */
export const readOrHangup: typeof readAsync = (async (...args: Parameters<typeof readAsync>) => {
  const result = await readAsync(...args);
  if (result.bytesRead === 0) throw new HangupError('the device hung up (its tty reads end of file)');
  return result;
}) as typeof readAsync;

const detected = autoDetect() as BindingInterface;

/**
 * The platform binding of `serialport`, except that a hung-up tty closes the port.
 *
 * Why: bindings-cpp's Unix read treats a 0-byte read as "nothing yet" and reads again at once
 * (serialport/bindings-cpp#162, fix #164 not released in 13.0.0). A hung-up tty returns 0
 * forever, so the port spins a thread-pool thread, never emits `close`, and its owner goes on
 * believing the device is there: the "unplugged adapter shows online and eats a core" failure.
 * Seen here when a socat pair was killed while a read was in flight. Windows reads differently
 * and keeps the stock binding.
 */
export const HangupAwareBinding: BindingInterface = {
  list: () => detected.list(),
  async open(options: OpenOptions) {
    const port = await detected.open(options);
    if (process.platform === 'linux' || process.platform === 'darwin') {
      const unix = port as LinuxPortBinding | DarwinPortBinding;
      // unixRead itself refuses a closed port (as `canceled`, like the stock read).
      unix.read = (buffer, offset, length) =>
        unixRead({ binding: unix, buffer, offset, length, fsReadAsync: readOrHangup });
    }
    return port;
  },
};
