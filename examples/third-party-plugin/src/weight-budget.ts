/**
 * A target kind in one file, with the plugin that serves it: `weightsRemoved`, a parameter
 * budget in kernel weights ("zero 200,000 weights"), for users who count weights rather than
 * fractions. Core follows the stage's schedule for it (a count, so rounds get whole numbers),
 * measures it after each plan with `measure`, and holds the plan to it; the select tap below
 * turns whatever weight scores the stage's scorers left (e.g. the magnitude plugin's) into
 * masks that zero the lowest-scored weights up to the round's count.
 *
 *   plugins:
 *     scores: { use: '@nncompress/plugin-magnitude' }
 *     budget: { use: nncompress-plugin-freeze-report/dist/weight-budget.js }
 *   stages:
 *     - { name: budget, use: [scores, budget], target: { weightsRemoved: 200000 } }
 */
import { definePlugin, prunableWeights, TargetKind, TapStage, tf } from '@nncompress/core';

/** Kernel entries that are exactly zero. */
function zeroWeights(model: tf.LayersModel): number {
  let zeros = 0;
  for (const w of prunableWeights(model)) for (const v of w.variable.read().dataSync()) if (v === 0) zeros++;
  return zeros;
}

export const weightsRemoved: TargetKind = {
  key: 'weightsRemoved',
  description: 'Kernel weights at zero by the end of the stage: a parameter budget counted in weights.',
  schema: { type: 'integer', minimum: 1, description: 'Kernel weights at zero by the end of the stage (a parameter budget in weights); a schedule splits them over rounds.' },
  unit: 'count',
  format: (v) => `${v} weights removed`,
  measure: (m) => zeroWeights(m.model),
  // A budget is a floor: reaching fewer zeros than asked is an error.
  short: 'error',
};

const weightBudgetPlugin = definePlugin({
  id: 'nncompress-plugin-weight-budget',
  targetKinds: [weightsRemoved],
  apply(hooks, _options, ctx) {
    hooks.select.tapPromise({ name: 'WeightBudget', stage: TapStage.NORMAL, targets: ['weightsRemoved'] }, async (scores, round) => {
      const count = round.targets.weightsRemoved;
      if (scores.weights.size === 0) throw new Error('weightsRemoved needs weight scores: put a weight scorer (e.g. @nncompress/plugin-magnitude) in the stage');
      // The count lowest scores over all layers; ties broken by position, so the choice is deterministic.
      const weights = [...scores.weights];
      const total = weights.reduce((n, [, s]) => n + s.length, 0);
      if (count > total) throw new Error(`weightsRemoved ${count} is more than the ${total} scored kernel weights`);
      const flat = new Float32Array(total);
      let offset = 0;
      for (const [, s] of weights) {
        flat.set(s, offset);
        offset += s.length;
      }
      const order = Uint32Array.from({ length: total }, (_, i) => i).sort((a, b) => flat[a] - flat[b] || a - b);
      const masks = new Map(weights.map(([weight, s]) => [weight, new Uint8Array(s.length).fill(1)] as const));
      for (const i of order.subarray(0, count)) {
        let k = 0;
        let at = i;
        while (at >= weights[k][1].length) at -= weights[k++][1].length;
        masks.get(weights[k][0])![at] = 0;
      }
      ctx.logger.debug(`zeroing the ${count} lowest-scored of ${total} kernel weights`);
      return { kind: 'weights', masks, selectedBy: 'nncompress-plugin-weight-budget' };
    });
  },
});

export default weightBudgetPlugin;
