import type { EventEmitter } from 'node:events';
import type { GuardedWrite, ModbusBoardEvents, WriteGuard } from '../modbus/board-types.js';

/**
 * What a barrier adapter needs of its relay/IO board: the polled discrete inputs (with an
 * `inputs` event on change), a fresh read on demand, coil writes, and online/offline. The
 * Modbus ModbusBoardSession is the real one; a test can bind the adapter straight to a board
 * model through the same interface to run thousands of scenarios without bytes on a line.
 *
 * Contract: `readInputs()` resolves with the board's inputs as read after the call (never a
 * cached value) and rejects (ModbusError) when the board cannot be read; `writeCoil()` resolves
 * once the board acknowledged the write and rejects otherwise (an exception: `reason` 'exception').
 * `writeCoilIf()` reads the inputs, emits them to `inputs` listeners if they changed, asks `guard`
 * about that reading synchronously, and only if it returns undefined writes the coil, with nothing
 * else of this board's in between; it resolves `{ written: false, refusal }` when the guard said
 * no, and rejects like the other two when the board fails. `inputs` is undefined while the state
 * is unknown (before the first read, while offline).
 */
export interface BoardIo extends Pick<EventEmitter<ModbusBoardEvents>, 'on' | 'off'> {
  readonly name: string;
  readonly online: boolean;
  readonly inputs: readonly boolean[] | undefined;
  readInputs(): Promise<readonly boolean[]>;
  writeCoil(address: number, on: boolean): Promise<void>;
  writeCoilIf(address: number, on: boolean, guard: WriteGuard): Promise<GuardedWrite>;
}
