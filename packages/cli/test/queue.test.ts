/**
 * The queue: jobs through a real redis-server, run by `nncompress worker` processes. The same
 * files come out as from the local pool, a worker killed mid-trial loses nothing, a worker of
 * another version is refused by name, and an unreachable Redis is one line.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openQueue, startWorker } from '@nncompress/queue';
import { BIN, expectOneLineError, LENET300, nncompress, REPO } from './helpers';
import { haveRedis, RedisServer, startRedis } from './redis';

interface Running {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed). */
  readonly exited: Promise<number | null>;
  /** Resolves once the output matches `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

const running: Running[] = [];

function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: Running = {
    child,
    output: () => text,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = text.match(pattern);
          if (!m) return;
          listeners.delete(check);
          resolve(m);
        };
        listeners.add(check);
        check();
        void exited.then(() => {
          if (listeners.has(check)) reject(new Error(`exited before printing ${pattern}:\n${text}`));
        });
      }),
  };
  running.push(handle);
  return handle;
}

let dir: string;
const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const sameFile = (a: string, b: string): boolean => fs.readFileSync(a).equals(fs.readFileSync(b));

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnc-queue-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

describe('the queue, without a server', () => {
  it('says in one line that Redis cannot be reached, naming the address, and writes nothing', () => {
    const goal = write('g.yaml', `model: ${LENET300}\ndata: { source: mnist, train: 100, test: 100 }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude' }\nstages:\n  - name: cut\n    target: { sparsity: 0.5 }\nencode: { codec: huffman }\ngoal: { minimize: bytes, metricDrop: 0.01 }\n`);
    const out = path.join(dir, 'never');
    // Port 9 (discard) on loopback: nothing listens there.
    expectOneLineError(nncompress(['run', goal, '--queue', 'redis://127.0.0.1:9', '-o', out]), /^nncompress: error: cannot reach Redis at redis:\/\/127\.0\.0\.1:9: ECONNREFUSED/, out);
    expectOneLineError(nncompress(['worker', '--queue', 'redis://127.0.0.1:9']), /cannot reach Redis at redis:\/\/127\.0\.0\.1:9: ECONNREFUSED/);
    expectOneLineError(nncompress(['worker', '--queue', 'http://127.0.0.1:6379']), /--queue: "http:\/\/127\.0\.0\.1:6379" is not a Redis address; expected redis:\/\/host:port/);
    // Without a goal there are no trials to send.
    const plain = write('plain.yaml', fs.readFileSync(goal, 'utf8').replace(/goal:.*\n/, ''));
    expectOneLineError(nncompress(['run', plain, '--queue', 'redis://127.0.0.1:9', '-o', out]), /--queue: .*plain\.yaml has no goal/, out);
  });
});

const withRedis = haveRedis() ? describe : describe.skip;

withRedis('the queue, on a real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('a goal search with a worker killed mid-trial writes the same model.nnc as two local processes', async () => {
    const file = write(
      'goal.yaml',
      `model: ${LENET300}\nseed: 1\ndata: { source: mnist, train: 1000, test: 500 }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude', options: { scope: global } }\n  tune: { use: '@nncompress/plugin-finetune', options: { epochs: 1 } }\nstages:\n  - name: cut\n    target: { sparsity: 0.8 }\nencode: { codec: pwl, relativeError: 0.04 }\ngoal: { minimize: bytes, metricDrop: 0.02, holdOut: 300, steps: 2, processes: 2 }\n`,
    );
    const local = path.join(dir, 'local');
    expect(nncompress(['run', file, '-o', local]).code).toBe(0);

    // Short locks, so that the dead worker's trial runs elsewhere within seconds.
    const doomed = start(['worker', '--queue', redis.url, '--name', 'doomed', '--lock-seconds', '4']);
    const survivor = start(['worker', '--queue', redis.url, '--name', 'survivor', '--lock-seconds', '4']);
    await Promise.all([doomed.waitFor(/waiting for jobs/), survivor.waitFor(/waiting for jobs/)]);
    const queued = path.join(dir, 'queued');
    const coordinator = start(['run', file, '--queue', redis.url, '-o', queued]);
    const [, label] = await doomed.waitFor(/worker doomed: (.+): started/);
    // Mid-trial: the trial has started and has not finished.
    await new Promise((r) => setTimeout(r, 1000));
    expect(doomed.output()).not.toContain(`${label}: done`);
    doomed.child.kill('SIGKILL');

    expect(await coordinator.exited).toBe(0);
    // The killed trial ran again on the survivor, and the coordinator said so.
    expect(survivor.output()).toContain(`worker survivor: ${label}: started`);
    expect(coordinator.output()).toContain(`goal: trial ${label}: its worker stopped answering; running it again`);
    expect(sameFile(path.join(queued, 'model.nnc'), path.join(local, 'model.nnc'))).toBe(true);
    const [a, b] = [local, queued].map((d) => JSON.parse(fs.readFileSync(path.join(d, 'report.json'), 'utf8')).goal);
    expect(b.trials).toEqual(a.trials);
  }, 600_000);

  it('refuses what it cannot run before queueing anything, as the local pool does', async () => {
    const queue = await openQueue(redis.url);
    try {
      await expect(queue.run([{ handler: './no-such-handler.js', input: {} }], { from: dir })).rejects.toThrow(/job handler "\.\/no-such-handler\.js": no such module/);
      await expect(queue.run([{ handler: 'pipeline', input: { when: new Date() } as never }])).rejects.toThrow(/job 1: input\.when is a Date, not a plain object; a job's input must be plain JSON/);
    } finally {
      await queue.close();
    }
  });

  it('refuses a worker of another version by name; a worker of this version runs the sweep, with the same files as the local pool', async () => {
    write('pipeline.yaml', `model: ${LENET300}\nseed: 1\ndata: { source: mnist, train: 200, test: 200 }\nplugins:\n  prune: { use: '@nncompress/plugin-magnitude', options: { scope: global } }\nstages:\n  - name: cut\n    target: { sparsity: 0.8 }\nencode: { codec: huffman }\n`);
    const sweep = write('grid.yaml', `pipeline: ./pipeline.yaml\nvary:\n  stages.cut.target.sparsity: [0.5, 0.9]\n`);
    const local = path.join(dir, 'sweep-local');
    expect(nncompress(['sweep', sweep, '-o', local, '--processes', '1']).code).toBe(0);

    const old = await startWorker(redis.url, { name: 'stale-worker', version: '0.0.1-old' });
    const refused = old.stopped.then(
      () => 'stopped without refusing',
      (err: Error) => err.message,
    );
    const queued = path.join(dir, 'sweep-queued');
    const coordinator = start(['sweep', sweep, '--queue', redis.url, '-o', queued]);
    expect(await refused).toMatch(/^worker "stale-worker": this is nncompress 0\.0\.1-old, and the run's coordinator is \d+\.\d+\.\d+\S*: refused its jobs/);
    await coordinator.waitFor(/warning: queue: worker "stale-worker" runs nncompress 0\.0\.1-old, this run \S+: refused/);
    // Nothing ran yet: the refused jobs wait for a worker of the right version.
    expect(coordinator.output()).not.toMatch(/sweep: 1\/2/);
    start(['worker', '--queue', redis.url, '--name', 'current']);
    expect(await coordinator.exited).toBe(0);
    for (const folder of fs.readdirSync(local).filter((f) => !f.endsWith('.json'))) expect(sameFile(path.join(queued, folder, 'model.nnc'), path.join(local, folder, 'model.nnc'))).toBe(true);
  }, 300_000);
});
