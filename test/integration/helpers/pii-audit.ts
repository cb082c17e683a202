/**
 * The PII audit of issue 10 §3: every name and ID number of a generated registry, looked for in
 * pieces of text that leave the gateway (log lines, journal messages, MQTT payloads, InfluxDB
 * rows). Each piece is scanned as written and, when it is JSON, once more as re-serialised JSON,
 * so a name written with \\u escapes is found too; ID numbers are matched without regard to the
 * case of their check character (x or X).
 */
import type { Community } from '../../../simulators/site/community.js';

export interface AuditFinding {
  corpus: string;
  /** Which piece (its index in the corpus) and whose data: the person id and the first character only. */
  where: string;
}

export class PiiAudit {
  readonly scanned: Record<string, number> = {};
  readonly findings: AuditFinding[] = [];
  private readonly secrets: { personId: string; text: string }[];

  constructor(community: Community) {
    this.secrets = community.persons.flatMap((p) => [
      { personId: p.id, text: p.name },
      { personId: p.id, text: p.idNumber.toUpperCase() },
    ]);
  }

  /** Scans each piece of one corpus (e.g. `log`, one log line per piece). */
  scan(corpus: string, pieces: readonly string[]): void {
    this.scanned[corpus] = (this.scanned[corpus] ?? 0) + pieces.length;
    for (const [i, piece] of pieces.entries())
      for (const personId of this.found(piece)) this.findings.push({ corpus, where: `#${i} ${personId}` });
  }

  /** The persons (id and the first character of what was found) whose data is in `text`. */
  found(text: string): string[] {
    const haystack = `${text}\n${reserialised(text)}`.toUpperCase();
    return this.secrets
      .filter((s) => haystack.includes(s.text))
      .map((s) => `${s.personId}: ${s.text.slice(0, 1)}…`);
  }
}

function reserialised(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return '';
  }
}
