import { isNode, LineCounter, parseDocument } from 'yaml';
import type { Problem } from '../errors.js';

/** A path into a registry document: `['persons', 3, 'idNumber']`. */
export type DocumentPath = readonly (string | number)[];

/**
 * One input of an import: a registry document (not yet validated: the import validates it)
 * and where it came from, so that every problem names the file and the line.
 */
export interface RegistryFragment {
  document: unknown;
  /** Shown in problems. */
  file?: string;
  /** The 1-based line of the value at `path` (or of its nearest ancestor), when known. */
  lineOf?: (path: DocumentPath) => number | undefined;
  /** What problems call the value at `path` (e.g. a CSV column name); default: the dotted path. */
  fieldOf?: (path: DocumentPath) => string | undefined;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Dotted form of a path, as in `Problem.field`: `persons.3.idNumber`. */
export function pathToField(path: DocumentPath): string {
  return path.join('.');
}

/** A problem at `path` in `fragment`, with its file and line. */
export function problemAt(fragment: RegistryFragment, path: DocumentPath, message: string): Problem {
  const problem: Problem = { message, field: fragment.fieldOf?.(path) ?? pathToField(path) };
  if (fragment.file !== undefined) problem.file = fragment.file;
  const line = fragment.lineOf?.(path);
  if (line !== undefined) problem.line = line;
  return problem;
}

/**
 * Parses a registry document written in YAML or JSON (JSON is read as YAML 1.2, of which it is a
 * subset, so both get line numbers). Syntax errors come back as problems; the content is not
 * validated here.
 */
export function parseRegistryText(text: string, file?: string): ParseResult<RegistryFragment> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const p: Problem = { message: `not valid YAML/JSON: ${e.message.split('\n')[0]}` };
        if (file !== undefined) p.file = file;
        const line = e.linePos?.[0]?.line;
        if (line !== undefined) p.line = line;
        return p;
      }),
    };
  }
  const lineOf = (path: DocumentPath): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  let document: unknown;
  try {
    document = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    // Too many alias expansions (a "billion laughs" document).
    const p: Problem = { message: `not accepted: ${(cause as Error).message}` };
    if (file !== undefined) p.file = file;
    return { ok: false, problems: [p] };
  }
  const fragment: RegistryFragment = { document, lineOf };
  if (file !== undefined) fragment.file = file;
  return { ok: true, value: fragment };
}
