import type { ModbusRequest } from '../../drivers/modbus/codec.js';
import { EXCEPTION } from '../../drivers/modbus/constants.js';
import type { ServerOutcome } from '../../drivers/modbus/responses.js';
import type { Access, RelayBoardModel } from './board-model.js';

/**
 * What the simulated board answers to a request it has decoded (codec.ts decodeRequest already
 * refused unknown functions and bad quantities): coils (FC01/05/0F), discrete inputs (FC02), and
 * one holding register (FC03 address 0: the board's own unit address, as on the common Chinese
 * relay boards). Registers beyond that answer 0x02; FC04/06/10 answer 0x01 (this board has no
 * input registers and its settings are not writable here). No I/O and no timing.
 */
export function respond(board: RelayBoardModel, request: ModbusRequest): ServerOutcome {
  switch (request.fn) {
    case 'read-coils':
      return bits(board.readCoils(request.address, request.quantity));
    case 'read-discrete-inputs':
      return bits(board.readInputs(request.address, request.quantity));
    case 'write-single-coil':
      return written(board.writeCoils(request.address, [request.value]));
    case 'write-multiple-coils':
      return written(board.writeCoils(request.address, request.values));
    case 'read-holding-registers':
      if (request.address !== 0 || request.quantity !== 1)
        return { kind: 'exception', code: EXCEPTION.ILLEGAL_DATA_ADDRESS };
      return { kind: 'registers', values: [board.unit] };
    case 'read-input-registers':
    case 'write-single-register':
    case 'write-multiple-registers':
      return { kind: 'exception', code: EXCEPTION.ILLEGAL_FUNCTION };
  }
}

function bits(access: Access<boolean[]>): ServerOutcome {
  return 'ok' in access ? { kind: 'bits', values: access.ok } : { kind: 'exception', code: access.exception };
}

function written(access: Access<true>): ServerOutcome {
  return 'ok' in access ? { kind: 'ok' } : { kind: 'exception', code: access.exception };
}
