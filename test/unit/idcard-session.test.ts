import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SAM_STATUSES } from '../../drivers/idcard/status-words.js';
import { idcardRig } from '../helpers/idcard-rig.js';

type Rig = ReturnType<typeof idcardRig>;

describe('IdCardReaderSession against the simulated SAM', () => {
  let rig: Rig | undefined;

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    if (rig) {
      const stopped = rig.stop();
      await vi.advanceTimersByTimeAsync(5000);
      await stopped;
      rig = undefined;
    }
    vi.useRealTimers();
  });

  async function started(options: Parameters<typeof idcardRig>[0] = {}): Promise<Rig> {
    rig = idcardRig(options);
    await rig.start();
    await vi.advanceTimersByTimeAsync(300);
    return rig;
  }

  it('reads a placed card once while it stays, and again after removal and re-presentation', async () => {
    const r = await started();
    expect(r.seen).toEqual(['online']);
    r.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(3000);
    expect(r.seen).toEqual(['online', 'read 19900307']);
    expect(r.sim.model.counters.reads).toBe(1);
    expect(r.session.status()).toMatchObject({ state: 'online', cardPresent: true });
    r.sim.model.remove();
    await vi.advanceTimersByTimeAsync(500);
    expect(r.seen).toEqual(['online', 'read 19900307', 'removed']);
    r.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(500);
    expect(r.seen).toEqual(['online', 'read 19900307', 'removed', 'read 19900307']);
    expect(r.session.counters).toMatchObject({ reads: 2, removals: 1, readFailures: 0, timeouts: 0 });
  });

  it('hands the decoded text block, the serial and the attempt count to the listener', async () => {
    const r = await started();
    const reads: unknown[] = [];
    r.session.on('read', (read) => reads.push(read));
    r.sim.model.place(4);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toEqual([
      expect.objectContaining({
        serial: '0000000000001005',
        attempts: 1,
        card: expect.objectContaining({
          validUntil: 'long-term',
          birthDate: '19450220',
          cardType: 'resident',
        }),
      }),
    ]);
  });

  it('reads a card swapped for another between two polls', async () => {
    const r = await started();
    r.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(1000);
    r.sim.model.place(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.seen).toEqual(['online', 'read 19900307', 'removed', 'read 19850612']);
  });

  it('tolerates one missed find (a radio glitch) without counting the card as removed', async () => {
    const r = await started({ timing: { removalAfterMisses: 2 } });
    r.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(1000);
    r.sim.model.setFault({ kind: 'no-card' });
    await vi.advanceTimersByTimeAsync(120); // one poll answers "no card"
    r.sim.model.setFault({ kind: 'none' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.seen).toEqual(['online', 'read 19900307']);
  });

  it('reads through line noise, damaged replies and byte-by-byte delivery', async () => {
    const r = await started({ chunkSize: 1, seed: 7 });
    r.sim.model.setFault({ kind: 'noise', probability: 0.4 });
    r.sim.model.place(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.seen).toEqual(['online', 'read 19850612']);
    expect(r.session.counters.corrupt + r.session.counters.timeouts).toBeGreaterThan(0);
    expect(r.session.counters.resends).toBeGreaterThan(0);
  });

  it('retries a transient read error from find card and reads on the third sequence', async () => {
    const r = await started();
    const reads: number[] = [];
    r.session.on('read', (read) => reads.push(read.attempts));
    r.sim.model.setFault({ kind: 'read-error', status: 0x41, remaining: 2 });
    r.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(2000);
    expect(reads).toEqual([3]);
    expect(r.session.counters.readFailures).toBe(0);
  });

  /**
   * A SAM reply is not numbered: one that comes after its timeout, once the resend is on the
   * wire, would be taken for the resend's reply, and every later reply for the command before it.
   * Each case: the card is read exactly once, and nothing is reported failed.
   */
  it.each([
    ['select card', 'select-card', 300, 1],
    ['select card, twice', 'select-card', 300, 2],
    ['find card', 'find-card', 260, 1],
    ['read base message', 'read-base', 1700, 1],
    ['every command', undefined, 250, 4],
  ] as const)(
    'reads a card whose reply to %s comes after its timeout',
    async (_t, command, extraMs, count) => {
      const r = await started();
      r.sim.model.place(0);
      r.sim.model.setFault({ kind: 'slow', extraMs, remaining: count, ...(command ? { command } : {}) });
      await vi.advanceTimersByTimeAsync(8000);
      expect(r.seen).toEqual(['online', 'read 19900307']);
      expect(r.session.counters.timeouts).toBeGreaterThan(0);
      expect(r.sim.model.counters.reads).toBeGreaterThanOrEqual(1);
    },
  );

  it('takes its own reply after a late one that does not fit (a find answer heard during select)', async () => {
    const r = await started();
    r.sim.model.place(0);
    // Late past the listen after the timeout: the resent find takes it, select hears the resend's.
    r.sim.model.setFault({ kind: 'slow', extraMs: 440, remaining: 1, command: 'find-card' });
    await vi.advanceTimersByTimeAsync(3000);
    expect(r.seen).toEqual(['online', 'read 19900307']);
    expect(r.session.counters).toMatchObject({ timeouts: 1, corrupt: 1, lateReplies: 1, readFailures: 0 });
  });

  /** What the session reports when every read answers this SW3, for each status of §2.4. */
  const expected: Record<string, string[]> = {
    SUCCESS: ['online'], // 0x90 with no data is malformed: resent, never a read
    FIND_OK: ['online'], // 0x9F answers find, not read: malformed, resent
    NO_CONTENT: ['online', 'failed NO_CONTENT x3'],
    CHECKSUM_ERROR: ['online'], // the SAM saw our frame damaged: resent, never a failure
    LENGTH_ERROR: ['online'],
    COMMAND_ERROR: ['online', 'failed COMMAND_ERROR x1'],
    UNAUTHORISED_OPERATION: ['online', 'failed UNAUTHORISED_OPERATION x3'],
    UNRECOGNISED_ERROR: ['online', 'failed UNRECOGNISED_ERROR x3'],
    CARD_AUTH_SAM_FAILED: ['online', 'failed CARD_AUTH_SAM_FAILED x3'],
    SAM_AUTH_CARD_FAILED: ['online', 'failed SAM_AUTH_CARD_FAILED x3'],
    VERIFICATION_ERROR: ['online', 'failed VERIFICATION_ERROR x3'],
    UNKNOWN_CARD_TYPE: ['online', 'failed UNKNOWN_CARD_TYPE x1'],
    READ_FAILED: ['online', 'failed READ_FAILED x3'],
    RANDOM_FAILED: ['online', 'failed RANDOM_FAILED x3'],
    SELF_TEST_FAILED: ['online', 'fault SELF_TEST_FAILED'],
    SAM_NOT_AUTHORISED: ['online', 'fault SAM_NOT_AUTHORISED'],
    FIND_FAILED: ['online'], // "no card" during a read: the card went away, nothing to report
    SELECT_FAILED: ['online', 'failed SELECT_FAILED x3'],
  };

  it.each(
    SAM_STATUSES.map((s) => [`0x${s.code.toString(16).toUpperCase()} ${s.name}`, s.code, s.name] as const),
  )('read answered %s: reported once per presentation', async (_title, code, name) => {
    const r = await started();
    r.sim.model.setFault({ kind: 'read-error', status: code, remaining: Number.POSITIVE_INFINITY });
    r.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(3000);
    const outcome = expected[name];
    expect(outcome, `no expectation for ${name}`).toBeDefined();
    expect(r.seen.slice(0, outcome?.length)).toEqual(outcome);
    if (name.startsWith('SELF_TEST') || name.startsWith('SAM_NOT')) return;
    // Left on the reader it is not reported again; a fresh presentation after the fault clears reads it.
    expect(r.seen).toEqual(outcome);
    r.sim.model.setFault({ kind: 'none' });
    r.sim.model.remove();
    await vi.advanceTimersByTimeAsync(500);
    r.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.seen.at(-1)).toBe('read 19900307');
  });

  it('treats a status outside the catalogue as a card error', async () => {
    const r = await started();
    r.sim.model.setFault({ kind: 'read-error', status: 0x55, remaining: Number.POSITIVE_INFINITY });
    r.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(2000);
    expect(r.seen).toEqual(['online', 'failed UNKNOWN x3']);
  });

  it('goes into fault when the SAM fails its self-test and back online when it recovers', async () => {
    const r = await started();
    r.sim.model.setFault({ kind: 'sam-fault', status: 0x66 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.seen).toEqual(['online', 'fault SAM_NOT_AUTHORISED']);
    expect(r.session.status().state).toBe('fault');
    r.sim.model.setFault({ kind: 'none' });
    await vi.advanceTimersByTimeAsync(500);
    expect(r.seen).toEqual(['online', 'fault SAM_NOT_AUTHORISED', 'online']);
  });

  it('goes offline when the SAM stops answering, and back online when it answers again', async () => {
    const r = await started();
    r.sim.model.setFault({ kind: 'silence' });
    await vi.advanceTimersByTimeAsync(900);
    expect(r.seen).toEqual(['online']);
    await vi.advanceTimersByTimeAsync(1500);
    expect(r.seen).toEqual(['online', 'offline']);
    expect(r.session.status()).toMatchObject({ state: 'offline', counters: { offlineTransitions: 1 } });
    r.sim.model.setFault({ kind: 'none' });
    await vi.advanceTimersByTimeAsync(500);
    expect(r.seen).toEqual(['online', 'offline', 'online']);
  });

  it('goes offline when the reader is unplugged and comes back when it is plugged in', async () => {
    const r = await started();
    r.device.unplug();
    await vi.advanceTimersByTimeAsync(3000);
    expect(r.seen).toEqual(['online', 'offline']);
    r.device.plugIn();
    await vi.advanceTimersByTimeAsync(500);
    expect(r.seen).toEqual(['online', 'offline', 'online']);
  });

  it('goes offline at once when its own port goes away', async () => {
    const r = await started();
    r.host.unplug();
    await vi.advanceTimersByTimeAsync(10);
    expect(r.seen).toEqual(['online', 'offline']);
    r.host.plugIn();
    await vi.advanceTimersByTimeAsync(500);
    expect(r.seen).toEqual(['online', 'offline', 'online']);
  });

  it('reports a reader that never answers as offline once', async () => {
    rig = idcardRig();
    rig.sim.model.setFault({ kind: 'silence' });
    await rig.start();
    await vi.advanceTimersByTimeAsync(5000);
    expect(rig.seen).toEqual(['offline']);
  });

  it('does not read while find card fails, and reads once it works again', async () => {
    const r = await started();
    r.sim.model.setFault({ kind: 'no-card' });
    r.sim.model.place(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.seen).toEqual(['online']);
    r.sim.model.setFault({ kind: 'none' });
    await vi.advanceTimersByTimeAsync(500);
    expect(r.seen).toEqual(['online', 'read 19900307']);
  });

  it('stops polling on stop()', async () => {
    const r = await started();
    const stopped = r.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await stopped;
    rig = undefined;
    const commands = r.sim.model.counters.commands;
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.sim.model.counters.commands).toBe(commands);
  });
});
