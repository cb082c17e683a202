/**
 * Refuses oversized MQTT packets before they are buffered. aedes 1.2 (mqtt-packet 9) accepts
 * any Remaining Length up to 256 MiB and buffers the whole packet before looking at it, so a
 * client could make the broker hold that much per connection. This reads only the fixed headers
 * as the bytes pass (MQTT 3.1.1 §2.2: one type byte, then the Remaining Length as 1–4 bytes of
 * 7 bits, least significant first) and trips as soon as a header announces more than the limit,
 * however the stream is chunked, before aedes sees any of that packet.
 */
import type { Duplex } from 'node:stream';

export type MeterResult =
  | { ok: true }
  | { ok: false; reason: 'packet too large'; bytes: number }
  | { ok: false; reason: 'malformed length' };

/** Incremental fixed-header reader; after a trip it stays tripped. */
export class PacketSizeMeter {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private lengthBytes = 0;
  private remaining = 0;
  private tripped: MeterResult | undefined;

  constructor(private readonly maxBytes: number) {}

  feed(chunk: Uint8Array): MeterResult {
    if (this.tripped) return this.tripped;
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const skip = Math.min(this.remaining, chunk.length - i);
        i += skip;
        this.remaining -= skip;
        if (this.remaining === 0) this.state = 'type';
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
      this.lengthBytes += 1;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return this.trip({ ok: false, reason: 'malformed length' });
        continue;
      }
      if (this.length > this.maxBytes)
        return this.trip({ ok: false, reason: 'packet too large', bytes: this.length });
      this.remaining = this.length;
      this.state = this.length === 0 ? 'type' : 'body';
    }
    return { ok: true };
  }

  private trip(result: MeterResult): MeterResult {
    this.tripped = result;
    return result;
  }
}

/** The error a guarded connection is destroyed with; aedes reports it as a client error. */
export class PacketRefusedError extends Error {
  constructor(readonly result: Exclude<MeterResult, { ok: true }>) {
    super(
      result.reason === 'packet too large' ? `packet of ${result.bytes} bytes over the limit` : result.reason,
    );
    this.name = 'PacketRefusedError';
  }
}

const remotes = new WeakMap<Duplex, string>();

/**
 * Puts a PacketSizeMeter on the incoming bytes of `stream` (a socket, a WebSocket stream) and
 * records its peer's address for security events (`remoteOf`). Nothing is copied or re-streamed:
 * aedes 1.2 reads a connection in paused mode ('readable', then `read(null)`), so this instance's
 * `read` is wrapped and every byte aedes gets passes the meter first. On a trip the chunk is
 * withheld and the stream destroyed with a PacketRefusedError, which aedes reports as a client
 * error. (A Duplex in between did the same at half the broker's throughput; see bench/broker.ts.)
 */
export function guardConnection(stream: Duplex, maxPacketBytes: number, remote: string): void {
  const meter = new PacketSizeMeter(maxPacketBytes);
  const read = stream.read.bind(stream);
  stream.read = (size?: number) => {
    const chunk: unknown = read(size);
    if (chunk === null || stream.destroyed) return chunk;
    const result = meter.feed(chunk as Uint8Array);
    if (result.ok) return chunk;
    stream.destroy(new PacketRefusedError(result));
    return null;
  };
  remotes.set(stream, remote);
}

/** The peer of a guarded connection, `address:port`. */
export function remoteOf(stream: unknown): string | undefined {
  return remotes.get(stream as Duplex);
}
