import { parseBoolean, parseDecimal } from './codec-values.js';
import type { OnvifNotification } from './notifications.js';
import type { CameraObservation, Interpretation, TopicInterpreter } from './observations.js';

/**
 * The standard ONVIF topics (protocols.md §5.6; ONVIF Analytics spec, radiometry annex and
 * `radiometry.xsd`; BodyTemperatureAlarm from Analytics 21.12):
 * - `tns1:RuleEngine/Radiometry/BodyTemperatureAlarm`: Data Temperature (kelvin), State, ObjectId,
 *   and a Mask item some cameras add → a temperature (and a temperature-alarm from State);
 * - `tns1:RuleEngine/Radiometry/TemperatureAlarm`, `…/TemperatureMeasurementAlarm`: AlarmActive →
 *   a temperature-alarm;
 * - `tns1:VideoAnalytics/Radiometry/SpotTemperatureReading`: ElementItem Reading @SpotTemperature;
 *   `…/BoxTemperatureReading`: Reading @MaxTemperature (a face's hottest point is what screening
 *   uses); `…/TemperatureReading`: SimpleItem SpotReading, else MaxTemperature → a temperature;
 * - any topic whose Data has a boolean Mask or MaskWearing item (`tns1:RuleEngine/MaskDetection/Mask`
 *   among them) → a mask observation;
 * - `tns1:RuleEngine/LicensePlateRecognition/*` with a PlateNumber, LicensePlate or Plate item
 *   (Confidence, ObjectId beside it) → a plate.
 *
 * Property events: an `Initialized` message is the camera re-sending its current state after a
 * (re)subscription or SetSynchronizationPoint, not something that just happened. Its alarm state
 * is used (a temperature-alarm), but no reading is made from it: a temperature, mask or plate in
 * it may belong to someone who left minutes ago. A `Deleted` message (the rule or source is gone)
 * gives nothing.
 *
 * Refused values (kelvin outside 273.15..373.15, i.e. 0–100 °C, or not a finite number; a
 * non-boolean State; an empty or implausible plate) make no observation and are reported in
 * `problems`.
 */

const RADIOMETRY_RULE = 'tns1:RuleEngine/Radiometry/';
const RADIOMETRY_READING = 'tns1:VideoAnalytics/Radiometry/';
const PLATE_TOPICS = 'tns1:RuleEngine/LicensePlateRecognition/';
const MIN_KELVIN = 273.15;
const MAX_KELVIN = 373.15;
const MAX_PLATE_LENGTH = 32;

class Reader {
  readonly observations: CameraObservation[] = [];
  readonly problems: string[] = [];
  readonly cameraTime: { cameraTime?: number };
  /** False for Initialized and Deleted messages: states only, no readings (see above). */
  readonly fresh: boolean;

  constructor(readonly n: OnvifNotification) {
    this.cameraTime = n.utcTime === undefined ? {} : { cameraTime: n.utcTime };
    this.fresh = n.operation !== 'Initialized' && n.operation !== 'Deleted';
  }

  problem(item: string, value: string, why: string): void {
    this.problems.push(`${this.n.topic}: ${item} ${JSON.stringify(clip(value))} ${why}`);
  }

  boolean(item: string): boolean | undefined {
    const value = this.n.data[item];
    if (value === undefined) return undefined;
    const b = parseBoolean(value);
    if (b === undefined) this.problem(item, value, 'is not a boolean');
    return b;
  }

  /** A kelvin value → °C rounded to 0.01, or undefined (reported) when out of range or unreadable. */
  celsius(item: string, value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const kelvin = parseDecimal(value);
    if (kelvin === undefined) this.problem(item, value, 'is not a finite number');
    else if (kelvin < MIN_KELVIN || kelvin > MAX_KELVIN)
      this.problem(item, value, `K is outside ${MIN_KELVIN}..${MAX_KELVIN} K (0–100 °C)`);
    else return Math.round((kelvin - MIN_KELVIN) * 100) / 100;
    return undefined;
  }

  objectId(): { objectId?: string } {
    const id = this.n.data.ObjectId?.trim();
    return id === undefined || id === '' ? {} : { objectId: id };
  }

  temperature(item: string, value: string | undefined): void {
    if (!this.fresh) return;
    const celsius = this.celsius(item, value);
    if (celsius === undefined) return;
    const mask = this.maskItem(false);
    this.observations.push({
      kind: 'temperature',
      celsius,
      ...this.objectId(),
      ...(mask === undefined ? {} : { mask }),
      topic: this.n.topic,
      ...this.cameraTime,
    });
  }

  alarm(item: string): void {
    if (this.n.operation === 'Deleted') return;
    const active = this.boolean(item);
    if (active !== undefined)
      this.observations.push({ kind: 'temperature-alarm', active, topic: this.n.topic, ...this.cameraTime });
  }

  /** The Mask or MaskWearing item; `report` says whether an unreadable one is reported (once). */
  maskItem(report: boolean): boolean | undefined {
    for (const item of ['Mask', 'MaskWearing']) {
      const value = this.n.data[item];
      if (value === undefined) continue;
      const mask = parseBoolean(value);
      if (mask === undefined && report) this.problem(item, value, 'is not a boolean');
      if (mask !== undefined) return mask;
    }
    return undefined;
  }

  mask(): void {
    if (!this.fresh) return;
    const mask = this.maskItem(true);
    if (mask !== undefined)
      this.observations.push({ kind: 'mask', mask, ...this.objectId(), ...this.cameraTime });
  }

  plate(): void {
    if (!this.fresh || !this.n.topic.startsWith(PLATE_TOPICS)) return;
    const item = ['PlateNumber', 'LicensePlate', 'Plate'].find((name) => this.n.data[name] !== undefined);
    if (item === undefined) return;
    const raw = this.n.data[item] ?? '';
    const plate = raw.trim().replace(/[a-z]/g, (c) => c.toUpperCase());
    const refused = plateRefusal(plate);
    if (refused !== undefined) {
      this.problem(item, raw, refused);
      return;
    }
    const confidenceText = this.n.data.Confidence;
    const confidence = confidenceText === undefined ? undefined : parseDecimal(confidenceText);
    if (confidenceText !== undefined && confidence === undefined)
      this.problem('Confidence', confidenceText, 'is not a finite number');
    this.observations.push({
      kind: 'plate',
      plate,
      ...(confidence === undefined ? {} : { confidence }),
      ...this.objectId(),
      ...this.cameraTime,
    });
  }
}

/** Topic → what its items mean. Mask and plate items are looked for on every topic besides. */
const TOPICS: ReadonlyMap<string, (r: Reader) => void> = new Map([
  [
    `${RADIOMETRY_RULE}BodyTemperatureAlarm`,
    (r: Reader) => {
      r.alarm('State');
      r.temperature('Temperature', r.n.data.Temperature);
    },
  ],
  [`${RADIOMETRY_RULE}TemperatureAlarm`, (r: Reader) => r.alarm('AlarmActive')],
  [`${RADIOMETRY_RULE}TemperatureMeasurementAlarm`, (r: Reader) => r.alarm('AlarmActive')],
  [
    `${RADIOMETRY_READING}SpotTemperatureReading`,
    (r: Reader) => r.temperature('Reading@SpotTemperature', r.n.elements.Reading?.attrs.SpotTemperature),
  ],
  [
    `${RADIOMETRY_READING}BoxTemperatureReading`,
    (r: Reader) => r.temperature('Reading@MaxTemperature', r.n.elements.Reading?.attrs.MaxTemperature),
  ],
  [
    `${RADIOMETRY_READING}TemperatureReading`,
    (r: Reader) => {
      const item = r.n.data.SpotReading !== undefined ? 'SpotReading' : 'MaxTemperature';
      r.temperature(item, r.n.data[item]);
    },
  ],
]);

export const standardInterpreter: TopicInterpreter & {
  interpretWithProblems(n: OnvifNotification): Interpretation;
} = Object.freeze({
  vendor: 'onvif',
  topicFilter: 'tns1:RuleEngine//.|tns1:VideoAnalytics//.',
  interpret(n: OnvifNotification): CameraObservation[] {
    return standardInterpreter.interpretWithProblems(n).observations;
  },
  interpretWithProblems(n: OnvifNotification): Interpretation {
    const reader = new Reader(n);
    TOPICS.get(n.topic)?.(reader);
    reader.mask();
    reader.plate();
    return { observations: reader.observations, problems: reader.problems };
  },
});

function plateRefusal(plate: string): string | undefined {
  if (plate === '') return 'is empty';
  if ([...plate].length > MAX_PLATE_LENGTH || /\p{Cc}/u.test(plate))
    return `is not a plate (control characters or over ${MAX_PLATE_LENGTH} characters)`;
  return undefined;
}

function clip(value: string): string {
  return value.length <= 40 ? value : `${value.slice(0, 40)}…`;
}
