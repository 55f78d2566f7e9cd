#!/usr/bin/env node
/*
 * Writes each plugin README's options table from the plugin's JSON Schema, between the
 * markers <!-- options:start --> and <!-- options:end -->, and docs/config.md's key table
 * from the pipeline config's schema, between <!-- config:start --> and <!-- config:end -->,
 * and docs/importance.md's table of core's importance measures from the registry.
 * Run after `npm run build`:
 *   npm run docs
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { configMarkdownTable, importanceMarkdownTable, optionsMarkdownTable } = require('@nncompress/core/report');
const { pipelineConfigSchema, pluginFromExports } = require('@nncompress/core/internal');

const root = path.resolve(__dirname, '..');
const dirs = ['plugins/magnitude', 'plugins/finetune', 'plugins/filter-pruning', 'plugins/layer-pruning', 'plugins/row-column', 'plugins/small-weight-retention', 'plugins/piecewise-linear', 'plugins/weight-sharing', 'examples/third-party-plugin'];
for (const dir of dirs) {
  const plugin = pluginFromExports(require(path.join(root, dir)));
  const readme = path.join(root, dir, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const next = text.replace(/(<!-- options:start -->)[\s\S]*?(<!-- options:end -->)/, (_, start, end) => `${start}\n${optionsMarkdownTable(plugin.optionsSchema)}\n${end}`);
  if (next === text) continue;
  fs.writeFileSync(readme, next);
  console.log(`updated ${path.relative(root, readme)}`);
}

const configDoc = path.join(root, 'docs', 'config.md');
const configText = fs.readFileSync(configDoc, 'utf8');
const configNext = configText.replace(/(<!-- config:start -->)[\s\S]*?(<!-- config:end -->)/, (_, start, end) => `${start}\n${configMarkdownTable(pipelineConfigSchema)}\n${end}`);
if (configNext !== configText) {
  fs.writeFileSync(configDoc, configNext);
  console.log('updated docs/config.md');
}

const importanceDoc = path.join(root, 'docs', 'importance.md');
const importanceText = fs.readFileSync(importanceDoc, 'utf8');
const importanceNext = importanceText.replace(/(<!-- importance:start -->)[\s\S]*?(<!-- importance:end -->)/, (_, start, end) => `${start}\n${importanceMarkdownTable()}\n${end}`);
if (importanceNext !== importanceText) {
  fs.writeFileSync(importanceDoc, importanceNext);
  console.log('updated docs/importance.md');
}
