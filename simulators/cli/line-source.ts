import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/**
 * Where a simulator's technician commands come from, shared by every subcommand: a script
 * file (`--script`), else standard input — with a prompt when it is a terminal, line by line
 * when it is a pipe. Lines are handled strictly one after another (a `wait` really waits);
 * `handle` returning 'quit' ends the session. Resolves 'quit', or 'eof' at the end of input
 * (Ctrl-C at the prompt counts as the end of input).
 */
export interface LineSourceOptions {
  script?: string;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  prompt: string;
}

export type LineHandler = (line: string, lineNumber: number) => Promise<'quit' | undefined>;

export async function runLines(options: LineSourceOptions, handle: LineHandler): Promise<'quit' | 'eof'> {
  if (options.script !== undefined) {
    const lines = (await readFile(options.script, 'utf8')).split(/\r?\n/);
    for (const [i, line] of lines.entries()) {
      if ((await handle(line, i + 1)) === 'quit') return 'quit';
    }
    return 'eof';
  }
  const interactive = options.input.isTTY === true;
  const rl = createInterface({ input: options.input, output: options.output, terminal: interactive });
  rl.setPrompt(options.prompt);
  rl.on('SIGINT', () => rl.close());
  if (interactive) rl.prompt();
  let n = 0;
  try {
    for await (const line of rl) {
      if ((await handle(line, ++n)) === 'quit') return 'quit';
      if (interactive) rl.prompt();
    }
    return 'eof';
  } finally {
    rl.close();
  }
}
