/**
 * Pruning sensitivity analysis (Distiller's and NNI's): prune one layer alone, by weight
 * magnitude, to several sparsities, and measure the task's metric each time (accuracy for
 * classification), with no fine-tuning. Layers whose metric holds up can be pruned harder; `sensitivityMap` turns the curves
 * into per-layer sparsities for a model-wide target.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArrayDataset } from '../datasets/dataset';
import { prunableWeights } from '../model/masks';
import { pruneCount } from '../pipeline/schedule';
import { evaluate, Evaluation } from '../training/evaluate';

export interface SensitivityPoint {
  readonly sparsity: number;
  /** The task's metric (accuracy for classification, an error for regression). */
  readonly metric: number;
  /** The metric oriented so that higher is better: what the map compares. */
  readonly score: number;
  /** Present when the metric is an accuracy. */
  readonly accuracy?: number;
  readonly loss: number;
}

function point(sparsity: number, e: Evaluation): SensitivityPoint {
  return { sparsity, metric: e.metric.value, score: e.score, ...(e.accuracy !== undefined ? { accuracy: e.accuracy } : {}), loss: e.loss };
}

export interface LayerSensitivity {
  readonly layer: string;
  /** Kernel entries of the layer. */
  readonly size: number;
  /** Sparsity 0 first (the unpruned model), then each requested sparsity in order. */
  readonly points: readonly SensitivityPoint[];
}

/**
 * The accuracy of `model` with only `layer`'s kernel pruned by magnitude to each of
 * `sparsities`. The kernel is restored afterwards (bit for bit).
 */
export function layerSensitivity(model: tf.LayersModel, layer: string, sparsities: readonly number[], data: ArrayDataset): LayerSensitivity {
  const weight = prunableWeights(model).find((w) => w.layerName === layer);
  if (!weight) throw new Error(`layer "${layer}" has no prunable kernel (known: ${prunableWeights(model).map((w) => w.layerName).join(', ')})`);
  for (const s of sparsities) if (!(s >= 0 && s < 1)) throw new Error(`sparsities must be in [0, 1), got ${s}`);
  const original = (weight.variable.read().dataSync() as Float32Array).slice();
  const order = Array.from(original.keys()).sort((a, b) => Math.abs(original[a]) - Math.abs(original[b]) || a - b);
  const base = evaluate(model, data);
  const points: SensitivityPoint[] = [point(0, base)];
  const write = (values: Float32Array): void => {
    const t = tf.tensor(values, weight.shape as number[]);
    weight.variable.write(t);
    t.dispose();
  };
  try {
    for (const sparsity of sparsities) {
      const values = original.slice();
      const n = pruneCount(sparsity, values.length);
      for (let i = 0; i < n; i++) values[order[i]] = 0;
      write(values);
      const e = evaluate(model, data);
      points.push(point(sparsity, e));
    }
  } finally {
    write(original);
  }
  return { layer, size: weight.size, points };
}

export interface SensitivityMap {
  /** Model-wide kernel sparsity the map reaches (excluded and unlisted layers count as kept). */
  readonly sparsity: number;
  /** Per layer, the sparsity to prune it to. */
  readonly layerSparsity: Readonly<Record<string, number>>;
}

/**
 * Per-layer sparsities that reach `target` over `totalKernelSize` kernel entries while
 * losing as little accuracy as the curves predict: every layer starts at 0 and, step by
 * step (0.01), the layer whose next step costs the least accuracy per pruned weight goes
 * further. A curve is read as linear between its measured points and made monotone (a
 * higher sparsity never counts as less harmful), and no layer goes past its last measured
 * sparsity.
 */
export function sensitivityMap(curves: readonly LayerSensitivity[], target: number, totalKernelSize: number): SensitivityMap {
  if (!(target >= 0 && target < 1)) throw new Error(`target sparsity must be in [0, 1), got ${target}`);
  const step = 0.01;
  const need = pruneCount(target, totalKernelSize);
  const state = curves.map((c) => {
    const pts = [...c.points].sort((a, b) => a.sparsity - b.sparsity);
    const base = pts[0].score;
    let worst = 0;
    const drops = pts.map((p) => (worst = Math.max(worst, base - p.score)));
    const dropAt = (s: number): number => {
      for (let i = 1; i < pts.length; i++) {
        if (s <= pts[i].sparsity) {
          const t = (s - pts[i - 1].sparsity) / (pts[i].sparsity - pts[i - 1].sparsity || 1);
          return drops[i - 1] + t * (drops[i] - drops[i - 1]);
        }
      }
      return drops[drops.length - 1];
    };
    return { curve: c, max: pts[pts.length - 1].sparsity, level: 0, dropAt };
  });
  const pruned = (): number => state.reduce((n, s) => n + pruneCount(Math.min(s.level, s.max), s.curve.size), 0);
  while (pruned() < need) {
    let best: (typeof state)[number] | undefined;
    let bestCost = Infinity;
    for (const s of state) {
      if (s.level >= s.max - 1e-12) continue;
      const next = Math.min(s.max, s.level + step);
      const cost = (s.dropAt(next) - s.dropAt(s.level)) / ((next - s.level) * s.curve.size);
      if (cost < bestCost) {
        bestCost = cost;
        best = s;
      }
    }
    if (!best) {
      throw new Error(`target sparsity ${target} is out of reach: every layer is at its highest measured sparsity (${(pruned() / totalKernelSize).toFixed(4)} in all); measure higher sparsities`);
    }
    const before = best.level;
    best.level = Math.min(best.max, Math.round((best.level + step) * 1e6) / 1e6);
    const over = pruned() - need;
    if (over > 0) {
      // The last step only needs to go part of the way: stop at the first level that reaches the target.
      const others = pruned() - pruneCount(best.level, best.curve.size);
      best.level = Math.max(before, Math.min(best.level, (need - others) / best.curve.size));
      while (pruned() < need) best.level += 1 / best.curve.size;
    }
  }
  const layerSparsity: Record<string, number> = {};
  for (const s of state) layerSparsity[s.curve.layer] = s.level;
  return { sparsity: pruned() / totalKernelSize, layerSparsity };
}
