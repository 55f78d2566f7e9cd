/**
 * A real redis-server for the queue tests, on a free loopback port, with nothing saved to disk.
 * Where there is no redis-server binary the tests skip (test/global-setup.js says so in one
 * line), unless NNCOMPRESS_REQUIRE_REDIS is set, as .ci/run sets it: there they fail instead.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';

export const REDIS_BINARY = process.env.REDIS_SERVER ?? 'redis-server';

export function haveRedis(): boolean {
  const found = spawnSync(REDIS_BINARY, ['--version'], { encoding: 'utf8' }).status === 0;
  if (!found && process.env.NNCOMPRESS_REQUIRE_REDIS) throw new Error(`the queue tests need ${REDIS_BINARY} (NNCOMPRESS_REQUIRE_REDIS is set): apt-get install redis-server`);
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RedisServer {
  readonly url: string;
  stop(): void;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const server: ChildProcess = spawn(REDIS_BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await answers(port))) {
    server.kill('SIGKILL');
    throw new Error(`redis-server did not answer on port ${port}`);
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => server.kill('SIGKILL') };
}
