import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandNamed } from '../../gateway/cli/command-table.js';

describe('the CLI command table', () => {
  it('finds the command after the global options, in every spelling of --config', () => {
    expect(commandNamed(['start'])).toBe('start');
    expect(commandNamed(['-c', 'site.yaml', 'start'])).toBe('start');
    expect(commandNamed(['--config', 'site.yaml', 'registry', 'import', 'x.csv'])).toBe('registry');
    expect(commandNamed(['--config=site.yaml', 'mode', 'get'])).toBe('mode');
    expect(commandNamed(['-csite.yaml', 'journal', 'verify'])).toBe('journal');
    // A configuration file that happens to be named like a command is still the option's value.
    expect(commandNamed(['-c', 'start', 'mode', 'get'])).toBe('mode');
  });

  it('names no command for help, nothing, a typo or an unknown option, so that all are loaded', () => {
    expect(commandNamed([])).toBeUndefined();
    expect(commandNamed(['--help'])).toBeUndefined();
    expect(commandNamed(['-h'])).toBeUndefined();
    expect(commandNamed(['strat'])).toBeUndefined();
    expect(commandNamed(['--verbose', 'start'])).toBeUndefined();
    expect(commandNamed(['toString'])).toBeUndefined();
    expect(commandNamed(['-c'])).toBeUndefined();
  });

  it('loads, for each name, the module that registers exactly that command', async () => {
    for (const [name, load] of Object.entries(COMMANDS)) {
      const program = new Command('gatewarden');
      const register = await load();
      register(program, () => ({ config: 'unused.yaml' }));
      expect(program.commands.map((c) => c.name())).toEqual([name]);
    }
  });
});
