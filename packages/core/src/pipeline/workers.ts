/**
 * The run's data-parallel setting: how many threads share each fine-tuning batch and each
 * evaluation (config `workers`, `--workers`), passed to whichever trainer and evaluator the run
 * uses, and what training actually used, for the log and report.json.
 */
import * as os from 'node:os';
import type { WorkersSetting } from '../config/types';
import type { Evaluator, Trainer } from '../plugins/di';
import type { Logger } from '../util/logger';

/** `auto` is one thread per core the process may use. */
export function resolveWorkers(setting: WorkersSetting | undefined): number {
  if (setting === undefined) return 1;
  return setting === 'auto' ? Math.max(1, os.availableParallelism()) : setting;
}

/** report.json's `workers`: asked for, the most any training call used, and why fewer were used. */
export interface ReportWorkers {
  readonly requested: number;
  readonly used: number;
  readonly refused?: readonly string[];
}

export class RunWorkers {
  private used = 1;
  private readonly refused: string[] = [];

  constructor(
    readonly requested: number,
    private readonly logger: Logger,
  ) {}

  /** `trainer` with the run's worker count as the default of every call, recording what it used. */
  wrap(trainer: Trainer): Trainer {
    if (this.requested === 1) return trainer;
    return {
      train: (model, data, options) => {
        const result = trainer.train(model, data, { ...options, workers: options.workers ?? this.requested });
        this.used = Math.max(this.used, result.workers ?? 1);
        if (result.workersRefused) this.refuse(result.workersRefused);
        return result;
      },
    };
  }

  /**
   * `evaluator` with the run's worker count as the default of every call. The evaluation is the
   * same bits on any number of threads, so only the log hears when it used one.
   */
  wrapEvaluator(evaluator: Evaluator): Evaluator {
    if (this.requested === 1) return evaluator;
    return {
      evaluate: (model, data, batchSize, options) =>
        evaluator.evaluate(model, data, batchSize, {
          ...options,
          workers: options?.workers ?? this.requested,
          onRefused: (why) => {
            options?.onRefused?.(why);
            this.refuse(why);
          },
        }),
    };
  }

  private refuse(why: string): void {
    if (this.refused.includes(why)) return;
    this.refused.push(why);
    this.logger.warn(`running on one thread instead of ${this.requested}: ${why}`);
  }

  get report(): ReportWorkers {
    return { requested: this.requested, used: this.used, ...(this.refused.length ? { refused: [...this.refused] } : {}) };
  }
}
