import type { Config } from 'jest';

// One jest project per workspace. Tests import workspace packages from their TypeScript
// sources (moduleNameMapper), so a test run never depends on stale build output;
// `npm test` type-checks everything with tsc first, so ts-jest only transpiles.
const workspaces = ['packages/core', 'packages/format', 'packages/queue', 'packages/cli', 'plugins/magnitude', 'plugins/finetune', 'plugins/filter-pruning', 'plugins/layer-pruning', 'plugins/row-column', 'plugins/small-weight-retention', 'plugins/piecewise-linear', 'plugins/weight-sharing', 'examples/third-party-plugin'];

const moduleNameMapper = {
  '^@nncompress/core$': '<rootDir>/../../packages/core/src/index.ts',
  '^@nncompress/core/(graph|model|training|importance|data|report|jobs|internal)$': '<rootDir>/../../packages/core/src/entries/$1.ts',
  '^@nncompress/format$': '<rootDir>/../../packages/format/src/index.ts',
  '^@nncompress/queue$': '<rootDir>/../../packages/queue/src/index.ts',
  '^@nncompress/plugin-(magnitude|finetune|filter-pruning|layer-pruning|row-column|small-weight-retention|piecewise-linear|weight-sharing)$': '<rootDir>/../../plugins/$1/src/index.ts',
};

const config: Config = {
  projects: workspaces.map((dir) => ({
    displayName: dir.split('/').pop(),
    rootDir: `<rootDir>/${dir}`,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    moduleNameMapper,
    setupFilesAfterEnv: ['<rootDir>/../../test/setup.ts'],
    transform: {
      '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../tsconfig.test.json' }],
    },
  })),
  testTimeout: 120_000,
  // Says in one line which tests this machine cannot run (no redis-server binary, say).
  globalSetup: '<rootDir>/test/global-setup.js',
};

export default config;
