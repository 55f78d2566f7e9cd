/**
 * Core's own `prune` step: applying a plan that a `select` tap produced. Unstructured plans
 * become masks (exact zeros, kept through fine-tuning); structured plans become a
 * physically smaller model.
 */
import type * as tf from '@tensorflow/tfjs';
import { PluginError } from '../errors';
import { affectedConsumers, consumerInputMeans, removeChannels } from '../graph/surgery';
import { removeUnits } from '../graph/layer-surgery';
import { prunableWeights } from '../model/masks';
import type { ChannelPlan, LayerPlan, ModelState, WeightPlan } from './types';

/** Applies an unstructured plan: merges its masks into the model state and zeroes the weights. */
export function applyWeightPlan(state: ModelState, plan: WeightPlan): void {
  const weights = new Map(prunableWeights(state.model).map((w) => [w.name, w] as const));
  for (const [name, mask] of plan.masks) {
    const w = weights.get(name);
    if (!w) throw new PluginError(`plan from ${plan.selectedBy} names "${name}", which is not a prunable weight`, plan.selectedBy, 'prune');
    if (mask.length !== w.size) throw new PluginError(`plan from ${plan.selectedBy}: mask for "${name}" has ${mask.length} entries, the weight has ${w.size}`, plan.selectedBy, 'prune');
    state.masks.set(name, mask);
  }
  state.masks.apply(state.model);
}

/** Applies a structured plan: replaces the model with a physically smaller one. */
export async function applyChannelPlan(state: ModelState, plan: ChannelPlan): Promise<void> {
  try {
    if (plan.analysis.graph.nodes.get(state.model.layers[0].name)?.layer !== state.model.layers[0]) {
      throw new PluginError(`plan from ${plan.selectedBy} was computed for another model; analyze round.state.model in the same round`, plan.selectedBy, 'prune');
    }
    if (state.masks.size > 0) {
      throw new PluginError(`plan from ${plan.selectedBy}: removing channels after unstructured pruning is not supported yet; run structured stages first`, plan.selectedBy, 'prune');
    }
    let smaller: tf.LayersModel;
    try {
      const inputMeans = plan.calibration ? consumerInputMeans(state.model, plan.analysis, affectedConsumers(plan.analysis, plan.removals), plan.calibration) : undefined;
      smaller = await removeChannels(state.model, plan.analysis, plan.removals, { inputMeans });
    } catch (err) {
      throw new PluginError(`plan from ${plan.selectedBy}: ${(err as Error).message}`, plan.selectedBy, 'prune');
    }
    state.model.dispose();
    state.model = smaller;
  } finally {
    plan.calibration?.dispose();
  }
}

/** Applies a layer plan: replaces the model with one without those layers (repaired where needed). */
export async function applyLayerPlan(state: ModelState, plan: LayerPlan): Promise<void> {
  if (state.masks.size > 0) {
    throw new PluginError(`plan from ${plan.selectedBy}: removing layers after unstructured pruning is not supported yet; run structured stages first`, plan.selectedBy, 'prune');
  }
  let smaller: tf.LayersModel;
  try {
    smaller = await removeUnits(state.model, plan.units, { repair: plan.repair, calibration: plan.calibration });
  } catch (err) {
    throw new PluginError(`plan from ${plan.selectedBy}: ${(err as Error).message}`, plan.selectedBy, 'prune');
  } finally {
    plan.calibration?.dispose();
  }
  state.model.dispose();
  state.model = smaller;
}
