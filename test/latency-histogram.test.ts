/**
 * INFO latencystats: the histogram reports the bucket bounds Redis 7.0's HdrHistogram reports
 * (values read off redis-server 7.0.15's INFO), and the section follows latency-tracking.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram, percentilesLine, formatPercentile } from '../src/server/latency-histogram';
import { startTestServer, hasRedisServer } from './helpers';
import { ByteConn, startRedis } from './differential';

describe('latency histogram', () => {
  test('percentiles are the bucket bounds redis-server shows', () => {
    const one = (usec: number) => {
      const h = new LatencyHistogram();
      h.record(usec);
      return percentilesLine(h, [0, 50, 100]);
    };
    // 0 µs is counted as 1 ns; 1 µs falls in [1000, 1003] ns; 4 µs in [4000, 4015]; 19 µs in [18944, 19071]
    assert.equal(one(0), 'p0=0.001,p50=0.001,p100=0.001');
    assert.equal(one(1), 'p0=1.000,p50=1.003,p100=1.003');
    assert.equal(one(4), 'p0=4.000,p50=4.015,p100=4.015');
    assert.equal(one(19), 'p0=18.944,p50=19.071,p100=19.071');
    assert.equal(one(5_000_000), 'p0=998244.352,p50=1002438.655,p100=1002438.655'); // capped at 1 s
  });

  test('a percentile is the smallest value with at least that share of the counts at or below it', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i);
    assert.equal(percentilesLine(h, [50, 99, 99.9]), 'p50=50.175,p99=99.327,p99.9=100.351');
    assert.equal(formatPercentile(33.333333333), '33.333333');
    assert.equal(formatPercentile(100), '100');
  });

  test('INFO latencystats follows latency-tracking and CONFIG RESETSTAT', async () => {
    const srv = await startTestServer();
    const r = srv.client();
    try {
      await r.set('a', '1');
      await r.get('a');
      await r.config('GET', 'hz');
      const info = await r.info('latencystats');
      assert.match(info, /^latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r$/m);
      assert.match(info, /^latency_percentiles_usec_config\|get:p50=/m);
      await r.config('SET', 'latency-tracking-info-percentiles', '0 100');
      assert.match(await r.info('latencystats'), /^latency_percentiles_usec_get:p0=\d+\.\d{3},p100=\d+\.\d{3}\r$/m);
      await r.config('SET', 'latency-tracking', 'no');
      assert.equal(await r.info('latencystats'), '# Latencystats\r\n');
      await r.config('SET', 'latency-tracking', 'yes');
      // a blocking command counts once it is served
      await r.config('SET', 'latency-tracking-info-percentiles', '50');
      const w = srv.client();
      const pop = w.blpop('bk', 0);
      await new Promise((res) => setTimeout(res, 50));
      await r.rpush('bk', '1');
      await pop;
      w.disconnect();
      assert.match(await r.info('latencystats'), /^latency_percentiles_usec_blpop:p50=/m);
      // RESETSTAT empties them (untracked, it leaves no line of its own)
      await r.config('SET', 'latency-tracking', 'no');
      await r.config('RESETSTAT');
      await r.config('SET', 'latency-tracking', 'yes');
      assert.deepEqual(
        (await r.info('latencystats')).split('\r\n').filter((l) => l.startsWith('latency_')).map((l) => l.split(':')[0]),
        ['latency_percentiles_usec_config|set'],
      );
    } finally {
      await srv.close();
    }
  });

  test('INFO everything lists its sections in redis-server’s order', { skip: hasRedisServer() ? false : 'redis-server is not installed' }, async () => {
    const srv = await startTestServer();
    const redis = await startRedis();
    try {
      const headers = async (port: number) => {
        const c = await ByteConn.connect(port);
        const text = await c.call(['INFO', 'everything']);
        c.close();
        return text.split('\r\n').filter((l) => l.startsWith('# '));
      };
      assert.deepEqual(await headers(srv.port), await headers(redis.port));
    } finally {
      await srv.close();
      await redis.stop();
    }
  });
});
