/**
 * List, hash, set, sorted set and SORT commands, compared byte for byte with redis-server 7.0.
 * Scenarios stay where Redis's order is deterministic: lists, listpack hashes (insertion
 * order), intsets (ascending), sorted sets; random commands only where the answer is fixed.
 */
import { diffScenarios } from './differential';

const LISTS: string[][][] = [
  [
    ['RPUSH', 'l', 'a', 'b', 'c'], ['LPUSH', 'l', 'z'], ['LRANGE', 'l', '0', '-1'], ['LLEN', 'l'], ['LLEN', 'none'], ['LPUSHX', 'none', 'x'], ['RPUSHX', 'l', 'd'],
    ['LINDEX', 'l', '0'], ['LINDEX', 'l', '-1'], ['LINDEX', 'l', '99'], ['LINDEX', 'l', 'x'], ['LSET', 'l', '1', 'A'], ['LSET', 'l', '99', 'x'], ['LSET', 'none', '0', 'x'],
    ['LRANGE', 'l', '-100', '100'], ['LRANGE', 'l', '3', '1'], ['LRANGE', 'none', '0', '-1'], ['LPOP', 'l'], ['RPOP', 'l'], ['LPOP', 'l', '0'], ['LPOP', 'l', '-1'],
    ['LPOP', 'l', '2'], ['LPOP', 'l', '5'], ['EXISTS', 'l'], ['LPOP', 'l'], ['LPOP', 'l', '2'], ['LPOP', 'l', '1', '2'], ['SET', 's', 'x'], ['LPUSH', 's', 'x'], ['LRANGE', 's', '0', '1'],
  ],
  [
    ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'd'], ['LREM', 'l', '1', 'a'], ['LRANGE', 'l', '0', '-1'], ['LREM', 'l', '-1', 'a'], ['LRANGE', 'l', '0', '-1'],
    ['RPUSH', 'l', 'a', 'a'], ['LREM', 'l', '0', 'a'], ['LRANGE', 'l', '0', '-1'], ['LREM', 'l', '0', 'zz'], ['LINSERT', 'l', 'BEFORE', 'c', 'X'], ['LINSERT', 'l', 'AFTER', 'd', 'Y'],
    ['LINSERT', 'l', 'AFTER', 'nope', 'Y'], ['LINSERT', 'l', 'MIDDLE', 'c', 'Y'], ['LINSERT', 'none', 'BEFORE', 'c', 'X'], ['LRANGE', 'l', '0', '-1'],
    ['LTRIM', 'l', '1', '-2'], ['LRANGE', 'l', '0', '-1'], ['LTRIM', 'l', '5', '1'], ['EXISTS', 'l'],
    ['RPUSH', 'p', 'a', 'b', 'c', '1', '2', '3', 'c', 'c'], ['LPOS', 'p', 'c'], ['LPOS', 'p', 'c', 'RANK', '2'], ['LPOS', 'p', 'c', 'RANK', '-1'], ['LPOS', 'p', 'c', 'COUNT', '2'],
    ['LPOS', 'p', 'c', 'COUNT', '0'], ['LPOS', 'p', 'c', 'RANK', '-1', 'COUNT', '0'], ['LPOS', 'p', 'c', 'MAXLEN', '3'], ['LPOS', 'p', 'c', 'RANK', '0'], ['LPOS', 'p', 'c', 'COUNT', '-1'],
    ['LPOS', 'p', 'c', 'RANK', '-9223372036854775808'], ['LPOS', 'p', 'c', 'RANK', '-9223372036854775808', 'COUNT', '0'], ['LPOS', 'p', 'c', 'RANK', '-9223372036854775808', 'COUNT', '1'], ['LPOS', 'p', 'c', 'RANK', '-9223372036854775808', 'COUNT', '2', 'MAXLEN', '7'], ['LPOS', 'p', 'c', 'RANK', '-9223372036854775807'], ['LPOS', 'p', 'c', 'RANK', '9223372036854775807'],
    ['LPOS', 'p', 'c', 'MAXLEN', '-1'], ['LPOS', 'p', 'zz'], ['LPOS', 'p', 'zz', 'COUNT', '0'], ['LPOS', 'none', 'c'], ['LPOS', 'none', 'c', 'COUNT', '1'], ['LPOS', 'p', 'c', 'FOO', '1'],
  ],
  [
    ['RPUSH', 'a', '1', '2', '3'], ['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'], ['LMOVE', 'a', 'b', 'RIGHT', 'LEFT'], ['LRANGE', 'a', '0', '-1'], ['LRANGE', 'b', '0', '-1'],
    ['LMOVE', 'a', 'a', 'LEFT', 'RIGHT'], ['LMOVE', 'a', 'b', 'UP', 'LEFT'], ['LMOVE', 'none', 'b', 'LEFT', 'LEFT'], ['RPOPLPUSH', 'b', 'c'], ['RPOPLPUSH', 'b', 'c'], ['EXISTS', 'b'],
    ['SET', 'str', 'x'], ['RPOPLPUSH', 'c', 'str'], ['LMPOP', '2', 'none', 'c', 'LEFT'], ['LMPOP', '1', 'c', 'RIGHT', 'COUNT', '5'], ['LMPOP', '1', 'c', 'LEFT'],
    ['LMPOP', '0', 'c', 'LEFT'], ['LMPOP', '2', 'c', 'LEFT'], ['LMPOP', '1', 'c', 'MIDDLE'], ['LMPOP', '1', 'c', 'LEFT', 'COUNT', '0'], ['LMPOP', '1', 'c', 'LEFT', 'COUNT', '1', 'COUNT', '1'],
    ['RPUSH', 'q', 'x'], ['BLPOP', 'none', 'q', '0'], ['BRPOP', 'q', '-1'], ['BRPOP', 'q', 'abc'], ['RPUSH', 'q', 'y', 'z'], ['BLMPOP', '0', '1', 'q', 'RIGHT', 'COUNT', '9'],
    ['RPUSH', 'q', 'y'], ['BLMOVE', 'q', 'q2', 'LEFT', 'LEFT', '0'], ['BRPOPLPUSH', 'q2', 'q3', '0'], ['LRANGE', 'q3', '0', '-1'],
    ['MULTI'], ['BLPOP', 'empty', '0'], ['BLMOVE', 'empty', 'x', 'LEFT', 'LEFT', '0'], ['BLMPOP', '0', '1', 'empty', 'LEFT'], ['EXEC'],
  ],
];

const HASHES: string[][][] = [
  [
    ['HSET', 'h', 'f1', 'v1', 'f2', 'v2'], ['HSET', 'h', 'f1', 'x'], ['HSET', 'h', 'f3'], ['HMSET', 'h', 'f4', 'v4'], ['HSETNX', 'h', 'f4', 'no'], ['HSETNX', 'h', 'f5', 'v5'],
    ['HGET', 'h', 'f1'], ['HGET', 'h', 'nope'], ['HGET', 'none', 'f'], ['HMGET', 'h', 'f1', 'nope', 'f2'], ['HLEN', 'h'], ['HSTRLEN', 'h', 'f4'], ['HEXISTS', 'h', 'f5'],
    ['HKEYS', 'h'], ['HVALS', 'h'], ['HGETALL', 'h'], ['HGETALL', 'none'], ['HDEL', 'h', 'f1', 'f2', 'nope'], ['HGETALL', 'h'], ['HDEL', 'h', 'f3', 'f4', 'f5'], ['EXISTS', 'h'],
    ['HINCRBY', 'n', 'a', '5'], ['HINCRBY', 'n', 'a', '-10'], ['HINCRBY', 'n', 'a', 'x'], ['HSET', 'n', 's', 'str'], ['HINCRBY', 'n', 's', '1'],
    ['HINCRBY', 'n', 'a', '9223372036854775807'], ['HINCRBYFLOAT', 'n', 'f', '0.1'], ['HINCRBYFLOAT', 'n', 'f', '0.2'], ['HINCRBYFLOAT', 'n', 's', '1'], ['HINCRBYFLOAT', 'n', 'f', 'inf'],
    ['HINCRBYFLOAT', 'n', 'f', 'bad'], ['HGETALL', 'n'], ['SET', 'str', 'x'], ['HSET', 'str', 'a', 'b'], ['HGET', 'str', 'a'], ['HRANDFIELD', 'none'], ['HRANDFIELD', 'none', '5'],
    ['HSET', 'one', 'only', 'v'], ['HRANDFIELD', 'one'], ['HRANDFIELD', 'one', '5'], ['HRANDFIELD', 'one', '-3'], ['HRANDFIELD', 'one', '-2', 'WITHVALUES'], ['HRANDFIELD', 'one', '1', 'WITHVALUES'],
    ['HRANDFIELD', 'one', '0'], ['HRANDFIELD', 'one', '1', 'FOO'], ['HSCAN', 'one', '0'], ['HSCAN', 'h', '0'], ['HSCAN', 'n', '0', 'MATCH', 'f*'], ['HSCAN', 'n', 'x'],
  ],
];

const SETS: string[][][] = [
  [
    ['SADD', 's', '3', '1', '2', '2'], ['SMEMBERS', 's'], ['SCARD', 's'], ['SISMEMBER', 's', '1'], ['SISMEMBER', 's', '9'], ['SMISMEMBER', 's', '1', '9'], ['SREM', 's', '1', '9'],
    ['SADD', 't', '2', '3', '4'], ['SINTER', 's', 't'], ['SINTER', 's', 'none'], ['SUNION', 's', 't', 'none'], ['SDIFF', 't', 's'], ['SDIFF', 'none', 's'],
    ['SINTERSTORE', 'd', 's', 't'], ['SMEMBERS', 'd'], ['SUNIONSTORE', 'd', 's', 't'], ['SMEMBERS', 'd'], ['SDIFFSTORE', 'd', 's', 't'], ['EXISTS', 'd'],
    ['SINTERCARD', '2', 's', 't'], ['SINTERCARD', '2', 's', 't', 'LIMIT', '1'], ['SINTERCARD', '0', 's'], ['SINTERCARD', '3', 's', 't'], ['SINTERCARD', '1', 's', 'LIMIT', '-1'],
    ['SMOVE', 's', 'u', '2'], ['SMOVE', 's', 'u', '2'], ['SMOVE', 'none', 'u', '2'], ['SMOVE', 's', 's', '3'], ['SMEMBERS', 'u'], ['SET', 'str', 'x'], ['SADD', 'str', 'a'],
    ['SINTER', 'str', 's'], ['SINTER', 'none', 'str'], ['SUNION', 's', 'str'], ['SMOVE', 's', 'str', '3'],
    ['SADD', 'one', '7'], ['SRANDMEMBER', 'one'], ['SRANDMEMBER', 'one', '3'], ['SRANDMEMBER', 'one', '-2'], ['SRANDMEMBER', 'one', '0'], ['SRANDMEMBER', 'none'], ['SRANDMEMBER', 'none', '2'],
    ['SPOP', 'one', '-1'], ['SPOP', 'one', '0'], ['SPOP', 'none'], ['SPOP', 'none', '3'], ['SPOP', 'one'], ['EXISTS', 'one'], ['SADD', 'i', '5', '-1', '10'], ['SPOP', 'i', '5'],
    ['SADD', 'i', '5', '-1', '10'], ['SSCAN', 'i', '0'], ['SSCAN', 'i', '0', 'MATCH', '1*'], ['SSCAN', 'i', '0', 'COUNT', '0'],
  ],
];

const ZSETS: string[][][] = [
  [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'], ['ZADD', 'z', 'NX', '5', 'a', '4', 'd'], ['ZADD', 'z', 'XX', 'CH', '10', 'a', '9', 'e'], ['ZADD', 'z', 'GT', 'CH', '1', 'a', '20', 'b'],
    ['ZADD', 'z', 'LT', 'CH', '1', 'a'], ['ZADD', 'z', 'INCR', '5', 'c'], ['ZADD', 'z', 'INCR', 'NX', '5', 'c'], ['ZADD', 'z', 'NX', 'XX', '1', 'a'], ['ZADD', 'z', 'GT', 'LT', '1', 'a'],
    ['ZADD', 'z', 'NX', 'GT', '1', 'a'], ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'], ['ZADD', 'z', '1'], ['ZADD', 'z', 'x', 'a'], ['ZADD', 'z', 'nan', 'a'], ['ZADD', 'z', 'inf', 'inf1', '-inf', 'ninf'],
    ['ZADD', 'z', 'INCR', '-inf', 'inf1'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZADD', 'z', '0.1', 'f', '1e3', 'g', '-0', 'h', '1.5e-5', 'i'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ['ZINCRBY', 'z', '2.5', 'a'], ['ZINCRBY', 'z', 'x', 'a'], ['ZINCRBY', 'z', '1', 'new'], ['ZSCORE', 'z', 'a'], ['ZSCORE', 'z', 'nope'], ['ZSCORE', 'none', 'a'], ['ZMSCORE', 'z', 'a', 'nope'],
    ['ZCARD', 'z'], ['ZRANK', 'z', 'b'], ['ZREVRANK', 'z', 'b'], ['ZRANK', 'z', 'nope'], ['ZREM', 'z', 'a', 'nope'], ['ZCOUNT', 'z', '-inf', '+inf'], ['ZCOUNT', 'z', '(1', '20'],
    ['ZCOUNT', 'z', 'x', '1'], ['ZCOUNT', 'z', '5', '1'],
    // score ranges are read by strtod as zslParseRange calls it: overflow is inf, '' and '(' are 0, leading spaces are skipped
    ['ZCOUNT', 'z', '-1e1000', '1e1000'], ['ZRANGEBYSCORE', 'z', '-1e1000', '1e1000'], ['ZREMRANGEBYSCORE', 'z', '1e1000', '1e1000'],
    ['ZRANGE', 'z', '1e1000', '1', 'BYSCORE'], ['ZCOUNT', 'z', '', '2'], ['ZCOUNT', 'z', ' 1', '2'], ['ZCOUNT', 'z', '1e-400', '2'],
    ['ZCOUNT', 'z', '(', '(2'], ['ZRANGE', 'z', '(', '1', 'BYSCORE'], ['ZCOUNT', 'z', '1 ', '2'], ['ZCOUNT', 'z', '  ', '2'], ['ZCOUNT', 'z', 'nan', '1'],
    ['ZCOUNT', 'z', '1e', '2'], ['ZCOUNT', 'z', '0x', '1'], ['ZCOUNT', 'z', '-', '1'], ['ZCOUNT', 'z', '-inf', '+INFINITY'], ['ZADD', 'z', 'XX', '1', 'nokey'], ['ZADD', 'nz', 'XX', '1', 'x'], ['EXISTS', 'nz'],
  ],
  [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'], ['ZRANGE', 'z', '1', '3'], ['ZRANGE', 'z', '-2', '-1', 'WITHSCORES'], ['ZRANGE', 'z', '0', '-1', 'REV'],
    ['ZRANGE', 'z', '(1', '4', 'BYSCORE'], ['ZRANGE', 'z', '4', '(1', 'BYSCORE', 'REV'], ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '2'], ['ZRANGE', 'z', '0', '1', 'LIMIT', '1', '2'],
    ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '-1', '2'], ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '-1', 'WITHSCORES'], ['ZRANGE', 'z', 'x', '1', 'BYSCORE'],
    ['ZRANGE', 'z', '0', '-1', 'FOO'], ['ZRANGE', 'z', '0', '-1', 'BYLEX'], ['ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'], ['ZREVRANGE', 'z', '0', '1', 'WITHSCORES'],
    ['ZRANGEBYSCORE', 'z', '2', '4', 'WITHSCORES', 'LIMIT', '0', '2'], ['ZREVRANGEBYSCORE', 'z', '4', '2'], ['ZRANGEBYSCORE', 'z', '2', '4', 'REV'], ['ZRANGEBYSCORE', 'z', '(2', '(2'],
    ['ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e'], ['ZRANGEBYLEX', 'l', '[b', '(d'], ['ZRANGEBYLEX', 'l', '-', '+', 'LIMIT', '1', '2'], ['ZREVRANGEBYLEX', 'l', '+', '[c'],
    ['ZRANGEBYLEX', 'l', 'b', 'd'], ['ZRANGEBYLEX', 'l', '+', '-'], ['ZLEXCOUNT', 'l', '[b', '+'], ['ZLEXCOUNT', 'l', '-', '(a'], ['ZRANGE', 'l', '[a', '[c', 'BYLEX', 'REV'], ['ZRANGE', 'l', '[c', '[a', 'BYLEX', 'REV'],
    ['ZRANGESTORE', 'dst', 'z', '0', '2'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['ZRANGESTORE', 'dst', 'z', '10', '20'], ['EXISTS', 'dst'], ['ZRANGESTORE', 'dst', 'z', '0', '1', 'WITHSCORES'],
    ['ZREMRANGEBYRANK', 'z', '0', '0'], ['ZREMRANGEBYSCORE', 'z', '(4', '+inf'], ['ZREMRANGEBYLEX', 'l', '[a', '[b'], ['ZRANGE', 'z', '0', '-1'], ['ZRANGE', 'l', '0', '-1'],
    ['ZREMRANGEBYSCORE', 'z', 'x', '1'], ['ZREMRANGEBYLEX', 'l', 'x', '+'], ['ZREMRANGEBYRANK', 'z', '0', '-1'], ['EXISTS', 'z'],
  ],
  [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'], ['ZPOPMIN', 'z'], ['ZPOPMAX', 'z', '5'], ['ZPOPMIN', 'z'], ['ZPOPMIN', 'z', '-1'], ['ZPOPMIN', 'z', '0'], ['ZPOPMIN', 'z', '1', '2'],
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'], ['ZMPOP', '2', 'none', 'z', 'MAX', 'COUNT', '2'], ['ZMPOP', '1', 'z', 'MIN'], ['ZMPOP', '1', 'z', 'MIN'], ['ZMPOP', '0', 'z', 'MIN'],
    ['ZMPOP', '1', 'z', 'SIDE'], ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '0'], ['ZADD', 'z', '1', 'a', '2', 'b'], ['BZPOPMIN', 'none', 'z', '0'], ['BZPOPMAX', 'z', '0'], ['BZPOPMAX', 'z', '-1'],
    ['ZADD', 'z', '5', 'x'], ['BZMPOP', '0', '1', 'z', 'MAX'], ['ZADD', 'z', '5', 'x'], ['ZRANDMEMBER', 'z'], ['ZRANDMEMBER', 'z', '2'], ['ZRANDMEMBER', 'z', '-2', 'WITHSCORES'],
    ['ZRANDMEMBER', 'z', '1', 'WITHSCORES'], ['ZRANDMEMBER', 'none'], ['ZRANDMEMBER', 'none', '1'], ['ZRANDMEMBER', 'z', '1', 'BAD'], ['ZSCAN', 'z', '0'],
    // the count is parsed exactly before the option (-2^62 once rounded into range and hung the server)
    ['ZRANDMEMBER', 'z', '-9223372036854775808'], ['ZRANDMEMBER', 'z', '-4611686018427387904', 'WITHSCORES'], ['ZRANDMEMBER', 'z', 'x', 'FOO'],
    ['ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES'], ['ZADD', 'z5', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'], ['ZRANDMEMBER', 'z5', '5'],
    ['ZRANDMEMBER', 'z5', '9', 'WITHSCORES'],
    // which error wins: the key before the index/options, counts, the timeout last; flag names in ZINCRBY
    ['LPOP', 'nokey', 'x'], ['RPOP', 'nokey', '+1'], ['ZPOPMIN', 'z5', 'x'], ['ZPOPMAX', 'z5', '-1'], ['LPOS', 'nokey', 'a', 'COUNT', 'x'], ['LPOS', 'nokey', 'a', 'MAXLEN', 'x'],
    ['LINDEX', 'nokey', 'x'], ['LSET', 'nokey', 'x', 'v'], ['SET', 'str', 'v'], ['LINDEX', 'str', 'x'], ['LSET', 'str', 'x', '1'],
    ['ZSCAN', 'nokey', '0', 'COUNT', '0'], ['ZSCAN', 'nokey', '0', 'foo'], ['ZSCAN', 'str', '0', 'foo'], ['ZSCAN', 'z5', '0', 'foo'],
    ['BLMPOP', 'x', '0', 'a', 'left'], ['BLMPOP', 'x', '1', 'a', 'middle'], ['BLMPOP', '-1', '1', 'a', 'left', 'count', '0'], ['BZMPOP', 'x', '0', 'a', 'min'],
    ['BZMPOP', 'x', '1', 'a', 'middle'], ['BLPOP', 'nokey', 'inf'], ['BLPOP', 'nokey', '1e400'], ['BZPOPMIN', 'nokey', '9.3e15'], ['BLPOP', 'nokey', '-1'], ['BLPOP', 'nokey', 'nan'],
    ['ZINCRBY', 'z5', 'nx', 'a'], ['ZINCRBY', 'z5', 'incr', 'a'], ['ZINCRBY', 'z5', 'CH', 'a'], ['ZINCRBY', 'z5', '2', 'a'],
    // -0: a listpack stores it as 0, a skiplist keeps it (here forced by a one-entry limit)
    ['ZADD', 'lp', '-0', 'x'], ['ZSCORE', 'lp', 'x'], ['CONFIG', 'SET', 'zset-max-listpack-entries', '1'], ['ZADD', 'sk', '1', 'a', '2', 'b', '-0', 'x'],
    ['ZSCORE', 'sk', 'x'], ['ZRANGE', 'sk', '0', '-1', 'WITHSCORES'], ['ZADD', 'sk', '-0', 'a'], ['ZSCORE', 'sk', 'a'], ['ZADD', 'one', '-0', 'x'], ['ZSCORE', 'one', 'x'],
    ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
    // ZINCRBY / ZADD INCR of -0: the reply is the score computed (-0 for a new member), what a
    // listpack stores is 0 (found by a persistence fuzzer)
    ['ZINCRBY', 'zi', '-0', 'new'], ['ZSCORE', 'zi', 'new'], ['ZINCRBY', 'zi', '-0', 'new'], ['ZADD', 'zi', 'INCR', '-0', 'n2'], ['ZADD', 'zi', 'XX', 'INCR', '-0', 'n3'],
    ['ZADD', 'zi', 'CH', 'INCR', '-0', 'n4'], ['ZRANGE', 'zi', '0', '-1', 'WITHSCORES'],
    // a -0 kept by a skiplist: a result small enough for a listpack drops it (ZUNIONSTORE's
    // conversion), and so does a reload that converts the zset to a listpack
    ['CONFIG', 'SET', 'zset-max-listpack-entries', '1'], ['ZADD', 'zn', '1', 'b', '2', 'c', '-0', 'a'], ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
    ['ZRANGE', 'zn', '0', '-1', 'WITHSCORES'], ['ZUNIONSTORE', 'zu', '1', 'zn'], ['ZRANGE', 'zu', '0', '-1', 'WITHSCORES'],
    ['ZRANGESTORE', 'zr', 'zn', '0', '-1'], ['ZRANGE', 'zr', '0', '-1', 'WITHSCORES'], ['DEBUG', 'RELOAD'], ['ZRANGE', 'zn', '0', '-1', 'WITHSCORES'],
    // a zset reloaded with a member too long for a listpack is a skiplist: it keeps a new -0
    ['CONFIG', 'SET', 'zset-max-listpack-value', '4'], ['ZADD', 'zv', '1', 'longmember', '2', 'a'], ['DEBUG', 'RELOAD'], ['ZADD', 'zv', '-0', 'd'],
    ['ZSCORE', 'zv', 'd'], ['ZINCRBY', 'zv', '-0', 'e'], ['ZSCORE', 'zv', 'e'], ['CONFIG', 'SET', 'zset-max-listpack-value', '64'],
    // lex ranges over members with different scores: a listpack is walked from one end (found
    // by a persistence fuzzer; Redis leaves the skiplist case to its random levels)
    ['ZADD', 'zl', '1', 'm', '2', 'a', '3', 'z', '4', 'b', '5', 'y', '6', 'c'], ['ZRANGEBYLEX', 'zl', '[b', '[y'], ['ZRANGEBYLEX', 'zl', '(b', '+'],
    ['ZRANGEBYLEX', 'zl', '-', '[b'], ['ZREVRANGEBYLEX', 'zl', '[y', '[b'], ['ZREVRANGEBYLEX', 'zl', '+', '(m'], ['ZRANGEBYLEX', 'zl', '[b', '[y', 'LIMIT', '1', '1'],
    ['ZRANGE', 'zl', '[a', '[z', 'BYLEX', 'REV', 'LIMIT', '1', '2'], ['ZLEXCOUNT', 'zl', '[b', '[y'], ['ZLEXCOUNT', 'zl', '[n', '+'], ['ZLEXCOUNT', 'zl', '-', '[a'],
    ['ZRANGESTORE', 'zls', 'zl', '[b', '[y', 'BYLEX'], ['ZRANGE', 'zls', '0', '-1', 'WITHSCORES'], ['ZREMRANGEBYLEX', 'zl', '[d', '+'], ['ZRANGE', 'zl', '0', '-1'],
    ['ZREMRANGEBYLEX', 'zl', '[b', '[y'], ['ZRANGE', 'zl', '0', '-1'], ['ZREMRANGEBYLEX', 'zl', '-', '[m'], ['ZRANGE', 'zl', '0', '-1'],
    // strtod's hexadecimal floats, and a long double underflow refused
    ['ZADD', 'hx', '0x10', 'a', '0x1.8p1', 'b'], ['ZINCRBY', 'hx', '0x2', 'a'], ['ZRANGEBYSCORE', 'hx', '(0x1', '0x20', 'WITHSCORES'], ['ZCOUNT', 'hx', '0x0', '+inf'],
    ['ZUNIONSTORE', 'hu', '1', 'hx', 'WEIGHTS', '0x2'], ['ZRANGE', 'hu', '0', '-1', 'WITHSCORES'], ['INCRBYFLOAT', 'fx', '0x10'], ['HINCRBYFLOAT', 'hf', 'a', '0x1.8p1'],
    ['INCRBYFLOAT', 'fx', '1e-4951'], ['HINCRBYFLOAT', 'hf', 'a', '1e-4951'], ['ZADD', 'hx', '0x', 'c'], ['ZADD', 'hx', '0xg', 'c'], ['RPUSH', 'sl', '0x10', '3'], ['SORT', 'sl'],
    ['SADD', 'is', '3', '1', '2', '-5'], ['SORT', 'is', 'BY', 'nosort'], ['SORT', 'is', 'BY', 'nosort', 'LIMIT', '0', '2'], ['SORT', 'is', 'BY', 'nosort', 'DESC'], ['SORT_RO', 'is', 'BY', 'nosort'],
    ['MULTI'], ['BZPOPMIN', 'empty', '0'], ['BZMPOP', '0', '1', 'empty', 'MIN'], ['EXEC'],
  ],
  [
    ['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z'], ['ZADD', 'b', '10', 'y', '20', 'z', '30', 'w'], ['SADD', 's', 'x', 'w'],
    ['ZUNION', '2', 'a', 'b', 'WITHSCORES'], ['ZUNION', '3', 'a', 'b', 's', 'WITHSCORES'], ['ZINTER', '2', 'a', 'b', 'WITHSCORES'], ['ZINTER', '2', 'a', 'b', 'AGGREGATE', 'MAX', 'WITHSCORES'],
    ['ZINTER', '2', 'a', 'b', 'WEIGHTS', '2', '0.5', 'WITHSCORES'], ['ZDIFF', '2', 'a', 'b', 'WITHSCORES'], ['ZDIFF', '2', 'a', 'b', 'WEIGHTS', '1', '1'], ['ZUNION', '0', 'a'],
    ['ZUNION', '3', 'a', 'b'], ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '1'], ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '1', 'x'], ['ZUNION', '2', 'a', 'b', 'AGGREGATE', 'AVG'],
    ['ZUNIONSTORE', 'd', '2', 'a', 'b'], ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'], ['ZINTERSTORE', 'd', '2', 'a', 'none'], ['EXISTS', 'd'], ['ZDIFFSTORE', 'd', '1', 'a'],
    ['ZUNIONSTORE', 'd', '2', 'a', 'b', 'WITHSCORES'], ['ZINTERCARD', '2', 'a', 'b'], ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1'], ['ZINTERCARD', '0', 'a'], ['ZINTERCARD', '1', 'a', 'LIMIT', '-1'],
    ['SET', 'str', 'x'], ['ZUNION', '2', 'a', 'str'], ['ZADD', 'str', '1', 'a'], ['ZADD', 'inf', 'inf', 'p'], ['ZADD', 'ninf', '-inf', 'p'], ['ZUNION', '2', 'inf', 'ninf', 'WITHSCORES'],
  ],
];

const SORT: string[][][] = [
  [
    ['RPUSH', 'l', '3', '1', '2', '10'], ['SORT', 'l'], ['SORT', 'l', 'DESC'], ['SORT', 'l', 'ALPHA'], ['SORT', 'l', 'LIMIT', '1', '2'], ['SORT', 'l', 'LIMIT', '10', '2'],
    ['MSET', 'w_1', '30', 'w_2', '20', 'w_3', '10', 'w_10', '5', 'o_1', 'one', 'o_2', 'two'], ['SORT', 'l', 'BY', 'w_*'], ['SORT', 'l', 'BY', 'w_*', 'GET', 'o_*', 'GET', '#'],
    ['SORT', 'l', 'BY', 'nosort'], ['SORT', 'l', 'BY', 'nosort', 'DESC'], ['HSET', 'h_1', 'f', '9'], ['HSET', 'h_2', 'f', '1'], ['SORT', 'l', 'BY', 'h_*->f', 'GET', 'h_*->f'],
    ['SORT', 'l', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'], ['SORT', 'none', 'STORE', 'dst'], ['EXISTS', 'dst'], ['RPUSH', 'bad', 'x', '1'], ['SORT', 'bad'], ['SORT', 'bad', 'ALPHA'],
    ['SORT', 'l', 'FOO'], ['SORT_RO', 'l', 'STORE', 'x'], ['SORT_RO', 'l', 'DESC'], ['SET', 'str', 'x'], ['SORT', 'str'], ['SADD', 's', '5', '3', '9'], ['SORT', 's'],
    ['ZADD', 'z', '1', 'c', '2', 'b', '3', 'a'], ['SORT', 'z', 'ALPHA'], ['SORT', 'z', 'BY', 'nosort'], ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '0', '2'],
  ],
  // weighted sums in Redis's order (smallest input first), MIN/MAX ties keep the first score (0
  // vs -0), WRONGTYPE before a bad option, SORT turns a zset into a skiplist, scores printed
  // with printf's rounding of exact halves, HINCRBYFLOAT on stored infinities and overflows
  [
    ['ZADD', 'b', '0.1', 'x', '0.2', 'y', '0.7', 'z'], ['ZADD', 'c', '0.2', 'x', '0.1', 'y', '0.4', 'z'], ['ZADD', 'big', '1e16', 'x', '1e16', 'y', '1e16', 'z', '1', 'q'],
    ['ZUNIONSTORE', 'd', '3', 'b', 'big', 'c'], ['ZSCORE', 'd', 'z'], ['ZUNION', '3', 'b', 'big', 'c', 'WITHSCORES'], ['ZINTER', '3', 'c', 'big', 'b', 'WITHSCORES'],
    ['ZADD', 'a1', '0', 'x', '1', 'y'], ['ZADD', 'b1', '0', 'x', '2', 'y'], ['ZUNION', '2', 'a1', 'b1', 'WEIGHTS', '1', '-1', 'AGGREGATE', 'MIN', 'WITHSCORES'],
    ['ZINTER', '2', 'a1', 'b1', 'WEIGHTS', '-1', '1', 'AGGREGATE', 'MAX', 'WITHSCORES'], ['ZUNIONSTORE', 'd2', '2', 'a1', 'b1', 'WEIGHTS', '1', '-1', 'AGGREGATE', 'MIN'], ['ZSCORE', 'd2', 'x'],
    ['SET', 'str', 'v'], ['ZUNION', '1', 'str', 'FOO'], ['ZUNION', '2', 'a1', 'str', 'WEIGHTS', '1', 'x'], ['ZINTERCARD', '1', 'str', 'LIMIT', '-1'],
    ['ZINTERCARD', '1', 'a1', 'LIMIT', 'x'], ['ZINTERCARD', '1', 'a1', 'LIMIT', '9223372036854775808'], ['ZINTERCARD', '1', 'a1', 'LIMIT', '9223372036854775807'], ['ZDIFFSTORE', 'd3', '2', 'a1', 'str'],
    ['ZADD', 'z', '1', 'a', '2', 'b'], ['SORT', 'z', 'BY', 'nosort'], ['OBJECT', 'ENCODING', 'z'], ['ZADD', 'z8', '0', 'a'], ['SORT_RO', 'z8', 'ALPHA'], ['ZADD', 'z8', '-0', 'b'], ['ZSCORE', 'z8', 'b'],
    ['ZADD', 'h1', '1125899906842624.25', 'a', '562949953421312.125', 'b'], ['ZSCORE', 'h1', 'a'], ['ZSCORE', 'h1', 'b'], ['ZRANGE', 'h1', '0', '-1', 'WITHSCORES'], ['ZINCRBY', 'h1', '0.5', 'b'],
    ['HSET', 'hf', 'f', 'inf', 'g', '-inf', 'k', '1e4933'], ['HINCRBYFLOAT', 'hf', 'f', '1'], ['HINCRBYFLOAT', 'hf', 'k', '1'], ['HINCRBYFLOAT', 'hf', 'q', '1e4933'],
    ['HINCRBYFLOAT', 'hf', 'q', 'inf'], ['SET', 's', '1e4933'], ['INCRBYFLOAT', 's', '1'], ['INCRBYFLOAT', 's2', '1e4933'],
    ['CONFIG', 'SET', 'list-max-listpack-size', '-6'], ['CONFIG', 'GET', 'list-max-listpack-size'], ['RPUSH', 'lst', 'a', 'b'], ['DEBUG', 'RELOAD'], ['LRANGE', 'lst', '0', '-1'],
    ['CONFIG', 'SET', 'list-max-listpack-size', '-2'],
  ],
  // GET patterns multiply the reply (a short command can ask for more than a JS array holds):
  // it is streamed in batches, nulls and values mixed
  [
    ['RPUSH', 'many', ...Array.from({ length: 300 }, (_, i) => String(i))], ['MSET', 'v_1', 'a', 'v_7', 'b', 'v_299', 'c'],
    ['SORT', 'many', ...Array.from({ length: 20 }, (_, i) => ['GET', ['#', 'v_*', 'nokey'][i % 3]]).flat()],
    ['SORT', 'many', 'DESC', 'LIMIT', '5', '290', ...Array.from({ length: 16 }, () => ['GET', 'nokey']).flat()],
    ['SORT', 'many', 'GET', 'v_*', 'GET', '#', 'STORE', 'out'], ['LLEN', 'out'], ['LRANGE', 'out', '0', '5'],
  ],
];

diffScenarios('lists', LISTS);
diffScenarios('hashes', HASHES);
diffScenarios('sets', SETS);
diffScenarios('sorted sets', ZSETS);
diffScenarios('sort', SORT);
