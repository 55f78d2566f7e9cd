/** The `nncompress` command. Returns the exit code instead of exiting, so it is testable. */
import * as fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { MAGIC } from '@nncompress/format';
import { NncError } from '@nncompress/core';
import { decodeCommand, encodeCommand, inspectNncCommand } from './commands/codec';
import { inspectCommand } from './commands/inspect';
import { pluginsCommand } from './commands/plugins';
import { runCommand } from './commands/run';
import { sensitivityCommand } from './commands/sensitivity';
import { sweepCommand } from './commands/sweep';
import { workerCommand } from './commands/queue';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 2147483647) throw new InvalidArgumentError('must be an integer from 0 to 2147483647');
  return n;
}

function parseWorkers(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('must be auto or an integer from 1 to 256');
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function parseFraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
}

function parseFractions(value: string): number[] {
  return value.split(',').map((v) => parseFraction(v.trim()));
}

/** Repeatable options collect their values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const PLUGIN_HELP = "load this plugin's codecs too (a package name or a path; repeatable); only the project's own plugin dependencies load otherwise";

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function parseSparse(value: string): 'auto' | 'never' | 'always' {
  if (value !== 'auto' && value !== 'never' && value !== 'always') throw new InvalidArgumentError('must be auto, never or always');
  return value;
}

/** An .nnc file by its magic (whatever its name). */
function isNnc(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(4);
    const n = fs.readSync(fd, head, 0, 4, 0);
    fs.closeSync(fd);
    return n === 4 && head.toString('latin1') === MAGIC;
  } catch {
    return false;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let verbose = argv.includes('--verbose');
  // Output piped into a reader that stops early (| head): end quietly, as other tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
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
    .option('--workers <n>', "threads that share each fine-tuning batch and each evaluation: a count or auto (one per core); overrides the config's workers", parseWorkers)
    .option('--queue <url>', "a goal search's trials go to this Redis (redis://host:port), where `nncompress worker` processes on any machine run them")
    .option('--verbose', 'more output, and stack traces on errors')
    .action(async (config: string, opts: { out?: string; seed?: number; workers?: number | 'auto'; queue?: string; verbose?: boolean }) => {
      verbose = Boolean(opts.verbose);
      await runCommand(config, opts);
    });

  program
    .command('inspect')
    .description('layers, params, sparsity and FLOPs of a model; per-tensor codec, bytes and error of an .nnc file')
    .argument('<file>', 'tfjs LayersModel model.json, or an .nnc container')
    .option('--max-decoded-bytes <n>', 'an .nnc file may decode to at most this many bytes of weights (default 1 GiB)', parseCount)
    .option('--plugin <name>', PLUGIN_HELP, collect, [])
    .option('--verbose', 'stack traces on errors')
    .action(async (file: string, opts: { maxDecodedBytes?: number; plugin: string[] }) => (isNnc(file) ? inspectNncCommand(file, { maxDecodedBytes: opts.maxDecodedBytes }, opts.plugin) : inspectCommand(file)));

  program
    .command('encode')
    .description('encode a model (LayersModel, GraphModel or weights-only manifest) into an .nnc container')
    .argument('<model.json>', 'model.json or weights manifest, with its weight shards beside it')
    .requiredOption('-o, --out <file>', 'the .nnc file to write')
    .option('--codec <id>', 'auto (per tensor the smallest encoding within the error bound: lossless without one), or one codec for every tensor: float32, float16, uint8, huffman, codebook, or one a plugin adds (pwl)', 'auto')
    .option('--max-error <x>', 'error-bound mode (auto, or codecs that have one, e.g. pwl): largest abs(decoded − original)', parsePositive)
    .option('--relative-error <r>', 'error-bound mode per tensor: r × the tensor\'s largest abs(w)', parsePositive)
    .option('--sparse <mode>', 'pruned zeros apart: auto, never or always', parseSparse, 'auto')
    .option('--plugin <name>', PLUGIN_HELP, collect, [])
    .option('--verbose', 'stack traces on errors')
    .action((model: string, opts: { out: string; codec: string; maxError?: number; relativeError?: number; sparse: 'auto' | 'never' | 'always'; plugin: string[] }) => encodeCommand(model, { ...opts, plugins: opts.plugin }));

  program
    .command('decode')
    .description('decode an .nnc container into a plain tfjs model folder (model.json + weights.bin)')
    .argument('<model.nnc>', 'the container')
    .requiredOption('-o, --out <dir>', 'folder to write (must not exist or be empty)')
    .option('--max-decoded-bytes <n>', 'refuse a file whose weights decode to more bytes than this (default 1 GiB): a small crafted file can declare gigabytes', parseCount)
    .option('--plugin <name>', PLUGIN_HELP, collect, [])
    .option('--verbose', 'stack traces on errors')
    .action(async (file: string, opts: { out: string; maxDecodedBytes?: number; plugin: string[] }) => decodeCommand(file, { ...opts, plugins: opts.plugin }));

  program
    .command('sensitivity')
    .description('prune each layer alone at several sparsities and plot accuracy; with --target, write a per-layer sparsity map')
    .argument('<config>', 'pipeline config: its model and data are used')
    .option('-o, --out <dir>', 'output folder (default: nncompress-out/<config name>-sensitivity)')
    .option('--sparsities <list>', 'comma-separated sparsities per layer', parseFractions, [0.5, 0.7, 0.8, 0.9, 0.95, 0.98])
    .option('--layers <list>', 'only these layers (comma-separated)', (v: string) => v.split(',').filter(Boolean))
    .option('--workers <n>', 'worker threads', parseCount, 2)
    .option('--examples <n>', 'test examples to measure on (default: all)', parseCount)
    .option('--target <sparsity>', 'also write the per-layer map reaching this model-wide sparsity', parseFraction)
    .option('--verbose', 'stack traces on errors')
    .action(async (config: string, opts: { out?: string; sparsities: number[]; layers?: string[]; workers: number; examples?: number; target?: number }) => sensitivityCommand(config, opts));

  program
    .command('sweep')
    .description('run every combination of the values a sweep file lists for keys of a pipeline config, one configuration per process, and tabulate them')
    .argument('<sweep>', 'sweep file (.yaml, .json, .ts or .js): pipeline, set, vary, processes')
    .option('-o, --out <dir>', 'output folder: sweep.json and one folder per configuration (default: nncompress-out/<sweep name>)')
    .option('--processes <n>', "configurations run at once, one process each: a count or auto (one per core); overrides the file's processes", parseWorkers)
    .option('--queue <url>', 'configurations go to this Redis (redis://host:port), where `nncompress worker` processes on any machine run them (the output folder must be the same path on every machine)')
    .option('--verbose', 'stack traces on errors')
    .action(async (file: string, opts: { out?: string; processes?: number | 'auto'; queue?: string }) => sweepCommand(file, opts));

  program
    .command('worker')
    .description('run jobs (goal trials, sweep configurations) from a queue on Redis, one at a time, until interrupted')
    .requiredOption('--queue <url>', 'the Redis the coordinator uses (redis://host:port)')
    .option('--name <name>', 'names this worker in its lines and the coordinator\'s (default: host name and process id)')
    .option('--lock-seconds <n>', 'a job whose worker stops answering this long runs elsewhere (default 30)', parseCount)
    .option('--verbose', 'stack traces on errors')
    .action(async (opts: { queue: string; name?: string; lockSeconds?: number }) => workerCommand(opts));

  program
    .command('plugins')
    .description('list installed plugins and their options, or describe the ones named')
    .argument('[plugins...]', 'package names or paths (relative to the working directory) to describe')
    .option('--verbose', 'stack traces on errors')
    .action((refs: string[]) => pluginsCommand(refs));

  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof NncError) {
      // One line, whatever the message held (a plugin's multi-line text, say).
      process.stderr.write(`nncompress: error: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
      if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
      return 1;
    }
    const e = err as Error;
    process.stderr.write(`nncompress: internal error: ${e?.message ?? String(err)}${verbose ? '' : ' (run with --verbose for the stack)'}\n`);
    if (verbose && e?.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
