import { OUT_CONTROL } from '../../drivers/osdp/messages/codes.js';
import type { OutputRecord } from '../../drivers/osdp/messages/commands.js';
import type { Clock } from '../../drivers/shared/clock.js';

/**
 * The PD's relay outputs under osdp_OUT (protocols.md §1.7). Each output has a permanent state
 * and at most one timed (temporary) state on top; what the relay does is the timed state while
 * its timer runs, else the permanent one. Control codes:
 * 0 NOP · 1/2 permanent OFF/ON and abort the timed state · 3/4 permanent OFF/ON and let the
 * timed state finish · 5/6 timed ON/OFF for `timer100ms`, then back to the permanent state.
 * A timed code with timer 0 lasts no time, so it only aborts a running timed state.
 * `onChange` is called once per change of what the relay does, never for a no-op.
 */
export class OutputBank {
  private readonly permanent: boolean[];
  private readonly timed: ({ active: boolean; handle: unknown } | undefined)[];

  constructor(
    readonly count: number,
    private readonly clock: Clock,
    private readonly onChange: (index: number, active: boolean) => void,
  ) {
    this.permanent = Array.from({ length: count }, () => false);
    this.timed = Array.from({ length: count }, () => undefined);
  }

  /** What output `index` does now. */
  isActive(index: number): boolean {
    return this.timed[index]?.active ?? this.permanent[index] ?? false;
  }

  states(): boolean[] {
    return this.permanent.map((_, i) => this.isActive(i));
  }

  /** Why a record cannot be applied (the PD answers NAK 0x09), or undefined when it can. */
  problem(record: OutputRecord): string | undefined {
    if (record.output >= this.count) return `output ${record.output} does not exist (${this.count} outputs)`;
    if (record.control > OUT_CONTROL.TEMP_OFF) return `control code ${record.control} is not 0..6`;
    return undefined;
  }

  /** Applies a record that `problem()` accepted. */
  apply(record: OutputRecord): void {
    const i = record.output;
    this.change(i, () => {
      switch (record.control) {
        case OUT_CONTROL.PERM_OFF_ABORT_TIMED:
        case OUT_CONTROL.PERM_ON_ABORT_TIMED:
          this.cancelTimed(i);
          this.permanent[i] = record.control === OUT_CONTROL.PERM_ON_ABORT_TIMED;
          break;
        case OUT_CONTROL.PERM_OFF_AFTER_TIMED:
        case OUT_CONTROL.PERM_ON_AFTER_TIMED:
          this.permanent[i] = record.control === OUT_CONTROL.PERM_ON_AFTER_TIMED;
          break;
        case OUT_CONTROL.TEMP_ON:
        case OUT_CONTROL.TEMP_OFF:
          this.cancelTimed(i);
          if (record.timer100ms > 0)
            this.startTimed(i, record.control === OUT_CONTROL.TEMP_ON, record.timer100ms);
          break;
        default:
          break;
      }
    });
  }

  /** Cancels every timer; the outputs keep their current state. */
  dispose(): void {
    for (let i = 0; i < this.count; i++) this.cancelTimed(i);
  }

  private startTimed(i: number, active: boolean, timer100ms: number): void {
    const handle = this.clock.setTimeout(() => {
      if (this.timed[i]?.handle !== handle) return;
      this.change(i, () => {
        this.timed[i] = undefined;
      });
    }, timer100ms * 100);
    this.timed[i] = { active, handle };
  }

  private cancelTimed(i: number): void {
    const t = this.timed[i];
    if (t) this.clock.clearTimeout(t.handle);
    this.timed[i] = undefined;
  }

  private change(i: number, mutate: () => void): void {
    const before = this.isActive(i);
    mutate();
    const after = this.isActive(i);
    if (after !== before) this.onChange(i, after);
  }
}
