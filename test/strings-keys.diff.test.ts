/**
 * String and key commands, replies compared byte for byte with redis-server 7.0
 * (the scenarios avoid wall-clock-dependent replies).
 */
import { diffScenarios } from './differential';

const SCENARIOS: string[][][] = [
  // SET and its options
  [
    ['SET', 'k', 'v'], ['GET', 'k'], ['SET', 'k', 'v2', 'NX'], ['SET', 'k', 'v2', 'XX'], ['SET', 'n', 'v', 'XX'],
    ['SET', 'k', 'v3', 'GET'], ['SET', 'nokey', 'x', 'GET'], ['SET', 'k', 'v', 'NX', 'XX'], ['SET', 'k', 'v', 'EX', '0'],
    ['SET', 'k', 'v', 'EX', '-1'], ['SET', 'k', 'v', 'EX', 'abc'], ['SET', 'k', 'v', 'PX'], ['SET', 'k', 'v', 'EX', '10', 'PX', '10'],
    ['SET', 'k', 'v', 'KEEPTTL', 'EX', '10'], ['SET', 'k', 'v', 'EX', '100'], ['TTL', 'k'], ['SET', 'k', 'v', 'KEEPTTL'], ['TTL', 'k'],
    ['SET', 'k', 'v'], ['TTL', 'k'], ['SET', 'k', 'v', 'foo'], ['SET', 'k'], ['SET', 'k', 'v', 'EX', '9223372036854775807'],
    ['SET', 'k', 'v', 'PXAT', '1'], ['EXISTS', 'k'], ['SET', 'k', 'v', 'NX', 'GET'], ['SET', 'k', 'v', 'NX', 'GET'],
    ['SETNX', 'k', 'a'], ['SETNX', 'k', 'b'], ['SETEX', 'e', '0', 'v'], ['SETEX', 'e', '100', 'v'], ['PSETEX', 'e', '-5', 'v'],
    ['GETSET', 'k', 'new'], ['GETSET', 'zz', 'new'], ['GETDEL', 'k'], ['GETDEL', 'k'], ['MSET', 'a', '1', 'b', '2'], ['MSET', 'a'],
    ['MGET', 'a', 'b', 'c'], ['MSETNX', 'a', '1', 'c', '3'], ['MSETNX', 'c', '3', 'd', '4'], ['MSETNX', 'c'],
    // the same expiry option twice: the last one wins; another form is a syntax error
    ['SET', 'k', 'v', 'EX', '100', 'EX', '50'], ['TTL', 'k'], ['SET', 'k', 'v', 'EX', '100', 'EX', 'abc'], ['SET', 'k', 'v', 'EX', '100', 'PX', '5'],
    ['SET', 'k', 'v', 'KEEPTTL', 'KEEPTTL'], ['TTL', 'k'], ['GETEX', 'k', 'EX', '100', 'EX', '60'], ['TTL', 'k'], ['GETEX', 'k', 'PX', '1', 'EXAT', '5'],
    ['GETEX', 'k', 'PERSIST', 'PERSIST'], ['TTL', 'k'], ['SET', 'k', 'v', 'NX', 'NX'],
  ],
  // APPEND, STRLEN, ranges
  [
    ['APPEND', 's', 'hello'], ['APPEND', 's', ' world'], ['STRLEN', 's'], ['STRLEN', 'none'], ['GETRANGE', 's', '0', '4'],
    ['GETRANGE', 's', '-5', '-1'], ['GETRANGE', 's', '5', '2'], ['GETRANGE', 's', '-1', '-5'], ['GETRANGE', 's', '0', '100'],
    ['GETRANGE', 'none', '0', '1'], ['GETRANGE', 's', 'x', '1'], ['SUBSTR', 's', '1', '2'], ['SETRANGE', 's', '6', 'WORLD'], ['GET', 's'],
    ['SETRANGE', 's', '20', '!'], ['GET', 's'], ['SETRANGE', 'new', '3', 'x'], ['GET', 'new'], ['SETRANGE', 'e', '0', ''], ['EXISTS', 'e'],
    ['SETRANGE', 's', '-1', 'x'], ['SETRANGE', 's', '1', ''], ['SETRANGE', 's', '536870912', 'x'],
    ['SET', 'num', '10'], ['APPEND', 'num', '5'], ['GET', 'num'],
  ],
  // counters
  [
    ['INCR', 'c'], ['INCR', 'c'], ['DECR', 'c'], ['INCRBY', 'c', '10'], ['DECRBY', 'c', '3'], ['INCRBY', 'c', 'x'], ['INCRBY', 'c', '1.5'],
    ['SET', 'c', '9223372036854775806'], ['INCR', 'c'], ['INCR', 'c'], ['SET', 'c', '-9223372036854775808'], ['DECR', 'c'],
    ['DECRBY', 'c', '-9223372036854775808'], ['SET', 'c', ' 1'], ['INCR', 'c'], ['SET', 'c', '01'], ['INCR', 'c'], ['SET', 'c', 'abc'], ['INCR', 'c'],
    ['INCRBY', 'c2', '9223372036854775808'], ['INCRBYFLOAT', 'f', '0.1'], ['INCRBYFLOAT', 'f', '0.2'], ['INCRBYFLOAT', 'f', '1e3'],
    ['INCRBYFLOAT', 'f', '-1000.3'], ['INCRBYFLOAT', 'f', 'abc'], ['INCRBYFLOAT', 'f', 'inf'], ['INCRBYFLOAT', 'f', 'nan'], ['SET', 'f', 'x'], ['INCRBYFLOAT', 'f', '1'],
    ['SET', 'f', '5.0e3'], ['INCRBYFLOAT', 'f', '2.0e2'], ['SET', 'f', '10.50'], ['INCRBYFLOAT', 'f', '0.1'], ['INCRBYFLOAT', 'g', '3'],
    ['INCRBYFLOAT', 'g', '1.5'], ['GET', 'g'],
  ],
  // LCS
  [
    ['MSET', 'key1', 'ohmytext', 'key2', 'mynewtext'], ['LCS', 'key1', 'key2'], ['LCS', 'key1', 'key2', 'LEN'], ['LCS', 'key1', 'key2', 'IDX'],
    ['LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4'], ['LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'],
    ['LCS', 'key1', 'key2', 'IDX', 'LEN'], ['LCS', 'key1', 'nokey'], ['LCS', 'key1', 'key2', 'foo'], ['LCS', 'key1', 'key2', 'MINMATCHLEN'],
    ['SET', 'a', 'GTTTAGGAGACTAGACTTTTTAAGAGAGCTGGGAATAGGA'], ['SET', 'b', 'GTAGGTTCAAGAGCCCTTTAGATCAGGAAAGGGA'], ['LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN'],
  ],
  // keys
  [
    ['MSET', 'a', '1', 'b', '2', 'c', '3'], ['DEL', 'a', 'x', 'b'], ['EXISTS', 'c', 'c', 'a'], ['UNLINK', 'c'], ['TYPE', 'c'], ['SET', 'x', '1'], ['TYPE', 'x'],
    ['EXPIRE', 'x', '100'], ['TTL', 'x'], ['EXPIRE', 'x', '100', 'NX'], ['EXPIRE', 'x', '200', 'XX'], ['TTL', 'x'], ['EXPIRE', 'x', '50', 'GT'], ['EXPIRE', 'x', '500', 'LT'],
    ['TTL', 'x'], ['EXPIRE', 'x', '10', 'NX', 'XX'], ['EXPIRE', 'x', '10', 'GT', 'LT'], ['EXPIRE', 'x', '10', 'FOO'], ['EXPIRE', 'x', 'ten'],
    ['PERSIST', 'x'], ['PERSIST', 'x'], ['TTL', 'x'], ['PTTL', 'nokey'], ['EXPIRETIME', 'x'], ['EXPIREAT', 'x', '4102444800'], ['EXPIRETIME', 'x'], ['PEXPIRETIME', 'x'],
    ['PEXPIREAT', 'x', '4102444800123'], ['PEXPIRETIME', 'x'], ['EXPIRE', 'x', '9223372036854775807'], ['EXPIRE', 'x', '-1'], ['EXISTS', 'x'], ['EXPIRE', 'nokey', '10'],
    ['SET', 'r', 'v'], ['RENAME', 'r', 'r2'], ['RENAME', 'r', 'r3'], ['RENAME', 'r2', 'r2'], ['RENAMENX', 'r2', 'r2'], ['SET', 'q', '1'], ['RENAMENX', 'r2', 'q'],
    ['RENAMENX', 'r2', 'q2'], ['COPY', 'q2', 'q3'], ['COPY', 'q2', 'q3'], ['COPY', 'q2', 'q3', 'REPLACE'], ['COPY', 'q2', 'q2'], ['COPY', 'q2', 'q4', 'DB', '1'],
    ['COPY', 'q2', 'q4', 'DB', '99'], ['COPY', 'q2', 'q4', 'DB', 'x'], ['COPY', 'q2', 'q4', 'FOO'], ['MOVE', 'q2', '0'], ['MOVE', 'q2', '2'], ['MOVE', 'q2', '2'],
    ['MOVE', 'q2', '200'], ['SELECT', '2'], ['GET', 'q2'], ['SELECT', '0'], ['DBSIZE'], ['KEYS', 'q3'], ['KEYS', 'q[23]'], ['KEYS', 'q?'], ['KEYS', 'nomatch'],
    ['OBJECT', 'ENCODING', 'q3'], ['SET', 'int', '12345'], ['OBJECT', 'ENCODING', 'int'], ['SET', 'long', 'x'.repeat(50)], ['OBJECT', 'ENCODING', 'long'],
    ['APPEND', 'q3', 'x'], ['OBJECT', 'ENCODING', 'q3'], ['SET', 'fl', '1.5'], ['INCRBYFLOAT', 'fl', '1.5'], ['OBJECT', 'ENCODING', 'fl'],
    ['INCRBYFLOAT', 'fl2', '7'], ['OBJECT', 'ENCODING', 'fl2'], ['INCR', 'fl2'], ['OBJECT', 'ENCODING', 'fl2'], ['SET', 'fl3', 'x'.repeat(40)],
    ['INCRBYFLOAT', 'fl', '1e30'], ['OBJECT', 'ENCODING', 'fl'], ['OBJECT', 'ENCODING', 'nokey'], ['OBJECT', 'REFCOUNT', 'int'], ['OBJECT', 'REFCOUNT', 'long'],
    ['OBJECT', 'FREQ', 'int'], ['OBJECT', 'FOO', 'int'], ['OBJECT', 'HELP'], ['TOUCH', 'int', 'long', 'none'], ['SWAPDB', '0', '2'], ['DBSIZE'], ['SWAPDB', '0', 'x'],
    ['SWAPDB', '0', '99'], ['FLUSHDB', 'FOO'], ['FLUSHDB', 'ASYNC'], ['DBSIZE'], ['FLUSHALL', 'SYNC'], ['RANDOMKEY'],
  ],
  // DB indexes: past 32 bits the error is getIntFromObjectOrReply's, not "DB index is out of range"
  [
    ['SET', 'k', 'v'], ['SELECT', '2147483648'], ['SELECT', '-2147483649'], ['SELECT', '-1'], ['SELECT', '2147483647'],
    ['MOVE', 'k', '2147483648'], ['MOVE', 'k', '-1'], ['COPY', 'k', 'k2', 'DB', '2147483648'], ['COPY', 'k', 'k2', 'DB', '16'],
    ['SWAPDB', '0', '9223372036854775807'], ['SWAPDB', '2147483648', '0'], ['SWAPDB', '-1', '0'], ['SWAPDB', '0', '2147483647'],
  ],
  // COMMAND GETKEYS where keys follow a count: the count must name keys that exist; a strict
  // integer puts the destination first, a count only atoi() reads ("1x", "01") puts it last
  [
    ['COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'k', '5', 'a'], ['COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'k', '0', 'a'], ['COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'k', '-1', 'a'],
    ['COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'k', '1', 'a'], ['COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'k', '1x', 'a'], ['COMMAND', 'GETKEYS', 'ZINTERSTORE', 'k', '01', 'a'],
    ['COMMAND', 'GETKEYS', 'ZDIFFSTORE', 'k', '2', 'a', 'b'], ['COMMAND', 'GETKEYS', 'ZINTERSTORE', 'k', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
    ['COMMAND', 'GETKEYS', 'ZUNION', '3', 'a', 'b'], ['COMMAND', 'GETKEYS', 'ZUNION', '2', 'a', 'b', 'c'], ['COMMAND', 'GETKEYS', 'ZINTERCARD', 'x', 'a'],
    ['COMMAND', 'GETKEYS', 'LMPOP', '5', 'a', 'LEFT'], ['COMMAND', 'GETKEYS', 'LMPOP', '1', 'a', 'LEFT'], ['COMMAND', 'GETKEYS', 'LMPOP', '-1', 'a', 'LEFT'],
    ['COMMAND', 'GETKEYS', 'BLMPOP', '0', '2', 'a', 'b', 'LEFT'], ['COMMAND', 'GETKEYS', 'BLMPOP', '0', '3', 'a', 'b'], ['COMMAND', 'GETKEYS', 'ZMPOP', '1x', 'a', 'MIN'],
    ['COMMAND', 'GETKEYS', 'BZMPOP', '0', '2', 'a', 'MIN'], ['COMMAND', 'INFO', 'get', 'zadd', 'hset', 'zrange'],
  ],
  // MONITOR inside EXEC is refused; COMMAND INFO of an unknown command is a null bulk in RESP2
  [['MULTI'], ['MONITOR'], ['EXEC'], ['PING'], ['COMMAND', 'INFO', 'nosuch']],
  // arity and unknown commands
  [
    ['GET'], ['GET', 'a', 'b'], ['FOOBAR', 'a', 'b'], ['CONFIG', 'FOO'], ['CONFIG'], ['OBJECT'], ['PING', 'a', 'b'], ['ECHO'], ['SELECT', '16'], ['SELECT', 'x'],
    ['SCAN', 'x'], ['SCAN', '0', 'COUNT', '0'], ['SCAN', '0', 'FOO'], ['DEBUG', 'FOO'],
  ],
  // config
  [
    ['CONFIG', 'GET', 'maxclients'], ['CONFIG', 'GET', 'save'], ['CONFIG', 'GET', 'appendonly'], ['CONFIG', 'SET', 'maxclients', 'x'],
    ['CONFIG', 'SET', 'foo', 'bar'], ['CONFIG', 'SET', 'hz', '20', 'hz', '30'], ['CONFIG', 'SET', 'appendfsync', 'sometimes'], ['CONFIG', 'SET', 'protected-mode', 'maybe'],
    ['CONFIG', 'SET', 'databases', '4'], ['CONFIG', 'SET', 'hz'], ['CONFIG', 'SET', 'slowlog-max-len', '64', 'latency-monitor-threshold', '5'],
    ['CONFIG', 'GET', 'slowlog-max-len'], ['CONFIG', 'GET', 'hash-max-ziplist-entries'], ['CONFIG', 'GET', 'client-output-buffer-limit'],
    ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'], ['CONFIG', 'GET', 'notify-keyspace-events'], ['CONFIG', 'SET', 'notify-keyspace-events', 'Ex'],
    ['CONFIG', 'GET', 'notify-keyspace-events'], ['CONFIG', 'SET', 'notify-keyspace-events', 'Q'], ['CONFIG', 'SET', 'notify-keyspace-events', ''],
    ['CONFIG', 'SET', 'save', '100 10 200'], ['CONFIG', 'SET', 'save', '100 10'], ['CONFIG', 'GET', 'save'], ['CONFIG', 'SET', 'save', ''], ['CONFIG', 'GET', 'save'],
    ['CONFIG', 'SET', 'client-query-buffer-limit', '2mb'], ['CONFIG', 'GET', 'client-query-buffer-limit'], ['CONFIG', 'SET', 'proto-max-bulk-len', '1k'],
    ['CONFIG', 'GET', 'rdbcompression'], ['CONFIG', 'GET', 'dbfilename'], ['CONFIG', 'SET', 'dbfilename', 'a/b.rdb'], ['CONFIG', 'GET', 'appendfsync'],
    ['CONFIG', 'GET', 'auto-aof-rewrite-min-size'], ['CONFIG', 'GET', 'aof-use-rdb-preamble'], ['CONFIG', 'GET', 'aof-load-truncated'], ['CONFIG', 'GET', 'appenddirname'],
    ['CONFIG', 'GET', 'aof-timestamp-enabled'], ['CONFIG', 'GET', 'stop-writes-on-bgsave-error'], ['CONFIG', 'GET', 'rdb-key-save-delay'],
    ['CONFIG', 'GET', 'set-max-intset-entries'], ['CONFIG', 'GET', 'zset-max-listpack-value'], ['CONFIG', 'GET', 'list-max-listpack-size'],
    ['CONFIG', 'GET', 'timeout'], ['CONFIG', 'GET', 'tcp-keepalive'], ['CONFIG', 'GET', 'hz'], ['CONFIG', 'GET', 'list-compress-depth'],
    // memory values are memtoull's: no sign, and no digits is 0; 64-bit limits where Redis has them
    ['CONFIG', 'SET', 'hash-max-listpack-value', '-1'], ['CONFIG', 'SET', 'zset-max-listpack-value', '5x'], ['CONFIG', 'SET', 'maxmemory', '-1'],
    ['CONFIG', 'SET', 'proto-max-bulk-len', ''], ['CONFIG', 'SET', 'proto-max-bulk-len', '-5mb'], ['CONFIG', 'SET', 'hash-max-listpack-value', ''],
    ['CONFIG', 'GET', 'hash-max-listpack-value'], ['CONFIG', 'SET', 'hash-max-listpack-value', 'kb'], ['CONFIG', 'GET', 'hash-max-listpack-value'],
    ['CONFIG', 'SET', 'hash-max-listpack-value', '64'], ['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub -1 0 0'],
    ['CONFIG', 'SET', 'slowlog-log-slower-than', '4294967296'], ['CONFIG', 'GET', 'slowlog-log-slower-than'], ['CONFIG', 'SET', 'slowlog-log-slower-than', '-2'],
    ['CONFIG', 'SET', 'slowlog-log-slower-than', '10000'], ['CONFIG', 'SET', 'slowlog-max-len', '4294967296'], ['CONFIG', 'GET', 'slowlog-max-len'],
    ['CONFIG', 'SET', 'slowlog-max-len', '-1'], ['CONFIG', 'SET', 'slowlog-max-len', '128'], ['CONFIG', 'SET', 'maxclients', '0'],
    ['CONFIG', 'SET', 'hz', '0'], ['CONFIG', 'GET', 'hz'], ['CONFIG', 'SET', 'hz', '100000'], ['CONFIG', 'GET', 'hz'], ['CONFIG', 'SET', 'hz', '10'],
  ],
  // a rejected EXEC (here its arity) discards the transaction with EXECABORT, in MULTI or not
  [
    ['MULTI'], ['SET', 'a', '1'], ['EXEC', 'extra'], ['EXEC'], ['SET', 'b', '1'], ['GET', 'a'], ['EXEC', 'x'], ['MULTI'], ['EXEC', 'foo'], ['SET', 'c', '1'],
    ['PUBSUB', 'CHANNELS', 'f*', 'extra'], ['PUBSUB', 'CHANNELS', 'f*'],
  ],
  // DEBUG POPULATE: keys that exist are kept, values cut or padded with zero bytes
  [
    ['DEBUG', 'POPULATE', '3'], ['MGET', 'key:0', 'key:1', 'key:2', 'key:3'], ['DEBUG', 'POPULATE', '2', 'p', '10'], ['GET', 'p:0'], ['STRLEN', 'p:1'],
    ['DEBUG', 'POPULATE', '1', 'q', '3'], ['GET', 'q:0'], ['SET', 'key:1', 'mine'], ['DEBUG', 'POPULATE', '3'], ['GET', 'key:1'], ['DBSIZE'],
    ['DEBUG', 'POPULATE', '-1'], ['DEBUG', 'POPULATE', 'x'], ['DEBUG', 'POPULATE', '1', 'p', '-3'], ['DEBUG', 'POPULATE', '1', 'p', '3', '4'],
    ['DEBUG', 'POPULATE'], ['OBJECT', 'ENCODING', 'p:0'], ['DEBUG', 'POPULATE', '0'], ['DBSIZE'],
  ],
  // expiry bounds in exact int64 arithmetic, GETEX looks the key up before it checks the expiry,
  // RENAME/MOVE/COPY keep a string's encoding, RESTORE's relative TTL past int64, DUMP's LZF
  [
    ['SET', 'k', 'v'], ['EXPIRE', 'k', '-9223372036854776'], ['EXISTS', 'k'], ['EXPIREAT', 'k', '-9223372036854776'], ['EXPIREAT', 'k', '9223372036854776'],
    ['PEXPIRE', 'k', '9223372036854775807'], ['SET', 'k', 'v', 'EXAT', '9223372036854776'], ['SET', 'k', 'v', 'EX', '9223372036854775'], ['GETEX', 'k', 'EXAT', '9223372036854776'],
    ['GETEX', 'nope', 'EX', '0'], ['GETEX', 'nope', 'EX', 'abc'], ['LPUSH', 'l', 'a'], ['GETEX', 'l', 'EX', '0'], ['EXISTS', 'k'],
    ['SETRANGE', 'a', '3', 'xy'], ['RENAME', 'a', 'c'], ['OBJECT', 'ENCODING', 'c'], ['SET', 'a', 'abc'], ['APPEND', 'a', 'd'], ['RENAMENX', 'a', 'c2'], ['OBJECT', 'ENCODING', 'c2'],
    ['SET', 'f', '1'], ['INCRBYFLOAT', 'f', '2'], ['COPY', 'f', 'g'], ['OBJECT', 'ENCODING', 'g'], ['MOVE', 'g', '1'], ['SELECT', '1'], ['OBJECT', 'ENCODING', 'g'], ['SELECT', '0'],
    ['RESTORE', 'r', '9223372036854775807', '\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xce'], ['EXISTS', 'r'], ['RESTORE', 'r2', '1000000', '\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xce'], ['EXISTS', 'r2'],
    ['SET', 'z', 'a'.repeat(21)], ['DUMP', 'z'], ['SET', 'z', 'ab'.repeat(11)], ['DUMP', 'z'], ['SET', 'z', 'abc'.repeat(95)], ['DUMP', 'z'], ['SET', 'z', 'a'.repeat(286)], ['DUMP', 'z'],
  ],
];

diffScenarios('strings and keys', SCENARIOS);

// RESP3: COMMAND INFO's key specs and (absent) subcommands are sets
diffScenarios('COMMAND INFO', [[['COMMAND', 'INFO', 'get', 'zadd', 'hset', 'zrange', 'nosuch']]], {}, { resp3: true });
