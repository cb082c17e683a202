import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PACKAGE_ROOT } from '../cli/io.js';
import { renderRulesMarkdown } from './rules-doc.js';

const target = resolve(PACKAGE_ROOT, process.argv[2] ?? 'docs/rules.md');
writeFileSync(target, renderRulesMarkdown());
process.stdout.write(`wrote ${target}\n`);
