import { ArrayDataset, evaluate, linearCka, RemovableUnit, RepairMode, removeUnits, tf } from '@nncompress/core';

export interface ImportanceOptions {
  readonly criterion: 'bypass-loss' | 'cka';
  readonly repair: RepairMode;
  /** Model inputs for repairs and CKA. */
  readonly calibration: tf.Tensor;
  /** bypass-loss: labelled examples the loss is measured on. */
  readonly validation?: ArrayDataset;
  readonly batchSize: number;
  /** Called after each unit, for progress. */
  readonly onUnit?: (done: number, total: number) => void;
}

/** Activations at the output of layers `inputName` and `outputName` (a unit's input and output) for `x`, batch by batch. */
function activations(model: tf.LayersModel, inputName: string, outputName: string, x: tf.Tensor, batchSize: number): [tf.Tensor, tf.Tensor] {
  const symbolic = (name: string): tf.SymbolicTensor => {
    if (model.inputNames.includes(name)) return model.inputs[model.inputNames.indexOf(name)];
    return model.getLayer(name).output as tf.SymbolicTensor;
  };
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

/**
 * Importance of each unit (higher = keep): the validation loss increase when the unit is
 * removed (with the same repair the prune step will do), or 1 − linear CKA between the
 * unit's input and output representations on the calibration inputs.
 */
export async function unitImportance(model: tf.LayersModel, units: readonly RemovableUnit[], options: ImportanceOptions): Promise<Map<string, number>> {
  const scores = new Map<string, number>();
  if (options.criterion === 'cka') {
    units.forEach((unit, i) => {
      const [input, output] = activations(model, unit.input, unit.output, options.calibration, options.batchSize);
      scores.set(unit.id, 1 - linearCka(input, output));
      tf.dispose([input, output]);
      options.onUnit?.(i + 1, units.length);
    });
    return scores;
  }
  if (!options.validation || options.validation.size === 0) throw new Error('bypass-loss needs validation examples; the training set has none left after the calibration examples');
  const base = evaluate(model, options.validation, options.batchSize).loss;
  for (let i = 0; i < units.length; i++) {
    const unit = units[i];
    const without = await removeUnits(model, [unit.id], { repair: options.repair, calibration: options.calibration, batchSize: options.batchSize });
    scores.set(unit.id, evaluate(without, options.validation, options.batchSize).loss - base);
    without.dispose();
    options.onUnit?.(i + 1, units.length);
  }
  return scores;
}
