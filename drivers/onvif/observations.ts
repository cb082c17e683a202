import { standardInterpreter } from './codec-standard-topics.js';
import type { OnvifNotification } from './notifications.js';

/**
 * What a camera's notifications say, in the gateway's terms, and who reads them.
 *
 * A TopicInterpreter turns one OnvifNotification into 0..n CameraObservations. The standard one
 * (codec-standard-topics.ts) reads the ONVIF Analytics radiometry topics, mask detection and
 * licence-plate recognition (protocols.md §5.6). Cameras that publish their own topics get a
 * vendor interpreter beside it. To add one (say `hikvision`):
 * 1. write `drivers/onvif/codec-<vendor>-topics.ts` exporting a TopicInterpreter whose `vendor` is
 *    the name used in the camera configuration, whose `topicFilter` asks for the vendor's topics as
 *    well (`tns1:RuleEngine//.|tns1:VideoAnalytics//.|tnshik:…`), and whose `interpret` handles
 *    them and hands every other notification to `standardInterpreter.interpret`;
 * 2. give it `interpretWithProblems` too, so refused values are counted and logged;
 * 3. call `registerInterpreter(thatInterpreter)` from the module that wires cameras, before the
 *    first `interpreterFor`; test it on fixtures captured from that camera (test/fixtures/onvif/).
 * Vendor names are compared case-insensitively; an unknown vendor gets the standard interpreter.
 */

export type CameraObservation =
  | {
      kind: 'temperature';
      /** Degrees Celsius, rounded to 0.01; only 0–100 °C readings are made into observations. */
      celsius: number;
      objectId?: string;
      mask?: boolean;
      topic: string;
      /** The notification's UtcTime (camera clock), epoch ms. */
      cameraTime?: number;
    }
  | { kind: 'mask'; mask: boolean; objectId?: string; cameraTime?: number }
  | {
      kind: 'plate';
      /** As sent (UTF-8, leading zeros kept), trimmed, ASCII letters upper-cased: `京A0123B`. */
      plate: string;
      confidence?: number;
      objectId?: string;
      cameraTime?: number;
    }
  | { kind: 'temperature-alarm'; active: boolean; topic: string; cameraTime?: number };

/** The observations of one notification, and why any value in it was refused. */
export interface Interpretation {
  observations: CameraObservation[];
  /** One line each, naming the topic, the item and the value: for counters and logs. */
  problems: string[];
}

export interface TopicInterpreter {
  /** The configuration's vendor name this interpreter serves ('onvif' for the standard one). */
  readonly vendor: string;
  /** ConcreteSet topic expression for CreatePullPointSubscription's filter (protocols.md §5.5). */
  readonly topicFilter: string;
  interpret(notification: OnvifNotification): CameraObservation[];
  /** `interpret`, plus the refused values. Optional: without it nothing is reported refused. */
  interpretWithProblems?(notification: OnvifNotification): Interpretation;
}

const registry = new Map<string, TopicInterpreter>();

/** Adds a vendor interpreter; a second, different one for the same vendor is a programming error. */
export function registerInterpreter(interpreter: TopicInterpreter): void {
  const key = interpreter.vendor.trim().toLowerCase();
  const present = registry.get(key);
  if (key === '' || key === standardInterpreter.vendor)
    throw new Error(`registerInterpreter: vendor name "${interpreter.vendor}" is reserved or empty`);
  if (present !== undefined && present !== interpreter)
    throw new Error(
      `registerInterpreter: an interpreter for vendor "${interpreter.vendor}" is already registered`,
    );
  registry.set(key, interpreter);
}

/** The interpreter registered for `vendor`, else the standard one. */
export function interpreterFor(vendor: string | undefined): TopicInterpreter {
  return (
    (vendor === undefined ? undefined : registry.get(vendor.trim().toLowerCase())) ?? standardInterpreter
  );
}

/** Runs `interpreter` on `notification`, with the refused values when the interpreter reports them. */
export function interpretWithProblems(
  notification: OnvifNotification,
  interpreter: TopicInterpreter = standardInterpreter,
): Interpretation {
  return (
    interpreter.interpretWithProblems?.(notification) ?? {
      observations: interpreter.interpret(notification),
      problems: [],
    }
  );
}

export { standardInterpreter };
