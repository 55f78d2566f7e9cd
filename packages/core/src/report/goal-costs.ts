/** A goal search's resources, as numbers and as text. */
import type { GoalResource } from '../config/types';
import type { GoalCosts } from './report';

const int = (v: number): string => Math.round(v).toLocaleString('en-US');

/** The resource's figure of a trial (or of its full run). */
export function costOf(costs: GoalCosts, resource: GoalResource): number {
  if (resource === 'bytes') return costs.bytes;
  if (resource === 'flops') return costs.flops;
  if (costs.latencyMs === undefined) throw new Error('a latency goal without a measured latency');
  return costs.latencyMs;
}

/** The resource with its unit, for messages: `23,552 B`, `1,203,400 FLOPs`, `3.41 ms`. */
export function showCost(value: number, resource: GoalResource): string {
  return resource === 'bytes' ? `${int(value)} B` : resource === 'flops' ? `${int(value)} FLOPs` : `${value.toFixed(2)} ms`;
}

/** The resource as a table column names it: `bytes`, `FLOPs`, `latency`. */
export function resourceColumn(resource: GoalResource): string {
  return resource === 'bytes' ? 'bytes' : resource === 'flops' ? 'FLOPs' : 'latency';
}
