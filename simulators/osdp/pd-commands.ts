import { NAK } from '../../drivers/osdp/messages/codes.js';
import type { OsdpCommand } from '../../drivers/osdp/messages/commands.js';
import type { OsdpReply } from '../../drivers/osdp/messages/replies.js';
import type { PdModel } from './pd-model.js';

/**
 * The device commands of a PD: what each plain, decoded command does to the model and which
 * reply it earns (protocols.md §1.5). Link-level commands (COMSET, KEYSET, CHLNG, SCRYPT) are
 * the responder's and get NAK 0x03 here.
 *
 * OUT answers OSTATR with every output's state after the change, as the SIA spec asks; libosdp's
 * PD answers ACK, and a CP must accept either. A command whose records the device cannot carry
 * out (no such output, LED or reader; a control code out of range) is refused as a whole with
 * NAK 0x09 and changes nothing. Commands for hardware the PD does not have, and commands it does
 * not implement, get NAK 0x03 (libosdp checks against its PDCAP the same way).
 */

/** The reply; when a record was refused, `refused` says why (for logs) and the reply is NAK 0x09. */
export interface CommandResult {
  reply: OsdpReply;
  refused?: string;
}

export function executeCommand(model: PdModel, cmd: OsdpCommand): CommandResult {
  const hw = model.hardware;
  switch (cmd.type) {
    case 'POLL':
      return { reply: model.takeReport() ?? ACK };
    case 'ID':
      return { reply: { type: 'PDID', ...model.identity } };
    case 'CAP':
      return { reply: { type: 'PDCAP', capabilities: model.capabilities() } };
    case 'LSTAT':
      return { reply: { type: 'LSTATR', tamper: Number(model.tamper), power: Number(model.powerFailure) } };
    case 'ISTAT':
      return hw.inputs > 0 ? { reply: { type: 'ISTATR', inputs: model.inputs().map(Number) } } : UNKNOWN;
    case 'OSTAT':
      return hw.outputs > 0 ? { reply: ostatr(model) } : UNKNOWN;
    case 'OUT':
      return hw.outputs > 0 ? outcome(model.applyOutputs(cmd.outputs), () => ostatr(model)) : UNKNOWN;
    case 'LED':
      return hw.readers > 0 && hw.ledsPerReader > 0 ? outcome(model.applyLeds(cmd.leds), () => ACK) : UNKNOWN;
    case 'BUZ':
      return hw.buzzer ? outcome(model.applyBuzzers(cmd.buzzers), () => ACK) : UNKNOWN;
    case 'TEXT':
      return hw.text ? outcome(model.applyText(cmd), () => ACK) : UNKNOWN;
    case 'ACURXSIZE':
    case 'ABORT':
      return { reply: ACK };
    case 'RSTAT':
    case 'MFG':
    case 'UNKNOWN':
    case 'COMSET':
    case 'KEYSET':
    case 'CHLNG':
    case 'SCRYPT':
      return UNKNOWN;
  }
}

const ACK: OsdpReply = { type: 'ACK' };
const UNKNOWN: CommandResult = { reply: { type: 'NAK', code: NAK.UNKNOWN_COMMAND } };

function ostatr(model: PdModel): OsdpReply {
  return { type: 'OSTATR', outputs: model.outputs().map(Number) };
}

function outcome(refused: string | undefined, ok: () => OsdpReply): CommandResult {
  return refused === undefined
    ? { reply: ok() }
    : { reply: { type: 'NAK', code: NAK.UNABLE_TO_PROCESS }, refused };
}
