/**
 * A dataset covering every type and encoding size class, and a client-side dump of a whole
 * server (every key, type, value and TTL in every db) to compare two servers.
 */
import Redis from 'ioredis';

const bin = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

/** Writes the test dataset through a client (works on Keel and redis-server alike). */
export async function writeDataset(r: Redis, opts: { big?: boolean } = {}): Promise<void> {
  const p = r.pipeline();
  p.select(0);
  // strings: ints of every width, short, embstr, raw, compressible, binary, empty
  for (const v of ['0', '-1', '127', '-128', '32767', '-32769', '2147483647', '-2147483649', '9223372036854775807', '12345678901', '007', '1.5']) p.set(`int:${v}`, v);
  p.set('empty', '');
  p.set('short', 'hello');
  p.set('compressible', 'a'.repeat(1000));
  p.set('random', bin(700, 3));
  p.set(bin(16, 9), bin(64, 11)); // binary key
  p.set('ttl:string', 'v', 'PX', 3_600_000);
  // lists: small, with ints, big (several quicklist nodes), long elements
  p.rpush('list:small', 'a', 'b', '1', '-7', '');
  p.rpush('list:big', ...Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? String(i) : `item-${i}`)));
  p.rpush('list:long', 'x'.repeat(20000), 'y');
  p.rpush('ttl:list', 'a');
  p.pexpire('ttl:list', 7_200_000);
  // hashes: listpack and hashtable (by count and by value length)
  p.hset('hash:small', 'f1', 'v1', 'n', '42', 'empty', '');
  p.hset('hash:many', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  p.hset('hash:longval', 'f', 'z'.repeat(100));
  // sets: intset (16/32/64 bit) and hashtable
  p.sadd('set:int16', '1', '2', '-3');
  p.sadd('set:int32', '1', '70000');
  p.sadd('set:int64', '1', '5000000000');
  p.sadd('set:str', 'a', 'b', 'c');
  p.sadd('set:bigint', ...Array.from({ length: 600 }, (_, i) => String(i)));
  // sorted sets: listpack and skiplist, special scores
  p.zadd('zset:small', '1', 'a', '2.5', 'b', '-3', 'c', 'inf', 'top', '-inf', 'bottom', '0.1', 'tenth');
  p.zadd('zset:big', ...Array.from({ length: 300 }, (_, i) => [String(i / 7), `m${i}`]).flat());
  p.zadd('zset:longmember', '1', 'q'.repeat(100));
  // other databases
  for (const db of [1, 7, 15]) {
    p.select(db);
    p.set(`db${db}:key`, `value in ${db}`);
    p.rpush(`db${db}:list`, 'x');
  }
  p.select(0);
  await p.exec();
  if (opts.big) {
    const q = r.pipeline();
    q.rpush('huge:list', ...Array.from({ length: 50000 }, (_, i) => `e${i}`));
    q.set('huge:string', 'h'.repeat(5 * 1024 * 1024));
    await q.exec();
  }
}

export type Dump = Record<string, unknown>;

/** Every key of every db: type, value (normalised), and TTL rounded to the minute. */
export async function dumpServer(r: Redis, dbs = 16): Promise<Dump> {
  const out: Dump = {};
  for (let db = 0; db < dbs; db++) {
    await r.select(db);
    let cursor = '0';
    const keys: Buffer[] = [];
    do {
      const [next, batch] = await r.scanBuffer(cursor, 'COUNT', 1000);
      keys.push(...batch);
      cursor = String(next);
    } while (cursor !== '0');
    for (const k of keys) {
      const type = await r.type(k);
      let value: unknown;
      if (type === 'string') value = (await r.getBuffer(k))?.toString('latin1');
      else if (type === 'list') value = (await r.lrangeBuffer(k, 0, -1)).map((b) => b.toString('latin1'));
      else if (type === 'hash') value = Object.entries(await r.hgetall(k)).sort();
      else if (type === 'set') value = (await r.smembers(k)).sort();
      else if (type === 'zset') value = await r.call('ZRANGE', k, '0', '-1', 'WITHSCORES');
      const pttl = await r.pttl(k);
      out[`${db}:${k.toString('latin1')}`] = { type, value, ttl: pttl < 0 ? pttl : Math.round(pttl / 60000) };
    }
  }
  await r.select(0);
  return out;
}
