import { type Command, Option } from 'commander';
import { GatewardenError } from '../../errors.js';
import type { Message } from '../../rules/reasons.js';
import type { RemeasureMark, TemperatureReading } from '../../rules/types.js';
import { type GlobalOptions, operatorName, print, withSite } from '../io.js';

interface ReadingOptions {
  handheld?: boolean;
  mask?: 'yes' | 'no';
  operator?: string;
}

/** The range a body temperature typed by hand may take; outside it is a typing error. */
const MIN_C = 30;
const MAX_C = 45;

/** What the checkpoint made of the reading, by its re-measure mark (no mark: an ordinary reading). */
const MARK_LABELS: Readonly<Record<RemeasureMark | 'none', Message>> = {
  none: { zh: '体温已记录', en: 'reading recorded' },
  required: { zh: '体温偏高，请复测', en: 'temperature high, re-measure required' },
  waiting: { zh: '等待复测中，本次读数不计', en: 'waiting for the re-measure, reading not counted' },
  taken: { zh: '复测已记录', en: 're-measure recorded' },
};

const VERDICT: Readonly<Record<'fever' | 'normal', Message>> = {
  fever: { zh: '体温异常', en: 'fever' },
  normal: { zh: '体温正常', en: 'normal' },
};

export function registerReading(program: Command, globals: () => GlobalOptions): void {
  program
    .command('reading')
    .description(
      'Journal a temperature reading at a lane, e.g. the handheld re-measure of a high camera reading; ' +
        'prints what the checkpoint made of it (re-measure required, waiting, re-measure recorded)',
    )
    .argument('<laneId>', 'the lane the person stands at')
    .argument('<celsius>', `body temperature in °C (${MIN_C}–${MAX_C})`)
    .option('--handheld', 'taken with a handheld thermometer (otherwise: a camera reading handed in)')
    .addOption(
      new Option('--mask <seen>', 'whether a mask is worn (default: not told)').choices(['yes', 'no']),
    )
    .option('--operator <name>', 'who took it (journaled as the source)')
    .action(async (laneId: string, celsiusText: string, options: ReadingOptions) => {
      const celsius = parseCelsius(celsiusText);
      await withSite(globals(), (site) => {
        site.checkpoint.start();
        const reading: TemperatureReading = {
          at: site.now(),
          celsius,
          mask: options.mask === undefined ? null : options.mask === 'yes',
          instrument: options.handheld ? 'handheld' : 'camera',
        };
        const entry = site.checkpoint.reading(laneId, reading, `cli:${operatorName(options.operator)}`);
        const recorded = entry.payload.reading;
        const mark = recorded.remeasure ?? 'none';
        const label = MARK_LABELS[mark];
        const shown = `${label.zh} / ${label.en}: ${celsius.toFixed(1)} °C`;
        const where = `(${laneId}, journal #${entry.seq})`;
        if (mark === 'none' || mark === 'taken') {
          const fever = celsius >= site.policy(site.checkpoint.mode).feverThresholdC;
          const verdict = VERDICT[fever ? 'fever' : 'normal'];
          print(`${shown}, ${verdict.zh} / ${verdict.en} ${where}`);
        } else {
          print(`${shown} ${where}`);
        }
      });
    });
}

function parseCelsius(text: string): number {
  const celsius = /^\d{1,3}(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(celsius >= MIN_C && celsius <= MAX_C)) {
    throw new GatewardenError('USAGE', 'reading refused', {
      problems: [
        { field: 'celsius', message: `"${text}" is not a body temperature in °C from ${MIN_C} to ${MAX_C}` },
      ],
    });
  }
  return celsius;
}
