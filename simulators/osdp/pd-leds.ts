import { LED_PERM_CONTROL, LED_TEMP_CONTROL } from '../../drivers/osdp/messages/codes.js';
import type { LedRecord } from '../../drivers/osdp/messages/commands.js';
import type { Clock } from '../../drivers/shared/clock.js';

/**
 * Reader LEDs under osdp_LED (protocols.md §1.7). Each LED has a permanent pattern and at most
 * one temporary pattern that shows while its timer runs, then the permanent one returns.
 * A pattern flashes when both times are non-zero and its colours differ; otherwise it is
 * steady: the off colour when only the off time is set, else the on colour (so "on 0, off 0,
 * green/green" is steady green as in the Annex E example) [unverified against a reader].
 */

export interface LedPattern {
  onColor: number;
  offColor: number;
  on100ms: number;
  off100ms: number;
}

/** What one LED shows now; `flashingWith` is the second colour of a flashing pattern. */
export interface LedView {
  reader: number;
  led: number;
  color: number;
  flashingWith?: number;
  temporary: boolean;
}

const DARK: LedPattern = { onColor: 0, offColor: 0, on100ms: 0, off100ms: 0 };
const MAX_COLOR = 7;

interface LedState {
  permanent: LedPattern;
  temporary?: { pattern: LedPattern; handle: unknown };
}

export class LedBank {
  private readonly leds: LedState[][];

  constructor(
    readonly readers: number,
    readonly ledsPerReader: number,
    private readonly clock: Clock,
    private readonly onChange: (view: LedView) => void,
  ) {
    this.leds = Array.from({ length: readers }, () =>
      Array.from({ length: ledsPerReader }, () => ({ permanent: DARK })),
    );
  }

  /** Why a record cannot be applied (NAK 0x09), or undefined. */
  problem(r: LedRecord): string | undefined {
    if (r.reader >= this.readers) return `reader ${r.reader} does not exist (${this.readers} readers)`;
    if (r.led >= this.ledsPerReader) return `LED ${r.led} does not exist (${this.ledsPerReader} per reader)`;
    if (r.tempControl > LED_TEMP_CONTROL.SET) return `temporary control ${r.tempControl} is not 0..2`;
    if (r.permControl > LED_PERM_CONTROL.SET) return `permanent control ${r.permControl} is not 0..1`;
    const colors = [r.tempOnColor, r.tempOffColor, r.permOnColor, r.permOffColor];
    if (colors.some((c) => c > MAX_COLOR)) return `colour codes must be 0..${MAX_COLOR}`;
    return undefined;
  }

  apply(r: LedRecord): void {
    const state = this.state(r.reader, r.led);
    const before = this.view(r.reader, r.led);
    if (r.permControl === LED_PERM_CONTROL.SET) {
      state.permanent = {
        onColor: r.permOnColor,
        offColor: r.permOffColor,
        on100ms: r.permOn100ms,
        off100ms: r.permOff100ms,
      };
    }
    if (r.tempControl === LED_TEMP_CONTROL.CANCEL) this.cancel(state);
    if (r.tempControl === LED_TEMP_CONTROL.SET) {
      this.cancel(state);
      if (r.tempTimer100ms > 0) {
        const pattern = {
          onColor: r.tempOnColor,
          offColor: r.tempOffColor,
          on100ms: r.tempOn100ms,
          off100ms: r.tempOff100ms,
        };
        const handle = this.clock.setTimeout(() => {
          if (state.temporary?.handle !== handle) return;
          const shown = this.view(r.reader, r.led);
          state.temporary = undefined;
          this.report(shown, this.view(r.reader, r.led));
        }, r.tempTimer100ms * 100);
        state.temporary = { pattern, handle };
      }
    }
    this.report(before, this.view(r.reader, r.led));
  }

  view(reader: number, led: number): LedView {
    const state = this.state(reader, led);
    const pattern = state.temporary?.pattern ?? state.permanent;
    const flashing = pattern.on100ms > 0 && pattern.off100ms > 0 && pattern.onColor !== pattern.offColor;
    const steady = pattern.on100ms === 0 && pattern.off100ms > 0 ? pattern.offColor : pattern.onColor;
    const view: LedView = {
      reader,
      led,
      color: flashing ? pattern.onColor : steady,
      temporary: !!state.temporary,
    };
    if (flashing) view.flashingWith = pattern.offColor;
    return view;
  }

  views(): LedView[] {
    return this.leds.flatMap((row, reader) => row.map((_, led) => this.view(reader, led)));
  }

  dispose(): void {
    for (const row of this.leds) for (const state of row) this.cancel(state);
  }

  private state(reader: number, led: number): LedState {
    const state = this.leds[reader]?.[led];
    if (!state) throw new RangeError(`no LED ${led} on reader ${reader}`);
    return state;
  }

  private cancel(state: LedState): void {
    if (state.temporary) this.clock.clearTimeout(state.temporary.handle);
    state.temporary = undefined;
  }

  private report(before: LedView, after: LedView): void {
    // Only what a person sees counts: a temporary pattern equal to the permanent one is no change.
    if (before.color !== after.color || before.flashingWith !== after.flashingWith) this.onChange(after);
  }
}
