/**
 * The run's data-parallel setting: how many threads share each fine-tuning batch (config
 * `workers`, `--workers`), passed to whichever trainer the run uses, and what the trainer
 * actually used, for the log and report.json.
 */
import * as os from 'node:os';
import type { WorkersSetting } from '../config/types';
import type { Trainer } from '../plugins/di';
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

export class TrainingWorkers {
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
        const why = result.workersRefused;
        if (why && !this.refused.includes(why)) {
          this.refused.push(why);
          this.logger.warn(`training on one thread instead of ${this.requested}: ${why}`);
        }
        return result;
      },
    };
  }

  get report(): ReportWorkers {
    return { requested: this.requested, used: this.used, ...(this.refused.length ? { refused: [...this.refused] } : {}) };
  }
}
