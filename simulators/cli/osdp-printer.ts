import type { BusSimulator } from '../osdp/bus-simulator.js';
import type { SimulatedPd } from '../osdp/pd-responder.js';
import { OwnedListeners } from '../shared/owned-listeners.js';

/**
 * One line per notable event of a simulated OSDP bus, in a stable format meant for grep and
 * for tests (the address first, then what changed):
 *   pd 1 output 0 on|off              pd 1 input 2 active|inactive
 *   pd 1 led 0 green [flashing off]   (reader; `0:1` for LED 1 of reader 0)
 *   pd 1 buzzer 0 on|off              pd 1 text "NOT REGISTERED"   (reader 0; else `text 1 "…"`)
 *   pd 1 tamper on|off                pd 1 power fail|ok
 *   pd 1 queued RAW                   pd 1 reported RAW   (a queued report went out on a POLL)
 *   pd 1 nak 0x04 POLL (why)          pd 1 secure established|closed (why)
 *   pd 1 comset address 5 baud 19200  pd 1 scbk <32 hex digits>   (after KEYSET: persist it)
 */

export const COLORS = ['off', 'red', 'green', 'amber', 'blue', 'magenta', 'cyan', 'white'] as const;

export function colorName(code: number): string {
  return COLORS[code] ?? `colour${code}`;
}

export function ledName(reader: number, led: number): string {
  return led === 0 ? String(reader) : `${reader}:${led}`;
}

export function textLine(address: number, reader: number, text: string): string {
  return `pd ${address} text ${reader === 0 ? '' : `${reader} `}${JSON.stringify(text)}`;
}

export class OsdpEventPrinter {
  private readonly subscriptions = new OwnedListeners();

  constructor(
    private readonly print: (line: string) => void,
    private readonly printError: (line: string) => void,
  ) {}

  attach(bus: BusSimulator): void {
    for (const pd of bus.pds) this.attachPd(pd);
    this.subscriptions.on(bus, 'writeError', ({ error }) =>
      this.printError(`error: write failed: ${error.message}`),
    );
  }

  dispose(): void {
    this.subscriptions.dispose();
  }

  private attachPd(pd: SimulatedPd): void {
    const s = this.subscriptions;
    const m = pd.model;
    const line = (text: string): void => this.print(`pd ${pd.address} ${text}`);
    s.on(m, 'output', (e) => line(`output ${e.index} ${e.active ? 'on' : 'off'}`));
    s.on(m, 'input', (e) => line(`input ${e.index} ${e.active ? 'active' : 'inactive'}`));
    s.on(m, 'led', (e) => {
      const flash = e.flashingWith === undefined ? '' : ` flashing ${colorName(e.flashingWith)}`;
      line(`led ${ledName(e.reader, e.led)} ${colorName(e.color)}${flash}`);
    });
    s.on(m, 'buzzer', (e) => line(`buzzer ${e.reader} ${e.sounding ? 'on' : 'off'}`));
    s.on(m, 'text', (e) => this.print(textLine(pd.address, e.reader, e.text)));
    s.on(m, 'status', (e) =>
      line(`tamper ${e.tamper ? 'on' : 'off'} power ${e.powerFailure ? 'fail' : 'ok'}`),
    );
    s.on(m, 'reportQueued', (e) => line(`queued ${e.type}`));
    s.on(m, 'reportSent', (e) => {
      if (e.command === 'POLL' && !['ACK', 'NAK', 'BUSY'].includes(e.type)) line(`reported ${e.type}`);
    });
    s.on(pd, 'nak', (e) => line(`nak 0x${e.code.toString(16).padStart(2, '0')} ${e.command} (${e.reason})`));
    s.on(pd, 'secure', (e) => line(`secure ${e.state} (${e.reason})`));
    s.on(pd, 'comset', (e) =>
      this.print(`pd ${e.previousAddress} comset address ${e.address} baud ${e.baud}`),
    );
    s.on(pd, 'keyChanged', (e) => line(`scbk ${e.scbk.toString('hex')}`));
  }
}

/** The `status` lines of one PD. */
export function statusLines(bus: BusSimulator, pd: SimulatedPd): string[] {
  const m = pd.model;
  const p = `pd ${pd.address}`;
  const list = <T>(items: T[], show: (item: T, i: number) => string): string =>
    items.length === 0 ? '-' : items.map(show).join(' ');
  const faults = Object.entries(bus.faults(pd.address))
    .filter(([, v]) => v !== false && v !== 0)
    .map(([k, v]) => (v === true ? k : `${k}=${v}`));
  return [
    `${p} outputs ${list(m.outputs(), (on, i) => `${i}:${on ? 'on' : 'off'}`)}`,
    `${p} inputs ${list(m.inputs(), (on, i) => `${i}:${on ? 'active' : 'inactive'}`)}`,
    `${p} leds ${list(m.leds(), (l) => `${ledName(l.reader, l.led)}:${colorName(l.color)}${l.flashingWith === undefined ? '' : `/${colorName(l.flashingWith)}`}`)}`,
    `${p} buzzers ${list(m.buzzers(), (b) => `${b.reader}:${b.sounding ? 'on' : 'off'}`)}`,
    `${p} texts ${list(m.texts(), (t) => `${t.reader}:${JSON.stringify(t.text)}`)}`,
    `${p} tamper ${m.tamper ? 'on' : 'off'} power ${m.powerFailure ? 'fail' : 'ok'} secure ${pd.secureChannelEstablished ? 'established' : 'off'} baud ${pd.baud} queued ${m.queuedReports} faults ${faults.length ? faults.join(',') : 'none'}`,
  ];
}
