/**
 * Generates `config/schema.json` from the zod schema: `npm run schema`, or
 * `node dist/config/write-json-schema.js [output-file]`. The file is committed so editors find it
 * next to the YAML; a unit test fails when it is stale.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * The JSON Schema of what may be written in the file (the input side: defaulted fields are
 * optional and carry their `default`). Draft-07 because it is what editors' YAML and JSON
 * language servers support most completely.
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { target: 'draft-07', io: 'input' }) as Record<string, unknown>;
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/** The repository root: the nearest folder above this module with a package.json (works from dist/ too). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above write-json-schema');
    dir = parent;
  }
  return dir;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const output = process.argv[2] ?? join(repoRoot(), 'config', 'schema.json');
  writeFileSync(output, configJsonSchemaText());
  process.stdout.write(`wrote ${output}\n`);
}
