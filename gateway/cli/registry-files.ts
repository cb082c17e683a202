import { GatewardenError } from '../errors.js';
import { parseRegistryText, type RegistryFragment } from '../registry/fragment.js';
import { readInput } from './io.js';

/** Reads a registry document (YAML or JSON) for import; syntax problems name file and line. */
export function readRegistryDocument(path: string): RegistryFragment {
  const result = parseRegistryText(readInput(path), path);
  if (!result.ok) {
    throw new GatewardenError('REGISTRY_IMPORT_INVALID', `${path} cannot be read as a registry document`, {
      problems: result.problems,
    });
  }
  return result.value;
}
