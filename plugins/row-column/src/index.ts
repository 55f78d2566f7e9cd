export { checkProblem, selectionOf, totalImportance, transpose } from './problem';
export type { RowColumnProblem, RowColumnSelection } from './problem';
export { greedy, bestGreedy } from './greedy';
export type { GreedyOrder } from './greedy';
export { localAnneal, annealDefaults } from './anneal';
export type { AnnealOptions } from './anneal';
export { exactRowColumn, EXACT_MAX_ENTRIES } from './exact';
