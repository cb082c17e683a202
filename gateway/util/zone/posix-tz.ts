/**
 * POSIX TZ strings, as the footer of a TZif file carries them (RFC 8536 §3.3, with its
 * extensions: hours up to 167 and negative times in rules): `std offset [dst [offset]
 * [,start[/time],end[/time]]]`, e.g. `CST-8`, `EST5EDT,M3.2.0,M11.1.0`,
 * `<-03>3<-02>,M3.5.0/-2,M10.5.0/-1`. They give a zone's offsets after its last listed
 * transition. Pure: parse once, then `posixOffsetAt` for any instant.
 *
 * Offsets here are seconds *east* of UTC (the string's sign is the other way round).
 */

export interface PosixTz {
  /** Standard time's offset east of UTC, seconds. */
  std: number;
  /** Daylight time, when the string names one. */
  dst?: { offset: number; start: PosixRule; end: PosixRule };
}

/** A rule's day of the year and the local time of the change on it (seconds, may be < 0 or > 24 h). */
export type PosixRule =
  | { kind: 'julian1'; day: number; time: number } // Jn: 1–365, February 29 never counted
  | { kind: 'julian0'; day: number; time: number } // n: 0–365, February 29 counted
  | { kind: 'month'; month: number; week: number; weekday: number; time: number }; // Mm.w.d

export class PosixTzError extends Error {
  constructor(
    readonly tz: string,
    readonly at: number,
    what: string,
  ) {
    super(`TZ string "${tz}" at ${at}: ${what}`);
    this.name = 'PosixTzError';
  }
}

const HOUR = 3600;
const DAY_MS = 86_400_000;
const DEFAULT_RULE_TIME = 2 * HOUR;

/** Parses a TZ string; throws PosixTzError naming the position of what is wrong. */
export function parsePosixTz(tz: string): PosixTz {
  const reader = new Reader(tz);
  reader.name();
  const std = east(reader.offset(24));
  if (reader.done()) return { std };
  reader.name();
  if (reader.done())
    throw new PosixTzError(tz, reader.at, 'daylight time without the rules of its start and end');
  const dstOffset = reader.peek() === ',' ? std + HOUR : east(reader.offset(24));
  reader.expect(',');
  const start = reader.rule();
  reader.expect(',');
  const end = reader.rule();
  if (!reader.done()) throw new PosixTzError(tz, reader.at, `unexpected "${tz.slice(reader.at)}"`);
  return { std, dst: { offset: dstOffset, start, end } };
}

/** Offset east of UTC in seconds at `atMs` (epoch ms). */
export function posixOffsetAt(tz: PosixTz, atMs: number): number {
  const { dst } = tz;
  if (dst === undefined) return tz.std;
  // The year as standard time sees it; both changes of that year, as instants.
  const year = new Date(atMs + tz.std * 1000).getUTCFullYear();
  const start = ruleStartOfDayMs(dst.start, year) + (dst.start.time - tz.std) * 1000;
  const end = ruleStartOfDayMs(dst.end, year) + (dst.end.time - dst.offset) * 1000;
  const inDst = start < end ? atMs >= start && atMs < end : !(atMs >= end && atMs < start);
  return inDst ? dst.offset : tz.std;
}

/** Midnight (as if UTC) of the rule's day in `year`, epoch ms. */
function ruleStartOfDayMs(rule: PosixRule, year: number): number {
  const jan1 = Date.UTC(year, 0, 1);
  switch (rule.kind) {
    case 'julian0':
      return jan1 + rule.day * DAY_MS;
    case 'julian1': {
      const leapDayPassed = isLeap(year) && rule.day >= 60;
      return jan1 + (rule.day - 1 + (leapDayPassed ? 1 : 0)) * DAY_MS;
    }
    case 'month': {
      const first = Date.UTC(year, rule.month - 1, 1);
      const firstWeekday = new Date(first).getUTCDay();
      let day = 1 + ((rule.weekday - firstWeekday + 7) % 7) + (rule.week - 1) * 7;
      const daysInMonth = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
      while (day > daysInMonth) day -= 7; // week 5: the last such weekday
      return Date.UTC(year, rule.month - 1, day);
    }
  }
}

/** The string's offsets count west of UTC; ours east (and never -0). */
function east(west: number): number {
  return west === 0 ? 0 : -west;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

class Reader {
  at = 0;
  constructor(private readonly tz: string) {}

  done(): boolean {
    return this.at >= this.tz.length;
  }

  peek(): string | undefined {
    return this.tz[this.at];
  }

  expect(char: string): void {
    if (this.peek() !== char) this.fail(`expected "${char}"`);
    this.at++;
  }

  /** `ABC` (three or more letters) or `<+0530>` (letters, digits, + and -). */
  name(): void {
    if (this.peek() === '<') {
      const close = this.tz.indexOf('>', this.at);
      if (close < 0 || !/^[A-Za-z0-9+-]{3,}$/.test(this.tz.slice(this.at + 1, close)))
        this.fail('a quoted zone abbreviation such as <+08>');
      this.at = close + 1;
      return;
    }
    const match = /^[A-Za-z]{3,}/.exec(this.tz.slice(this.at));
    if (match === null) this.fail('a zone abbreviation of three or more letters');
    this.at += match[0].length;
  }

  /** `[+-]hh[:mm[:ss]]` in seconds, `hh` at most `maxHours`. */
  offset(maxHours: number): number {
    const match = /^([+-]?)(\d{1,3})(?::(\d{2}))?(?::(\d{2}))?/.exec(this.tz.slice(this.at));
    if (match === null) this.fail('an offset [+-]hh[:mm[:ss]]');
    const [hours, minutes, seconds] = [Number(match[2]), Number(match[3] ?? 0), Number(match[4] ?? 0)];
    if (hours > maxHours || minutes > 59 || seconds > 59) this.fail(`"${match[0]}" is out of range`);
    this.at += match[0].length;
    const value = hours * HOUR + minutes * 60 + seconds;
    return match[1] === '-' ? -value : value;
  }

  rule(): PosixRule {
    const match = /^(?:M(\d{1,2})\.(\d)\.(\d)|J(\d{1,3})|(\d{1,3}))/.exec(this.tz.slice(this.at));
    if (match === null) this.fail('a rule Mm.w.d, Jn or n');
    const [text, month, week, weekday, julian1, julian0] = match;
    let rule: PosixRule;
    if (month !== undefined) {
      rule = {
        kind: 'month',
        month: +month,
        week: Number(week),
        weekday: Number(weekday),
        time: DEFAULT_RULE_TIME,
      };
      if (rule.month < 1 || rule.month > 12 || rule.week < 1 || rule.week > 5 || rule.weekday > 6)
        this.fail(`"${text}" is out of range`);
    } else if (julian1 !== undefined) {
      rule = { kind: 'julian1', day: +julian1, time: DEFAULT_RULE_TIME };
      if (rule.day < 1 || rule.day > 365) this.fail(`"${text}": J takes a day 1 to 365`);
    } else {
      rule = { kind: 'julian0', day: Number(julian0), time: DEFAULT_RULE_TIME };
      if (rule.day > 365) this.fail(`"${text}": a day 0 to 365`);
    }
    this.at += text.length;
    if (this.peek() === '/') {
      this.at++;
      rule.time = this.offset(167);
    }
    return rule;
  }

  private fail(what: string): never {
    throw new PosixTzError(this.tz, this.at, what);
  }
}
