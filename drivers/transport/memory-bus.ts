import { type ByteTransport, TransportError } from './byte-transport.js';

export interface MemoryBusOptions {
  /** Split every delivery into chunks of at most this many bytes (default: whole writes). */
  chunkSize?: number;
}

/**
 * An in-memory multi-drop line for unit tests and back-to-back runs: whatever one endpoint
 * writes, every other open endpoint receives, as on RS-485 (a CP and several PDs, or a pair).
 * Deliveries are asynchronous (next macrotask) so a reply never arrives inside the write call.
 * Test affordances: a log of every write, `inject()` for line noise, `unplug()` to make an
 * endpoint vanish the way a USB adapter does.
 */
export class MemoryBus {
  readonly writes: { from: string; bytes: Buffer }[] = [];
  private readonly endpoints = new Set<MemoryEndpoint>();

  constructor(private readonly options: MemoryBusOptions = {}) {
    const size = options.chunkSize;
    if (size !== undefined && !(Number.isInteger(size) && size >= 1)) {
      throw new RangeError(`chunkSize ${size} is not a whole number of at least 1`);
    }
  }

  /** A new endpoint on this line; it receives nothing until opened. */
  attach(name: string): MemoryEndpoint {
    const endpoint = new MemoryEndpoint(name, this);
    this.endpoints.add(endpoint);
    return endpoint;
  }

  /** Bytes that appear on the line from nowhere (noise), delivered to every open endpoint. */
  inject(bytes: Buffer): void {
    this.deliver(undefined, bytes);
  }

  /** @internal */
  deliver(from: MemoryEndpoint | undefined, bytes: Buffer): void {
    if (from) this.writes.push({ from: from.name, bytes: Buffer.from(bytes) });
    const size = this.options.chunkSize ?? bytes.length;
    for (const endpoint of this.endpoints) {
      if (endpoint === from || !endpoint.isOpen) continue;
      for (let i = 0; i < bytes.length; i += size) {
        const chunk = Buffer.from(bytes.subarray(i, i + size));
        setImmediate(() => endpoint.receive(chunk));
      }
    }
  }
}

export class MemoryEndpoint implements ByteTransport {
  private open_ = false;
  private present = true;
  private readonly dataListeners: ((bytes: Buffer) => void)[] = [];
  private readonly closeListeners: ((error?: Error) => void)[] = [];

  constructor(
    readonly name: string,
    private readonly bus: MemoryBus,
  ) {}

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    if (!this.present) throw new TransportError(`${this.name} is not present`, this.name, true);
    this.open_ = true;
  }

  async write(bytes: Buffer): Promise<void> {
    if (!this.open_) throw new TransportError(`${this.name} is not open`, this.name, true);
    this.bus.deliver(this, bytes);
  }

  async close(): Promise<void> {
    this.shut(undefined);
  }

  /** The device vanishes: the endpoint closes with an error and cannot be reopened until `plugIn()`. */
  unplug(): void {
    this.present = false;
    this.shut(new TransportError(`${this.name} disconnected`, this.name, true));
  }

  plugIn(): void {
    this.present = true;
  }

  onData(listener: (bytes: Buffer) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  /** @internal */
  receive(bytes: Buffer): void {
    if (!this.open_) return;
    for (const l of this.dataListeners) l(bytes);
  }

  private shut(error: Error | undefined): void {
    if (!this.open_) return;
    this.open_ = false;
    for (const l of this.closeListeners) l(error);
  }
}
