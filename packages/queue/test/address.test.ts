import fc from 'fast-check';
import { parseQueueAddress } from '../src/address';

describe('queue addresses', () => {
  it('reads host, port and database from any redis:// address, and never shows the password', () => {
    const host = fc.oneof(fc.constantFrom('localhost', '127.0.0.1', 'redis.internal'), fc.ipV4());
    const password = fc.string({ minLength: 1, maxLength: 12 }).filter((p) => !/[\s]/.test(p));
    fc.assert(
      fc.property(host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }), fc.option(password, { nil: undefined }), (h, port, db, pass) => {
        const text = `redis://${pass !== undefined ? `:${encodeURIComponent(pass)}@` : ''}${h}${port !== undefined ? `:${port}` : ''}${db !== undefined ? `/${db}` : ''}`;
        const a = parseQueueAddress(text);
        expect(a.host).toBe(h);
        expect(a.port).toBe(port ?? 6379);
        expect(a.db).toBe(db ?? 0);
        expect(a.password).toBe(pass);
        // Shown without credentials: host, port, and the database when it is not the default.
        expect(a.shown).toBe(`redis://${h}:${port ?? 6379}${db ? `/${db}` : ''}`);
      }),
    );
  });

  it('refuses what is not a Redis address, in one line naming it', () => {
    const cases: [string, RegExp][] = [
      ['localhost:6379', /^--queue: "localhost:6379" is not a Redis address; expected redis:\/\/host:port$/],
      ['http://localhost:6379', /is not a Redis address/],
      ['not an address', /^--queue: "not an address" is not an address; expected redis:\/\/host:port$/],
      ['redis://localhost:6379/queue', /the path must be a database number, got "queue"/],
    ];
    for (const [text, pattern] of cases) expect(() => parseQueueAddress(text)).toThrow(pattern);
  });
});
