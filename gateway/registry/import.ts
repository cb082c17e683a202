import type { z } from 'zod';
import { convertDocument } from './convert-document.js';
import { type RegistryDocument, registryDocumentSchema } from './document.js';
import { type DocumentPath, problemAt, type RegistryFragment } from './fragment.js';
import { DEFAULT_PROBLEM_LIMIT, ProblemCollector } from './problems.js';
import type { ConvertedFragment, ConvertOptions, RegistryRecords } from './records.js';
import { checkAndCombine, type ExistingRecords } from './references.js';

/** A whole document, one fragment (a parsed file or roster), or several imported together. */
export type RegistryImportInput = RegistryDocument | RegistryFragment | readonly RegistryFragment[];

export interface PrepareOptions extends ConvertOptions {
  /** Records the import may refer to (merge) or none (replace). */
  existing: ExistingRecords;
  maxProblems?: number;
}

export function toFragments(input: RegistryImportInput): readonly RegistryFragment[] {
  if (Array.isArray(input)) return input as readonly RegistryFragment[];
  if (typeof input === 'object' && input !== null && 'document' in input) return [input as RegistryFragment];
  return [{ document: input }];
}

/**
 * Validates, converts and cross-checks an import without writing anything. Returns the records
 * to write, or throws a GatewardenError `REGISTRY_IMPORT_INVALID` listing every problem (up to
 * `maxProblems`, then a count) with file, line and field.
 *
 * Order: the schema first (a fragment that fails it is not converted, since its shape is
 * unknown), then conversion (ID numbers, instants, credential values), then references and
 * duplicates across all fragments, which run only when everything before was clean, so that
 * one bad entry does not echo as a cascade of "no such person".
 */
export function prepareImport(input: RegistryImportInput, options: PrepareOptions): RegistryRecords {
  const problems = new ProblemCollector(options.maxProblems ?? DEFAULT_PROBLEM_LIMIT);
  const converted: ConvertedFragment[] = [];
  for (const fragment of toFragments(input)) {
    const parsed = registryDocumentSchema.safeParse(fragment.document);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.add(problemAt(fragment, issuePath(issue), issue.message));
      continue;
    }
    converted.push(convertDocument(fragment, parsed.data, options, problems));
  }
  problems.throwIfAny('registry import');
  const records = checkAndCombine(converted, options.existing, problems);
  problems.throwIfAny('registry import');
  return records;
}

/** The path of a schema issue; an unknown key points at the key itself. */
function issuePath(issue: z.core.$ZodIssue): DocumentPath {
  const path = issue.path.map((k) => (typeof k === 'number' ? k : String(k)));
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0] as string);
  return path;
}
