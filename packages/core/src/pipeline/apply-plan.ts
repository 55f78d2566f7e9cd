/**
 * Core's own `prune` step: applying a plan that a `select` tap produced. Unstructured plans
 * become masks (exact zeros, kept through fine-tuning); structured plans become a
 * physically smaller model.
 */
import type * as tf from '@tensorflow/tfjs';
import { errorMessage, PluginError } from '../errors';
import { affectedConsumers, consumerInputMeans, removeChannels, sliceKernelMasks } from '../graph/surgery';
import { removeUnits } from '../graph/layer-surgery';
import { analyzeChannels } from '../graph/channel-groups';
import { deadChannels, DeadChannels, removeDead } from '../graph/compact';
import { prunableWeights } from '../model/masks';
import type { ChannelPlan, LayerPlan, ModelState, WeightPlan } from './types';

/** Applies an unstructured plan: merges its masks into the model state and zeroes the weights. */
export function applyWeightPlan(state: ModelState, plan: WeightPlan): void {
  const weights = new Map(prunableWeights(state.model).map((w) => [w.name, w] as const));
  for (const [name, mask] of plan.masks) {
    const w = weights.get(name);
    if (!w) throw new PluginError(`plan from ${plan.selectedBy} names "${name}", which is not a prunable weight`, plan.selectedBy, 'prune');
    if (mask.length !== w.size) throw new PluginError(`plan from ${plan.selectedBy}: mask for "${name}" has ${mask.length} entries, the weight has ${w.size}`, plan.selectedBy, 'prune');
    // A mask is 0 (pruned) or 1 (kept); any other value would silently keep or scale weights.
    const odd = mask.findIndex((v) => v !== 0 && v !== 1);
    if (odd >= 0) throw new PluginError(`plan from ${plan.selectedBy}: mask for "${name}" holds ${mask[odd]} at entry ${odd}; masks hold 0 (pruned) or 1 (kept)`, plan.selectedBy, 'prune');
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
    let smaller: tf.LayersModel;
    let masks: Map<string, Uint8Array>;
    try {
      const inputMeans = plan.calibration ? consumerInputMeans(state.model, plan.analysis, affectedConsumers(plan.analysis, plan.removals), plan.calibration) : undefined;
      smaller = await removeChannels(state.model, plan.analysis, plan.removals, { inputMeans });
      masks = sliceKernelMasks(plan.analysis, plan.removals, masksByLayer(state));
    } catch (err) {
      throw new PluginError(`plan from ${plan.selectedBy}: ${errorMessage(err)}`, plan.selectedBy, 'prune');
    }
    replaceModel(state, smaller, masks);
  } finally {
    plan.calibration?.dispose();
  }
}

/** The state's masks keyed by layer name (weight names may change when a model is rebuilt). */
export function masksByLayer(state: ModelState): Map<string, Uint8Array> {
  const byLayer = new Map<string, Uint8Array>();
  for (const w of prunableWeights(state.model)) {
    const mask = state.masks.get(w.name);
    if (mask) byLayer.set(w.layerName, mask);
  }
  return byLayer;
}

/**
 * Swaps in a rebuilt model and re-keys `masks` (by layer name, already cut to the new
 * kernels) to its weight names, so fine-tuning keeps the remaining masked entries at zero.
 */
export function replaceModel(state: ModelState, model: tf.LayersModel, masks: ReadonlyMap<string, Uint8Array>): void {
  state.masks.clear();
  for (const w of prunableWeights(model)) {
    const mask = masks.get(w.layerName);
    if (mask) state.masks.set(w.name, mask);
  }
  state.model.dispose();
  state.model = model;
  state.masks.apply(model);
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
    throw new PluginError(`plan from ${plan.selectedBy}: ${errorMessage(err)}`, plan.selectedBy, 'prune');
  } finally {
    plan.calibration?.dispose();
  }
  state.model.dispose();
  state.model = smaller;
}

/**
 * Removes the channels the state's masks have made dead (see `deadChannels`): the model
 * becomes physically smaller with the same function, and the remaining masks are cut to it.
 * `calibration` (model inputs; disposed here) lets constant channels go too.
 */
export async function compactState(state: ModelState, calibration?: tf.Tensor): Promise<DeadChannels> {
  try {
    const analysis = analyzeChannels(state.model);
    const masks = masksByLayer(state);
    const dead = deadChannels(state.model, analysis, masks, calibration);
    // Nothing dead (the usual case for unstructured masks): no rebuild of the model.
    if (dead.removals.size === 0) return dead;
    const smaller = await removeDead(state.model, analysis, masks, dead);
    replaceModel(state, smaller.model, smaller.masks);
    return dead;
  } finally {
    calibration?.dispose();
  }
}
