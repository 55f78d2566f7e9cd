/**
 * Channel groups: sets of channels that must be removed together for a structured prune to
 * leave a valid model. Follows Torch-Pruning's dependency-graph idea on a tfjs layer DAG.
 *
 * Every producer's output (Conv2D, Dense, …) starts a channel space. Spaces flow through
 * channelwise layers (BatchNormalization, DepthwiseConv2D with multiplier 1 — members that
 * are sliced along), through pass-through layers (element-wise activations, pooling,
 * padding, dropout), are concatenated by Concatenate, joined channel-for-channel by Add-like
 * merges (the joined spaces become one group), and expand through Flatten into Dense input
 * rows. What each layer class does comes from the layer-kind registry. Spaces that reach a
 * model input or output, or a layer whose kind is unknown or unsupported in its config (a
 * softmax, channels-first data), are blocked: they are reported, with the reason, never pruned.
 */
import type * as tf from '@tensorflow/tfjs';
import { layerKinds, LayerKindRegistry } from './layer-kinds';
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

/** Channels that must be pruned together: the producers that write them and every layer that reads or follows them (BatchNorm, depthwise, residual Add partners, Concatenate offsets, the next layer's input). */
export interface ChannelGroup {
  readonly id: number;
  readonly size: number;
  /** Layers whose output channels this group is (several when joined by Add). */
  readonly producers: readonly string[];
  readonly members: readonly ChannelMember[];
  /** Why this group may not be pruned, if it may not. */
  readonly blocked?: string;
}

/** The channel groups of a model, which layer outputs belong to which group, and what structured pruning must leave alone and why. */
export interface ChannelAnalysis {
  readonly graph: ModelGraph;
  readonly groups: readonly ChannelGroup[];
  /** Layers whose output channels are exactly one group's (producers, BN, activations, Add…) → group id. */
  readonly outputGroups: ReadonlyMap<string, number>;
  /** Layers the analysis did not understand, by name and class, and why; their channels are blocked. */
  readonly unsupported: readonly UnsupportedLayer[];
}

export interface UnsupportedLayer {
  readonly layer: string;
  readonly className: string;
  readonly reason: string;
}

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

/** Follows channels through `model` by the layer kinds of `kinds` and groups those that must be pruned together; layers it does not understand block their groups (with the reason), they are never guessed. */
export function analyzeChannels(model: tf.LayersModel, kinds: LayerKindRegistry = layerKinds): ChannelAnalysis {
  const graph = buildModelGraph(model);
  const spaces: Space[] = [];
  const uf = new UnionFind();
  const unsupported: UnsupportedLayer[] = [];
  const maps = new Map<string, ChannelMap>();
  // Producers whose own output cannot go (a fused softmax): blocked after the model outputs,
  // so an output layer still reads "model output".
  const outputBlocks: [number, string][] = [];

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
  /** The layer's inputs and output keep their channels, for `reason`. */
  const leaveAlone = (node: GraphNode, reason: string): void => {
    unsupported.push({ layer: node.name, className: node.className, reason });
    node.inputs.forEach((_, i) => block(inputMap(node, i), reason));
    maps.set(node.name, full(newSpace(channelsOf(node), undefined, `output of ${node.className} layer ${node.name}`)));
  };

  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    if (node.shared) {
      leaveAlone(node, `shared layer ${name}`);
      continue;
    }
    const behaviour = kinds.channels(node.layer);
    switch (behaviour.role) {
      case 'unsupported':
        leaveAlone(node, behaviour.reason);
        break;
      case 'input':
        maps.set(name, full(newSpace(channelsOf(node), undefined, 'model input')));
        break;
      case 'producer': {
        const input = inputMap(node);
        if (input.flatten && kinds.get(node.className)?.linearKernel !== 'dense') block(input, `${name} reads flattened channels`);
        else attach(input, name, 'consumer');
        const own = newSpace(channelsOf(node), name);
        spaces[own].members.push({ layer: name, role: 'producer', offset: 0, start: 0, length: spaces[own].size });
        if (behaviour.outputBlocked) outputBlocks.push([own, behaviour.outputBlocked]);
        maps.set(name, full(own));
        break;
      }
      case 'channelwise': {
        const input = inputMap(node);
        if (input.flatten) {
          leaveAlone(node, `${name} after a flatten`);
        } else {
          attach(input, name, 'channelwise');
          maps.set(name, input);
        }
        break;
      }
      case 'pass-through':
        maps.set(name, inputMap(node));
        break;
      case 'flatten': {
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
        break;
      }
      case 'concat': {
        const inputs = node.inputs.map((_, i) => inputMap(node, i));
        if (inputs.some((m) => m.flatten)) {
          inputs.forEach((m) => block(m, `${name} concatenates flattened channels`));
          maps.set(name, full(newSpace(channelsOf(node), undefined, `output of ${name}`)));
        } else {
          maps.set(name, { segments: inputs.flatMap((m) => m.segments) });
        }
        break;
      }
      case 'elementwise': {
        const inputs = node.inputs.map((_, i) => inputMap(node, i));
        const wholeSpaces = inputs.every((m) => !m.flatten && m.segments.length === 1 && m.segments[0].start === 0 && m.segments[0].length === spaces[m.segments[0].space].size);
        const sameSize = inputs.every((m) => m.segments[0]?.length === inputs[0].segments[0]?.length);
        if (wholeSpaces && sameSize) {
          for (const m of inputs.slice(1)) uf.union(inputs[0].segments[0].space, m.segments[0].space);
          maps.set(name, inputs[0]);
        } else {
          leaveAlone(node, `${name} merges partial channel ranges`);
        }
        break;
      }
    }
  }
  for (const out of graph.outputNames) block(maps.get(out), `model output ${out}`);
  for (const [space, reason] of outputBlocks) spaces[space].blocked ??= reason;

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
