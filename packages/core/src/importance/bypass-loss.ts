import { removeUnits } from '../graph/layer-surgery';
import { evaluate } from '../training/evaluate';
import { defineImportance } from './measure';

/** The loss increase on held-back examples when the unit is removed (and repaired as the prune step will). */
export const bypassLoss = defineImportance({
  id: 'bypass-loss',
  granularity: 'unit',
  needsData: true,
  description: 'The loss increase on held-back training examples when the unit is removed and repaired as the prune step will repair it.',
  score: async (model, units, input) => {
    const validation = input.validation;
    if (!validation || validation.size === 0) throw new Error('bypass-loss needs validation examples; the training set has none left after the calibration examples');
    const measure = input.evaluate ?? evaluate;
    const batchSize = input.batchSize ?? 32;
    const base = measure(model, validation, batchSize).loss;
    const scores = new Map<string, number>();
    for (let i = 0; i < units.length; i++) {
      const without = await removeUnits(model, [units[i].id], { repair: input.repair, calibration: input.calibration, batchSize });
      scores.set(units[i].id, measure(without, validation, batchSize).loss - base);
      without.dispose();
      input.onUnit?.(i + 1, units.length);
    }
    return scores;
  },
});
