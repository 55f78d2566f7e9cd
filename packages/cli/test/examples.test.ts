import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '@nncompress/core';
import { resolvePlugin, validateAgainst } from '@nncompress/core/internal';
import { goalPlan, loadSweep } from '@nncompress/core/jobs';

/** Every shipped example config loads, validates, resolves its plugins and options, and finds its model. */
const EXAMPLES = path.resolve(__dirname, '../../../examples');
const configs = fs
  .readdirSync(EXAMPLES)
  .flatMap((dir) => fs.readdirSync(path.join(EXAMPLES, dir)).filter((f) => /\.(ya?ml|ts)$/.test(f) && !f.startsWith('.')).map((f) => path.join(dir, f)))
  .filter((f) => !f.includes(`${path.sep}src${path.sep}`));
/** Sweep files list values for a pipeline config's keys (docs/sweeps.md); the rest are pipeline configs. */
const isSweep = (f: string): boolean => /\.ya?ml$/.test(f) && /^vary:/m.test(fs.readFileSync(path.join(EXAMPLES, f), 'utf8'));
const sweeps = configs.filter(isSweep);
const pipelines = configs.filter((f) => !isSweep(f));

describe('example configs', () => {
  it('are found', () => {
    expect(pipelines.length).toBeGreaterThanOrEqual(5);
    expect(sweeps.length).toBeGreaterThanOrEqual(1);
  });

  it.each(sweeps)('%s builds every configuration from its pipeline, each a valid config', (relative) => {
    const sweep = loadSweep(path.join(EXAMPLES, relative));
    expect(sweep.configurations.length).toBeGreaterThan(1);
    expect(pipelines).toContain(path.relative(EXAMPLES, sweep.pipeline.file));
  });

  it.each(pipelines)('%s is valid and complete', (relative) => {
    const { config, dir } = loadConfig(path.join(EXAMPLES, relative));
    const model = config.model;
    if (typeof model === 'string') expect(fs.existsSync(path.resolve(dir, model))).toBe(true);
    else expect(() => require.resolve(model.module, { paths: [dir] })).not.toThrow();
    for (const [name, spec] of Object.entries(config.plugins ?? {})) {
      const { plugin } = resolvePlugin(spec.use, dir, `plugins.${name}.use`);
      expect(plugin.optionsSchema ? validateAgainst(plugin.optionsSchema, structuredClone(spec.options ?? {}), `plugins.${name}.options`) : undefined).toBeUndefined();
    }
    // A goal's shape (minimize with metricDrop, or maximize with one limit) is checked when the search starts: here too.
    if (config.goal) expect(() => goalPlan(config.goal!, relative)).not.toThrow();
  });
});
