/**
 * Channel groups: sets of channels that must be removed together for a structured prune to
 * leave a valid model. Follows Torch-Pruning's dependency-graph idea on a tfjs layer DAG.
 *
 * Every Conv2D/Dense output starts a channel space. Spaces flow through per-channel layers
 * (BatchNormalization, DepthwiseConv2D with multiplier 1 — both are members that are sliced
 * along), through shape-only layers (activations, pooling, padding, dropout), are
 * concatenated by Concatenate, joined channel-for-channel by Add-like merges (the joined
 * spaces become one group), and expand through Flatten into Dense input rows. Spaces that
 * reach a model input or output, or a layer the analysis does not understand, are blocked:
 * they are reported, never pruned.
 */
import type * as tf from '@tensorflow/tfjs';
import { buildModelGraph, GraphNode, ModelGraph } from './model-graph';

/** How the channels of one space appear along a layer's channel axis. */
interface Segment {
  readonly space: number;
  /** First channel of the space in this segment. */
  readonly start: number;
  readonly length: number;
}

/** A layer's output channels as segments of spaces; `flatten` when the layer flattened them. */
interface ChannelMap {
  readonly segments: readonly Segment[];
  readonly flatten?: { readonly spatial: number; readonly channels: number };
}

/** A weight axis of one layer that follows a group's channels. */
export interface ChannelMember {
  readonly layer: string;
  /** producer: kernel output axis + bias; channelwise: per-channel params; consumer: kernel input axis. */
  readonly role: 'producer' | 'channelwise' | 'consumer';
  /** Channel k of the group (start ≤ k < start + length) is index offset + k along the layer's axis. */
  readonly offset: number;
  /** Group channels covered: [start, start + length). */
  readonly start: number;
  readonly length: number;
  /** For Dense consumers behind a Flatten: channel k is input row p·channels + offset + k for every position p. */
  readonly flatten?: { readonly spatial: number; readonly channels: number };
}

export interface ChannelGroup {
  readonly id: number;
  readonly size: number;
  /** Layers whose output channels this group is (several when joined by Add). */
  readonly producers: readonly string[];
  readonly members: readonly ChannelMember[];
  /** Why this group may not be pruned, if it may not. */
  readonly blocked?: string;
}

export interface ChannelAnalysis {
  readonly graph: ModelGraph;
  readonly groups: readonly ChannelGroup[];
  /** Layers whose output channels are exactly one group's (producers, BN, activations, Add…) → group id. */
  readonly outputGroups: ReadonlyMap<string, number>;
  /** Layers the analysis did not understand, by name and class; their channels are blocked. */
  readonly unsupported: readonly { readonly layer: string; readonly className: string }[];
}

const PRODUCERS = new Set(['Conv2D', 'Dense']);
const CHANNELWISE = new Set(['BatchNormalization', 'DepthwiseConv2D']);
const PASS_THROUGH = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout',
  'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D',
]);
const ELEMENTWISE = new Set(['Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract']);

class UnionFind {
  private readonly parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]];
      x = this.parent[x];
    }
    return x;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

interface Space {
  readonly size: number;
  readonly producer?: string;
  blocked?: string;
  readonly members: ChannelMember[];
}

function channelsOf(node: GraphNode): number {
  const last = node.outputShape[node.outputShape.length - 1];
  return last ?? 0;
}

export function analyzeChannels(model: tf.LayersModel): ChannelAnalysis {
  const graph = buildModelGraph(model);
  const spaces: Space[] = [];
  const uf = new UnionFind();
  const unsupported: { layer: string; className: string }[] = [];
  const maps = new Map<string, ChannelMap>();

  const newSpace = (size: number, producer?: string, blocked?: string): number => {
    spaces.push({ size, producer, blocked, members: [] });
    return uf.add();
  };
  const block = (map: ChannelMap | undefined, reason: string): void => {
    for (const s of map?.segments ?? []) spaces[s.space].blocked ??= reason;
  };
  const full = (space: number): ChannelMap => ({ segments: [{ space, start: 0, length: spaces[space].size }] });
  /** Records `layer` as following `map` along its channel axis. */
  const attach = (map: ChannelMap, layer: string, role: ChannelMember['role']): void => {
    let offset = 0;
    for (const s of map.segments) {
      spaces[s.space].members.push({ layer, role, offset: offset - s.start, start: s.start, length: s.length, flatten: map.flatten });
      offset += s.length;
    }
  };
  const inputMap = (node: GraphNode, i = 0): ChannelMap => {
    const m = maps.get(node.inputs[i]);
    if (m) return m;
    // A model input (sequential models keep their InputLayer outside model.layers).
    const space = newSpace(node.inputChannels[i], undefined, 'model input');
    const created = full(space);
    maps.set(node.inputs[i], created);
    return created;
  };

  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    const cls = node.className;
    if (cls === 'InputLayer') {
      maps.set(name, full(newSpace(channelsOf(node), undefined, 'model input')));
      continue;
    }
    if (node.shared) {
      node.inputs.forEach((_, i) => block(inputMap(node, i), `shared layer ${name}`));
      unsupported.push({ layer: name, className: cls });
      maps.set(name, full(newSpace(channelsOf(node), undefined, `output of shared layer ${name}`)));
      continue;
    }
    if (PRODUCERS.has(cls)) {
      const input = inputMap(node);
      if (input.flatten && cls !== 'Dense') block(input, `${name} reads flattened channels`);
      else attach(input, name, 'consumer');
      const own = newSpace(channelsOf(node), name);
      spaces[own].members.push({ layer: name, role: 'producer', offset: 0, start: 0, length: spaces[own].size });
      maps.set(name, full(own));
      continue;
    }
    if (CHANNELWISE.has(cls)) {
      const input = inputMap(node);
      const multiplier = (node.layer.getConfig() as { depthMultiplier?: number }).depthMultiplier ?? 1;
      if (input.flatten || multiplier !== 1) {
        block(input, input.flatten ? `${name} after a flatten` : `${name} has depth multiplier ${multiplier}`);
        unsupported.push({ layer: name, className: cls });
        maps.set(name, full(newSpace(channelsOf(node), undefined, `output of ${name}`)));
      } else {
        attach(input, name, 'channelwise');
        maps.set(name, input);
      }
      continue;
    }
    if (PASS_THROUGH.has(cls)) {
      maps.set(name, inputMap(node));
      continue;
    }
    if (cls === 'Flatten') {
      const input = inputMap(node);
      const shape = graph.nodes.get(node.inputs[0])?.outputShape ?? [];
      const spatial = shape.slice(0, -1).reduce<number>((n, d) => n * (d ?? 0), 1);
      if (input.flatten || spatial === 0) {
        block(input, `${name} flattens an unknown shape`);
        maps.set(name, full(newSpace(channelsOf(node), undefined, `output of ${name}`)));
      } else {
        const channels = input.segments.reduce((n, s) => n + s.length, 0);
        maps.set(name, { segments: input.segments, flatten: { spatial, channels } });
      }
      continue;
    }
    if (cls === 'Concatenate') {
      const axis = (node.layer.getConfig() as { axis?: number }).axis ?? -1;
      const inputs = node.inputs.map((_, i) => inputMap(node, i));
      if ((axis !== -1 && axis !== node.outputShape.length) || inputs.some((m) => m.flatten)) {
        inputs.forEach((m) => block(m, `${name} concatenates along axis ${axis}`));
        maps.set(name, full(newSpace(channelsOf(node), undefined, `output of ${name}`)));
      } else {
        maps.set(name, { segments: inputs.flatMap((m) => m.segments) });
      }
      continue;
    }
    if (ELEMENTWISE.has(cls)) {
      const inputs = node.inputs.map((_, i) => inputMap(node, i));
      const wholeSpaces = inputs.every((m) => !m.flatten && m.segments.length === 1 && m.segments[0].start === 0 && m.segments[0].length === spaces[m.segments[0].space].size);
      const sameSize = inputs.every((m) => m.segments[0]?.length === inputs[0].segments[0]?.length);
      if (wholeSpaces && sameSize) {
        for (const m of inputs.slice(1)) uf.union(inputs[0].segments[0].space, m.segments[0].space);
        maps.set(name, inputs[0]);
      } else {
        inputs.forEach((m) => block(m, `${name} merges partial channel ranges`));
        unsupported.push({ layer: name, className: cls });
        maps.set(name, full(newSpace(channelsOf(node), undefined, `output of ${name}`)));
      }
      continue;
    }
    // Anything else: its inputs and outputs keep their channels.
    unsupported.push({ layer: name, className: cls });
    node.inputs.forEach((_, i) => block(inputMap(node, i), `${cls} layer ${name}`));
    maps.set(name, full(newSpace(channelsOf(node), undefined, `output of ${cls} layer ${name}`)));
  }
  for (const out of graph.outputNames) block(maps.get(out), `model output ${out}`);

  // Union classes of spaces become groups, in order of their first producer.
  const byRoot = new Map<number, number[]>();
  spaces.forEach((_, i) => {
    const r = uf.find(i);
    byRoot.set(r, [...(byRoot.get(r) ?? []), i]);
  });
  const groups: ChannelGroup[] = [];
  const groupOfRoot = new Map<number, number>();
  for (const [root, members] of byRoot) {
    const producers = members.map((i) => spaces[i].producer).filter((p): p is string => p !== undefined);
    if (producers.length === 0) continue; // inputs and outputs of blocked layers: nothing to prune
    const blocked = members.map((i) => spaces[i].blocked).find((b) => b !== undefined);
    groupOfRoot.set(root, groups.length);
    groups.push({
      id: groups.length,
      size: spaces[members[0]].size,
      producers,
      members: members.flatMap((i) => spaces[i].members),
      ...(blocked ? { blocked } : {}),
    });
  }
  const outputGroups = new Map<string, number>();
  for (const [layer, map] of maps) {
    const [only] = map.segments;
    if (map.flatten || map.segments.length !== 1 || only.start !== 0 || only.length !== spaces[only.space].size) continue;
    const id = groupOfRoot.get(uf.find(only.space));
    if (id !== undefined && graph.nodes.has(layer)) outputGroups.set(layer, id);
  }
  return { graph, groups, outputGroups, unsupported };
}
