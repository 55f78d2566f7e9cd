/**
 * Whole-layer removal, shared by every technique that drops layers or blocks.
 *
 * A removable unit is either
 *  - a residual block: the branch of an Add whose other input is the branch's own input;
 *    removing it leaves the identity path (the Add's consumers read the skip input);
 *  - a layer block: one Conv2D/Dense/DepthwiseConv2D with the BatchNorm/activation/dropout
 *    layers that follow it alone; its consumers read the block's input instead. When the
 *    block changes the channel count, the next Conv2D/Dense (reached through shape-only layers
 *    such as pooling or Flatten) must be refitted to the new input: a least-squares repair on
 *    calibration activations that reproduces that layer's original pre-activation output.
 *
 * Blocks that change the spatial size, feed several layers, or end in the model output are
 * not removable; the analysis simply does not list them.
 */
import * as tf from '@tensorflow/tfjs';
import { layerKinds, LayerKindRegistry } from './layer-kinds';
import { buildModelGraph, GraphNode, ModelGraph } from './model-graph';
import { copyWeights, modelFromTopology, topologyOf, TopologyJson } from './topology';
import { tidyRead } from '../util/tidy-read';

export interface RemovableUnit {
  /** Stable name: the Add layer of a residual block, the weighted layer of a layer block. */
  readonly id: string;
  readonly kind: 'residual' | 'block';
  /** Layers removed with the unit, in topological order. */
  readonly layers: readonly string[];
  /** The layer whose output replaces the unit's output. */
  readonly input: string;
  /** The unit's last layer. */
  readonly output: string;
  /** Input and output shapes match: the unit can go without refitting anything. */
  readonly shapePreserving: boolean;
  /** The Conv2D/Dense layer downstream that a least-squares repair refits (when there is one). */
  readonly repairLayer?: string;
  /** Parameters of the unit's own layers. */
  readonly params: number;
  /**
   * Net parameters saved: the unit's own, minus what the repair layer gains when it reads
   * more channels than before (may be negative: dropping a narrowing projection widens the
   * next layer).
   */
  readonly paramsSaved: number;
}

export type RepairMode = 'always' | 'auto' | 'never';

export interface RemoveUnitsOptions {
  /**
   * always: refit the repair layer whenever the unit has one (it never fits the calibration
   * activations worse than the old weights); auto: only when the unit changes the channel
   * count (then the repair is required); never: units that need a repair are refused.
   */
  readonly repair?: RepairMode;
  /** Model inputs for the repair, e.g. a few hundred training examples. Required for a repair. */
  readonly calibration?: tf.Tensor;
  /** Examples per forward pass while fitting (memory bound). */
  readonly batchSize?: number;
}

function paramsOf(graph: ModelGraph, names: readonly string[]): number {
  let n = 0;
  for (const name of names) for (const w of graph.nodes.get(name)!.layer.getWeights()) n += w.size;
  return n;
}

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Kernels a least-squares repair can refit (im2col rows for Conv2D, input vectors for Dense). */
const REPAIRABLE = new Set(['conv2d', 'dense']);

/** The first Conv2D/Dense fed from `from` only through layers a repair may look through, if any. */
function findRepairLayer(graph: ModelGraph, from: GraphNode, kinds: LayerKindRegistry): string | undefined {
  let cur = from;
  for (;;) {
    if (cur.outputs.length !== 1) return undefined;
    const next = graph.nodes.get(cur.outputs[0])!;
    if (next.inputs.length !== 1 || next.shared) return undefined;
    const kind = kinds.get(next.className);
    if (kind?.linearKernel && REPAIRABLE.has(kind.linearKernel)) return next.name;
    if (!kind?.lookThrough || kinds.channels(next.layer).role === 'unsupported') return undefined;
    cur = next;
  }
}

/** The branch from `skip` to `end` when it is a chain of single-input, single-output layers. */
function residualBranch(graph: ModelGraph, skip: string, end: string): string[] | undefined {
  const branch: string[] = [];
  let cur = graph.nodes.get(end)!;
  while (cur.name !== skip) {
    if (cur.inputs.length !== 1 || cur.outputs.length !== 1 || cur.shared || cur.className === 'InputLayer') return undefined;
    branch.push(cur.name);
    cur = graph.nodes.get(cur.inputs[0])!;
  }
  return branch.reverse();
}

/** Every unit that `removeUnits` can take out of `model`, residual blocks first. */
export function findRemovableUnits(model: tf.LayersModel, graph: ModelGraph = buildModelGraph(model), kinds: LayerKindRegistry = layerKinds): RemovableUnit[] {
  const outputs = new Set(graph.outputNames);
  const units: RemovableUnit[] = [];
  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    if (node.className !== 'Add' || node.inputs.length !== 2 || node.shared || outputs.has(name)) continue;
    for (const [skip, end] of [[node.inputs[0], node.inputs[1]], [node.inputs[1], node.inputs[0]]]) {
      const branch = residualBranch(graph, skip, end);
      if (!branch || branch.length === 0) continue;
      const layers = [...branch, name];
      const params = paramsOf(graph, layers);
      units.push({ id: name, kind: 'residual', layers, input: skip, output: name, shapePreserving: true, repairLayer: findRepairLayer(graph, node, kinds), params, paramsSaved: params });
      break;
    }
  }
  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    if (kinds.get(node.className)?.block !== 'head' || node.inputs.length !== 1 || node.shared) continue;
    const layers = [name];
    let last = node;
    while (last.outputs.length === 1) {
      const next = graph.nodes.get(last.outputs[0])!;
      if (kinds.get(next.className)?.block !== 'trailing' || next.inputs.length !== 1 || next.shared) break;
      layers.push(next.name);
      last = next;
    }
    if (layers.some((l) => outputs.has(l))) continue;
    // A Sequential model's input layer is not among its layers: read the model's input shape.
    const input = graph.nodes.get(node.inputs[0]);
    const inShape = input ? input.outputShape : model.inputs[0].shape.slice(1);
    const outShape = last.outputShape;
    // Spatial size must survive: downstream layers (Flatten→Dense, Add partners) depend on it.
    if (inShape.length !== outShape.length || !sameShape(inShape.slice(0, -1), outShape.slice(0, -1))) continue;
    const shapePreserving = sameShape(inShape, outShape);
    const repairLayer = findRepairLayer(graph, last, kinds);
    if (!shapePreserving && !repairLayer) continue;
    const params = paramsOf(graph, layers);
    let growth = 0;
    if (!shapePreserving && repairLayer) {
      const kernel = graph.nodes.get(repairLayer)!.layer.getWeights()[0];
      growth = Math.round(kernel.size * ((inShape[inShape.length - 1] ?? 0) / (outShape[outShape.length - 1] ?? 1) - 1));
    }
    units.push({ id: name, kind: 'block', layers, input: node.inputs[0], output: last.name, shapePreserving, repairLayer, params, paramsSaved: params - growth });
  }
  return units;
}

/** The topology without the unit's layers; consumers of its output read its input instead. */
function topologyWithout(model: tf.LayersModel, unit: RemovableUnit): TopologyJson {
  const json = topologyOf(model);
  const removed = new Set(unit.layers);
  const layers = json.config.layers;
  if (json.class_name === 'Sequential') {
    const first = layers.findIndex((l) => removed.has(l.config.name));
    const inputShape = layers[first].config.batch_input_shape;
    if (first === 0 && inputShape !== undefined) {
      const next = layers.find((l) => !removed.has(l.config.name));
      if (next) next.config.batch_input_shape = inputShape;
    }
  } else {
    for (const layer of layers) {
      for (const node of layer.inbound_nodes ?? []) for (const entry of node) if (entry[0] === unit.output) entry[0] = unit.input;
    }
  }
  json.config.layers = layers.filter((l) => !removed.has(l.config.name));
  return json;
}

/** A model from `model`'s inputs to the input of layer `layerName`. */
function inputProbe(model: tf.LayersModel, layerName: string): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(layerName).input as tf.SymbolicTensor });
}

interface ConvConfig {
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
}

function convConfig(layer: tf.layers.Layer): ConvConfig {
  const c = layer.getConfig() as { kernel_size?: number[]; kernelSize?: number[]; strides: number[]; padding: string; dilation_rate?: number[]; dilationRate?: number[] };
  const pair = (v: number[] | number | undefined, d: number): [number, number] => (Array.isArray(v) ? [v[0], v[v.length - 1]] : [v ?? d, v ?? d]);
  return {
    kernelSize: pair(c.kernel_size ?? c.kernelSize, 1),
    strides: pair(c.strides, 1),
    padding: c.padding === 'same' ? 'same' : 'valid',
    dilationRate: pair(c.dilation_rate ?? c.dilationRate, 1),
  };
}

/** Rows of the least-squares problem: im2col patches (Conv2D) or input vectors (Dense). */
function designRows(conv: ConvConfig | undefined, a: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    if (!conv) return a.reshape([-1, a.shape[a.rank - 1]]) as tf.Tensor2D;
    const [kh, kw] = conv.kernelSize;
    const channels = a.shape[3]!;
    const k = kh * kw * channels;
    // A one-hot kernel turns a convolution into im2col: output j of a patch is its input
    // entry (i_h, i_w, c) with j = (i_h·kw + i_w)·C + c, the row-major order of a kernel.
    const eye = tf.oneHot(tf.range(0, k, 1, 'int32'), k).toFloat().reshape([kh, kw, channels, k]) as tf.Tensor4D;
    const patches = tf.conv2d(a as tf.Tensor4D, eye, conv.strides, conv.padding, 'NHWC', conv.dilationRate);
    return patches.reshape([-1, k]) as tf.Tensor2D;
  });
}

/** The layer's output before its activation, for inputs `a` (a Dense when `conv` is undefined). */
function preActivation(layer: tf.layers.Layer, conv: ConvConfig | undefined, a: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const [kernel, bias] = layer.getWeights();
    let z: tf.Tensor;
    if (!conv) z = tf.matMul(a.reshape([-1, a.shape[a.rank - 1]]), kernel as tf.Tensor2D);
    else z = tf.conv2d(a as tf.Tensor4D, kernel as tf.Tensor4D, conv.strides, conv.padding, 'NHWC', conv.dilationRate);
    if (bias) z = tf.add(z, bias);
    return z.reshape([-1, kernel.shape[kernel.rank - 1]]) as tf.Tensor2D;
  });
}

/** Solves (G + λI)·X = B for symmetric positive-definite G (k×k) and B (k×m), in float64. */
export function solveRidge(gram: Float64Array, rhs: Float64Array, k: number, m: number, ridge: number): Float64Array {
  const l = Float64Array.from(gram);
  for (let i = 0; i < k; i++) l[i * k + i] += ridge;
  // Cholesky: G = L·Lᵀ, lower triangle in place.
  for (let j = 0; j < k; j++) {
    let d = l[j * k + j];
    for (let p = 0; p < j; p++) d -= l[j * k + p] ** 2;
    if (!(d > 0)) throw new Error(`least-squares repair: the calibration activations are degenerate (pivot ${j} is ${d}); use more calibration examples`);
    d = Math.sqrt(d);
    l[j * k + j] = d;
    for (let i = j + 1; i < k; i++) {
      let s = l[i * k + j];
      for (let p = 0; p < j; p++) s -= l[i * k + p] * l[j * k + p];
      l[i * k + j] = s / d;
    }
  }
  const x = Float64Array.from(rhs);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < k; i++) {
      let s = x[i * m + c];
      for (let p = 0; p < i; p++) s -= l[i * k + p] * x[p * m + c];
      x[i * m + c] = s / l[i * k + i];
    }
    for (let i = k - 1; i >= 0; i--) {
      let s = x[i * m + c];
      for (let p = i + 1; p < k; p++) s -= l[p * k + i] * x[p * m + c];
      x[i * m + c] = s / l[i * k + i];
    }
  }
  return x;
}

/**
 * New weights for `repairLayer` in `pruned` such that, on the calibration inputs, its
 * pre-activation output reproduces the original model's as closely as possible (ridge least
 * squares over every output position, bias included).
 */
function fitRepair(original: tf.LayersModel, pruned: tf.LayersModel, repairLayer: string, calibration: tf.Tensor, batchSize: number): tf.Tensor[] {
  const source = original.getLayer(repairLayer);
  const target = pruned.getLayer(repairLayer);
  // A Conv2D is refitted over im2col patches; a Dense over its input vectors.
  const conv = layerKinds.get(source.getClassName())?.linearKernel === 'conv2d' ? convConfig(source) : undefined;
  const useBias = source.getWeights().length > 1;
  const newKernelShape = target.getWeights()[0].shape;
  const outputs = newKernelShape[newKernelShape.length - 1];
  const inputs = newKernelShape.slice(0, -1).reduce((a, b) => a * b, 1);
  const k = inputs + (useBias ? 1 : 0);
  const gram = new Float64Array(k * k);
  const rhs = new Float64Array(k * outputs);
  const n = calibration.shape[0];
  // One probe per model, built once; each batch of calibration inputs goes through both.
  const before = inputProbe(original, repairLayer);
  const after = inputProbe(pruned, repairLayer);
  for (let start = 0; start < n; start += batchSize) {
    const [g, b] = tidyRead(() => {
      const x = calibration.slice(start, Math.min(batchSize, n - start));
      let p = designRows(conv, after.predict(x) as tf.Tensor);
      if (useBias) p = tf.concat([p, tf.ones([p.shape[0], 1])], 1);
      const z = preActivation(source, conv, before.predict(x) as tf.Tensor);
      return [tf.matMul(p, p, true, false), tf.matMul(p, z, true, false)];
    });
    for (let i = 0; i < g.length; i++) gram[i] += g[i];
    for (let i = 0; i < b.length; i++) rhs[i] += b[i];
  }
  let trace = 0;
  for (let i = 0; i < inputs; i++) trace += gram[i * k + i];
  // Float32 partial Gram matrices can lose definiteness when there are few rows per unknown:
  // start with a light ridge and strengthen it until the factorisation succeeds.
  const scale = trace / Math.max(1, inputs) + 1e-12;
  let solution: Float64Array | undefined;
  for (let ridge = 1e-6 * scale; !solution; ridge *= 10) {
    try {
      solution = solveRidge(gram, rhs, k, outputs, ridge);
    } catch (err) {
      if (ridge > scale) throw err;
    }
  }
  const kernel = tf.tensor(Float32Array.from(solution.subarray(0, inputs * outputs)), newKernelShape);
  return useBias ? [kernel, tf.tensor1d(Float32Array.from(solution.subarray(inputs * outputs)))] : [kernel];
}

async function removeUnit(model: tf.LayersModel, unit: RemovableUnit, options: RemoveUnitsOptions): Promise<tf.LayersModel> {
  const mode = options.repair ?? 'always';
  if (!unit.shapePreserving && mode === 'never') throw new Error(`layer unit "${unit.id}" changes the channel count and needs a repair, but repair is "never"`);
  const repair = unit.repairLayer !== undefined && (mode === 'always' || (mode === 'auto' && !unit.shapePreserving)) ? unit.repairLayer : undefined;
  if (repair && !options.calibration) throw new Error(`layer unit "${unit.id}": repairing ${repair} needs calibration inputs`);
  const json = topologyWithout(model, unit);
  const pruned = await modelFromTopology(json, unit.repairLayer ? [unit.repairLayer] : []);
  copyWeights(model, pruned, new Set(repair ? [repair] : []));
  if (repair) {
    const fitted = fitRepair(model, pruned, repair, options.calibration!, options.batchSize ?? 32);
    pruned.getLayer(repair).setWeights(fitted);
    tf.dispose(fitted);
  }
  return pruned;
}

/**
 * Returns a new model without the units named by `ids` (see `findRemovableUnits`), removed in
 * order; each id is looked up again in the model left by the previous removals, so a later
 * unit's input and repair follow the earlier ones. The input model is not changed. Throws,
 * naming the unit, when one is not removable.
 */
export async function removeUnits(model: tf.LayersModel, ids: readonly string[], options: RemoveUnitsOptions = {}): Promise<tf.LayersModel> {
  let current = model;
  try {
    for (const id of ids) {
      const units = findRemovableUnits(current);
      const unit = units.find((u) => u.id === id);
      if (!unit) {
        const names = units.map((u) => u.id);
        throw new Error(`layer unit "${id}" is not removable in this model (removable: ${names.length ? names.join(', ') : 'none'})`);
      }
      const next = await removeUnit(current, unit, options);
      if (current !== model) current.dispose();
      current = next;
    }
  } catch (err) {
    if (current !== model) current.dispose();
    throw err;
  }
  if (current === model) {
    // Nothing removed: still a new model, so callers may dispose the input.
    const copy = await modelFromTopology(topologyOf(model));
    copyWeights(model, copy);
    return copy;
  }
  return current;
}

/**
 * Linear CKA (Kornblith et al. 2019) between two representations of the same n examples
 * (rows): 1 when one is an orthogonal transform and scaling of the other, near 0 when
 * unrelated. Computed from the centred n×n Gram matrices, so the widths may differ.
 */
export function linearCka(x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const n = x.shape[0];
    const gram = (t: tf.Tensor): tf.Tensor2D => {
      const flat = t.reshape([n, -1]) as tf.Tensor2D;
      const centred = tf.sub(flat, tf.mean(flat, 0, true));
      return tf.matMul(centred, centred, false, true);
    };
    const kx = gram(x);
    const ky = gram(y);
    const cross = tf.sum(tf.mul(kx, ky)).dataSync()[0];
    const norm = Math.sqrt(tf.sum(tf.mul(kx, kx)).dataSync()[0] * tf.sum(tf.mul(ky, ky)).dataSync()[0]);
    return norm > 0 ? cross / norm : 0;
  });
}
