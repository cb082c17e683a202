/**
 * The door adapter between a real control panel and a simulated reader with a door (over an
 * in-memory line), with a recording LanePort standing in for the checkpoint: the port is the
 * adapter's seam, and the rules behind it are tested on their own.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HalfDuplexLine } from '../../drivers/line/half-duplex-line.js';
import { type LockKind, OsdpDoorAdapter, type OsdpDoorConfig } from '../../drivers/osdp/door-adapter.js';
import { OsdpControlPanel } from '../../drivers/osdp/link/control-panel.js';
import { LED_COLOR } from '../../drivers/osdp/messages/codes.js';
import type { DeviceAlarm, LanePort } from '../../drivers/shared/lane-port.js';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { SignedPassCredentials } from '../../gateway/passes/scan-credential.js';
import type { Decision, PresentedCredential } from '../../gateway/rules/types.js';
import { BusSimulator } from '../../simulators/osdp/bus-simulator.js';
import type { PdModelOptions } from '../../simulators/osdp/pd-model.js';
import { SimulatedPd } from '../../simulators/osdp/pd-responder.js';
import { waitFor } from '../helpers/wait-for.js';

const ALLOW: Decision = {
  allow: true,
  reasons: [{ effect: 'grant', code: 'RESIDENT' }],
  subject: { kind: 'person', id: 'p-1', personKind: 'resident' },
  direction: 'in',
  actions: [{ type: 'unlock', durationMs: 400 }],
};
const DENY: Decision = {
  allow: false,
  reasons: [{ effect: 'deny', code: 'UNKNOWN_CREDENTIAL' }],
  subject: { kind: 'unknown' },
  direction: 'in',
  actions: [],
};

class RecordingPort implements LanePort {
  readonly presented: PresentedCredential[] = [];
  readonly alarms: DeviceAlarm[] = [];
  readonly states: string[] = [];
  readonly fires: boolean[] = [];
  fire_ = false;
  decide: (c: PresentedCredential) => Decision = () => DENY;
  /** What preview() says; by default what present() will decide. */
  previewDecide: ((c: PresentedCredential) => Decision) | undefined;
  /** Runs inside present(), before it decides: where a test looks at the line mid-commit. */
  onPresent: (() => void) | undefined;
  present(_lane: string, credential: PresentedCredential): Decision {
    this.onPresent?.();
    this.presented.push(credential);
    return this.decide(credential);
  }
  preview(_lane: string, credential: PresentedCredential): Decision {
    return (this.previewDecide ?? this.decide)(credential);
  }
  alarm(alarm: DeviceAlarm): void {
    this.alarms.push(alarm);
  }
  deviceState(_id: string, state: string): void {
    this.states.push(state);
  }
  fire(active: boolean): void {
    this.fire_ = active;
    this.fires.push(active);
  }
  fireActive(): boolean {
    return this.fire_;
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function rig(
  lock: LockKind = 'fail-secure',
  heldOpenMs = 300,
  model: PdModelOptions = {},
  extra: Pick<OsdpDoorConfig, 'codes' | 'wrongCodes' | 'keypadLockedUntil' | 'gatedUnlock'> = {},
) {
  const bus = new MemoryBus();
  const pd = new SimulatedPd({ address: 5, model: { door: true, ...model } });
  const sim = new BusSimulator({ transport: bus.attach('pd'), pds: [pd], baud: 115200 });
  await sim.start();
  const line = new HalfDuplexLine(bus.attach('cp'), { baudRate: 115200 });
  const panel = new OsdpControlPanel({ line, pds: [{ address: 5, name: 'door-5', secure: 'off' }] });
  const port = new RecordingPort();
  const adapter = new OsdpDoorAdapter(
    {
      deviceId: 'door-5',
      laneId: 'lane-in',
      address: 5,
      reader: 0,
      door: { output: 0, lock, contactInput: 0, rexInput: 1, fireInput: 2, heldOpenMs, rexReleaseMs: 400 },
      ...extra,
    },
    panel,
    port,
    pino({ level: 'silent' }),
  );
  adapter.start();
  const outs: number[] = [];
  const commands: string[] = [];
  pd.model.on('command', (c) => {
    commands.push(c.type);
    if (c.type === 'OUT') outs.push(outs.length);
  });
  const leds: number[] = [];
  const texts: string[] = [];
  pd.model.on('led', (v) => leds.push(v.color));
  pd.model.on('text', (v) => texts.push(v.text));
  const beeps: number[] = [];
  pd.model.on('buzzer', (v) => {
    if (v.sounding) beeps.push(v.on100ms);
  });
  await line.start();
  panel.start();
  stops.push(async () => {
    adapter.stop();
    await panel.stop();
    await line.stop();
    await sim.stop();
  });
  await waitFor(
    'the PD online and the resting state set',
    () => port.states.includes('online') && outs.length >= 1,
  );
  await pause(30);
  return { bus, pd, sim, panel, port, adapter, leds, texts, beeps, commands };
}

describe('OsdpDoorAdapter', () => {
  it('turns a Wiegand 26 read into the registry card form and releases a fail-secure strike on allow', async () => {
    const r = await rig('fail-secure');
    r.port.decide = () => ALLOW;
    expect(r.pd.model.outputs()[0]).toBe(false); // resting: strike unpowered = locked
    r.pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('the strike released', () => r.pd.model.outputs()[0] === true);
    expect(r.port.presented).toEqual([{ kind: 'card', value: '0C0159' }]);
    await waitFor('green and a short beep', () => r.leds.includes(LED_COLOR.GREEN) && r.beeps.includes(1));
    await waitFor('the strike locked again after the pulse', () => r.pd.model.outputs()[0] === false);
    // A pass shows no text: the bus time goes to the next person.
    expect(r.commands).not.toContain('TEXT');
  });

  it('sends the unlock before the pass is journaled, and its last byte only after: the PD acts then', async () => {
    const r = await rig('fail-secure');
    r.port.decide = () => ALLOW;
    const outsBefore = r.commands.filter((c) => c === 'OUT').length;
    let seen: { cpBytes: string; pdOuts: number } | undefined;
    r.port.onPresent = () => {
      const last = r.bus.writes.filter((w) => w.from === 'cp').at(-1);
      seen = {
        cpBytes: last?.bytes.toString('hex') ?? '',
        pdOuts: r.commands.filter((c) => c === 'OUT').length,
      };
    };
    r.pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('the strike released', () => r.pd.model.outputs()[0] === true);
    const writes = r.bus.writes.filter((w) => w.from === 'cp').map((w) => w.bytes);
    // The OUT went as two writes: all but its last byte, then (after present) the last byte.
    const lastByte = writes.findIndex((w, i) => w.length === 1 && (writes[i - 1]?.length ?? 0) > 1);
    expect(lastByte).toBeGreaterThan(0);
    const head = writes[lastByte - 1] as Buffer;
    expect(seen?.cpBytes).toBe(head.toString('hex'));
    expect(seen?.pdOuts).toBe(outsBefore);
    expect(r.port.presented).toHaveLength(1);
    expect(r.panel.status(5).counters.withdrawn).toBe(0);
    await waitFor('green and a short beep', () => r.leds.includes(LED_COLOR.GREEN) && r.beeps.includes(1));
  });

  it('withdraws the unlock when the pass is decided otherwise than previewed: the PD discards it', async () => {
    const r = await rig('fail-secure');
    r.port.previewDecide = () => ALLOW;
    r.port.decide = () => DENY;
    r.pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor(
      'red with the reason',
      () => r.leds.includes(LED_COLOR.RED) && r.texts.includes('UNKNOWN CREDENTIAL'),
    );
    expect(r.pd.model.outputs()[0]).toBe(false);
    expect(r.commands.filter((c) => c === 'OUT')).toHaveLength(1); // the resting state only
    const status = r.panel.status(5);
    expect(status.counters.withdrawn).toBe(1);
    expect(status.online).toBe(true);
    // The withdrawn command's sequence number went to the next command: the PD never lost step.
    r.port.previewDecide = undefined;
    r.port.decide = () => ALLOW;
    r.pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('the strike released', () => r.pd.model.outputs()[0] === true);
    expect(r.panel.status(5).counters.offlineTransitions).toBe(0);
    expect(r.panel.status(5).counters.naks).toBe(0);
  });

  it('withdraws the unlock when the pass cannot be journaled: nothing opens, the person tries again', async () => {
    const r = await rig('fail-secure');
    r.port.decide = () => {
      throw new Error('journal cannot take appends (SQLITE_FULL)');
    };
    r.port.previewDecide = () => ALLOW;
    r.pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor(
      'amber, try again',
      () => r.leds.includes(LED_COLOR.AMBER) && r.texts.includes('TRY AGAIN'),
    );
    await pause(50);
    expect(r.pd.model.outputs()[0]).toBe(false);
    expect(r.panel.status(5).counters.withdrawn).toBe(1);
  });

  it('with gatedUnlock off, decides first and then sends the unlock whole', async () => {
    const r = await rig('fail-secure', 300, {}, { gatedUnlock: false });
    r.port.decide = () => ALLOW;
    const writesBefore = r.bus.writes.length;
    r.pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('the strike released', () => r.pd.model.outputs()[0] === true);
    expect(r.bus.writes.slice(writesBefore).filter((w) => w.from === 'cp' && w.bytes.length === 1)).toEqual(
      [],
    );
  });

  it('acts on a decision for a credential another device read at the lane (e.g. an ID card)', async () => {
    const r = await rig('fail-secure');
    r.adapter.actuate(ALLOW);
    await waitFor('the strike released', () => r.pd.model.outputs()[0] === true);
    await waitFor('green on this reader', () => r.leds.includes(LED_COLOR.GREEN));
    expect(r.port.presented).toEqual([]);
  });

  it('holds a fail-safe magnetic lock powered at rest and cuts its power to release', async () => {
    const r = await rig('fail-safe');
    expect(r.pd.model.outputs()[0]).toBe(true); // resting: magnet powered = locked
    r.port.decide = () => ALLOW;
    r.pd.model.presentCard({ format: 'wiegand34', facility: 0x1234, card: 0x5678 });
    await waitFor('the magnet released', () => r.pd.model.outputs()[0] === false);
    expect(r.port.presented[0]).toEqual({ kind: 'card', value: '12345678' });
    await waitFor('the magnet powered again', () => r.pd.model.outputs()[0] === true);
  });

  it('shows a refusal in red with the reason, and never touches the lock', async () => {
    const r = await rig();
    r.pd.model.presentCard({ format: 'wiegand26', facility: 1, card: 2 });
    await waitFor('red', () => r.leds.includes(LED_COLOR.RED));
    await waitFor('the reason text', () => r.texts.includes('UNKNOWN CREDENTIAL'));
    await waitFor('a long beep', () => r.beeps.includes(10));
    expect(r.pd.model.outputs()[0]).toBe(false);
  });

  it('sends a reader only the indications its PDCAP lists: no text or buzzer it would refuse', async () => {
    const r = await rig('fail-secure', 300, { text: false, buzzer: false });
    r.pd.model.presentCard({ format: 'wiegand26', facility: 1, card: 2 });
    await waitFor('red', () => r.leds.includes(LED_COLOR.RED));
    r.port.decide = () => ALLOW;
    r.pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('green', () => r.leds.includes(LED_COLOR.GREEN));
    await pause(50);
    expect(r.commands).not.toContain('TEXT');
    expect(r.commands).not.toContain('BUZ');
    expect(r.panel.status(5).counters.naks).toBe(0);
  });

  it('does not decide on a misread (bad parity): amber, asks for another read', async () => {
    const r = await rig();
    r.pd.model.presentCard({ format: 'wiegand26', facility: 1, card: 2 }, { badParity: true });
    await waitFor(
      'amber and a request to read again',
      () => r.leds.includes(LED_COLOR.AMBER) && r.texts.includes('READ AGAIN'),
    );
    expect(r.port.presented).toEqual([]);
  });

  it('collects keypad digits up to # into a pass code; * clears', async () => {
    const r = await rig();
    r.pd.model.enterKeys('99*');
    r.pd.model.enterKeys('4711#');
    await waitFor('the code presented', () => r.port.presented.length === 1);
    expect(r.port.presented[0]).toEqual({ kind: 'qr', value: '4711' });
  });

  it("checks keypad codes through the site's pass layer: passes.unsigned refuse covers keypads", async () => {
    const codes = new SignedPassCredentials({
      trust: () => ({ ok: false, problem: 'no signed pass can be typed on a keypad' }),
      dynamicKey: undefined,
      stepSeconds: 30,
      siteKey: Buffer.alloc(32, 7),
      holderOf: () => undefined,
      unsigned: 'refuse',
    });
    const r = await rig('fail-secure', 300, {}, { codes });
    r.pd.model.enterKeys('4711#');
    await waitFor('the code presented', () => r.port.presented.length === 1);
    expect(r.port.presented[0]).toEqual({ kind: 'qr', value: '4711', signature: 'invalid' });
  });

  it('locks the keypad after too many wrong codes, raises KEYPAD_LOCKED once, and unlocks after the lock time', async () => {
    const r = await rig(
      'fail-secure',
      300,
      {},
      { wrongCodes: { maxWrong: 3, windowMs: 60_000, lockMs: 400 } },
    );
    for (const code of ['1111', '2222', '3333']) r.pd.model.enterKeys(`${code}#`);
    await waitFor('three codes presented', () => r.port.presented.length === 3);
    expect(r.port.alarms.map((a) => [a.code, a.detail?.lockSeconds])).toEqual([['KEYPAD_LOCKED', 1]]);
    // While locked, nothing typed is presented, not even the right code.
    r.port.decide = () => ALLOW;
    r.pd.model.enterKeys('4711#');
    await pause(150);
    expect(r.port.presented).toHaveLength(3);
    expect(r.pd.model.outputs()[0]).toBe(false);
    await pause(400);
    r.pd.model.enterKeys('4711#');
    await waitFor('the right code after the lock', () => r.port.presented.length === 4);
    await waitFor('the strike released', () => r.pd.model.outputs()[0] === true);
    expect(r.port.alarms).toHaveLength(1);
  });

  it('keeps a lock found in the journal at start: codes are ignored until it ends', async () => {
    const r = await rig('fail-secure', 300, {}, { keypadLockedUntil: Date.now() + 500 });
    r.port.decide = () => ALLOW;
    r.pd.model.enterKeys('4711#');
    await pause(200);
    expect(r.port.presented).toEqual([]);
    expect(r.texts).toContain('KEYPAD LOCKED');
    await pause(400);
    r.pd.model.enterKeys('4711#');
    await waitFor('the code after the lock', () => r.port.presented.length === 1);
  });

  it('does not count a refusal of a valid code (e.g. quarantine) as a wrong code', async () => {
    const r = await rig(
      'fail-secure',
      300,
      {},
      { wrongCodes: { maxWrong: 2, windowMs: 60_000, lockMs: 60_000 } },
    );
    r.port.decide = () => ({ ...DENY, reasons: [{ effect: 'deny', code: 'QUARANTINED' }] });
    for (const code of ['1111', '1111', '1111']) r.pd.model.enterKeys(`${code}#`);
    await waitFor('three codes presented', () => r.port.presented.length === 3);
    expect(r.port.alarms).toEqual([]);
  });

  it('raises DOOR_FORCED_OPEN when the door opens while locked, but not after a pass or the exit button', async () => {
    const r = await rig('fail-secure', 5000);
    r.port.decide = () => ALLOW;
    r.pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('released', () => r.pd.model.outputs()[0] === true);
    r.pd.model.openDoor();
    await pause(60);
    r.pd.model.closeDoor();
    r.pd.model.pressExit();
    await waitFor('released by the exit button', () => r.pd.model.outputs()[0] === true);
    r.pd.model.openDoor();
    await pause(60);
    r.pd.model.closeDoor();
    expect(r.port.alarms).toEqual([]);
    // Long after every release: someone forces the door.
    await pause(1500);
    r.pd.model.openDoor();
    await waitFor('the forced-open alarm', () => r.port.alarms.length === 1);
    expect(r.port.alarms[0]).toMatchObject({
      code: 'DOOR_FORCED_OPEN',
      deviceId: 'door-5',
      laneId: 'lane-in',
    });
  });

  it('raises DOOR_HELD_OPEN when the door stays open past the release plus the hold time', async () => {
    const r = await rig('fail-secure', 300);
    r.port.decide = () => ALLOW;
    r.pd.model.presentCard({ format: 'wiegand26', facility: 12, card: 345 });
    await waitFor('released', () => r.pd.model.outputs()[0] === true);
    r.pd.model.openDoor();
    await waitFor('the held-open alarm', () => r.port.alarms.some((a) => a.code === 'DOOR_HELD_OPEN'), 3000);
    expect(r.port.alarms.map((a) => a.code)).toEqual(['DOOR_HELD_OPEN']);
  });

  it('reports the fire input and releases the lock for good while the fire lasts', async () => {
    const r = await rig('fail-secure');
    r.pd.model.setFire(true);
    await waitFor('the fire reported', () => r.port.fires.includes(true));
    r.adapter.setFire(true); // what the DeviceHost does for every door once the fire is journaled
    await waitFor('released for good', () => r.pd.model.outputs()[0] === true);
    await pause(600); // a permanent release does not time out like a pulse
    expect(r.pd.model.outputs()[0]).toBe(true);
    r.pd.model.openDoor();
    await pause(60);
    expect(r.port.alarms).toEqual([]); // an open door during a fire is not forced
    r.pd.model.setFire(false);
    await waitFor('the fire cleared', () => r.port.fires.at(-1) === false);
    r.adapter.setFire(false);
    await waitFor('locked again', () => r.pd.model.outputs()[0] === false);
  });

  it('reports the reader offline with an alarm when it stops answering, and online again', async () => {
    const r = await rig();
    r.sim.setFaults(5, { silent: true });
    await waitFor('offline', () => r.port.states.at(-1) === 'offline', 4000);
    expect(r.port.alarms.at(-1)).toMatchObject({
      code: 'DEVICE_OFFLINE',
      severity: 'critical',
      deviceId: 'door-5',
    });
    r.sim.clearFaults(5);
    await waitFor('online again', () => r.port.states.at(-1) === 'online', 4000);
  });
});
