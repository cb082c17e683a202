import type { Logger } from 'pino';
import type { Action, Decision, PresentedCredential } from '../../gateway/rules/types.js';
import { type Clock, systemClock } from '../shared/clock.js';
import type { ScanCredential, ScanCredentials } from '../shared/code-credentials.js';
import type { LaneActuator, LanePort } from '../shared/lane-port.js';
import { WrongCodeLimit, type WrongCodePolicy } from '../shared/wrong-code-limit.js';
import { cardCredential } from './card-credential.js';
import type { OsdpControlPanel, PdStatus } from './link/control-panel.js';
import { LED_COLOR, OUT_CONTROL } from './messages/codes.js';
import type { OsdpCommand } from './messages/commands.js';
import type { OsdpReply } from './messages/replies.js';
import {
  type Annunciators,
  annunciatorsOf,
  type Beep,
  denyText,
  indicationCommands,
  NO_ANNUNCIATORS,
} from './reader-indications.js';

export type LockKind = 'fail-secure' | 'fail-safe';

export interface OsdpDoorConfig {
  /** Device id from the configuration: names the device in the journal and on the dashboard. */
  deviceId: string;
  laneId: string;
  address: number;
  /** Reader number on the PD whose cards and PINs belong to this lane; absent: no reader. */
  reader?: number;
  /**
   * The site's pass layer (gateway/passes): a code typed at the keypad is checked as a scanned
   * one is, so `passes.unsigned: refuse` covers keypads too. Absent: presented as a plain `qr`.
   */
  codes?: ScanCredentials;
  /** The keypad's wrong-code limit (default DEFAULT_WRONG_CODE_POLICY). */
  wrongCodes?: WrongCodePolicy;
  /** A keypad lock still running when the gateway started (its KEYPAD_LOCKED alarm): epoch ms. */
  keypadLockedUntil?: number;
  door?: {
    /** Output that drives the lock relay. */
    output: number;
    /**
     * fail-secure (electric strike): energised = released, stays locked without power.
     * fail-safe (magnetic lock): energised = locked, releases without power (fire codes).
     */
    lock: LockKind;
    contactInput?: number;
    /** Request-to-exit button. */
    rexInput?: number;
    /** Fire-alarm panel contact: active releases every lock and raises every barrier. */
    fireInput?: number;
    /** How long the door may stay open after its release before DOOR_HELD_OPEN. */
    heldOpenMs: number;
    /** How long the exit button releases the lock. */
    rexReleaseMs: number;
  };
}

/** Tolerance for a contact that reports open just after the release ends (relay and hinge lag). */
const FORCED_GRACE_MS = 1000;

/**
 * The lane-facing side of one OSDP PD: cards and PINs become pass requests, decisions become
 * OUT (the lock), LED, buzzer and TEXT; inputs become the door contact, exit button and fire
 * alarm, with forced-open and held-open alarms. Commands to an offline PD fail fast and are
 * logged; the checkpoint's decision is already journaled by then.
 */
export class OsdpDoorAdapter implements LaneActuator {
  private readonly clock: Clock;
  private pin = '';
  private inputs: number[] = [];
  private releasedUntil = 0;
  private doorOpen = false;
  private heldTimer: unknown;
  private lastStatus = { tamper: 0, power: 0 };
  private readonly wrongCodes: WrongCodeLimit;
  /** What the reader can show, from its PDCAP at the last connection. */
  private shows: Annunciators = NO_ANNUNCIATORS;

  constructor(
    private readonly config: OsdpDoorConfig,
    private readonly panel: OsdpControlPanel,
    private readonly port: LanePort,
    private readonly log: Logger,
    clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
    this.wrongCodes = new WrongCodeLimit(config.wrongCodes);
    if (config.keypadLockedUntil !== undefined) this.wrongCodes.restoreLock(config.keypadLockedUntil);
  }

  /** Subscribes to the panel; call once. */
  start(): void {
    const address = this.config.address;
    this.panel.on('report', (from, reply) => {
      if (from === address) this.onReport(reply);
    });
    this.panel.on('online', (status) => {
      if (status.address === address) this.onOnline(status);
    });
    this.panel.on('offline', (status, reason) => {
      if (status.address !== address) return;
      this.port.deviceState(this.config.deviceId, 'offline', reason, this.config.laneId);
      this.port.alarm({
        code: 'DEVICE_OFFLINE',
        severity: 'critical',
        deviceId: this.config.deviceId,
        laneId: this.config.laneId,
        detail: { reason },
      });
    });
    this.panel.on('refused', (status, reason) => {
      if (status.address !== address) return;
      this.port.deviceState(this.config.deviceId, 'error', reason, this.config.laneId);
      this.port.alarm({
        code: 'SECURE_CHANNEL_REFUSED',
        severity: 'critical',
        deviceId: this.config.deviceId,
        laneId: this.config.laneId,
        detail: { reason },
      });
    });
  }

  stop(): void {
    if (this.heldTimer !== undefined) this.clock.clearTimeout(this.heldTimer);
  }

  /** The site's fire alarm changed: release the lock for good, or secure it again. */
  setFire(active: boolean): void {
    if (!this.config.door) return;
    this.command(this.restingOutput(active), 'fire');
  }

  private onOnline(status: PdStatus): void {
    this.shows = annunciatorsOf(status.capabilities ?? []);
    this.port.deviceState(
      this.config.deviceId,
      'online',
      status.secure ? 'secure channel' : 'plain',
      this.config.laneId,
    );
    if (!this.config.door) return;
    this.command(this.restingOutput(this.port.fireActive()), 'resting state');
    this.panel
      .send(this.config.address, { type: 'ISTAT' })
      .then((reply) => {
        if (reply.type === 'ISTATR') this.onInputs(reply.inputs, true);
      })
      .catch((err: Error) => this.log.warn({ err }, 'input state could not be read'));
  }

  private onReport(reply: OsdpReply): void {
    switch (reply.type) {
      case 'RAW':
        if (reply.reader === this.config.reader) this.onCard(reply);
        return;
      case 'KEYPAD':
        if (reply.reader === this.config.reader) this.onKeys(reply.keys);
        return;
      case 'ISTATR':
        this.onInputs(reply.inputs);
        return;
      case 'LSTATR':
        this.onLocalStatus(reply.tamper, reply.power);
        return;
      default:
        this.log.debug({ reply: reply.type }, 'report ignored');
    }
  }

  private onCard(raw: Extract<OsdpReply, { type: 'RAW' }>): void {
    const credential = cardCredential(raw);
    if (!credential) {
      // A misread (bad Wiegand parity) is not a pass attempt: ask for another read.
      this.log.warn({ bits: raw.bitCount }, 'card read failed its parity check');
      this.indicate(LED_COLOR.AMBER, 'long', 'READ AGAIN');
      return;
    }
    this.decide({ kind: 'card', value: credential });
  }

  /** Digits up to '#' are a pass code (the numeric form of a visitor's or resident's QR pass). */
  private onKeys(keys: string): void {
    for (const key of keys) {
      if (key === '*') this.pin = '';
      else if (key === '#') {
        const code = this.pin;
        this.pin = '';
        if (code.length > 0) this.onCode(code);
      } else if (/^[0-9]$/.test(key) && this.pin.length < 32) this.pin += key;
    }
  }

  /**
   * A code typed at the keypad goes through the pass layer like a scanned one. Wrong codes
   * (unknown, or refused by the pass layer) are limited: past the limit the keypad ignores
   * codes for a while and KEYPAD_LOCKED is raised, once per lock.
   */
  private onCode(code: string): void {
    const now = this.clock.now();
    if (this.wrongCodes.locked(now)) {
      this.log.info({ until: new Date(this.wrongCodes.until).toISOString() }, 'keypad locked: code ignored');
      this.indicate(LED_COLOR.RED, 'long', 'KEYPAD LOCKED');
      return;
    }
    let read: ScanCredential;
    try {
      read = this.config.codes?.credentialFor(code, now) ?? { credential: { kind: 'qr', value: code } };
    } catch (err) {
      // A broken verifier must not open the door: nothing is presented.
      this.log.error({ err }, 'keypad code could not be checked; not presented');
      this.indicate(LED_COLOR.AMBER, 'long', 'TRY AGAIN');
      return;
    }
    if (read.note !== undefined) this.log.info({ pass: read.note }, 'keypad code checked');
    const decision = this.decide(read.credential);
    if (decision === undefined) return;
    if (decision.allow) this.wrongCodes.accepted();
    else if (isWrongCode(decision) && this.wrongCodes.refused(now)) {
      const lockSeconds = Math.ceil((this.wrongCodes.until - now) / 1000);
      this.alarm('KEYPAD_LOCKED', 'warning', { lockSeconds });
    }
  }

  private decide(credential: PresentedCredential): Decision | undefined {
    let decision: Decision;
    try {
      decision = this.port.present(this.config.laneId, credential, this.config.deviceId);
    } catch (err) {
      // Not journaled, so not actuated: the person is told to try again.
      this.log.error({ err }, 'pass could not be recorded; nothing actuated');
      this.indicate(LED_COLOR.AMBER, 'long', 'TRY AGAIN');
      return undefined;
    }
    this.actuate(decision);
    return decision;
  }

  get deviceId(): string {
    return this.config.deviceId;
  }

  /**
   * Acts on a decision for this lane: unlock first (the person is waiting at the door), then
   * this PD's reader tells the person: green and a short beep for a pass; red, a long beep and
   * the reason's text for a refusal. A pass shows no text: at 9600 baud a TEXT exchange is
   * ~50 ms of the bus, a fifth of a pass's, that the next person at another reader waits for.
   * Called for this PD's own reads and, through the gateway, for credentials other devices read
   * at the lane.
   */
  actuate(decision: Decision): void {
    for (const action of decision.actions)
      if (action.type === 'unlock') this.release(action.durationMs, 'pass');
    const indicate = decision.actions.find(
      (a): a is Extract<Action, { type: 'indicate' }> => a.type === 'indicate',
    );
    const color = decision.allow ? LED_COLOR.GREEN : LED_COLOR.RED;
    this.indicate(color, decision.allow ? 'short' : 'long', decision.allow ? undefined : denyText(decision));
    if (indicate === undefined) this.log.debug('decision carried no indication');
  }

  private release(durationMs: number, cause: string): void {
    const door = this.config.door;
    if (!door) return;
    this.releasedUntil = Math.max(this.releasedUntil, this.clock.now() + durationMs);
    const timer100ms = Math.max(1, Math.min(0xffff, Math.round(durationMs / 100)));
    const control = door.lock === 'fail-secure' ? OUT_CONTROL.TEMP_ON : OUT_CONTROL.TEMP_OFF;
    this.command({ type: 'OUT', outputs: [{ output: door.output, control, timer100ms }] }, cause);
  }

  /** The lock's state outside a timed release: secured, or released for good while the fire alarm lasts. */
  private restingOutput(fire: boolean): OsdpCommand {
    const door = this.config.door;
    if (!door) throw new Error('no door on this device');
    const energised = door.lock === 'fail-secure' ? fire : !fire;
    const control = energised ? OUT_CONTROL.PERM_ON_ABORT_TIMED : OUT_CONTROL.PERM_OFF_ABORT_TIMED;
    return { type: 'OUT', outputs: [{ output: door.output, control, timer100ms: 0 }] };
  }

  /** LED, buzzer and text on this PD's reader, each only where it has one. */
  private indicate(color: number, beep: Beep, text?: string): void {
    if (this.config.reader === undefined) return;
    for (const command of indicationCommands(this.config.reader, this.shows, color, beep, text))
      this.command(command, 'indicate');
  }

  /**
   * Acts on input edges. The first report after (re)connecting only sets the state: a door
   * found open is not "forced" by the gateway having been away, but an active fire input is
   * acted on at once.
   */
  private onInputs(inputs: number[], initial = false): void {
    const door = this.config.door;
    const before = this.inputs;
    this.inputs = inputs;
    if (!door) return;
    if (initial) {
      if (door.contactInput !== undefined) this.doorOpen = inputs[door.contactInput] === 1;
      if (door.fireInput !== undefined && inputs[door.fireInput] === 1)
        this.port.fire(true, this.config.deviceId);
      return;
    }
    const changed = (i: number | undefined) =>
      i !== undefined && inputs[i] !== undefined && inputs[i] !== before[i];
    if (changed(door.fireInput)) this.port.fire(inputs[door.fireInput as number] === 1, this.config.deviceId);
    if (changed(door.rexInput) && inputs[door.rexInput as number] === 1) {
      this.log.info('exit button pressed');
      this.release(door.rexReleaseMs, 'exit button');
    }
    if (changed(door.contactInput)) this.onContact(inputs[door.contactInput as number] === 1);
  }

  private onContact(open: boolean): void {
    const door = this.config.door;
    if (!door || open === this.doorOpen) return;
    this.doorOpen = open;
    if (this.heldTimer !== undefined) this.clock.clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    if (!open) return;
    const now = this.clock.now();
    const released = this.port.fireActive() || now <= this.releasedUntil + FORCED_GRACE_MS;
    if (!released) {
      this.alarm('DOOR_FORCED_OPEN', 'critical', {});
      return;
    }
    const deadline = Math.max(now, this.releasedUntil) + door.heldOpenMs;
    this.heldTimer = this.clock.setTimeout(() => {
      this.heldTimer = undefined;
      if (this.doorOpen && !this.port.fireActive())
        this.alarm('DOOR_HELD_OPEN', 'warning', { heldMs: door.heldOpenMs });
    }, deadline - now);
  }

  private onLocalStatus(tamper: number, power: number): void {
    if (tamper === 1 && this.lastStatus.tamper !== 1) this.alarm('DEVICE_TAMPER', 'critical', {});
    if (power === 1 && this.lastStatus.power !== 1) this.alarm('DEVICE_POWER_FAILURE', 'warning', {});
    this.lastStatus = { tamper, power };
  }

  private alarm(
    code: 'DOOR_FORCED_OPEN' | 'DOOR_HELD_OPEN' | 'DEVICE_TAMPER' | 'DEVICE_POWER_FAILURE' | 'KEYPAD_LOCKED',
    severity: 'warning' | 'critical',
    detail: Record<string, string | number>,
  ): void {
    this.port.alarm({ code, severity, deviceId: this.config.deviceId, laneId: this.config.laneId, detail });
  }

  private command(command: OsdpCommand, why: string): void {
    this.panel.send(this.config.address, command).catch((err: Error) => {
      this.log.warn({ err, command: command.type, why }, 'command to the reader failed');
    });
  }
}

/** Refusals that say the code itself is wrong (a guess), not that its holder may not pass now. */
const WRONG_CODE_REASONS: ReadonlySet<string> = new Set(['UNKNOWN_CREDENTIAL', 'INVALID_SIGNATURE']);

function isWrongCode(decision: Decision): boolean {
  return decision.reasons.some((r) => r.effect === 'deny' && WRONG_CODE_REASONS.has(r.code));
}
