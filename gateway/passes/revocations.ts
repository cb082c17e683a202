import { PASS_ID_PATTERN } from './pass-codec.js';

/**
 * The pass revocation list: the file `passes.revocationFile`, UTF-8 text, one revoked pass per
 * line as `<pass id> <revoked at, ISO 8601>`, optionally followed by `# note`; blank lines and
 * lines starting with `#` are comments:
 *
 *   # gatewarden pass revocations
 *   gwp-3f9a0c1d2e4b5a67 2024-05-01T08:12:00.000Z # phone lost
 *
 * A listed pass is refused whatever the time; the instant is for the audit. Lines are plain so
 * that a list can be diffed, appended to by hand and sent to other gateways as it is.
 */

export interface Revocation {
  passId: string;
  at: number;
  note?: string;
}

export const REVOCATIONS_HEADER =
  '# gatewarden pass revocations: <pass id> <revoked at, ISO 8601> [# note]\n';

// `s`: a note may hold U+2028/U+2029, which `.` would not match without it (the whole list then failed).
const LINE = /^(\S+)\s+(\S+)(?:\s+#\s?(.*))?$/s;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

export function parseRevocations(
  text: string,
): { ok: true; revocations: Revocation[] } | { ok: false; problems: string[] } {
  const revocations: Revocation[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    const [, passId = '', when = '', note] = m ?? [];
    if (!m) problems.push(`line ${i + 1}: expected "<pass id> <revoked at>"`);
    else if (!PASS_ID_PATTERN.test(passId))
      problems.push(`line ${i + 1}: not a pass id (gwp- and 16 hex digits)`);
    else if (!ISO.test(when) || Number.isNaN(Date.parse(when)))
      problems.push(`line ${i + 1}: "${when}" is not an ISO 8601 instant with offset`);
    else
      revocations.push(
        note === undefined ? { passId, at: Date.parse(when) } : { passId, at: Date.parse(when), note },
      );
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, revocations };
}

/** One line of the file; a note loses its line breaks. */
export function formatRevocation(r: Revocation): string {
  const note = r.note?.replace(/[\r\n]+/g, ' ').trim();
  return `${r.passId} ${new Date(r.at).toISOString()}${note ? ` # ${note}` : ''}\n`;
}
