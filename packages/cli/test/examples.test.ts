import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '@nncompress/core';
import { resolvePlugin, validateAgainst } from '@nncompress/core/internal';

/** Every shipped example config loads, validates, resolves its plugins and options, and finds its model. */
const EXAMPLES = path.resolve(__dirname, '../../../examples');
const configs = fs
  .readdirSync(EXAMPLES)
  .flatMap((dir) => fs.readdirSync(path.join(EXAMPLES, dir)).filter((f) => /\.(ya?ml|ts)$/.test(f) && !f.startsWith('.')).map((f) => path.join(dir, f)))
  .filter((f) => !f.includes(`${path.sep}src${path.sep}`));

describe('example configs', () => {
  it('are found', () => {
    expect(configs.length).toBeGreaterThanOrEqual(5);
  });

  it.each(configs)('%s is valid and complete', (relative) => {
    const { config, dir } = loadConfig(path.join(EXAMPLES, relative));
    const model = config.model;
    if (typeof model === 'string') expect(fs.existsSync(path.resolve(dir, model))).toBe(true);
    else expect(() => require.resolve(model.module, { paths: [dir] })).not.toThrow();
    for (const [name, spec] of Object.entries(config.plugins ?? {})) {
      const { plugin } = resolvePlugin(spec.use, dir, `plugins.${name}.use`);
      expect(plugin.optionsSchema ? validateAgainst(plugin.optionsSchema, structuredClone(spec.options ?? {}), `plugins.${name}.options`) : undefined).toBeUndefined();
    }
  });
});
