import { EventEmitter } from 'node:events';
import { type Clock, sleep, systemClock } from '../../drivers/shared/clock.js';
import type { ByteTransport } from '../../drivers/transport/byte-transport.js';
import type { RandomSource } from '../shared/random.js';
import type { TestIdentity } from './deck.js';
import { SamModel } from './sam-model.js';
import { type SamProcessing, SamResponder } from './sam-responder.js';

export interface IdCardSimulatorOptions {
  transport: ByteTransport;
  baudRate: number;
  deck?: readonly TestIdentity[];
  processing?: Partial<SamProcessing>;
  clock?: Clock;
  random?: RandomSource;
  /** Wait between attempts to open the device while it is absent (default 500 ms). */
  reopenIntervalMs?: number;
}

export interface IdCardSimulatorEvents {
  /** The device opened, or went away (the simulator keeps trying to open it again). */
  link: [state: 'up' | 'down', error?: Error];
}

/**
 * A simulated SAM ID-card reader on a serial device: model + responder + a transport kept open.
 * Like a reader plugged into a USB port, it comes back by itself when its device reappears
 * (a socat pair restarted under the same names). Lifecycle: the constructor builds;
 * `start()` opens (retrying in the background); `stop()` closes.
 */
export class IdCardSimulator extends EventEmitter<IdCardSimulatorEvents> {
  readonly model: SamModel;
  private readonly clock: Clock;
  private running = false;
  private opening = false;

  constructor(private readonly options: IdCardSimulatorOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    const modelOptions = options.deck ? { deck: options.deck, clock: this.clock } : { clock: this.clock };
    this.model = new SamModel(modelOptions);
    const responder = new SamResponder(options.transport, this.model, {
      baudRate: options.baudRate,
      clock: this.clock,
      ...(options.processing ? { processing: options.processing } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    responder.attach();
    options.transport.onClose((error) => {
      this.emit('link', 'down', error);
      if (this.running) void this.openLoop();
    });
  }

  get transportName(): string {
    return this.options.transport.name;
  }

  /** Resolves after the first attempt with whether the device is open; never rejects. */
  start(): Promise<boolean> {
    this.running = true;
    return new Promise((resolve) => void this.openLoop(resolve));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.options.transport.close();
  }

  private async openLoop(firstAttempt?: (open: boolean) => void): Promise<void> {
    if (this.opening) {
      firstAttempt?.(false);
      return;
    }
    this.opening = true;
    const transport = this.options.transport;
    try {
      while (this.running && !transport.isOpen) {
        try {
          await transport.open();
          this.emit('link', 'up');
        } catch (error) {
          if (firstAttempt) this.emit('link', 'down', error as Error);
          firstAttempt?.(false);
          firstAttempt = undefined;
          await sleep(this.clock, this.options.reopenIntervalMs ?? 500);
        }
      }
    } finally {
      this.opening = false;
      firstAttempt?.(transport.isOpen);
    }
  }
}
