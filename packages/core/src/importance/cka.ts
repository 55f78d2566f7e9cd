import * as tf from '@tensorflow/tfjs';
import { linearCka } from '../graph/layer-surgery';
import { defineImportance } from './measure';

/** Activations at the output of layers `inputName` and `outputName` (a unit's input and output) for `x`, batch by batch. */
function activations(model: tf.LayersModel, inputName: string, outputName: string, x: tf.Tensor, batchSize: number): [tf.Tensor, tf.Tensor] {
  const symbolic = (name: string): tf.SymbolicTensor => (model.inputNames.includes(name) ? model.inputs[model.inputNames.indexOf(name)] : (model.getLayer(name).output as tf.SymbolicTensor));
  const probe = tf.model({ inputs: model.inputs, outputs: [symbolic(inputName), symbolic(outputName)] });
  const ins: tf.Tensor[] = [];
  const outs: tf.Tensor[] = [];
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    const [a, b] = tf.tidy(() => probe.predict(x.slice(start, Math.min(batchSize, x.shape[0] - start))) as tf.Tensor[]);
    ins.push(a);
    outs.push(b);
  }
  const result: [tf.Tensor, tf.Tensor] = [tf.concat(ins, 0), tf.concat(outs, 0)];
  tf.dispose([...ins, ...outs]);
  return result;
}

/** 1 − linear CKA between a unit's input and output (Kornblith et al., "Similarity of Neural Network Representations Revisited", 2019). */
export const cka = defineImportance({
  id: 'cka',
  granularity: 'unit',
  needsData: false,
  description: "1 − linear CKA between the unit's input and output activations on the calibration inputs (Kornblith et al. 2019): label-free, one forward pass per unit.",
  score: async (model, units, input) => {
    const scores = new Map<string, number>();
    units.forEach((unit, i) => {
      const [a, b] = activations(model, unit.input, unit.output, input.calibration, input.batchSize ?? 32);
      scores.set(unit.id, 1 - linearCka(a, b));
      tf.dispose([a, b]);
      input.onUnit?.(i + 1, units.length);
    });
    return scores;
  },
});
