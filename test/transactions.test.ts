import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, RespError, sleep, waitFor, type TestServer } from './helpers';
import type { PropagatedOp } from '../src/server/server';

describe('MULTI / EXEC / WATCH', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.close();
  });

  test('queues and executes', async () => {
    const r = await srv.raw();
    assert.equal(await r.call('MULTI'), 'OK');
    assert.equal(await r.call('SET', 'tx1', 'a'), 'QUEUED');
    assert.equal(await r.call('GET', 'tx1'), 'QUEUED');
    assert.deepEqual(await r.call('EXEC'), ['OK', 'a']);
  });

  test('errors while queueing abort EXEC with EXECABORT', async () => {
    const r = await srv.raw();
    await r.call('MULTI');
    assert.ok((await r.call('SET', 'tx2')) instanceof RespError);
    assert.ok((await r.call('NOSUCHCMD')) instanceof RespError);
    assert.deepEqual(await r.call('EXEC'), new RespError('EXECABORT Transaction discarded because of previous errors.'));
    assert.equal(await r.call('GET', 'tx2'), null);
  });

  test('runtime errors do not stop the rest', async () => {
    const r = await srv.raw();
    await r.call('SET', 'str', 'x');
    await r.call('MULTI');
    await r.call('LPUSH', 'str', 'a');
    await r.call('SET', 'after', '1');
    const res = (await r.call('EXEC')) as unknown[];
    assert.equal(res.length, 2);
    assert.equal(res[1], 'OK');
    assert.equal(await r.call('GET', 'after'), '1');
  });

  test('nesting, DISCARD and EXEC without MULTI', async () => {
    const r = await srv.raw();
    assert.deepEqual(await r.call('EXEC'), new RespError('ERR EXEC without MULTI'));
    assert.deepEqual(await r.call('DISCARD'), new RespError('ERR DISCARD without MULTI'));
    await r.call('MULTI');
    assert.deepEqual(await r.call('MULTI'), new RespError('ERR MULTI calls can not be nested'));
    assert.deepEqual(await r.call('WATCH', 'x'), new RespError('ERR WATCH inside MULTI is not allowed'));
    assert.equal(await r.call('DISCARD'), 'OK');
  });

  test('WATCH aborts EXEC when another client changes the key', async () => {
    const a = await srv.raw();
    const b = await srv.raw();
    await a.call('SET', 'w', '1');
    await a.call('WATCH', 'w');
    await b.call('SET', 'w', '2');
    await a.call('MULTI');
    await a.call('SET', 'w', '3');
    assert.equal(await a.call('EXEC'), null);
    assert.equal(await a.call('GET', 'w'), '2');
  });

  // touchAllWatchedKeysInDb: only a watched key that existed before or after (found by a test helper)
  test('FLUSHALL, FLUSHDB and SWAPDB leave the WATCH of a key in neither db alone', async () => {
    const a = await srv.raw();
    const b = await srv.raw();
    for (const flush of [['FLUSHALL'], ['FLUSHDB'], ['SWAPDB', '0', '1']]) {
      await a.call('WATCH', 'never-there');
      await b.call(...flush);
      await a.call('MULTI');
      await a.call('PING');
      assert.deepEqual(await a.call('EXEC'), ['PONG'], flush.join(' '));
    }
    await b.call('SELECT', '1');
    await b.call('SET', 'in-db1', 'x');
    await a.call('WATCH', 'in-db1');
    await b.call('SWAPDB', '0', '1'); // it appears in db 0: a change
    await a.call('MULTI');
    await a.call('PING');
    assert.equal(await a.call('EXEC'), null);
  });

  test('WATCH is invalidated by FLUSHDB, SWAPDB-free deletes, and expiry', async () => {
    const a = await srv.raw();
    const b = await srv.raw();
    await a.call('SET', 'w2', '1');
    await a.call('WATCH', 'w2');
    await b.call('FLUSHDB');
    await a.call('MULTI');
    await a.call('PING');
    assert.equal(await a.call('EXEC'), null);

    await a.call('SET', 'w3', '1', 'PX', '30');
    await a.call('WATCH', 'w3');
    await sleep(60);
    await a.call('MULTI');
    await a.call('PING');
    assert.equal(await a.call('EXEC'), null);
  });

  test('UNWATCH and untouched keys let EXEC run', async () => {
    const a = await srv.raw();
    await a.call('WATCH', 'untouched');
    await a.call('MULTI');
    await a.call('PING');
    assert.deepEqual(await a.call('EXEC'), ['PONG']);
  });

  test('a transaction reaches persistence as one MULTI … EXEC unit', async () => {
    const ops: PropagatedOp[][] = [];
    const l = (u: PropagatedOp[]) => ops.push(u);
    srv.keel.server.addPropagationListener(l);
    try {
      const r = await srv.raw();
      await r.call('MULTI');
      await r.call('SET', 'p1', 'a');
      await r.call('GET', 'p1');
      await r.call('SET', 'p2', 'b');
      await r.call('EXEC');
      await r.call('MULTI');
      await r.call('SET', 'p3', 'c');
      await r.call('EXEC');
    } finally {
      srv.keel.server.removePropagationListener(l);
    }
    // keys from earlier tests may expire meanwhile (a DEL unit of their own): leave those out
    assert.deepEqual(
      ops.filter((u) => u[0].argv[0] !== 'DEL').map((u) => u.map((o) => o.argv)),
      [[['MULTI'], ['SET', 'p1', 'a'], ['SET', 'p2', 'b'], ['EXEC']], [['SET', 'p3', 'c']]],
    );
  });
});

describe('pub/sub (RESP2)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.close();
  });

  test('subscribe, publish, pattern, unsubscribe', async () => {
    const sub = await srv.raw();
    const pub = await srv.raw();
    assert.deepEqual(await sub.call('SUBSCRIBE', 'news', 'sport'), ['subscribe', 'news', 1]);
    assert.deepEqual(await sub.reply(), ['subscribe', 'sport', 2]);
    assert.deepEqual(await sub.call('PSUBSCRIBE', 'n*'), ['psubscribe', 'n*', 3]);
    assert.equal(await pub.call('PUBLISH', 'news', 'hello'), 2);
    assert.deepEqual(await sub.reply(), ['message', 'news', 'hello']);
    assert.deepEqual(await sub.reply(), ['pmessage', 'n*', 'news', 'hello']);
    assert.deepEqual(((await pub.call('PUBSUB', 'CHANNELS')) as string[]).sort(), ['news', 'sport']);
    assert.deepEqual(await pub.call('PUBSUB', 'CHANNELS', 's*'), ['sport']);
    assert.deepEqual(await pub.call('PUBSUB', 'NUMSUB', 'news', 'none'), ['news', 1, 'none', 0]);
    assert.equal(await pub.call('PUBSUB', 'NUMPAT'), 1);
    assert.deepEqual(
      await sub.call('GET', 'x'),
      new RespError("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"),
    );
    assert.deepEqual(await sub.call('PING'), ['pong', '']);
    assert.deepEqual(await sub.call('UNSUBSCRIBE'), ['unsubscribe', 'news', 2]);
    assert.deepEqual(await sub.reply(), ['unsubscribe', 'sport', 1]);
    assert.deepEqual(await sub.call('PUNSUBSCRIBE'), ['punsubscribe', 'n*', 0]);
    assert.deepEqual(await sub.call('UNSUBSCRIBE'), ['unsubscribe', null, 0]);
    assert.equal(await sub.call('GET', 'x'), null);
  });

  test('keyspace notifications', async () => {
    const sub = await srv.raw();
    const w = await srv.raw();
    await w.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    try {
      await sub.call('PSUBSCRIBE', '__key*__:*');
      await w.call('SET', 'nk', 'v');
      assert.deepEqual(await sub.reply(), ['pmessage', '__key*__:*', '__keyspace@0__:nk', 'set']);
      assert.deepEqual(await sub.reply(), ['pmessage', '__key*__:*', '__keyevent@0__:set', 'nk']);
    } finally {
      await w.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  test('a slow subscriber over the pubsub output limit is disconnected', async () => {
    const sub = await srv.raw();
    const pub = await srv.raw();
    await pub.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 100000 0 0');
    try {
      await sub.call('SUBSCRIBE', 'flood');
      sub.socket.pause();
      const big = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 200 && !sub.closed; i++) await pub.call('PUBLISH', 'flood', big);
      sub.socket.resume();
      await sub.waitClose();
    } finally {
      await pub.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 33554432 8388608 60');
    }
  });

  // found by a review helper: PUBLISH counted the receivers after serving them, when the ones
  // closed for their output limit were gone already (Redis counts them: it frees them afterwards)
  test('PUBLISH counts the subscribers its message closes for their output limit', async () => {
    const both = await srv.raw();
    const pat = await srv.raw();
    const pub = await srv.raw();
    await pub.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 100000 0 0');
    try {
      await both.call('SUBSCRIBE', 'cnt');
      await both.call('PSUBSCRIBE', 'cn*');
      await pat.call('PSUBSCRIBE', 'c*');
      assert.equal(await pub.call('PUBLISH', 'cnt', 'x'.repeat(200_000)), 3);
      await both.waitClose();
      await pat.waitClose();
      assert.equal(await pub.call('PUBLISH', 'cnt', 'y'), 0);
    } finally {
      await pub.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 33554432 8388608 60');
    }
  });

  // the soft limit was only checked when more output came (found by a test helper)
  test('a subscriber over the soft limit is dropped when its seconds are up, with no more messages', async () => {
    const sub = await srv.raw();
    const pub = await srv.raw();
    await pub.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 0 1mb 1');
    try {
      await sub.call('SUBSCRIBE', 'soft');
      sub.socket.pause();
      const big = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 12; i++) await pub.call('PUBLISH', 'soft', big);
      // over the soft limit now; Redis waits more than the whole second before dropping it
      assert.deepEqual(await pub.call('PUBSUB', 'NUMSUB', 'soft'), ['soft', 1]);
      await waitFor(async () => ((await pub.call('PUBSUB', 'NUMSUB', 'soft')) as unknown[])[1] === 0, 6000, 100);
      sub.socket.resume();
      await sub.waitClose();
    } finally {
      await pub.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 33554432 8388608 60');
    }
  });

  // the normal class was only checked for pub/sub messages (found by a test helper)
  test('a client that does not read its replies is disconnected past the normal output limit', async () => {
    const slow = await srv.raw();
    const w = await srv.raw();
    await w.call('SET', 'big', 'x'.repeat(100 * 1024));
    await w.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1mb 0 0');
    try {
      slow.socket.pause();
      for (let i = 0; i < 400 && !slow.closed; i++) slow.command('GET', 'big');
      slow.socket.resume();
      await slow.waitClose();
      assert.equal(await w.call('PING'), 'PONG');
      // one pipelined batch whose replies pass the limit before its flush: closed as well
      const batch = await srv.raw();
      batch.socket.write(Array.from({ length: 50 }, () => '*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n').join(''));
      await batch.waitClose();
    } finally {
      await w.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0');
    }
  });
});

