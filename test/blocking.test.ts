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
});
