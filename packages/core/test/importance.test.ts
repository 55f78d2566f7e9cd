import { ConfigError, importanceMeasures, prunableWeights, PluginError, tf } from '../src';
import { builtinImportanceMeasures } from '../src/entries/importance';
import { checkStageTargets, importanceRegistryFor, targetKinds, targetKindsFor } from '../src/entries/internal';

describe('importance measures', () => {
  it('magnitude and squared score each entry of each weight, by hand', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], useBias: false, name: 'd' })] });
    model.layers[0].setWeights([tf.tensor2d([[-2, 0.5], [3, -1]])]);
    const weights = prunableWeights(model);
    const name = weights[0].name;
    expect(Array.from(importanceMeasures.measure('magnitude', 'weight').score(model, weights, {}).get(name)!)).toEqual([2, 0.5, 3, 1]);
    expect(Array.from(importanceMeasures.measure('squared', 'weight').score(model, weights, {}).get(name)!)).toEqual([4, 0.25, 9, 1]);
    expect(() => importanceMeasures.measure('taylor', 'weight').score(model, weights, {})).toThrow('the taylor criterion needs training data for its calibration batches');
    model.dispose();
  });

  it('are looked up by id and granularity, with one line naming the known ones', () => {
    expect(importanceMeasures.idsOf('unit')).toEqual(['cka', 'bypass-loss']);
    expect(() => importanceMeasures.measure('apoz', 'weight', 'plugins.p.options.criterion')).toThrow(
      'plugins.p.options.criterion: no weight importance measure "apoz" ("apoz" scores channels); known: magnitude, squared, taylor, taylor-second (a plugin adds more through its importanceMeasures)',
    );
    expect(() => importanceMeasures.measure('nope', 'channel')).toThrow(ConfigError);
    // Every core measure says what it is and whether it needs data.
    for (const m of builtinImportanceMeasures) expect([m.description.length > 10, typeof m.needsData]).toEqual([true, 'boolean']);
  });

  it('that plugins declare join a run\'s registry; an id taken twice names the plugin', () => {
    const extra = { ...importanceMeasures.get('magnitude')!, id: 'magnitude-again' };
    const plugin = (id: string, importanceMeasures: unknown) => ({ id, importanceMeasures, apply: () => {} }) as never;
    const registry = importanceRegistryFor([{ instanceName: 'a', plugin: plugin('pa', [extra]) }], 'c.yaml');
    expect(registry.measure('magnitude-again', 'weight').id).toBe('magnitude-again');
    expect(() => importanceRegistryFor([{ instanceName: 'a', plugin: plugin('pa', [extra]) }, { instanceName: 'b', plugin: plugin('pb', [extra]) }], 'c.yaml')).toThrow(
      new PluginError('c.yaml: plugins.b (pb): importanceMeasures: importance measure "magnitude-again" is already registered; pass { replace: true } to replace it', 'pb'),
    );
    expect(() => importanceRegistryFor([{ instanceName: 'a', plugin: plugin('pa', extra) }], 'c.yaml')).toThrow('c.yaml: plugins.a (pa): importanceMeasures must be a list');
  });
});

describe('target kinds declared by plugins', () => {
  const kind = { ...targetKinds.get('layers')!, key: 'blocks' };
  const plugin = { id: 'pk', targetKinds: [kind], apply: () => {} } as never;

  it('are checked once the plugins are known; before, unknown keys wait', () => {
    const stages = [{ name: 's', target: { blocks: 2 }, schedule: { kind: 'iterative' as const, rounds: 2 } }];
    expect(() => checkStageTargets(stages, targetKinds, 'c.yaml', 'skip')).not.toThrow();
    expect(() => checkStageTargets(stages, targetKinds, 'c.yaml', 'error')).toThrow('c.yaml: stages[0].target.blocks: unknown target kind "blocks" (known: sparsity, filterRatio, layers; a plugin adds more through its targetKinds)');
    const kinds = targetKindsFor([{ instanceName: 'k', plugin }], 'c.yaml');
    expect(() => checkStageTargets(stages, kinds, 'c.yaml', 'error')).not.toThrow();
    expect(() => checkStageTargets([{ name: 's', target: { blocks: 0 } }], kinds, 'c.yaml', 'error')).toThrow('c.yaml: stages[0].target.blocks: must be >= 1');
    expect(() => targetKindsFor([{ instanceName: 'k', plugin: { id: 'pk', targetKinds: [{ ...kind, key: 'sparsity' }], apply: () => {} } as never }], 'c.yaml')).toThrow('c.yaml: plugins.k (pk): targetKinds: target kind "sparsity" is already registered');
  });

  it('hold a schedule to a target and its initial value below a fraction target', () => {
    expect(() => checkStageTargets([{ name: 's', schedule: { kind: 'gradual' } }], targetKinds, 'c.yaml', 'error')).toThrow('c.yaml: stages[0].target: a gradual schedule needs a target (sparsity, filterRatio, layers)');
    expect(() => checkStageTargets([{ name: 's', target: { sparsity: 0.5 }, schedule: { kind: 'gradual', initial: 0.6 } }], targetKinds, 'c.yaml', 'skip')).toThrow("c.yaml: stages[0].schedule.initial: must be <= the stage's target");
  });
});
