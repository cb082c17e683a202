import type { Clock } from '../../drivers/shared/clock.js';
import { chance, type RandomSource } from '../shared/random.js';
import { TimerSet } from '../shared/timer-set.js';

/**
 * What walks or drives past the camera. Arrivals form a Poisson process (exponential gaps at
 * `ratePerMinute`, drawn from the injected random so a seed replays the same crowd); rate 0
 * means only injected people and vehicles. Body temperatures: with probability `feverRate`
 * uniform in 37.5–39.0 °C, otherwise normal(mean, sd) cut to 35.0–37.4 °C so that only the
 * drawn fevers are fevers; 0.1 °C resolution as thermal cameras report.
 */
export interface CrowdOptions {
  ratePerMinute: number;
  meanCelsius?: number;
  sdCelsius?: number;
  feverRate?: number;
  noMaskRate?: number;
  /** Plates to draw from; otherwise random Chinese civil plates. */
  plates?: readonly string[];
  random: RandomSource;
  clock: Clock;
}

export interface DrawnPerson {
  celsius: number;
  mask: boolean;
}

export interface DrawnVehicle {
  plate: string;
  confidence: number;
}

/** Province abbreviations of civil plates (GA 36). */
const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
/** Plates use no I or O (they read as 1 and 0). */
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const ALNUM = `0123456789${LETTERS}`;

export class Crowd {
  private readonly timers: TimerSet;
  private running = false;
  private paused = false;
  private next: unknown;

  constructor(
    private readonly options: CrowdOptions,
    private readonly onArrival: () => void,
  ) {
    this.timers = new TimerSet(options.clock, () => this.running && !this.paused);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.timers.clear();
    this.next = undefined;
  }

  pause(): void {
    this.paused = true;
    this.timers.cancel(this.next);
    this.next = undefined;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  drawPerson(): DrawnPerson {
    const { random } = this.options;
    const fever = chance(random, this.options.feverRate ?? 0.02);
    const celsius = fever
      ? 37.5 + random() * 1.5
      : Math.min(
          37.4,
          Math.max(35.0, normal(random, this.options.meanCelsius ?? 36.5, this.options.sdCelsius ?? 0.3)),
        );
    return { celsius: Math.round(celsius * 10) / 10, mask: !chance(random, this.options.noMaskRate ?? 0.05) };
  }

  drawVehicle(): DrawnVehicle {
    const { random, plates } = this.options;
    const plate =
      plates && plates.length > 0
        ? (plates[Math.floor(random() * plates.length)] as string)
        : randomPlate(random);
    return { plate, confidence: Math.round((0.85 + random() * 0.14) * 100) / 100 };
  }

  private schedule(): void {
    const rate = this.options.ratePerMinute;
    if (!this.running || this.paused || !(rate > 0)) return;
    const gapMs = (-Math.log(1 - this.options.random()) / rate) * 60_000;
    this.next = this.timers.schedule(gapMs, () => {
      this.next = undefined;
      this.onArrival();
      this.schedule();
    });
  }
}

/** A civil plate: province, issuing-office letter, five of digits and letters (e.g. 京A01234). */
export function randomPlate(random: RandomSource): string {
  const pick = (set: string) => set[Math.floor(random() * set.length)] as string;
  let plate = pick(PROVINCES) + pick(LETTERS);
  for (let i = 0; i < 5; i++) plate += pick(ALNUM);
  return plate;
}

/** Box–Muller from two uniforms. */
function normal(random: RandomSource, mean: number, sd: number): number {
  const u = 1 - random();
  const v = random();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
