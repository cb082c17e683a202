/**
 * The device sections of the configuration: serial lines and the OSDP readers and doors on
 * them. Part of the one schema in `schema.ts` (which imports these), kept apart so each file
 * stays readable. Cross-references (a device's line and lane) are checked in `schema.ts`.
 */
import { z } from 'zod';

const slug = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug: lower-case letters, digits and single hyphens');

/** The baud rates OSDP names (protocols.md §1.1); Modbus boards use the same set. */
export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400] as const;

export const serialLineSchema = z.strictObject({
  id: slug.describe('Line id, referenced by the devices on it.'),
  path: z
    .string()
    .min(1)
    .describe(
      'Serial device of the RS-485/RS-232 adapter, e.g. /dev/serial/by-id/usb-FTDI…-if00-port0 ' +
        '(stable across re-plugging) or one end of a socat pseudo-terminal pair.',
    ),
  baud: z
    .union(BAUD_RATES.map((b) => z.literal(b)))
    .default(9600)
    .describe('Baud rate, 8N1. Every device on the line must use it (9600 is the OSDP factory default).'),
});

const osdpDoorSchema = z.strictObject({
  output: z.number().int().min(0).max(255).default(0).describe('PD output that drives the lock relay.'),
  lock: z
    .enum(['fail-secure', 'fail-safe'])
    .default('fail-secure')
    .describe(
      'fail-secure: electric strike, powered to release (stays locked without power). ' +
        'fail-safe: magnetic lock, powered to hold (releases without power, as fire codes require).',
    ),
  contactInput: z.number().int().min(0).max(255).optional().describe('PD input wired to the door contact.'),
  rexInput: z.number().int().min(0).max(255).optional().describe('PD input wired to the exit button.'),
  fireInput: z
    .number()
    .int()
    .min(0)
    .max(255)
    .optional()
    .describe('PD input wired to the fire-alarm panel: active releases every lock and raises every barrier.'),
  heldOpenSeconds: z
    .number()
    .positive()
    .max(3600)
    .default(30)
    .describe('Seconds the door may stay open after its release before a held-open alarm.'),
  rexReleaseSeconds: z
    .number()
    .positive()
    .max(60)
    .default(5)
    .describe('Seconds the exit button releases the lock.'),
});

export const osdpDeviceSchema = z.strictObject({
  id: slug.describe('Device id, unique across the site: names it in the journal and on the dashboard.'),
  line: slug.describe('Id of the serial line the PD is wired to.'),
  address: z.number().int().min(0).max(126).describe('OSDP address of the PD (0–126), unique on its line.'),
  lane: slug.describe('Lane whose passes this PD reads and whose door it drives.'),
  reader: z
    .number()
    .int()
    .min(0)
    .max(255)
    .optional()
    .describe(
      'Reader number on the PD whose cards and PINs belong to the lane; leave out for a door-only module.',
    ),
  secure: z
    .enum(['required', 'off'])
    .default('required')
    .describe(
      'required: talk to the PD only over the OSDP Secure Channel; a PD that does not offer it or fails ' +
        'the handshake raises an alarm and is not used (never a silent fall-back to plain text). ' +
        'off: plain text, for readers without Secure Channel.',
    ),
  installKey: z
    .boolean()
    .default(false)
    .describe(
      'Provision this PD: if it refuses the site key, connect once with the install key SCBK-D and ' +
        'install its own key with KEYSET. Set while commissioning a reader, then remove.',
    ),
  door: osdpDoorSchema
    .optional()
    .describe('The lock and inputs wired to this PD; leave out for a reader only.'),
});

export const osdpSchema = z.strictObject({
  masterKeyFile: z
    .string()
    .min(1)
    .default('keys/osdp-master.key')
    .describe(
      'Secret from which each PD key (SCBK) is derived with the PD’s id (OSDP: SCBK = AES(MK, cUID ‖ ~cUID)), ' +
        'relative to dataDir; created on first start.',
    ),
  offlineAfterSeconds: z
    .number()
    .positive()
    .max(60)
    .default(1.5)
    .describe(
      'A PD silent this long is offline (alarm); libosdp waits about 8 s, a gate needs to know sooner.',
    ),
  gatedUnlock: z
    .boolean()
    .default(true)
    .describe(
      'Send a pass’s unlock (OUT) while its decision is journaled, holding back the last byte until the ' +
        'journal has it: the PD acts on nothing before that, and the flush no longer delays the door. ' +
        'Turn off for a PD that discards a packet whose last byte comes a moment after the rest.',
    ),
  devices: z.array(osdpDeviceSchema).default([]).describe('OSDP readers and door modules.'),
});

export type SerialLineConfig = z.output<typeof serialLineSchema>;
export type OsdpDeviceConfig = z.output<typeof osdpDeviceSchema>;
export type OsdpConfig = z.output<typeof osdpSchema>;

export const idcardDeviceSchema = z.strictObject({
  id: slug.describe('Device id, unique across the site.'),
  line: slug.describe('Id of the serial line the SAM reader is on (SAM readers default to 115200 baud).'),
  lane: slug.describe('Lane whose passes this reader reads; the lane’s door or barrier acts on them.'),
});

export const idcardSchema = z.strictObject({
  devices: z
    .array(idcardDeviceSchema)
    .default([])
    .describe(
      'Resident ID-card readers (SAM modules, GA 467 framing). Only a keyed hash of the ID number leaves them.',
    ),
});

export type IdcardDeviceConfig = z.output<typeof idcardDeviceSchema>;

const address = z.number().int().min(0).max(0xffff);

export const modbusBoardSchema = z.strictObject({
  id: slug.describe('Device id of the relay/IO board, unique across the site.'),
  line: slug.describe('Id of the serial line (RS-485) the board is on; it may share it with OSDP readers.'),
  unit: z
    .number()
    .int()
    .min(1)
    .max(247)
    .describe('Modbus server address of the board (1–247), unique on its line.'),
  inputs: z
    .strictObject({
      address: address.default(0).describe('First discrete input polled (0-based, as on the wire).'),
      count: z.number().int().min(1).max(2000).default(8).describe('How many discrete inputs are polled.'),
    })
    .prefault({})
    .describe('The block of discrete inputs (function 02) read every poll.'),
});

export const barrierSchema = z.strictObject({
  id: slug.describe('Device id of the barrier, unique across the site.'),
  lane: slug.describe('Vehicle lane whose decisions raise this barrier.'),
  board: slug.describe('Id of the relay/IO board under modbus.boards that drives it.'),
  coils: z
    .strictObject({
      open: address.describe('Coil wired to the controller’s OPEN contact.'),
      close: address.describe('Coil wired to CLOSE.'),
      stop: address.optional().describe('Coil wired to STOP, if the controller has one.'),
    })
    .describe('Relay coils (0-based, as on the wire).'),
  inputs: z
    .strictObject({
      loop: z
        .number()
        .int()
        .min(0)
        .describe('Input index (within the polled block) of the safety loop under the arm.'),
      upLimit: z.number().int().min(0).describe('Input index of the arm’s up limit switch.'),
      downLimit: z.number().int().min(0).describe('Input index of the arm’s down limit switch.'),
      fire: z.number().int().min(0).optional().describe('Input index of a fire-alarm contact on this board.'),
    })
    .describe('Inputs, as indexes into the board’s polled block.'),
  pulseSeconds: z.number().positive().max(5).default(0.5).describe('How long a relay closes a contact.'),
  settleSeconds: z
    .number()
    .min(0)
    .max(60)
    .default(1)
    .describe('After the last permitted vehicle has left the loop, wait this long before lowering.'),
  travelSeconds: z
    .number()
    .positive()
    .max(120)
    .default(10)
    .describe('The arm must reach its limit this long after a command, or BARRIER_STUCK.'),
  passSeconds: z
    .number()
    .positive()
    .max(600)
    .default(30)
    .describe('A raise that no vehicle drives through is lowered after this long.'),
});

export const modbusSchema = z.strictObject({
  boards: z
    .array(modbusBoardSchema)
    .default([])
    .describe('Modbus RTU relay/IO boards (barrier gates, strikes).'),
});

export type ModbusBoardConfigEntry = z.output<typeof modbusBoardSchema>;
export type BarrierConfigEntry = z.output<typeof barrierSchema>;

const usbId = z.number().int().min(0).max(0xffff);

export const scannerSchema = z
  .strictObject({
    id: slug.describe('Device id of the scanner, unique across the site.'),
    lane: slug.describe('Lane whose passes this scanner reads; the lane’s door or barrier acts on them.'),
    serial: z
      .strictObject({
        path: z
          .string()
          .min(1)
          .describe('Serial device of the scanner (its own port: /dev/ttyACM0, /dev/serial/by-id/…).'),
        baud: z
          .union(BAUD_RATES.map((b) => z.literal(b)))
          .default(9600)
          .describe('Baud rate, 8N1.'),
        terminator: z
          .enum(['cr', 'lf', 'crlf'])
          .default('cr')
          .describe('Suffix the scanner sends after each code.'),
        prefix: z.string().optional().describe('Prefix configured on the scanner; stripped, and required.'),
      })
      .optional()
      .describe('A scanner in serial line mode (RS-232, or USB CDC-ACM).'),
    hid: z
      .strictObject({
        vendorId: usbId.describe('USB vendor id (e.g. 0x0c2e); write hex as 0x… in YAML.'),
        productId: usbId.describe('USB product id.'),
        serialNumber: z.string().optional().describe('Tells two scanners of one model apart.'),
        mode: z
          .enum(['auto', 'pos', 'keyboard'])
          .default('auto')
          .describe('HID POS (usage page 0x8C) or keyboard wedge; auto prefers POS.'),
      })
      .optional()
      .describe('A USB scanner read through hidraw (node-hid).'),
    encoding: z
      .enum(['utf-8', 'gb18030'])
      .default('utf-8')
      .describe('How the scanner encodes non-ASCII text.'),
  })
  .refine((s) => (s.serial === undefined) !== (s.hid === undefined), 'give exactly one of serial or hid');

export type ScannerConfigEntry = z.output<typeof scannerSchema>;
