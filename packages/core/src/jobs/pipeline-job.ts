/**
 * The `pipeline` job: one run of a pipeline config, as `nncompress run` does it, into a given
 * output folder. Sweeps run their configurations as these jobs.
 */
import * as fs from 'node:fs';
import { checkConfig } from '../config/load';
import type { PipelineConfig } from '../config/types';
import { InputError } from '../errors';
import { Pipeline } from '../pipeline/pipeline';
import type { Report } from '../report/report';
import type { Logger } from '../util/logger';

export interface PipelineJobInput {
  /** The config itself (plain JSON): paths in it resolve from `dir`. */
  readonly config: PipelineConfig;
  /** The folder the config's relative paths (model, plugins, data) resolve from. */
  readonly dir: string;
  /** Names the config in messages (a file, or a sweep file and a configuration). */
  readonly file: string;
  /** The run's output folder, written atomically as `nncompress run` writes it. */
  readonly outDir: string;
  /** Overrides the config's seed. */
  readonly seed?: number;
  /**
   * Threads sharing each batch inside the job (default 1). A count, never auto: a job's bits
   * must not depend on the cores of the machine that happens to run it.
   */
  readonly workers?: number;
  /**
   * Remove the output folder once the report is read (a goal search's trials: only the
   * report travels back, and a worker on another machine leaves nothing behind).
   */
  readonly discardOutput?: boolean;
}

export interface PipelineJobResult {
  /** The run's report.json. */
  readonly report: Report;
  /** What the run warned about, in order. */
  readonly warnings: readonly string[];
}

export async function runJob(input: PipelineJobInput): Promise<PipelineJobResult> {
  if (input.workers !== undefined && !(Number.isInteger(input.workers) && input.workers >= 1)) {
    throw new InputError(`${input.file}: a pipeline job's workers must be a positive integer, got ${String(input.workers)}`);
  }
  const config = checkConfig(input.config, input.file);
  const warnings: string[] = [];
  const logger: Logger = { info: () => {}, debug: () => {}, warn: (message) => warnings.push(message) };
  const pipeline = new Pipeline({ file: input.file, dir: input.dir, config }, { outDir: input.outDir, seed: input.seed, workers: input.workers ?? 1, logger });
  try {
    const report = await pipeline.run();
    return { report, warnings };
  } finally {
    if (input.discardOutput) fs.rmSync(input.outDir, { recursive: true, force: true });
  }
}
