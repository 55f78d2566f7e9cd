/** The `nncompress` command. Returns the exit code instead of exiting, so it is testable. */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { NncError } from '@nncompress/core';
import { inspectCommand } from './commands/inspect';
import { pluginsCommand } from './commands/plugins';
import { runCommand } from './commands/run';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 2147483647) throw new InvalidArgumentError('must be an integer from 0 to 2147483647');
  return n;
}

export async function main(argv: readonly string[]): Promise<number> {
  let verbose = argv.includes('--verbose');
  const program = new Command('nncompress')
    .description('Compress trained TensorFlow.js models with pluggable pruning, fine-tuning and encoding.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `nncompress: ${s}` : s) });

  program
    .command('run')
    .description('run a compression pipeline')
    .argument('<config>', 'pipeline config (.yaml, .json, .ts or .js)')
    .option('-o, --out <dir>', 'output folder (default: nncompress-out/<config name>)')
    .option('--seed <n>', 'override the config seed', parseSeed)
    .option('--verbose', 'more output, and stack traces on errors')
    .action(async (config: string, opts: { out?: string; seed?: number; verbose?: boolean }) => {
      verbose = Boolean(opts.verbose);
      await runCommand(config, opts);
    });

  program
    .command('inspect')
    .description('table of layers, params, sparsity and FLOPs of a model')
    .argument('<model.json>', 'tfjs LayersModel')
    .action(async (model: string) => inspectCommand(model));

  program
    .command('plugins')
    .description('list resolvable plugins and their options')
    .action(() => pluginsCommand());

  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof NncError) {
      process.stderr.write(`nncompress: error: ${err.message}\n`);
      if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
      return 1;
    }
    const e = err as Error;
    process.stderr.write(`nncompress: internal error: ${e?.message ?? String(err)}${verbose ? '' : ' (run with --verbose for the stack)'}\n`);
    if (verbose && e?.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
