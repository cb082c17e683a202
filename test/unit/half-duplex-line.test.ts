import { afterEach, describe, expect, it, vi } from 'vitest';
import { HalfDuplexLine, type ReplyCollector } from '../../drivers/line/half-duplex-line.js';
import { wireTimeMs } from '../../drivers/line/wire-time.js';
import type { Clock } from '../../drivers/shared/clock.js';
import { type ByteTransport, TransportError } from '../../drivers/transport/byte-transport.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { timerClock } from '../helpers/idcard-rig.js';
import { waitFor } from '../helpers/wait-for.js';

/** Completes when `length` bytes arrived; a stand-in for a protocol's reply parser. */
function bytes(length: number): ReplyCollector<Buffer> {
  let got = Buffer.alloc(0);
  return {
    push(chunk) {
      got = Buffer.concat([got, chunk]);
      return got.length >= length ? got : undefined;
    },
  };
}

describe('HalfDuplexLine', () => {
  const lines: HalfDuplexLine[] = [];
  afterEach(async () => {
    for (const l of lines.splice(0)) await l.stop();
  });

  function setUp(options: { chunkSize?: number } = {}) {
    const bus = new MemoryBus(options);
    const host = bus.attach('host');
    const device = bus.attach('device');
    const line = new HalfDuplexLine(host, { baudRate: 115200, reopenIntervalMs: 10 });
    lines.push(line);
    return { bus, host, device, line };
  }

  it('runs one exchange at a time: the second request waits for the first reply', async () => {
    const { device, line } = setUp({ chunkSize: 1 });
    await device.open();
    expect(await line.start()).toBe(true);
    const heard: string[] = [];
    device.onData((b) => {
      heard.push(b.toString());
      // Answers "ok" + the request, a little later, one byte at a time (chunkSize 1).
      setTimeout(() => void device.write(Buffer.from(`ok${b.toString()}`)), 5);
    });
    const [first, second] = await Promise.all([
      line.exchange({ bytes: Buffer.from('A'), collector: bytes(3), replyTimeoutMs: 200 }),
      line.exchange({ bytes: Buffer.from('B'), collector: bytes(3), replyTimeoutMs: 200 }),
    ]);
    expect(first.status === 'reply' && first.reply.toString()).toBe('okA');
    expect(second.status === 'reply' && second.reply.toString()).toBe('okB');
    // B was written only after A's reply was complete: the device heard them one by one.
    expect(heard).toEqual(['A', 'B']);
    expect(line.counters.exchanges).toBe(2);
  });

  it('reports a timeout, counts it, and counts bytes that arrive while nobody waits', async () => {
    const { device, line } = setUp();
    await device.open();
    await line.start();
    const result = await line.exchange({ bytes: Buffer.from('?'), collector: bytes(1), replyTimeoutMs: 20 });
    expect(result.status).toBe('timeout');
    expect(line.counters.timeouts).toBe(1);
    await device.write(Buffer.from('late'));
    await waitFor('the unsolicited bytes', () => line.counters.unsolicitedBytes === 4, 2000);
  });

  it('listens without sending: takes a late reply, in turn with the exchanges', async () => {
    const { device, line } = setUp();
    await device.open();
    await line.start();
    const heard: string[] = [];
    device.onData((b) => heard.push(b.toString()));
    const timedOut = await line.exchange({
      bytes: Buffer.from('A'),
      collector: bytes(5),
      replyTimeoutMs: 10,
    });
    expect(timedOut.status).toBe('timeout');
    const late = line.listen(bytes(5), 100);
    // Queued behind the listen: B goes out only once it has ended.
    const next = line.exchange({ bytes: Buffer.from('B'), collector: bytes(3), replyTimeoutMs: 200 });
    setTimeout(() => void device.write(Buffer.from('lateA')), 30);
    expect((await late)?.toString()).toBe('lateA');
    expect(heard).toEqual(['A']);
    await waitFor('B on the wire', () => heard.length === 2, 2000);
    await device.write(Buffer.from('okB'));
    const answered = await next;
    expect(answered.status === 'reply' && answered.reply.toString()).toBe('okB');
    expect(line.counters.unsolicitedBytes).toBe(0);
  });

  it('listens until the line has been quiet that long, and four times that long at most', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const bus = new MemoryBus();
      const host = bus.attach('host');
      const device = bus.attach('device');
      const line = new HalfDuplexLine(host, { baudRate: 115200, clock: timerClock });
      lines.push(line);
      await device.open();
      await line.start();
      const ended = (ms: number) => {
        const started = Date.now();
        return line.listen(bytes(100), ms).then((reply) => ({ reply, after: Date.now() - started }));
      };
      const quiet = ended(40);
      await vi.advanceTimersByTimeAsync(100);
      expect(await quiet).toEqual({ reply: undefined, after: 40 });
      // A byte at 30 ms: quiet from then on, so it ends at 70.
      const once = ended(40);
      await vi.advanceTimersByTimeAsync(30);
      await device.write(Buffer.from('~'));
      await vi.advanceTimersByTimeAsync(100);
      expect(await once).toEqual({ reply: undefined, after: 70 });
      // Noise every 10 ms never completes a reply and never lets the line be quiet for 40 ms.
      const noise = setInterval(() => void device.write(Buffer.from('~')), 10);
      const chatter = ended(40);
      await vi.advanceTimersByTimeAsync(300);
      clearInterval(noise);
      expect(await chatter).toEqual({ reply: undefined, after: 160 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the idle gap after a reply even when its timer fires early', async () => {
    const bus = new MemoryBus();
    const host = bus.attach('host');
    const device = bus.attach('device');
    const now = () => performance.timeOrigin + performance.now();
    // Timers that fire a millisecond early, as libuv's can when the loop's cached time is stale.
    const early: Clock = {
      now,
      setTimeout: (callback, ms) => setTimeout(callback, Math.max(0, ms - 1)),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    const line = new HalfDuplexLine(host, { baudRate: 9600, clock: early });
    lines.push(line);
    await device.open();
    await line.start();
    const gapMs = wireTimeMs(2, 9600);
    // Each request is answered at once, so the time between requests is the gap and the reply's trip.
    const heardAt: number[] = [];
    device.onData(() => {
      heardAt.push(now());
      void device.write(Buffer.from('k'));
    });
    for (let i = 0; i < 20; i++) {
      const result = await line.exchange({
        bytes: Buffer.from('?'),
        collector: bytes(1),
        replyTimeoutMs: 100,
      });
      expect(result.status).toBe('reply');
    }
    for (let i = 1; i < heardAt.length; i++) {
      expect((heardAt[i] as number) - (heardAt[i - 1] as number)).toBeGreaterThanOrEqual(gapMs);
    }
  });

  it('starts the reply timeout after the request has left the wire', async () => {
    const { device, line } = setUp();
    await device.open();
    await line.start();
    const request = Buffer.alloc(100);
    const before = performance.timeOrigin + performance.now();
    const result = await line.exchange({ bytes: request, collector: bytes(1), replyTimeoutMs: 10 });
    expect(result.status).toBe('timeout');
    if (result.status !== 'timeout') return;
    expect(result.sentAt - before).toBeGreaterThanOrEqual(wireTimeMs(100, 115200) - 0.5);
  });

  it('goes down when the transport vanishes, refuses exchanges, and reopens by itself', async () => {
    const { host, device, line } = setUp();
    await device.open();
    const states: string[] = [];
    line.onState((s) => states.push(s));
    await line.start();
    host.unplug();
    expect(line.isUp).toBe(false);
    const refused = await line.exchange({ bytes: Buffer.from('x'), collector: bytes(1), replyTimeoutMs: 50 });
    expect(refused.status).toBe('line-down');
    host.plugIn();
    await waitFor('the line to come back up', () => line.isUp, 2000);
    expect(states).toEqual(['up', 'down', 'up']);
    expect(line.counters.reopens).toBe(1);
  });

  it('resolves start() false for an absent device and keeps trying in the background', async () => {
    const { host, line } = setUp();
    host.unplug();
    expect(await line.start()).toBe(false);
    host.plugIn();
    await waitFor('the line to come back up', () => line.isUp, 2000);
  });

  it('goes down on a failed write even before the transport reports its close, and reopens after the interval', async () => {
    // A serial port whose device vanished: writes fail at once, the close event comes later
    // (or never). Sessions retry immediately; if the line stayed "up" they would spin.
    let writes = 0;
    let opens = 0;
    let closes = 0;
    const transport: ByteTransport = {
      name: 'failing',
      isOpen: true,
      open: async () => {
        opens++;
      },
      write: () => {
        writes++;
        return Promise.reject(new TransportError('failing is not open', 'failing', true));
      },
      close: async () => {
        closes++;
      },
      onData: () => {},
      onClose: () => {},
    };
    const line = new HalfDuplexLine(transport, { baudRate: 115200, reopenIntervalMs: 30 });
    lines.push(line);
    const states: string[] = [];
    line.onState((state) => states.push(state));
    expect(await line.start()).toBe(true);
    const first = await line.exchange({ bytes: Buffer.from('x'), collector: bytes(1), replyTimeoutMs: 50 });
    expect(first.status).toBe('line-down');
    expect(line.isUp).toBe(false);
    expect(closes).toBe(1);
    // While down, exchanges are refused without touching the transport.
    const second = await line.exchange({ bytes: Buffer.from('y'), collector: bytes(1), replyTimeoutMs: 50 });
    expect(second.status).toBe('line-down');
    expect(writes).toBe(1);
    expect(opens).toBe(1);
    await waitFor('the line to come back up', () => line.isUp, 2000);
    expect(opens).toBe(2);
    expect(states).toEqual(['up', 'down', 'up']);
  });

  describe('commit gate', () => {
    /** A device that records what it heard and answers "ok" once it heard four bytes. */
    async function gated() {
      const { bus, device, line } = setUp();
      await device.open();
      await line.start();
      const heard: Buffer[] = [];
      device.onData((b) => {
        heard.push(b);
        if (Buffer.concat(heard).length >= 4) void device.write(Buffer.from('ok'));
      });
      return { bus, line, heard };
    }
    const packet = Buffer.from([0x53, 0x01, 0x02, 0xa5]);

    it('hands over all but the last byte, commits while they go out, then sends the last byte', async () => {
      const { bus, line, heard } = await gated();
      let writtenAtCommit: string[] = [];
      const result = await line.exchange({
        bytes: packet,
        collector: bytes(2),
        replyTimeoutMs: 200,
        commit: () => {
          writtenAtCommit = bus.writes.map((w) => w.bytes.toString('hex'));
          return true;
        },
      });
      expect(writtenAtCommit).toEqual(['530102']);
      expect(bus.writes.map((w) => w.bytes.toString('hex'))).toEqual(['530102', 'a5', '6f6b']);
      expect(Buffer.concat(heard)).toEqual(packet);
      expect(result.status).toBe('reply');
    });

    it('spoils the last byte when the commit refuses or throws, and ends withdrawn after the answer to it', async () => {
      const refusals = [
        () => false,
        () => {
          throw new Error('journal full');
        },
      ];
      for (const commit of refusals) {
        // The device answers the spoiled packet (as an OSDP PD does, with NAK 0x01): the line
        // takes that answer within the exchange, so it cannot collide with the next request.
        const { line, heard } = await gated();
        const result = await line.exchange({
          bytes: packet,
          collector: bytes(2),
          replyTimeoutMs: 200,
          commit,
        });
        expect(result.status).toBe('withdrawn');
        expect(Buffer.concat(heard)).toEqual(Buffer.from([0x53, 0x01, 0x02, 0xa5 ^ 0xff]));
        await new Promise((r) => setTimeout(r, 20));
        expect(line.counters.unsolicitedBytes).toBe(0);
        expect(line.counters.timeouts).toBe(0);
        await line.stop();
      }
    });

    it('waits out the whole idle gap before a gated request too (turn by turn, never early)', async () => {
      const bus = new MemoryBus();
      const host = bus.attach('host');
      const device = bus.attach('device');
      const line = new HalfDuplexLine(host, { baudRate: 9600 });
      lines.push(line);
      await device.open();
      await line.start();
      const now = () => performance.timeOrigin + performance.now();
      const headAt: number[] = [];
      const replyAt: number[] = [];
      device.onData((b) => {
        if (b.length > 1) headAt.push(now());
        else {
          // The last byte: answered at once, so the next request's gap starts from this reply.
          replyAt.push(now());
          void device.write(Buffer.from('k'));
        }
      });
      for (let i = 0; i < 20; i++) {
        const result = await line.exchange({
          bytes: packet,
          collector: bytes(1),
          replyTimeoutMs: 100,
          commit: () => true,
        });
        expect(result.status).toBe('reply');
      }
      for (let i = 1; i < headAt.length; i++)
        expect((headAt[i] as number) - (replyAt[i - 1] as number)).toBeGreaterThanOrEqual(
          wireTimeMs(2, 9600),
        );
    });

    it("uses the transport's handOff for the first part, so it need not wait for the wire to drain", async () => {
      const calls: string[] = [];
      const transport: ByteTransport = {
        name: 'recording',
        isOpen: true,
        open: async () => {},
        write: async (b) => {
          calls.push(`write ${b.toString('hex')}`);
        },
        handOff: async (b) => {
          calls.push(`handOff ${b.toString('hex')}`);
        },
        close: async () => {},
        onData: () => {},
        onClose: () => {},
      };
      const line = new HalfDuplexLine(transport, { baudRate: 115200 });
      lines.push(line);
      await line.start();
      const result = await line.exchange({
        bytes: packet,
        replyTimeoutMs: 10,
        commit: () => {
          calls.push('commit');
          return true;
        },
      });
      expect(result.status).toBe('sent');
      expect(calls).toEqual(['handOff 530102', 'commit', 'write a5']);
    });
  });
});
