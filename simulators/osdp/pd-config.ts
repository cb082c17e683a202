import { PDCAP_FUNCTION } from '../../drivers/osdp/messages/codes.js';
import type { PdCapability } from '../../drivers/osdp/messages/replies.js';

/**
 * What one simulated PD is: its identity (osdp_PDID) and hardware (inputs, outputs, readers),
 * and the PDCAP list that follows from it, so that what the PD advertises and what it accepts
 * can never disagree (protocols.md §1.7; libosdp checks ISTATR/OSTATR lengths against PDCAP).
 */

export interface PdIdentity {
  /** IEEE OUI, sent as 3 bytes little-endian (libosdp). */
  vendor: number;
  model: number;
  version: number;
  /** u32. */
  serial: number;
  firmware: { major: number; minor: number; build: number };
}

/** Which inputs the door helpers drive; each index must be below `inputs`. */
export interface DoorWiring {
  /** Door contact: active = open. */
  contactInput?: number;
  /** Request-to-exit button: active while pressed. */
  exitInput?: number;
  /** Fire-alarm relay contact: active = alarm. */
  fireInput?: number;
}

export interface PdHardware {
  identity: PdIdentity;
  inputs: number;
  outputs: number;
  readers: number;
  ledsPerReader: number;
  buzzer: boolean;
  text: boolean;
  /** Offers the AES-128 Secure Channel (PDCAP function 9). */
  secureChannel: boolean;
  /** Advertised receive buffer in bytes (PDCAP function 10); libosdp uses 256. */
  receiveBufferSize: number;
  door: DoorWiring;
}

export const DEFAULT_IDENTITY: PdIdentity = {
  vendor: 0x5a_47_57,
  model: 1,
  version: 1,
  serial: 0x0001_0001,
  firmware: { major: 1, minor: 0, build: 0 },
};

/** Inputs 0 contact, 1 exit button, 2 fire relay, 3 spare; output 0 the strike, 1 spare. */
export const DEFAULT_HARDWARE: PdHardware = {
  identity: DEFAULT_IDENTITY,
  inputs: 4,
  outputs: 2,
  readers: 1,
  ledsPerReader: 1,
  buzzer: true,
  text: true,
  secureChannel: false,
  receiveBufferSize: 256,
  door: {},
};

/** The wiring `--door` stands for: contact on input 0, exit button on 1, fire relay on 2. */
export const STANDARD_DOOR: DoorWiring = { contactInput: 0, exitInput: 1, fireInput: 2 };

/** Throws RangeError naming the first inconsistent setting. */
export function validateHardware(hw: PdHardware): void {
  const count = (name: string, value: number, max: number): void => {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new RangeError(`${name} ${value} is not an integer in 0..${max}`);
    }
  };
  count('inputs', hw.inputs, 255);
  count('outputs', hw.outputs, 255);
  count('readers', hw.readers, 255);
  count('ledsPerReader', hw.ledsPerReader, 255);
  count('receiveBufferSize', hw.receiveBufferSize, 0xffff);
  for (const [name, index] of Object.entries(hw.door)) {
    if (index !== undefined && (!Number.isInteger(index) || index < 0 || index >= hw.inputs)) {
      throw new RangeError(`door ${name} ${index} is not one of the ${hw.inputs} inputs`);
    }
  }
}

/**
 * PDCAP entries for the hardware, in function-code order like libosdp. Compliance levels
 * follow the SIA tables as Zephyr's OSDP Kconfig documents them: contact status 1 (plain
 * open/closed), output control 3 (timed commands), LED 4 (timed, any colour), audible 2
 * (timed), text 1 (one row of 16 characters); card data 1 (binary card data only). Readers
 * (13) carries the count in `items` with compliance 0 [unverified against a device].
 */
export function capabilities(hw: PdHardware): PdCapability[] {
  const caps: PdCapability[] = [];
  const add = (func: number, compliance: number, items: number): void => {
    caps.push({ func, compliance, items });
  };
  if (hw.inputs > 0) add(PDCAP_FUNCTION.CONTACT_STATUS, 1, hw.inputs);
  if (hw.outputs > 0) add(PDCAP_FUNCTION.OUTPUT_CONTROL, 3, hw.outputs);
  if (hw.readers > 0) {
    add(PDCAP_FUNCTION.CARD_DATA_FORMAT, 1, 0);
    if (hw.ledsPerReader > 0) add(PDCAP_FUNCTION.READER_LED, 4, hw.ledsPerReader);
    if (hw.buzzer) add(PDCAP_FUNCTION.READER_AUDIBLE, 2, 1);
    if (hw.text) add(PDCAP_FUNCTION.READER_TEXT, 1, 1);
  }
  add(PDCAP_FUNCTION.CHECK_CHARACTER, 1, 0);
  if (hw.secureChannel) add(PDCAP_FUNCTION.COMMUNICATION_SECURITY, 1, 0);
  add(PDCAP_FUNCTION.RECEIVE_BUFFER_SIZE, hw.receiveBufferSize & 0xff, hw.receiveBufferSize >> 8);
  if (hw.readers > 0) add(PDCAP_FUNCTION.READERS, 0, hw.readers);
  add(PDCAP_FUNCTION.OSDP_VERSION, 2, 0);
  return caps;
}
