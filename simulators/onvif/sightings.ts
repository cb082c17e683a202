import type { Clock } from '../../drivers/shared/clock.js';
import type { RandomSource } from '../shared/random.js';
import { Crowd } from './crowd.js';
import type { CameraKind } from './identity.js';
import {
  type EventMessage,
  kelvinText,
  maskMessage,
  plateMessage,
  type TemperatureReading,
  temperatureMessage,
} from './notifications.js';
import type { TemperatureTopic } from './topics.js';
import { isoTime } from './xs-time.js';

/** What an injected person may fix; the rest is drawn as the crowd's is. */
export interface PersonSpec {
  celsius?: number;
  mask?: boolean;
}

/** When and where an event was queued: for tests, and for latency benchmarks. */
interface Queued {
  /** Increments per sighting for the simulator's life (a reboot does not reset it). */
  objectId: number;
  /** The camera-clock time in the notifications (tt:Message UtcTime). */
  utcTime: string;
  /** Simulator clock (epoch ms) when the messages were queued. */
  queuedAtEpochMs: number;
  /** process.hrtime.bigint() when the messages were queued. */
  queuedAtHrtime: bigint;
  /** Subscriptions the messages were queued on (0 while nobody subscribes, or during a reboot). */
  subscriptions: number;
  topics: string[];
  injected: boolean;
}

export interface PersonEvent extends Queued {
  kind: 'person';
  /** True body temperature. */
  celsius: number;
  /** As reported: with the calibration drift, 0.01 °C. */
  measuredCelsius: number;
  kelvin: string;
  mask: boolean;
  alarm: boolean;
}

export interface VehicleEvent extends Queued {
  kind: 'vehicle';
  plate: string;
  confidence: number;
}

export type CameraEvent = PersonEvent | VehicleEvent;

export interface SightingsOptions {
  kind: CameraKind;
  ratePerMinute?: number;
  meanCelsius?: number;
  sdCelsius?: number;
  feverRate?: number;
  noMaskRate?: number;
  plates?: readonly string[];
  alarmThresholdCelsius?: number;
  temperatureTopic?: TemperatureTopic;
  maskEvents?: boolean;
  random: RandomSource;
  clock: Clock;
  cameraNow(): number;
  /** Queues messages on the subscriptions; says how many took them. */
  publish(messages: readonly EventMessage[]): number;
  onEvent(event: CameraEvent): void;
}

/**
 * Turns people and vehicles (from the crowd or injected) into the camera's notifications: for
 * a person the mask event, then the temperature in the configured form, both with one
 * ObjectId and one UtcTime; for a vehicle the plate event. A thermal camera sees no plates and
 * a plate camera takes no temperatures: asking for them is a RangeError.
 */
export class Sightings {
  /** Added to every reported temperature (the calibration-drift fault). */
  driftCelsius = 0;
  lastReading: TemperatureReading | undefined;
  private nextId = 1;
  private readonly crowd: Crowd;

  constructor(private readonly options: SightingsOptions) {
    this.crowd = new Crowd(
      { ...options, ratePerMinute: options.ratePerMinute ?? 0 },
      () =>
        void (options.kind === 'thermal'
          ? this.person({}, false)
          : this.vehicle(undefined, undefined, false)),
    );
  }

  get paused(): boolean {
    return this.crowd.isPaused;
  }

  start(): void {
    this.crowd.start();
  }

  stop(): void {
    this.crowd.stop();
  }

  pause(): void {
    this.crowd.pause();
  }

  resume(): void {
    this.crowd.resume();
  }

  person(spec: PersonSpec, injected: boolean): PersonEvent {
    if (this.options.kind !== 'thermal') throw new RangeError('a plate camera takes no temperatures');
    if (spec.celsius !== undefined && !(spec.celsius >= 20 && spec.celsius <= 50))
      throw new RangeError('a body temperature in 20..50 °C');
    const drawn = this.crowd.drawPerson();
    const celsius = spec.celsius ?? drawn.celsius;
    const mask = spec.mask ?? drawn.mask;
    const measuredCelsius = Math.round((celsius + this.driftCelsius) * 100) / 100;
    const alarm = measuredCelsius >= (this.options.alarmThresholdCelsius ?? 37.3);
    const objectId = this.nextId++;
    const utcTime = isoTime(this.options.cameraNow());
    const reading = { objectId, celsius: measuredCelsius, alarm };
    const messages = [
      ...(this.options.maskEvents === false ? [] : [maskMessage(objectId, mask, utcTime)]),
      temperatureMessage(this.options.temperatureTopic ?? 'body', reading, utcTime),
    ];
    this.lastReading = reading;
    const event: PersonEvent = {
      kind: 'person',
      ...this.queue(objectId, utcTime, messages, injected),
      celsius,
      measuredCelsius,
      kelvin: kelvinText(measuredCelsius),
      mask,
      alarm,
    };
    this.options.onEvent(event);
    return event;
  }

  vehicle(plate: string | undefined, confidence: number | undefined, injected: boolean): VehicleEvent {
    if (this.options.kind !== 'plate') throw new RangeError('a thermal camera reads no plates');
    if (plate !== undefined && (plate.length === 0 || plate.length > 16 || /[\s\p{Cc}]/u.test(plate)))
      throw new RangeError('a plate of 1..16 characters without spaces');
    if (confidence !== undefined && !(confidence >= 0 && confidence <= 1))
      throw new RangeError('a confidence in 0..1');
    const drawn = this.crowd.drawVehicle();
    const objectId = this.nextId++;
    const utcTime = isoTime(this.options.cameraNow());
    const chosen = { plate: plate ?? drawn.plate, confidence: confidence ?? drawn.confidence };
    const messages = [plateMessage(objectId, chosen.plate, chosen.confidence, utcTime)];
    const event: VehicleEvent = {
      kind: 'vehicle',
      ...this.queue(objectId, utcTime, messages, injected),
      ...chosen,
    };
    this.options.onEvent(event);
    return event;
  }

  private queue(objectId: number, utcTime: string, messages: EventMessage[], injected: boolean): Queued {
    const queuedAtEpochMs = this.options.clock.now();
    const queuedAtHrtime = process.hrtime.bigint();
    const subscriptions = this.options.publish(messages);
    return {
      objectId,
      utcTime,
      queuedAtEpochMs,
      queuedAtHrtime,
      subscriptions,
      topics: messages.map((m) => m.topic),
      injected,
    };
  }
}
