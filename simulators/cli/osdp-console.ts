import { sleep, systemClock } from '../../drivers/shared/clock.js';
import type { BusSimulator } from '../osdp/bus-simulator.js';
import type { SimulatedPd } from '../osdp/pd-responder.js';
import { consoleHelp } from './osdp-help.js';
import { statusLines } from './osdp-printer.js';
import { type OsdpAction, parseLine, ScriptError } from './osdp-script.js';

/**
 * Runs technician commands against a simulated bus. `run(line)` never throws for a bad line:
 * it prints `error: [line N: ]<what is wrong>` on the error stream and returns, so a typo in a
 * long script does not stop the simulation. Returns 'quit' for `quit`.
 */
export class OsdpConsole {
  constructor(
    private readonly bus: BusSimulator,
    private readonly print: (line: string) => void,
    private readonly printError: (line: string) => void,
  ) {}

  async run(line: string, lineNumber?: number): Promise<'quit' | undefined> {
    try {
      const action = parseLine(line);
      if (action === undefined) return undefined;
      return await this.execute(action);
    } catch (error) {
      if (!(error instanceof ScriptError || error instanceof RangeError)) throw error;
      const where = lineNumber === undefined ? '' : `line ${lineNumber}: `;
      this.printError(`error: ${where}${error.message}`);
      return undefined;
    }
  }

  private async execute(action: OsdpAction): Promise<'quit' | undefined> {
    switch (action.kind) {
      case 'card':
        this.pd(action.address).model.presentCard(action.card, {
          reader: action.reader,
          badParity: action.badParity,
        });
        return undefined;
      case 'keys':
        this.pd(action.address).model.enterKeys(action.keys, action.reader);
        return undefined;
      case 'door':
        if (action.open) this.pd(action.address).model.openDoor();
        else this.pd(action.address).model.closeDoor();
        return undefined;
      case 'exit':
        this.pd(action.address).model.pressExit();
        return undefined;
      case 'fire':
        this.fire(action.active, action.address);
        return undefined;
      case 'tamper':
        this.pd(action.address).model.setTamper(action.active);
        return undefined;
      case 'power':
        this.pd(action.address).model.setPowerFailure(action.failure);
        return undefined;
      case 'input':
        this.pd(action.address).model.setInput(action.index, action.active);
        return undefined;
      case 'fault': {
        if (action.target !== 'bus') this.pd(action.target);
        this.bus.setFaults(action.target, action.settings);
        const who = action.target === 'bus' ? 'bus' : `pd ${action.target}`;
        this.print(`${who} fault ${action.name} ${action.on ? 'on' : 'off'}`);
        return undefined;
      }
      case 'noise':
        this.bus.setNoise(action.noise);
        this.print(action.noise ? `bus noise on ${action.noise.ratePerSecond}/s` : 'bus noise off');
        return undefined;
      case 'status':
        for (const pd of this.bus.pds) for (const line of statusLines(this.bus, pd)) this.print(line);
        return undefined;
      case 'wait':
        await sleep(systemClock, action.ms);
        return undefined;
      case 'help':
        this.print(consoleHelp());
        return undefined;
      case 'quit':
        return 'quit';
    }
  }

  private fire(active: boolean, address?: number): void {
    const targets =
      address === undefined
        ? this.bus.pds.filter((pd) => pd.model.hardware.door.fireInput !== undefined)
        : [this.pd(address)];
    if (targets.length === 0) throw new ScriptError('fire: no PD has a fire input (start with --door)');
    for (const pd of targets) pd.model.setFire(active);
  }

  private pd(address: number): SimulatedPd {
    const pd = this.bus.pd(address);
    if (pd) return pd;
    const hosted = this.bus.pds.map((p) => p.address).join(', ');
    throw new ScriptError(`no PD ${address} on this bus (hosted: ${hosted})`);
  }
}
