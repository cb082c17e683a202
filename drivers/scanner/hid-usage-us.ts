/**
 * Spec table: HID Keyboard/Keypad usages (usage page 0x07) to characters for a **US keyboard
 * layout**, the layout a keyboard-wedge scanner assumes at its factory default. Source:
 * protocols.md §4.2 (USB HID Usage Tables, Keyboard/Keypad page). A scanner set to another
 * country code (AZERTY, QWERTZ) sends other usages for the same characters; such layouts get
 * their own table later, chosen by configuration, never guessed.
 *
 * Not characters, on purpose:
 * - Keypad keys with Shift (with NumLock on, Shift turns them into navigation keys on a PC).
 * - Non-US `#` (0x32) and Non-US `\` (0x64): keys a US keyboard does not have.
 * - Enter, Tab, Escape, Backspace and other editing or function keys.
 * Keypad digits and operators assume NumLock on, as scanners that type on the keypad do.
 */

export const USAGE = {
  /** Keyboard ErrorRollOver: every key slot holds it while too many keys are down (phantom state). */
  ERROR_ROLLOVER: 0x01,
  POST_FAIL: 0x02,
  ERROR_UNDEFINED: 0x03,
  ENTER: 0x28,
  TAB: 0x2b,
  CAPS_LOCK: 0x39,
  KEYPAD_ENTER: 0x58,
} as const;

/** Modifier bits of byte 0 of a boot keyboard report (§4.2). */
export const MODIFIER = {
  LEFT_CTRL: 0x01,
  LEFT_SHIFT: 0x02,
  LEFT_ALT: 0x04,
  LEFT_GUI: 0x08,
  RIGHT_CTRL: 0x10,
  RIGHT_SHIFT: 0x20,
  RIGHT_ALT: 0x40,
  RIGHT_GUI: 0x80,
} as const;

export const SHIFT_BITS = MODIFIER.LEFT_SHIFT | MODIFIER.RIGHT_SHIFT;
/** Ctrl, Alt and GUI: a key pressed with any of them is a shortcut, not a character. */
export const NON_SHIFT_BITS = 0xff & ~SHIFT_BITS;

/** usage → [character without Shift, character with Shift (undefined: none)]. */
export const US_LAYOUT: ReadonlyMap<number, readonly [string, string | undefined]> = new Map<
  number,
  readonly [string, string | undefined]
>([
  // a–z at 0x04–0x1D; Shift gives A–Z.
  ...[...'abcdefghijklmnopqrstuvwxyz'].map((c, i) => [0x04 + i, [c, c.toUpperCase()]] as const),
  // 1–9 at 0x1E–0x26 and 0 at 0x27; Shift gives the symbols above them.
  ...[...'1234567890'].map((c, i) => [0x1e + i, [c, '!@#$%^&*()'[i]]] as const),
  [0x2c, [' ', ' ']],
  [0x2d, ['-', '_']],
  [0x2e, ['=', '+']],
  [0x2f, ['[', '{']],
  [0x30, [']', '}']],
  [0x31, ['\\', '|']],
  [0x33, [';', ':']],
  [0x34, ["'", '"']],
  [0x35, ['`', '~']],
  [0x36, [',', '<']],
  [0x37, ['.', '>']],
  [0x38, ['/', '?']],
  // Keypad (NumLock on): / * - + at 0x54–0x57, 1–9 at 0x59–0x61, 0 at 0x62, . at 0x63.
  [0x54, ['/', undefined]],
  [0x55, ['*', undefined]],
  [0x56, ['-', undefined]],
  [0x57, ['+', undefined]],
  ...[...'1234567890'].map((c, i) => [0x59 + i, [c, undefined]] as const),
  [0x63, ['.', undefined]],
]);

/**
 * The reverse, for simulators: the main-block key and Shift state that types each printable
 * ASCII character (the keypad is never preferred). Every character 0x20–0x7E is present.
 */
export const US_KEY_FOR_CHAR: ReadonlyMap<string, { usage: number; shift: boolean }> = (() => {
  const map = new Map<string, { usage: number; shift: boolean }>();
  for (const [usage, [plain, shifted]] of US_LAYOUT) {
    if (usage >= 0x54) continue;
    if (!map.has(plain)) map.set(plain, { usage, shift: false });
    if (shifted !== undefined && !map.has(shifted)) map.set(shifted, { usage, shift: true });
  }
  return map;
})();
