import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '../../drivers/transport/memory-bus.js';
import { registerThermometer } from '../../simulators/cli/thermometer-command.js';
import { seededRandom } from '../../simulators/shared/random.js';
import { runThermometerControl } from '../../simulators/thermometer/controls.js';
import {
  formatReadingLine,
  formatStatusLine,
  READING_FORMATS,
} from '../../simulators/thermometer/reading-formats.js';
import { ThermometerSerialSimulator } from '../../simulators/thermometer/serial-thermometer-sim.js';
import { drive, timerClock } from '../helpers/scanner-rig.js';

describe('reading formats', () => {
  it('prints a body reading the way each kind of device does', () => {
    expect(READING_FORMATS.map((f) => formatReadingLine(36.6, f))).toEqual([
      '36.6',
      '36.6C',
      'T=36.6',
      'BODY:36.6℃',
      'Temp:97.9F',
    ]);
  });

  it('labels surface readings and prints Lo/Hi/Err in the format', () => {
    expect(READING_FORMATS.map((f) => formatReadingLine(33, f, 'surface'))).toEqual([
      'Surface 33.0',
      'Surface 33.0C',
      'Surface T=33.0',
      'SURFACE:33.0℃',
      'Surface Temp:91.4F',
    ]);
    expect(READING_FORMATS.map((f) => formatStatusLine('error', f))).toEqual([
      'Err',
      'Err',
      'T=Err',
      'BODY:Err',
      'Temp:Err',
    ]);
  });
});

describe('ThermometerSerialSimulator and its console', () => {
  const stops: (() => Promise<void>)[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    vi.useRealTimers();
  });

  async function rig(options: { noise?: number } = {}) {
    const bus = new MemoryBus();
    const sim = new ThermometerSerialSimulator({
      transport: bus.attach('device'),
      baudRate: 9600,
      format: 'prefixed',
      clock: timerClock,
      random: seededRandom(3),
      ...options,
    });
    stops.push(() => sim.stop());
    await sim.start();
    const sent = () => bus.writes.map((w) => w.bytes.toString('utf8'));
    const run = (line: string) => drive(runThermometerControl(sim, line));
    return { bus, sim, sent, run };
  }

  it('sends what the console asks for, each line ended by CR LF', async () => {
    const t = await rig();
    expect(await t.run('measure 36.6')).toEqual({
      output: `sent ${Buffer.byteLength('BODY:36.6℃\r\n')} bytes`,
    });
    await t.run('measure 38.0 fahrenheit');
    await t.run('surface 33.0');
    await t.run('lo');
    await t.run('hi');
    await t.run('error');
    await t.run('raw  TMP,36.6,OK ');
    expect(await t.run('format plain')).toEqual({ output: 'format plain' });
    await t.run('measure 36.6');
    expect(t.sent()).toEqual([
      'BODY:36.6℃\r\n',
      'Temp:100.4F\r\n',
      'SURFACE:33.0℃\r\n',
      'BODY:Lo\r\n',
      'BODY:Hi\r\n',
      'BODY:Err\r\n',
      'TMP,36.6,OK\r\n',
      '36.6\r\n',
    ]);
    const status = await t.run('status');
    expect(status.output).toContain('format: plain, line end crlf');
    expect(status.output).toContain('sent:   3 readings, 1 surface, 3 Lo/Hi/Err, 0 garbage');
  });

  it('answers mistakes with an error line and sends nothing', async () => {
    const t = await rig();
    for (const line of [
      'measure',
      'measure warm',
      'measure 36.6 kelvin',
      'format xml',
      'garbage 0',
      'raw',
      'wait x',
    ])
      expect((await t.run(line)).output).toMatch(/^error: /);
    expect((await t.run('frobnicate')).output).toBe('error: unknown command "frobnicate"; type help');
    expect(t.sent()).toEqual([]);
    expect(await t.run('wait 250')).toEqual({ output: '', waitMs: 250 });
    expect(await t.run('quit')).toEqual({ output: 'bye', quit: true });
    expect((await t.run('help')).output).toContain('surface <celsius>');
  });

  it('garbage is one line of noise that holds a control character and no line break', async () => {
    const t = await rig();
    for (let i = 0; i < 50; i++) await t.run(`garbage ${1 + (i % 9)}`);
    for (const { bytes } of t.bus.writes) {
      const body = bytes.subarray(0, bytes.length - 2);
      expect(bytes.subarray(bytes.length - 2)).toEqual(Buffer.of(0x0d, 0x0a));
      expect(body.includes(0x0d) || body.includes(0x0a)).toBe(false);
      expect(body.some((b) => (b < 0x20 && b !== 0x09) || b === 0x7f)).toBe(true);
    }
    expect(t.sim.counters.garbage).toBe(50);
  });

  it('with noise 1 sends a garbage line before every line', async () => {
    const t = await rig({ noise: 1 });
    await t.run('measure 36.6');
    await t.run('lo');
    expect(t.bus.writes).toHaveLength(4);
    expect(t.sent()[1]).toBe('BODY:36.6℃\r\n');
    expect(t.sent()[3]).toBe('BODY:Lo\r\n');
  });

  it('reports a port that is down as an error', async () => {
    const t = await rig();
    await t.sim.stop();
    expect((await t.run('measure 36.6')).output).toMatch(/^error: .*not open/);
  });
});

describe('gatewarden-sim thermometer', () => {
  it('registers its options and console help', () => {
    const program = new Command('gatewarden-sim');
    registerThermometer(program);
    const command = program.commands.find((c) => c.name() === 'thermometer');
    const help = command?.helpInformation() ?? '';
    for (const option of [
      '--port <path>',
      '--baud <rate>',
      '--format <name>',
      '--line-end <end>',
      '--noise <p>',
    ])
      expect(help).toContain(option);
    const format = command?.options.find((o) => o.long === '--format');
    expect(format?.argChoices).toEqual([...READING_FORMATS]);
    expect(format?.defaultValue).toBe('plain');
  });
});
