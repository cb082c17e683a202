import type { Logger } from 'pino';
import type { Decision } from '../../gateway/rules/types.js';
import { AlarmLatch } from '../shared/alarm-latch.js';
import type { Clock } from '../shared/clock.js';
import type { LaneActuator, LanePort, ReadingPort } from '../shared/lane-port.js';
import type { Failure } from './camera-failures.js';
import type { CameraSessionListener, CameraState } from './camera-session.js';
import type { CameraObservation } from './observations.js';

export interface CameraAdapterConfig {
  deviceId: string;
  laneId: string;
  /** thermal: readings for the lane; plate: plate credentials presented at the lane. */
  kind: 'thermal' | 'plate';
  /** A mask seen this long before a temperature (or with the same object id) joins that reading. */
  maskWindowMs: number;
  /** A person refused TEMPERATURE_REQUIRED while the last reading is older than this: CAMERA_SILENT. */
  silentAfterMs: number;
  /** |camera clock − ours| above this: CAMERA_CLOCK_SKEW. */
  maxClockSkewMs: number;
}

/**
 * The lane-facing side of an ONVIF camera (style: adapter layer). A thermal camera's
 * temperatures become readings on its lane, joined with the mask the camera saw on the same
 * person; a plate camera's plates become `plate` credentials presented at its lane (the
 * barrier acts on the decision). Readings carry the gateway's time of arrival, not the
 * camera's, so a camera clock that is off cannot move a reading out of (or into) the window.
 *
 * Health: the link state is journaled on change; offline is DEVICE_OFFLINE, refused
 * credentials CAMERA_AUTH_FAILED, a clock off by more than allowed CAMERA_CLOCK_SKEW, and a
 * thermal camera that sends nothing while people are refused for want of a reading
 * CAMERA_SILENT — it watches its lane's decisions as a LaneActuator that actuates nothing.
 */
export class CameraAdapter implements CameraSessionListener, LaneActuator {
  readonly deviceId: string;
  private readonly alarms: AlarmLatch;
  private lastReadingAt: number | undefined;
  private startedAt: number;
  private online = false;
  private mask: { mask: boolean; objectId: string | undefined; at: number } | undefined;

  constructor(
    private readonly config: CameraAdapterConfig,
    private readonly port: LanePort & ReadingPort,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.deviceId = config.deviceId;
    this.alarms = new AlarmLatch(port, { deviceId: config.deviceId, laneId: config.laneId });
    this.startedAt = clock.now();
  }

  observations(list: readonly CameraObservation[], receivedAt: number): void {
    for (const o of list) {
      switch (o.kind) {
        case 'mask':
          this.mask = { mask: o.mask, objectId: o.objectId, at: receivedAt };
          break;
        case 'temperature':
          if (this.config.kind === 'thermal') this.onTemperature(o, receivedAt);
          break;
        case 'plate':
          if (this.config.kind === 'plate') this.onPlate(o.plate);
          break;
        case 'temperature-alarm':
          // The camera's own rule fired; the gateway judges each reading against its policy.
          this.log.debug({ active: o.active, topic: o.topic }, 'camera temperature alarm state');
          break;
      }
    }
  }

  state(state: CameraState, detail: string | undefined): void {
    const { deviceId, laneId } = this.config;
    switch (state) {
      case 'online':
        this.online = true;
        this.log.info({ detail }, 'camera online');
        this.port.deviceState(deviceId, 'online', detail, laneId);
        this.alarms.clear('offline');
        this.alarms.clear('auth');
        // Silence is judged from the moment the camera is back, not from before the outage.
        this.startedAt = this.clock.now();
        break;
      case 'offline':
        this.online = false;
        this.log.warn({ detail }, 'camera offline');
        this.port.deviceState(deviceId, 'offline', detail, laneId);
        this.alarms.raise('offline', 'DEVICE_OFFLINE', 'critical', { reason: detail ?? 'no answer' });
        break;
      case 'refused':
        this.online = false;
        this.log.error({ detail }, 'camera refused our credentials');
        this.port.deviceState(deviceId, 'error', detail, laneId);
        this.alarms.raise('auth', 'CAMERA_AUTH_FAILED', 'critical', { reason: detail ?? 'not authorised' });
        break;
      case 'connecting':
        break;
    }
  }

  clockOffset(offsetMs: number): void {
    if (Math.abs(offsetMs) <= this.config.maxClockSkewMs) {
      this.alarms.clear('skew');
      return;
    }
    this.alarms.raise('skew', 'CAMERA_CLOCK_SKEW', 'warning', { offsetSeconds: Math.round(offsetMs / 1000) });
  }

  problem(failure: Failure): void {
    if (failure.kind !== 'bad-reply') return;
    this.log.warn({ detail: failure.detail }, 'refused a camera reply');
  }

  /** A decision at the lane (made on another device's read). Actuates nothing; watches for silence. */
  actuate(decision: Decision): void {
    if (this.config.kind !== 'thermal' || !this.online) return;
    if (!decision.reasons.some((r) => r.effect === 'deny' && r.code === 'TEMPERATURE_REQUIRED')) return;
    const since = this.lastReadingAt ?? this.startedAt;
    const silentMs = this.clock.now() - since;
    if (silentMs < this.config.silentAfterMs) return;
    this.alarms.raise('silent', 'CAMERA_SILENT', 'critical', {
      silentSeconds: Math.round(silentMs / 1000),
    });
  }

  private onTemperature(o: Extract<CameraObservation, { kind: 'temperature' }>, receivedAt: number): void {
    const mask = o.mask ?? this.maskFor(o.objectId, receivedAt);
    try {
      const reading = this.port.reading(
        this.config.laneId,
        // The journal keeps whole milliseconds; the clock may give fractions.
        { at: Math.round(receivedAt), celsius: o.celsius, mask, instrument: 'camera' },
        this.config.deviceId,
      );
      this.lastReadingAt = receivedAt;
      this.alarms.clear('silent');
      if (reading.remeasure === 'required')
        this.log.info({ celsius: reading.celsius }, 'high reading: re-measure asked for');
    } catch (err) {
      // The journal refused it: the reading is lost to the lane, so the person will be asked again.
      this.log.error({ err }, 'could not journal a camera reading');
    }
  }

  private onPlate(plate: string): void {
    try {
      const decision = this.port.present(this.config.laneId, { kind: 'plate', value: plate }, this.deviceId);
      this.log.info({ allow: decision.allow, reasons: decision.reasons.map((r) => r.code) }, 'plate decided');
    } catch (err) {
      this.log.error({ err }, 'could not decide a plate');
    }
  }

  /** The mask of the same person: matched by object id when the camera gives one, else by time. */
  private maskFor(objectId: string | undefined, at: number): boolean | null {
    const seen = this.mask;
    if (seen === undefined) return null;
    const samePerson = objectId === undefined || seen.objectId === undefined || objectId === seen.objectId;
    if (!samePerson || at - seen.at > this.config.maskWindowMs) return null;
    this.mask = undefined;
    return seen.mask;
  }
}
