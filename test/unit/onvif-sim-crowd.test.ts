/**
 * The crowd in front of the simulated ONVIF camera (simulators/onvif/crowd.ts): seeded, so the
 * same seed walks the same people past; arrivals at the configured rate on a hand-moved clock;
 * fevers, masks and plates as configured.
 */
import { describe, expect, it } from 'vitest';
import { Crowd, randomPlate } from '../../simulators/onvif/crowd.js';
import { seededRandom } from '../../simulators/shared/random.js';
import { ManualClock } from '../helpers/manual-clock.js';

const PLATE =
  /^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][0-9A-HJ-NP-Z]{5}$/;

function crowd(options: Partial<ConstructorParameters<typeof Crowd>[0]> = {}, onArrival = () => {}) {
  return new Crowd(
    { ratePerMinute: 0, random: seededRandom(42), clock: new ManualClock(), ...options },
    onArrival,
  );
}

describe('people and vehicles', () => {
  it('draws the same crowd from the same seed', () => {
    const a = crowd();
    const b = crowd();
    const draw = (c: Crowd) => Array.from({ length: 20 }, () => c.drawPerson());
    expect(draw(a)).toEqual(draw(b));
  });

  it('keeps normal temperatures below fever and fevers in 37.5–39.0 °C', () => {
    const normal = crowd({ feverRate: 0, sdCelsius: 2 });
    const fever = crowd({ feverRate: 1 });
    for (let i = 0; i < 500; i++) {
      const n = normal.drawPerson().celsius;
      expect(n).toBeGreaterThanOrEqual(35);
      expect(n).toBeLessThanOrEqual(37.4);
      const f = fever.drawPerson().celsius;
      expect(f).toBeGreaterThanOrEqual(37.5);
      expect(f).toBeLessThanOrEqual(39);
    }
    const everyone = crowd({ random: seededRandom(3) });
    const temps = Array.from({ length: 2000 }, () => everyone.drawPerson().celsius);
    const mean = temps.reduce((s, t) => s + t, 0) / temps.length;
    expect(mean).toBeGreaterThan(36.3);
    expect(mean).toBeLessThan(36.7);
  });

  it('draws masks by the no-mask rate', () => {
    expect(Array.from({ length: 50 }, () => crowd({ noMaskRate: 1 }).drawPerson().mask)).not.toContain(true);
    const c = crowd({ noMaskRate: 0 });
    expect(Array.from({ length: 50 }, () => c.drawPerson().mask)).not.toContain(false);
  });

  it('draws plates from the list, or generates civil plates', () => {
    const listed = crowd({ plates: ['京A01234', '沪B00001'] });
    for (let i = 0; i < 20; i++) expect(['京A01234', '沪B00001']).toContain(listed.drawVehicle().plate);
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) expect(randomPlate(random)).toMatch(PLATE);
  });
});

describe('arrivals', () => {
  it('arrive at the configured rate, pause and resume', () => {
    const clock = new ManualClock();
    let arrived = 0;
    const c = crowd({ ratePerMinute: 30, clock }, () => arrived++);
    c.start();
    clock.advance(20 * 60_000);
    // 600 expected; a Poisson count with this seed lands well inside ±15 %.
    expect(arrived).toBeGreaterThan(510);
    expect(arrived).toBeLessThan(690);
    c.pause();
    const paused = arrived;
    clock.advance(10 * 60_000);
    expect(arrived).toBe(paused);
    c.resume();
    clock.advance(10 * 60_000);
    expect(arrived).toBeGreaterThan(paused);
    c.stop();
    expect(clock.pending).toBe(0);
  });

  it('never arrive at rate 0', () => {
    const clock = new ManualClock();
    let arrived = 0;
    crowd({ ratePerMinute: 0, clock }, () => arrived++).start();
    clock.advance(3_600_000);
    expect(arrived).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
