import type { Zigbee2MqttDoorSimulator } from '../mqtt/z2m-door-sim.js';
import type { OnvifCameraSimulator } from '../onvif/onvif-camera.js';
import type { ApiClient } from './api-client.js';
import type { Cast, Direction } from './cast.js';
import type { Community, SimPerson } from './community.js';
import type { DeviceSims } from './device-sims.js';
import { testDeckIndex } from './idcard-deck.js';
import type { JournalWatch, WatchedEntry } from './journal-watch.js';
import { LANES_WITH } from './site-plan.js';

/**
 * What the console makes happen, each through the simulated devices exactly as a person or a
 * car would: a thermal camera sees the person (on a lane that has one), then the card, ID card
 * or QR code is presented; a plate camera reads the plate and the car drives over the loop once
 * the arm is up. Each action waits for the gateway's decision (the console prints it from the
 * journal) so the prompt comes back after the outcome. At a lane whose lock is an MQTT lock (a
 * building entrance), a pass must also be seen on the lock itself: its bolt reports unlocked, or
 * the action fails. Errors are RangeErrors with the reason.
 */
const DECISION_WAIT_MS = 8000;
/** From the decision to the MQTT lock's report: the command over the broker plus the bolt's 300 ms. */
const LOCK_WAIT_MS = 5000;
/** How long a car stands on the loop after the arm is up. */
const CAR_ON_LOOP_MS = 600;
const READING_WAIT_MS = 4000;
const NORMAL_CELSIUS = 36.6;
const FEVER_CELSIUS = 38.6;
const HANDHELD_CELSIUS = 38.5;

export interface SiteActionsOptions {
  sims: DeviceSims;
  community: Community;
  cast: Cast;
  watch: JournalWatch;
  api: ApiClient;
  print: (line: string) => void;
}

export class SiteActions {
  constructor(private readonly o: SiteActionsOptions) {}

  async card(lane: string, who?: string): Promise<void> {
    const reader = need(this.o.sims.readers.get(lane), 'card reader 读卡器', lane, LANES_WITH.reader);
    const unknown = who === 'unknown';
    const person = unknown ? undefined : this.who(lane, who);
    const card = unknown ? { facility: 250, number: 1 + Math.floor(Math.random() * 60000) } : person?.card;
    if (card === undefined) throw new RangeError(`${person?.id} has no card`);
    this.o.print(`card 刷卡 at ${lane}: ${person?.id ?? 'a card nobody registered'}`);
    await this.screen(lane, NORMAL_CELSIUS);
    await this.decided(lane, () =>
      reader.model.presentCard({ format: 'wiegand26', facility: card.facility, card: card.number }),
    );
  }

  async idcard(lane: string, who?: string): Promise<void> {
    requireLane(LANES_WITH.idcard, lane, 'ID-card reader 身份证阅读器');
    let index: number | undefined;
    let label: string;
    if (who === 'unknown' || who === 'invalid') {
      index = testDeckIndex(this.o.community, who === 'unknown' ? 'nobody' : 'check');
      label = who === 'unknown' ? 'an ID card nobody registered' : 'an ID number with a wrong check digit';
    } else {
      const person = this.who(lane, who);
      index = this.o.community.persons.indexOf(person);
      label = person.id;
    }
    if (index === undefined || index < 0) throw new RangeError('no such card in the reader’s deck');
    const deckIndex = index;
    this.o.print(`ID card 身份证 at ${lane}: ${label}`);
    await this.screen(lane, NORMAL_CELSIUS);
    const sam = this.o.sims.sam.model;
    await this.decided(lane, () => sam.place(deckIndex));
    sam.remove();
  }

  async qr(lane: string, who?: string): Promise<void> {
    requireLane(LANES_WITH.qr, lane, 'QR scanner 扫码器');
    const scanner = need(this.o.sims.scanners.get(lane), 'QR scanner 扫码器', lane, LANES_WITH.qr);
    const code = who === 'unknown' ? `SIMQR-UNKNOWN-${Date.now() % 100000}` : this.who(lane, who).qr;
    if (code === undefined) throw new RangeError(`${who} has no QR pass`);
    this.o.print(`QR 扫码 at ${lane}: ${who === 'unknown' ? 'a code nobody registered' : code}`);
    await this.screen(lane, NORMAL_CELSIUS);
    await this.decided(lane, () => void scanner.scan(code));
  }

  /** A high camera reading, the handheld re-measure where the lane has a thermometer, then the card: FEVER. */
  async fever(lane: string, who?: string): Promise<void> {
    const reader = need(this.o.sims.readers.get(lane), 'card reader 读卡器', lane, LANES_WITH.reader);
    need(this.o.sims.cameraAt(lane, 'thermal'), 'thermal camera 测温摄像机', lane, LANES_WITH.thermal);
    const person = this.who(lane, who);
    const card = person.card;
    if (card === undefined) throw new RangeError(`${person.id} has no card`);
    this.o.print(`fever 发热 at ${lane}: ${person.id}, camera ${FEVER_CELSIUS} °C`);
    await this.screen(lane, FEVER_CELSIUS);
    if ((LANES_WITH.thermometer as readonly string[]).includes(lane)) {
      this.o.print(`handheld re-measure 手持复测: ${HANDHELD_CELSIUS} °C`);
      await this.reading(lane, () => void this.o.sims.thermometer.measure(HANDHELD_CELSIUS));
    }
    await this.decided(lane, () =>
      reader.model.presentCard({ format: 'wiegand26', facility: card.facility, card: card.number }),
    );
  }

  /** The plate camera reads a plate; if the barrier rises, the car drives over the loop and away. */
  async plate(lane: string, plateOrId?: string): Promise<void> {
    const camera = need(this.o.sims.cameraAt(lane, 'plate'), 'plate camera 车牌识别', lane, LANES_WITH.plate);
    const plate =
      plateOrId === undefined
        ? this.o.cast.nextVehicle(direction(lane)).plate
        : plateOrId === 'unknown'
          ? `京Z${String(Date.now() % 10000).padStart(4, '0')}`
          : (this.o.cast.vehicle(plateOrId)?.plate ?? plateOrId);
    this.o.print(`plate 车牌 at ${lane}: ${plate}`);
    const decision = await this.decided(lane, () => void camera.vehicle(plate, 0.97));
    const barrier = this.o.sims.barrierAt(lane);
    if (barrier === undefined || decision === undefined || !decision.payload.decision.allow) return;
    if (!(await until(() => barrier.isUp(), 10_000))) {
      this.o.print('the barrier did not rise 道闸未抬起');
      return;
    }
    barrier.car('arrive');
    await new Promise((r) => setTimeout(r, CAR_ON_LOOP_MS));
    barrier.car('clear');
    this.o.print('the car drove through 车辆已通过');
  }

  /** The registered visitor led in by the escort: the escort's card, then the visitor's ID card. */
  async visitor(lane: string): Promise<void> {
    await this.card(lane, this.o.community.escortId);
    await this.idcard(lane, this.o.community.visitorId);
  }

  async open(lane: string): Promise<void> {
    this.o.print(`emergency open 应急开门 ${lane} (as admin)`);
    await this.decided(lane, () => this.o.api.openLane(lane, 'simulated site console / 模拟控制台'));
  }

  async mode(mode: string): Promise<void> {
    await this.o.api.setMode(mode, 'simulated site console / 模拟控制台');
  }

  fire(active: boolean): void {
    const reader = this.o.sims.readers.get(LANES_WITH.reader[0] ?? '');
    if (reader === undefined) throw new RangeError('no reader with a fire input');
    reader.model.setFire(active);
  }

  async status(): Promise<void> {
    const devices = await this.o.api.devices();
    const offline = devices.filter((d) => !d.online).map((d) => d.deviceId);
    this.o.print(
      `devices 设备: ${devices.length - offline.length}/${devices.length} online${offline.length ? `; offline 离线: ${offline.join(', ')}` : ''}`,
    );
  }

  private who(lane: string, who?: string): SimPerson {
    if (who === undefined) return this.o.cast.nextResident(direction(lane));
    const person = this.o.cast.person(who);
    if (person === undefined) throw new RangeError(`no person "${who}" (people lists some ids)`);
    return person;
  }

  /** The lane's thermal camera sees the person (with a mask) and the reading is journaled. */
  private async screen(lane: string, celsius: number): Promise<void> {
    const camera: OnvifCameraSimulator | undefined = this.o.sims.cameraAt(lane, 'thermal');
    if (camera === undefined) return;
    await this.reading(lane, () => void camera.person({ celsius, mask: true }));
  }

  private async reading(lane: string, act: () => void): Promise<void> {
    const seen = this.o.watch.next(
      (e) => e.type === 'reading' && (e as WatchedEntry<'reading'>).payload.laneId === lane,
      READING_WAIT_MS,
    );
    act();
    if ((await seen) === undefined) this.o.print(`no reading journaled at ${lane} 未记录体温`);
  }

  /**
   * Runs `act` (which may fail: the console shows why) and waits for the decision at `lane`; at a
   * lane with an MQTT lock, an allowed pass waits for the lock to report its bolt unlocked too, and
   * throws if it does not (the console prints the error; the scenario counts it).
   */
  private async decided(lane: string, act: () => unknown): Promise<WatchedEntry<'decision'> | undefined> {
    const seen = this.o.watch.next(
      (e) => e.type === 'decision' && (e as WatchedEntry<'decision'>).payload.request.laneId === lane,
      DECISION_WAIT_MS,
    );
    const lock = this.o.sims.mqttLockAt(lane);
    const unlocked = lock === undefined ? undefined : boltUnlocked(lock, DECISION_WAIT_MS + LOCK_WAIT_MS);
    try {
      await act();
      const decision = (await seen) as WatchedEntry<'decision'> | undefined;
      if (decision === undefined)
        this.o.print(`no decision at ${lane} within ${DECISION_WAIT_MS / 1000} s 无通行决定`);
      if (unlocked !== undefined && decision?.payload.decision.allow === true) {
        if (!(await unlocked.seen))
          throw new Error(`the MQTT lock at ${lane} did not report unlocked after the pass 放行后门锁未打开`);
        this.o.print(`lock 门锁 at ${lane}: unlocked 已开锁 (reported by the lock)`);
      }
      return decision;
    } finally {
      unlocked?.cancel();
    }
  }
}

export function direction(lane: string): Direction {
  return lane.endsWith('-out') ? 'out' : 'in';
}

function need<T>(thing: T | undefined, what: string, lane: string, lanes: readonly string[]): T {
  if (thing === undefined) throw new RangeError(`no ${what} at ${lane} (at: ${lanes.join(', ')})`);
  return thing;
}

function requireLane(lanes: readonly string[], lane: string, what: string): void {
  if (!lanes.includes(lane)) throw new RangeError(`no ${what} at ${lane} (at: ${lanes.join(', ')})`);
}

/** Whether the lock reports its bolt unlocked within `timeoutMs` from now. */
function boltUnlocked(
  lock: Zigbee2MqttDoorSimulator,
  timeoutMs: number,
): { seen: Promise<boolean>; cancel: () => void } {
  let cancel: () => void = () => undefined;
  const seen = new Promise<boolean>((resolve) => {
    const onBolt = (state: string) => {
      if (state === 'unlocked') finish(true);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (result: boolean) => {
      clearTimeout(timer);
      lock.off('bolt', onBolt);
      resolve(result);
    };
    lock.on('bolt', onBolt);
    cancel = () => finish(false);
  });
  return { seen, cancel };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
