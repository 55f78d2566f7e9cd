// protect-plugin.js — keep one layer out of pruning
const { TapStage } = require('@nncompress/core');
module.exports = {
  id: 'nncompress-plugin-protect',
  optionsSchema: { type: 'object', required: ['layer'], properties: { layer: { type: 'string' } } },
  apply(hooks, options) {
    hooks.score.tap({ name: 'ProtectPlugin', stage: TapStage.LATE }, (scores, round) => {
      for (const w of round.state.model.getLayer(options.layer).weights) scores.weights.get(w.name)?.fill(Infinity);
      return scores;
    });
  },
};
