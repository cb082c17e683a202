import type { Logger } from 'pino';
import type { Action, Decision, PresentedCredential } from '../../gateway/rules/types.js';
import { type Clock, systemClock } from '../shared/clock.js';
import type { ScanCredential } from '../shared/code-credentials.js';
import type { LaneActuator, LanePort } from '../shared/lane-port.js';
import { WrongCodeLimit } from '../shared/wrong-code-limit.js';
import { cardCredential } from './card-credential.js';
import { type OsdpDoorConfig, releaseCommand, restingOutput } from './door-config.js';
import { DoorContact } from './door-contact.js';
import type { OsdpControlPanel, PdStatus } from './link/control-panel.js';
import { LED_COLOR } from './messages/codes.js';
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

export type { LockKind, OsdpDoorConfig } from './door-config.js';

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
  private readonly contact: DoorContact | undefined;
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
    const door = config.door;
    this.contact =
      door &&
      new DoorContact({
        heldOpenMs: door.heldOpenMs,
        clock: this.clock,
        fireActive: () => this.port.fireActive(),
        alarm: (code, detail) =>
          this.alarm(code, code === 'DOOR_FORCED_OPEN' ? 'critical' : 'warning', detail),
      });
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
    this.contact?.stop();
  }

  /** The site's fire alarm changed: release the lock for good, or secure it again. */
  setFire(active: boolean): void {
    if (!this.config.door) return;
    this.command(restingOutput(this.config.door, active), 'fire');
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
    this.command(restingOutput(this.config.door, this.port.fireActive()), 'resting state');
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
    this.decide(read.credential, (decision) => {
      if (decision.allow) this.wrongCodes.accepted();
      else if (isWrongCode(decision) && this.wrongCodes.refused(now)) {
        const lockSeconds = Math.ceil((this.wrongCodes.until - now) / 1000);
        this.alarm('KEYPAD_LOCKED', 'warning', { lockSeconds });
      }
    });
  }

  /**
   * Decides, journals and actuates a credential read here; `decided` gets the decision once it
   * is journaled. A pass the preview says unlocks goes commit-gated: the OUT goes on the wire
   * at once, the decision is made and journaled (`present`) while it does, and the OUT's last
   * byte, without which the PD acts on nothing, follows only if that decision unlocks the same.
   * The door still opens only on a durable decision, but the journal's flush overlaps the
   * OUT's 31 ms on the wire at 9600 baud instead of delaying it. A decision that differs (the
   * state changed in between) or cannot be journaled withdraws the OUT and is actuated as usual.
   */
  private decide(credential: PresentedCredential, decided?: (decision: Decision) => void): void {
    const door = this.config.gatedUnlock === false ? undefined : this.config.door;
    const unlockMs = door && this.previewUnlock(credential);
    if (door === undefined || unlockMs === undefined) {
      const decision = this.record(credential);
      if (decision === undefined) return;
      this.actuate(decision);
      decided?.(decision);
      return;
    }
    const commit = (onWire: boolean): boolean => {
      const decision = this.record(credential);
      if (decision === undefined) return false;
      const same = onWire && unlockOf(decision) === unlockMs;
      if (same) this.contact?.released(unlockMs);
      this.actuate(decision, same);
      decided?.(decision);
      return same;
    };
    this.panel.send(this.config.address, releaseCommand(door, unlockMs), { commit }).catch((err: Error) => {
      this.log.warn({ err, command: 'OUT', why: 'pass' }, 'command to the reader failed');
    });
  }

  /** The unlock a pass would get now (LanePort.preview), or undefined: no unlock, or no preview. */
  private previewUnlock(credential: PresentedCredential): number | undefined {
    try {
      const preview = this.port.preview?.(this.config.laneId, credential, this.config.deviceId);
      return preview && unlockOf(preview);
    } catch (err) {
      // present() decides and reports as always; only the overlap is lost.
      this.log.warn({ err }, 'pass could not be previewed; deciding before the unlock');
      return undefined;
    }
  }

  /** The decision, journaled; undefined (and the person told to try again) if it could not be. */
  private record(credential: PresentedCredential): Decision | undefined {
    try {
      return this.port.present(this.config.laneId, credential, this.config.deviceId);
    } catch (err) {
      // Not journaled, so not actuated.
      this.log.error({ err }, 'pass could not be recorded; nothing actuated');
      this.indicate(LED_COLOR.AMBER, 'long', 'TRY AGAIN');
      return undefined;
    }
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
   * at the lane. `unlockSent`: the unlock already went out, commit-gated (`decide`).
   */
  actuate(decision: Decision, unlockSent = false): void {
    for (const action of decision.actions)
      if (action.type === 'unlock' && !unlockSent) this.release(action.durationMs, 'pass');
    const indicate = decision.actions.find(
      (a): a is Extract<Action, { type: 'indicate' }> => a.type === 'indicate',
    );
    const color = decision.allow ? LED_COLOR.GREEN : LED_COLOR.RED;
    this.indicate(color, decision.allow ? 'short' : 'long', decision.allow ? undefined : denyText(decision));
    if (indicate === undefined) this.log.debug('decision carried no indication');
  }

  private release(durationMs: number, cause: string): void {
    if (!this.config.door) return;
    this.contact?.released(durationMs);
    this.command(releaseCommand(this.config.door, durationMs), cause);
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
      if (door.contactInput !== undefined) this.contact?.found(inputs[door.contactInput] === 1);
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
    if (changed(door.contactInput)) this.contact?.changed(inputs[door.contactInput as number] === 1);
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

/** How long the decision unlocks the lane's door, if it does. */
function unlockOf(decision: Decision): number | undefined {
  const unlock = decision.actions.find((a): a is Extract<Action, { type: 'unlock' }> => a.type === 'unlock');
  return unlock?.durationMs;
}

function isWrongCode(decision: Decision): boolean {
  return decision.reasons.some((r) => r.effect === 'deny' && WRONG_CODE_REASONS.has(r.code));
}
