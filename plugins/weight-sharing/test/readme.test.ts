import * as fs from 'node:fs';
import * as path from 'node:path';
import { optionsMarkdownTable } from '@nncompress/core/report';
import { weightSharingOptionsSchema } from '../src';

it('README options table matches the options schema (regenerate with npm run docs)', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../README.md'), 'utf8');
  const table = optionsMarkdownTable(weightSharingOptionsSchema);
  expect(table.split('\n').length).toBeGreaterThan(2);
  expect(readme).toContain(`<!-- options:start -->\n${table}\n<!-- options:end -->`);
});
