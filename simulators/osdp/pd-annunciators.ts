import { BUZ_TONE, TEXT_CONTROL } from '../../drivers/osdp/messages/codes.js';
import type { BuzzerRecord, OsdpCommand } from '../../drivers/osdp/messages/commands.js';
import type { Clock } from '../../drivers/shared/clock.js';

/**
 * The reader's buzzer (osdp_BUZ) and its one-line text display (osdp_TEXT), protocols.md §1.7.
 * Both call `onChange` only when what a person would hear or read changes.
 */

export type TextCommand = Extract<OsdpCommand, { type: 'TEXT' }>;

/** `sounding` with the pattern that was asked for; `count` 0 means until told otherwise. */
export interface BuzzerView {
  reader: number;
  sounding: boolean;
  on100ms: number;
  off100ms: number;
  count: number;
}

/**
 * Tone 0 (no tone) is a no-op, 1 stops the buzzer, 2 sounds the pattern `count` times
 * (on + off each), then stops by itself; count 0 repeats until stopped (libosdp).
 * A pattern with no on time is silence.
 */
export class Buzzers {
  private readonly state: { view: BuzzerView; handle?: unknown }[];

  constructor(
    readonly readers: number,
    private readonly clock: Clock,
    private readonly onChange: (view: BuzzerView) => void,
  ) {
    this.state = Array.from({ length: readers }, (_, reader) => ({
      view: { reader, sounding: false, on100ms: 0, off100ms: 0, count: 0 },
    }));
  }

  problem(r: BuzzerRecord): string | undefined {
    if (r.reader >= this.readers) return `reader ${r.reader} does not exist (${this.readers} readers)`;
    if (r.tone > BUZ_TONE.DEFAULT) return `tone code ${r.tone} is not 0..2`;
    return undefined;
  }

  apply(r: BuzzerRecord): void {
    const s = this.slot(r.reader);
    if (r.tone === BUZ_TONE.NONE) return;
    if (s.handle !== undefined) this.clock.clearTimeout(s.handle);
    s.handle = undefined;
    const sounding = r.tone === BUZ_TONE.DEFAULT && r.on100ms > 0;
    const was = s.view.sounding;
    s.view = { reader: r.reader, sounding, on100ms: r.on100ms, off100ms: r.off100ms, count: r.count };
    if (sounding && r.count > 0) {
      const handle = this.clock.setTimeout(
        () => {
          if (s.handle !== handle) return;
          s.handle = undefined;
          s.view = { ...s.view, sounding: false };
          this.onChange(s.view);
        },
        r.count * (r.on100ms + r.off100ms) * 100,
      );
      s.handle = handle;
    }
    if (sounding !== was || sounding) this.onChange(s.view);
  }

  views(): BuzzerView[] {
    return this.state.map((s) => ({ ...s.view }));
  }

  dispose(): void {
    for (const s of this.state) if (s.handle !== undefined) this.clock.clearTimeout(s.handle);
  }

  private slot(reader: number): { view: BuzzerView; handle?: unknown } {
    const s = this.state[reader];
    if (!s) throw new RangeError(`no reader ${reader}`);
    return s;
  }
}

export interface TextView {
  reader: number;
  text: string;
  temporary: boolean;
}

/**
 * One text line per reader. Controls 1/2 set the permanent text, 3/4 show a temporary text
 * for `tempSeconds` and then the permanent one again (wrap vs no-wrap and row/column do not
 * change what this model stores: the line as sent).
 */
export class TextDisplays {
  private readonly state: { permanent: string; temporary?: { text: string; handle: unknown } }[];

  constructor(
    readonly readers: number,
    private readonly clock: Clock,
    private readonly onChange: (view: TextView) => void,
  ) {
    this.state = Array.from({ length: readers }, () => ({ permanent: '' }));
  }

  problem(cmd: TextCommand): string | undefined {
    if (cmd.reader >= this.readers) return `reader ${cmd.reader} does not exist (${this.readers} readers)`;
    if (cmd.control < TEXT_CONTROL.PERM_NO_WRAP || cmd.control > TEXT_CONTROL.TEMP_WRAP) {
      return `text control ${cmd.control} is not 1..4`;
    }
    return undefined;
  }

  apply(cmd: TextCommand): void {
    const s = this.slot(cmd.reader);
    const before = this.view(cmd.reader);
    if (cmd.control === TEXT_CONTROL.PERM_NO_WRAP || cmd.control === TEXT_CONTROL.PERM_WRAP) {
      s.permanent = cmd.text;
    } else {
      if (s.temporary) this.clock.clearTimeout(s.temporary.handle);
      s.temporary = undefined;
      if (cmd.tempSeconds > 0) {
        const handle = this.clock.setTimeout(() => {
          if (s.temporary?.handle !== handle) return;
          const shown = this.view(cmd.reader);
          s.temporary = undefined;
          this.report(shown, this.view(cmd.reader));
        }, cmd.tempSeconds * 1000);
        s.temporary = { text: cmd.text, handle };
      }
    }
    this.report(before, this.view(cmd.reader));
  }

  view(reader: number): TextView {
    const s = this.slot(reader);
    return { reader, text: s.temporary?.text ?? s.permanent, temporary: s.temporary !== undefined };
  }

  views(): TextView[] {
    return this.state.map((_, reader) => this.view(reader));
  }

  dispose(): void {
    for (const s of this.state) if (s.temporary) this.clock.clearTimeout(s.temporary.handle);
  }

  private slot(reader: number): { permanent: string; temporary?: { text: string; handle: unknown } } {
    const s = this.state[reader];
    if (!s) throw new RangeError(`no reader ${reader}`);
    return s;
  }

  private report(before: TextView, after: TextView): void {
    if (before.text !== after.text) this.onChange(after);
  }
}
