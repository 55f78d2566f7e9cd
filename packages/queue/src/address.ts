/** Where the queue lives: a Redis address as users write it, checked before anything starts. */
import { InputError } from '@nncompress/core';
import IORedis from 'ioredis';

export interface QueueAddress {
  /** The address as given, without its password: what messages name. */
  readonly shown: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
}

/** Parses `redis://[user:password@]host[:port][/db]`; anything else is refused in one line. */
export function parseQueueAddress(text: string): QueueAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`--queue: "${text}" is not an address; expected redis://host:port`);
  }
  if (url.protocol !== 'redis:') throw new InputError(`--queue: "${text}" is not a Redis address; expected redis://host:port`);
  if (!url.hostname) throw new InputError(`--queue: "${text}" names no host; expected redis://host:port`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw new InputError(`--queue: "${text}": the path must be a database number, got "${dbText}"`);
  const db = dbText === '' ? 0 : Number(dbText);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    shown: `redis://${url.hostname}:${port}${db !== 0 ? `/${db}` : ''}`,
    host,
    port,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

/** ioredis options for the address; BullMQ's blocking connections need `maxRetriesPerRequest: null`. */
export function redisOptions(address: QueueAddress): { host: string; port: number; db: number; username?: string; password?: string; maxRetriesPerRequest: null } {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username ? { username: address.username } : {}),
    ...(address.password ? { password: address.password } : {}),
    maxRetriesPerRequest: null,
  };
}

/**
 * A connection that answered a PING, or one line naming the address and what went wrong.
 * BullMQ's own connections retry forever; this one gives up, so a wrong address is said at once.
 */
export async function connectChecked(address: QueueAddress, timeoutMs = 5000): Promise<IORedis> {
  const client = new IORedis({ ...redisOptions(address), lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  // The cause (ECONNREFUSED, ENOTFOUND) arrives as an event; the awaited call only says the connection closed.
  let cause: Error | undefined;
  client.on('error', (err: Error) => (cause ??= err));
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (err) {
    client.disconnect();
    const seen = (cause ?? err) as NodeJS.ErrnoException;
    const reason = seen.code ? `${seen.code}${seen.code === 'ECONNREFUSED' ? ' (is redis-server running there?)' : ''}` : seen.message.split('\n')[0];
    throw new InputError(`cannot reach Redis at ${address.shown}: ${reason}`);
  }
}
