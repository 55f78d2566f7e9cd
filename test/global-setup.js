// Runs once before every test suite: says in one line which tests this machine cannot run.
const { spawnSync } = require('node:child_process');

module.exports = async function globalSetup() {
  const redis = process.env.REDIS_SERVER || 'redis-server';
  if (spawnSync(redis, ['--version']).status !== 0 && !process.env.NNCOMPRESS_REQUIRE_REDIS) {
    process.stdout.write(`\nnot run: the queue tests on a real Redis (no ${redis} binary here); to run them: apt-get install redis-server, then npm test\n`);
  }
};
