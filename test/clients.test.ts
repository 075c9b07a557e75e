/**
 * Real clients' connect handshakes, in both protocol versions, with and without a password.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { startTestServer, redisCli, type TestServer } from './helpers';

for (const requirepass of ['', 's3cret']) {
  describe(`client handshakes${requirepass ? ' with requirepass' : ''}`, () => {
    let srv: TestServer;
    before(async () => {
      srv = await startTestServer(requirepass ? { requirepass } : {});
    });
    after(async () => {
      await srv.close();
    });

    for (const protocol of [2, 3] as const) {
      test(`ioredis protocol ${protocol}`, async () => {
        const r = new Redis({ port: srv.port, host: '127.0.0.1', protocol, password: requirepass || undefined, lazyConnect: true, maxRetriesPerRequest: 0 });
        r.on('error', () => {});
        try {
          await r.connect();
          assert.equal(await r.set('io', 'x'), 'OK');
          assert.equal(await r.get('io'), 'x');
          const list = (await r.client('LIST')) as string;
          assert.match(list, new RegExp(`resp=${protocol}`));
          // ioredis sends CLIENT SETINFO, a Redis 7.2 command: Keel answers as 7.0 does (unknown subcommand) and ioredis goes on
          assert.doesNotMatch(list, /lib-name=/);
          const info = await r.info('server');
          assert.match(info, /redis_version:7\.0\.15/);
        } finally {
          r.disconnect();
        }
      });

      test(`node-redis RESP${protocol}`, async () => {
        const c = createClient({ socket: { port: srv.port, host: '127.0.0.1', reconnectStrategy: false }, RESP: protocol, password: requirepass || undefined });
        c.on('error', () => {});
        await c.connect();
        try {
          assert.equal(await c.set('nr', 'y'), 'OK');
          assert.equal(await c.get('nr'), 'y');
          assert.equal(await c.ping(), 'PONG');
          const hello = await c.sendCommand(['CLIENT', 'INFO']);
          assert.match(String(hello), new RegExp(`resp=${protocol}`));
        } finally {
          await c.quit().catch(() => {});
        }
      });
    }

    test('redis-cli', async () => {
      const args = requirepass ? ['-a', requirepass, '--no-auth-warning'] : [];
      const set = await redisCli(srv.port, [...args, 'SET', 'cli', 'z']);
      assert.equal(set.stdout.trim(), 'OK');
      const get = await redisCli(srv.port, [...args, 'GET', 'cli']);
      assert.equal(get.stdout.trim(), 'z');
      const three = await redisCli(srv.port, [...args, '-3', 'GET', 'cli']);
      assert.equal(three.stdout.trim(), 'z');
    });

    if (requirepass) {
      test('commands before AUTH get NOAUTH; wrong passwords WRONGPASS', async () => {
        const r = await srv.raw();
        assert.equal(((await r.call('GET', 'x')) as { message: string }).message, 'NOAUTH Authentication required.');
        assert.equal(((await r.call('AUTH', 'nope')) as { message: string }).message, 'WRONGPASS invalid username-password pair or user is disabled.');
        assert.equal(
          ((await r.call('HELLO', '3')) as { message: string }).message,
          'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
        );
        assert.equal(await r.call('AUTH', 'default', requirepass), 'OK');
        assert.equal(await r.call('PING'), 'PONG');
      });
    } else {
      test('AUTH without a password configured', async () => {
        const r = await srv.raw();
        assert.equal(
          ((await r.call('AUTH', 'x')) as { message: string }).message,
          'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
        );
      });
    }
  });
}
