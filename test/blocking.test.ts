/**
 * Blocking list and sorted-set pops through real connections: FIFO service, timeouts, MULTI,
 * CLIENT UNBLOCK, disconnects, and what reaches the propagation stream.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, RespError, sleep, waitFor, type TestServer } from './helpers';
import type { PropagatedOp } from '../src/server/server';

describe('blocking operations', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.close();
  });

  test('clients are served first come, first served per key', async () => {
    const a = await srv.raw();
    const b = await srv.raw();
    const p = await srv.raw();
    a.command('BLPOP', 'fifo', '0');
    await sleep(20);
    b.command('BLPOP', 'fifo', '0');
    await sleep(20);
    assert.equal(await p.call('RPUSH', 'fifo', 'one', 'two'), 2);
    assert.deepEqual(await a.reply(), ['fifo', 'one']);
    assert.deepEqual(await b.reply(), ['fifo', 'two']);
    assert.equal(await p.call('EXISTS', 'fifo'), 0);
  });

  test('fractional timeouts answer null; 0 waits until data arrives', async () => {
    const a = await srv.raw();
    const t0 = Date.now();
    assert.equal(await a.call('BRPOP', 'nothing', '0.2'), null);
    const dt = Date.now() - t0;
    assert.ok(dt >= 180 && dt < 2000, `waited ${dt}ms`);
    a.command('BZPOPMIN', 'zwait', '0');
    await sleep(100);
    const p = await srv.raw();
    await p.call('ZADD', 'zwait', '5', 'm');
    assert.deepEqual(await a.reply(), ['zwait', 'm', '5']);
  });

  test('a push inside MULTI wakes waiters after EXEC; blocking inside MULTI does not block', async () => {
    const a = await srv.raw();
    const p = await srv.raw();
    a.command('BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0');
    await sleep(20);
    await p.call('MULTI');
    await p.call('RPUSH', 'src', 'x');
    await p.call('LLEN', 'src');
    assert.deepEqual(await p.call('EXEC'), [1, 1]); // still there inside the transaction
    assert.equal(await a.reply(), 'x');
    assert.deepEqual(await p.call('LRANGE', 'dst', '0', '-1'), ['x']);
    await p.call('MULTI');
    await p.call('BLPOP', 'empty', '0');
    assert.deepEqual(await p.call('EXEC'), [null]);
  });

  test('CLIENT UNBLOCK with TIMEOUT and ERROR', async () => {
    const a = await srv.raw();
    const id = await a.call('CLIENT', 'ID');
    a.command('BLPOP', 'ub', '0');
    const p = await srv.raw();
    await waitFor(async () => /blocked_clients:[1-9]/.test((await p.call('INFO', 'clients')) as string));
    assert.equal(await p.call('CLIENT', 'UNBLOCK', id as number), 1);
    assert.equal(await a.reply(), null);
    a.command('BLPOP', 'ub', '0');
    await sleep(20);
    assert.equal(await p.call('CLIENT', 'UNBLOCK', id as number, 'ERROR'), 1);
    assert.deepEqual(await a.reply(), new RespError('UNBLOCKED client unblocked via CLIENT UNBLOCK'));
    assert.equal(await p.call('CLIENT', 'UNBLOCK', id as number), 0);
  });

  test('a client that disconnects while blocked leaves no trace', async () => {
    const a = await srv.raw();
    a.command('BLPOP', 'gone', '0');
    await sleep(20);
    a.close();
    await sleep(50);
    const p = await srv.raw();
    await p.call('RPUSH', 'gone', 'v');
    assert.deepEqual(await p.call('LRANGE', 'gone', '0', '-1'), ['v']);
    assert.match((await p.call('INFO', 'clients')) as string, /blocked_clients:0/);
  });

  test('the served pop is propagated as a plain pop', async () => {
    const ops: PropagatedOp[][] = [];
    const l = (o: PropagatedOp[]) => ops.push(o);
    srv.keel.server.addPropagationListener(l);
    try {
      const a = await srv.raw();
      a.command('BRPOP', 'prop', '0');
      await sleep(20);
      const p = await srv.raw();
      await p.call('LPUSH', 'prop', 'v');
      await a.reply();
      const flat = ops.flat().map((o) => o.argv);
      assert.deepEqual(flat, [
        ['LPUSH', 'prop', 'v'],
        ['RPOP', 'prop'],
      ]);
    } finally {
      srv.keel.server.removePropagationListener(l);
    }
  });

  test('a waiter keeps its place while the key holds the wrong type', async () => {
    const a = await srv.raw();
    a.command('BLPOP', 'typed', '0');
    await sleep(20);
    const p = await srv.raw();
    await p.call('SET', 'typed', 'string');
    await sleep(20);
    await p.call('DEL', 'typed');
    await p.call('RPUSH', 'typed', 'ok');
    assert.deepEqual(await a.reply(), ['typed', 'ok']);
  });

  // Redis signals a key as ready whenever it is created (dbAdd), not only on pushes (found by a test helper)
  test('a key created by RENAME, COPY, MOVE or RESTORE serves its waiters', async () => {
    const p = await srv.raw();
    const a = await srv.raw();
    const wakeBy = async (key: string, block: string[], create: () => Promise<unknown>, expected: unknown) => {
      a.command(...block);
      await waitFor(async () => /blocked_clients:1\r\n/.test((await p.call('INFO', 'clients')) as string), 5000, 10);
      await create();
      assert.deepEqual(await a.reply(), expected, key);
    };
    await p.call('RPUSH', 'src1', 'a');
    await wakeBy('rename', ['BLPOP', 'dst1', '0'], () => p.call('RENAME', 'src1', 'dst1'), ['dst1', 'a']);
    await p.call('RPUSH', 'src2', 'b');
    await wakeBy('copy', ['BLMOVE', 'dst2', 'out', 'LEFT', 'LEFT', '0'], () => p.call('COPY', 'src2', 'dst2'), 'b');
    await p.call('SELECT', '1');
    await p.call('ZADD', 'dst3', '1', 'm');
    await wakeBy('move', ['BZPOPMIN', 'dst3', '0'], () => p.call('MOVE', 'dst3', '0'), ['dst3', 'm', '1']);
    await p.call('SELECT', '0');
    await p.call('RPUSH', 'src4', 'c');
    const payload = await p.call('DUMP', 'src4');
    await wakeBy('restore', ['BRPOP', 'dst4', '0'], () => p.call('RESTORE', 'dst4', '0', payload as string), ['dst4', 'c']);
    await p.call('RPUSH', 'src5', 'd');
    await wakeBy('renamenx in MULTI', ['BLPOP', 'dst5', '0'], async () => {
      await p.call('MULTI');
      await p.call('RENAMENX', 'src5', 'dst5');
      await p.call('EXEC');
    }, ['dst5', 'd']);
  });
});

