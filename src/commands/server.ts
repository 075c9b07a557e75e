/** Server commands (server.c, config.c, debug.c, slowlog.c, latency.c, object.c MEMORY). */
import { cmd, type CommandSpec, type Command } from './spec';
import type { Client } from '../server/client';
import { ERR_SYNTAX, ERR_LOADING, intArg, doubleArg, rangeIntArg } from './args';
import { replyHelp } from './connection';
import { infoText } from '../server/info';
import { ConfigSetError, findDirective } from '../config';
import { uniqueCommands } from './registry';
import { Resp } from '../protocol/reply';
import { Deque } from '../store/types/deque';
import { IndexedSet } from '../store/types/indexed-set';
import { stringMatch } from '../util/glob';

function info(c: Client, argv: string[]): void {
  const text = infoText(c.server, argv.slice(1));
  if (c.resp === Resp.V3) c.verbatim(text);
  else c.bulk(text);
}

// ------------------------------------------------------------------ CONFIG

function configGet(c: Client, argv: string[]): void {
  const pairs = c.server.config.matching(argv.slice(2));
  c.mapLen(pairs.length);
  for (const [k, v] of pairs) {
    c.bulk(k);
    c.bulk(v);
  }
}

function configSet(c: Client, argv: string[]): void {
  if (argv.length % 2 === 1) return c.error(ERR_SYNTAX); // a name without a value, as Redis answers it
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([argv[i], argv[i + 1]]);
  // as in Redis, the loading error comes before any other
  if (c.server.loading && pairs.some(([name]) => findDirective(name)?.denyLoading)) return c.error(ERR_LOADING);
  try {
    c.server.config.setMany(pairs, c.isLocal);
  } catch (e) {
    if (e instanceof ConfigSetError) return c.error(e.message);
    throw e;
  }
  c.ok();
}

function configRewrite(c: Client): void {
  try {
    c.server.config.rewrite();
  } catch (e) {
    if (e instanceof ConfigSetError) return c.error(e.message);
    c.server.log.warning(`CONFIG REWRITE failed: ${(e as Error).message}`);
    return c.error(`ERR Rewriting config file: ${(e as Error).message}`);
  }
  c.server.log.notice('CONFIG REWRITE executed with success.');
  c.ok();
}

function configResetstat(c: Client): void {
  const s = c.server;
  const st = s.stats;
  st.connectionsReceived = st.rejectedConnections = st.commandsProcessed = 0;
  st.netInputBytes = st.netOutputBytes = st.errorReplies = 0;
  st.readsProcessed = st.writesProcessed = st.expireCycleMs = 0;
  st.lastSampleCommands = st.lastSampleInput = st.lastSampleOutput = 0;
  st.errorsByCode.clear();
  st.opsSamples.fill(0);
  st.inputSamples.fill(0);
  st.outputSamples.fill(0);
  const ks = s.keyspace.stats;
  ks.expiredKeys = ks.keyspaceHits = ks.keyspaceMisses = ks.expiredStalePerc = ks.expiredTimeCapReached = 0;
  for (const command of uniqueCommands(s.commands)) {
    const all: Command[] = [command, ...(command.subcommands ? command.subcommands.values() : [])];
    for (const x of all) {
      x.calls = x.usec = x.rejectedCalls = x.failedCalls = 0;
      x.latency = null;
    }
  }
  // as resetServerStats: the save and rewrite counts too, but not the memory peak
  if (s.rdb) s.rdb.saves = 0;
  if (s.aof) {
    s.aof.rewrites = 0;
    s.aof.delayedFsync = 0;
  }
  c.ok();
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

// ------------------------------------------------------------------ COMMAND

const GROUP_ACL: Record<string, string> = {
  string: '@string', generic: '@keyspace', list: '@list', hash: '@hash', set: '@set', 'sorted-set': '@sortedset',
  connection: '@connection', transactions: '@transaction', pubsub: '@pubsub', server: '', scripting: '@scripting',
};

function aclCategories(x: Command): string[] {
  const f = new Set(x.spec.flags);
  const out: string[] = [];
  const group = x.parent ? x.parent.spec.group : x.spec.group;
  if (f.has('write')) out.push('@write');
  if (f.has('readonly')) out.push('@read');
  if (GROUP_ACL[group]) out.push(GROUP_ACL[group]);
  if (f.has('admin')) out.push('@admin', '@dangerous');
  if (f.has('pubsub')) out.push('@pubsub');
  out.push(f.has('fast') ? '@fast' : '@slow');
  if (f.has('blocking')) out.push('@blocking');
  return [...new Set(out)];
}

function replyCommandInfo(c: Client, x: Command): void {
  c.arrayLen(10);
  c.bulk(x.fullName);
  c.int(x.arity);
  // Redis marks every command whose keys need a getkeys procedure as movablekeys
  const flags = x.spec.getKeys && !x.spec.flags.includes('movablekeys') ? [...x.spec.flags, 'movablekeys'] : x.spec.flags;
  c.setLen(flags.length);
  for (const f of flags) c.status(f);
  c.int(x.firstKey);
  c.int(x.lastKey);
  c.int(x.step);
  const acl = aclCategories(x);
  c.setLen(acl.length);
  for (const a of acl) c.status(a);
  c.setLen(0); // tips
  // key specs are a set in RESP3, as are no subcommands; a command's subcommands are an array
  if (x.firstKey !== 0) {
    c.setLen(1);
    c.mapLen(3);
    c.bulk('flags');
    const kf = x.isWrite ? ['RW', 'update'] : ['RO', 'access'];
    c.setLen(kf.length);
    for (const f of kf) c.status(f);
    c.bulk('begin_search');
    c.mapLen(2);
    c.bulk('type');
    c.bulk('index');
    c.bulk('spec');
    c.mapLen(1);
    c.bulk('index');
    c.int(x.firstKey);
    c.bulk('find_keys');
    c.mapLen(2);
    c.bulk('type');
    c.bulk('range');
    c.bulk('spec');
    c.mapLen(3);
    c.bulk('lastkey');
    c.int(x.lastKey < 0 ? x.lastKey : x.lastKey - x.firstKey);
    c.bulk('keystep');
    c.int(x.step);
    c.bulk('limit');
    c.int(0);
  } else c.setLen(0);
  if (!x.subcommands) return c.setLen(0);
  c.arrayLen(x.subcommands.size);
  for (const s of x.subcommands.values()) replyCommandInfo(c, s);
}

function allCommands(c: Client): Command[] {
  return uniqueCommands(c.server.commands);
}

function lookupByName(c: Client, name: string): Command | undefined {
  const parts = name.toLowerCase().split('|');
  const top = c.server.commands.get(parts[0]);
  if (!top || parts.length === 1) return top;
  return parts.length === 2 ? top.subcommands?.get(parts[1]) : undefined;
}

function command(c: Client, argv: string[]): void {
  if (argv.length > 1) return c.error(`ERR unknown subcommand '${argv[1]}'. Try COMMAND HELP.`);
  const list = allCommands(c);
  c.arrayLen(list.length);
  for (const x of list) replyCommandInfo(c, x);
}

function commandInfo(c: Client, argv: string[]): void {
  if (argv.length === 2) return command(c, ['command']);
  c.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const x = lookupByName(c, argv[i]);
    if (x) replyCommandInfo(c, x);
    else c.nullBulk(); // addReplyNull: $-1 in RESP2, _ in RESP3
  }
}

function replyArgDocs(c: Client, args: readonly NonNullable<CommandSpec['arguments']>[number][]): void {
  c.arrayLen(args.length);
  for (const a of args) {
    const fields: [string, () => void][] = [
      ['name', () => c.bulk(a.name)],
      ['type', () => c.bulk(a.type)],
    ];
    if (a.type === 'key') fields.push(['key_spec_index', () => c.int(0)]);
    if (a.token) fields.push(['token', () => c.bulk(a.token!)]);
    const flags = [...(a.optional ? ['optional'] : []), ...(a.multiple ? ['multiple'] : [])];
    if (flags.length) fields.push(['flags', () => { c.setLen(flags.length); for (const f of flags) c.status(f); }]);
    if (a.arguments) fields.push(['arguments', () => replyArgDocs(c, a.arguments!)]);
    c.mapLen(fields.length);
    for (const [k, f] of fields) {
      c.bulk(k);
      f();
    }
  }
}

function replyDocs(c: Client, x: Command): void {
  const s = x.spec;
  const fields: [string, () => void][] = [
    ['summary', () => c.bulk(s.summary)],
    ['since', () => c.bulk(s.since)],
    ['group', () => c.bulk(x.parent ? x.parent.spec.group : s.group)],
  ];
  if (s.complexity) fields.push(['complexity', () => c.bulk(s.complexity!)]);
  if (s.arguments) fields.push(['arguments', () => replyArgDocs(c, s.arguments!)]);
  if (x.subcommands) {
    fields.push([
      'subcommands',
      () => {
        c.mapLen(x.subcommands!.size);
        for (const sub of x.subcommands!.values()) {
          c.bulk(sub.fullName);
          replyDocs(c, sub);
        }
      },
    ]);
  }
  c.mapLen(fields.length);
  for (const [k, f] of fields) {
    c.bulk(k);
    f();
  }
}

function commandDocs(c: Client, argv: string[]): void {
  let list: Command[];
  if (argv.length === 2) list = allCommands(c);
  else list = argv.slice(2).map((n) => lookupByName(c, n)).filter((x): x is Command => x !== undefined);
  c.mapLen(list.length);
  for (const x of list) {
    c.bulk(x.fullName);
    replyDocs(c, x);
  }
}

function commandList(c: Client, argv: string[]): void {
  const names: string[] = [];
  const each = (x: Command) => {
    names.push(x.fullName);
    if (x.subcommands) for (const s of x.subcommands.values()) names.push(s.fullName);
  };
  if (argv.length === 2) {
    allCommands(c).forEach(each);
    return c.bulkArray(names);
  }
  if (argv.length !== 5 || argv[2].toLowerCase() !== 'filterby') return c.error(ERR_SYNTAX);
  const kind = argv[3].toLowerCase();
  const arg = argv[4];
  for (const x of allCommands(c)) {
    for (const y of [x, ...(x.subcommands ? x.subcommands.values() : [])]) {
      if (kind === 'pattern' && stringMatch(arg, y.fullName, true)) names.push(y.fullName);
      else if (kind === 'aclcat' && aclCategories(y).includes('@' + arg.toLowerCase())) names.push(y.fullName);
      else if (kind !== 'pattern' && kind !== 'aclcat' && kind !== 'module') return c.error(ERR_SYNTAX);
    }
  }
  c.bulkArray(names);
}

function commandGetkeys(c: Client, argv: string[]): void {
  const args = argv.slice(2);
  let x = c.server.lookupCommand(args);
  // like Redis's lookupCommand: a container command names a subcommand, or nothing
  if (x && x.subcommands && args.length >= 2) x = x.subcommands.get(args[1].toLowerCase());
  if (!x) return c.error('ERR Invalid command specified');
  // Redis 7.0 getKeysSubcommand: a command without key specs is refused before its arity is
  // checked; a command with keys that finds none in these arguments (SINTERCARD 3 a b) has
  // invalid arguments, unless keys are optional for it (no_mandatory_keys)
  if (x.firstKey === 0 && !x.spec.getKeys) return c.error('ERR The command has no key arguments');
  if (x.arity > 0 ? args.length !== x.arity : args.length < -x.arity) return c.error('ERR Invalid number of arguments specified for command');
  const idx = x.keyIndexes(args);
  if (idx.length === 0 && !x.spec.flags.includes('no_mandatory_keys')) return c.error('ERR Invalid arguments specified for command');
  c.bulkArray(idx.map((i) => args[i]));
}

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  "    Return details about all Redis commands.",
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

// ------------------------------------------------------------------ SHUTDOWN, DEBUG, ...

function shutdown(c: Client, argv: string[]): void {
  let save: boolean | null = null;
  let now = false;
  let force = false;
  let abort = false;
  let flags = 0;
  for (let i = 1; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === 'nosave') save = save === true ? null : false;
    else if (o === 'save') save = save === false ? null : true;
    else if (o === 'now') now = true;
    else if (o === 'force') force = true;
    else if (o === 'abort') abort = true;
    else return c.error(ERR_SYNTAX);
    if (o !== 'abort') flags++;
    if ((o === 'nosave' || o === 'save') && save === null) return c.error(ERR_SYNTAX);
  }
  if (abort && flags !== 0) return c.error(ERR_SYNTAX);
  if (abort) return c.error('ERR No shutdown in progress.');
  c.server.shutdown({ save, now, force }).catch((e) => {
    c.server.log.warning(`Errors trying to SHUTDOWN: ${(e as Error).message}`);
    c.error('ERR Errors trying to SHUTDOWN. Check logs.');
    c.flush();
  });
}

/** Extra DEBUG subcommands registered by other modules (RELOAD, DIGEST, LOADAOF...). */
export const debugSubcommands = new Map<string, (c: Client, argv: string[]) => void>();

/** DEBUG's enable-debug-command check is the server's (processCommand rejects it, as Redis does) */
function debug(c: Client, argv: string[]): void {
  const sub = argv[1].toLowerCase();
  if (sub === 'help') {
    return replyHelp(c, [
      'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'SLEEP <seconds>',
      '    Stop the server for <seconds>. Decimals allowed.',
      'SET-ACTIVE-EXPIRE <0|1>',
      '    Setting it to 0 disables expiring keys in background when they are not accessed.',
      'POPULATE <count> [<prefix>] [<size>]',
      "    Create <count> string keys named key:<num>. If <prefix> is specified then it is used instead of the 'key' prefix.",
      ...[...debugSubcommands.keys()].map((k) => k.toUpperCase()),
      'HELP',
      '    Prints this help.',
    ]);
  }
  if (sub === 'sleep' && argv.length === 3) {
    const secs = doubleArg(c, argv[2]);
    if (secs === null) return;
    // blocks the whole server, which is what DEBUG SLEEP is for
    if (secs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, secs * 1000);
    return c.ok();
  }
  if (sub === 'set-active-expire' && argv.length === 3) {
    const n = intArg(c, argv[2]);
    if (n === null) return;
    c.server.keyspace.activeExpireEnabled = n !== 0;
    return c.ok();
  }
  if (sub === 'populate' && argv.length >= 3 && argv.length <= 5) return populate(c, argv);
  const extra = debugSubcommands.get(sub);
  if (extra) return extra(c, argv);
  c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try DEBUG HELP.`);
}

/** getPositiveLongFromObjectOrReply: one error text for a negative number and for no number */
function positiveArg(c: Client, s: string): number | null {
  return rangeIntArg(c, s, 0, Number.MAX_SAFE_INTEGER, 'ERR value is out of range, must be positive');
}

/**
 * DEBUG POPULATE count [prefix] [size], as Redis 7.0: string keys `prefix:N` holding `value:N`
 * (cut or padded with zero bytes to `size`); keys that exist stay as they are. Like Redis, it
 * does not count as a change: nothing is logged to the AOF and no save rule hears of it.
 */
function populate(c: Client, argv: string[]): void {
  const count = positiveArg(c, argv[2]);
  if (count === null) return;
  const size = argv.length === 5 ? positiveArg(c, argv[4]) : 0;
  if (size === null) return;
  const prefix = argv.length >= 4 ? argv[3] : 'key';
  const ks = c.server.keyspace;
  for (let j = 0; j < count; j++) {
    const key = `${prefix}:${j}`;
    if (ks.peek(c.db, key) !== undefined) continue; // an existence check: nothing of it changes
    const v = `value:${j}`;
    ks.add(c.db, key, size === 0 ? v : size <= v.length ? v.slice(0, size) : v + '\0'.repeat(size - v.length));
  }
  c.ok();
}

function monitor(c: Client): void {
  // a client inside EXEC expects one reply per command (Redis's CLIENT_DENY_BLOCKING)
  if (c.server.execDepth > 0) return c.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  if (c.monitor) return; // Redis ignores a second MONITOR without a reply
  c.monitor = true;
  c.server.monitors.add(c);
  c.ok();
}

function slowlogGet(c: Client, argv: string[]): void {
  if (argv.length > 3) return c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try SLOWLOG HELP.`);
  let count = 10;
  if (argv.length === 3) {
    const n = rangeIntArg(c, argv[2], -1, Number.MAX_SAFE_INTEGER, 'ERR count should be greater than or equal to -1');
    if (n === null) return;
    count = n === -1 ? Infinity : n;
  }
  const entries = c.server.slowlog.entries.slice(0, count);
  c.arrayLen(entries.length);
  for (const e of entries) {
    c.arrayLen(6);
    c.int(e.id);
    c.int(e.time);
    c.int(e.usec);
    c.bulkArray(e.argv);
    c.bulk(e.addr);
    c.bulk(e.name);
  }
}

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];

function latencyLatest(c: Client): void {
  const ev = [...c.server.latency.events];
  c.arrayLen(ev.length);
  for (const [name, e] of ev) {
    const last = e.samples[e.samples.length - 1];
    c.arrayLen(4);
    c.bulk(name);
    c.int(last.time);
    c.int(last.latency);
    c.int(e.max);
  }
}

function latencyHistory(c: Client, argv: string[]): void {
  const e = c.server.latency.events.get(argv[2]);
  const samples = e ? e.samples : [];
  c.arrayLen(samples.length);
  for (const s of samples) {
    c.arrayLen(2);
    c.int(s.time);
    c.int(s.latency);
  }
}

const LATENCY_HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HELP',
  '    Prints this help.',
];

/** MEMORY USAGE: an estimate in bytes of what the key and its value occupy, overheads included. */
function memoryUsage(c: Client, argv: string[]): void {
  let samples = 5;
  for (let i = 3; i < argv.length; i++) {
    if (argv[i].toLowerCase() === 'samples' && i + 1 < argv.length) {
      const n = intArg(c, argv[++i]);
      if (n === null) return;
      if (n < 0) return c.error(ERR_SYNTAX);
      samples = n === 0 ? Infinity : n;
    } else return c.error(ERR_SYNTAX);
  }
  const e = c.db.dict.get(argv[2]);
  if (e === undefined || (e.expireAt >= 0 && e.expireAt <= Date.now())) return c.nullBulk();
  const v = e.value;
  // per-entry cost of a JS Map slot + Entry object, and of a string's header
  const ENTRY = 80;
  const STR = 16;
  let size = ENTRY + STR + argv[2].length;
  const avg = (it: Iterable<number>, n: number) => {
    let sum = 0;
    let k = 0;
    for (const x of it) {
      sum += x;
      if (++k >= samples) break;
    }
    return k ? (sum / k) * n : 0;
  };
  if (typeof v === 'string') size += STR + v.length;
  else if (v instanceof Deque) size += 32 + avg((function* () { for (const x of v) yield 8 + STR + x.length; })(), v.length);
  else if (v instanceof Map) size += 64 + avg((function* () { for (const [f, x] of v) yield 40 + 2 * STR + f.length + x.length; })(), v.size);
  else if (v instanceof IndexedSet) size += 64 + avg((function* () { for (const x of v) yield 24 + STR + x.length; })(), v.size);
  else size += 128 + avg((function* () { for (const [m] of v) yield 96 + STR + m.length; })(), v.size);
  c.int(Math.round(size));
}

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

const SV = 'server';
const sub = (name: string, arity: number, flags: string, handler: (c: Client, argv: string[]) => void, summary: string, since: string, keys: [number, number, number] | null = null) =>
  cmd(name, arity, flags, keys, handler, summary, since, SV);
const container = (name: string, summary: string, since: string, subcommands: CommandSpec[], group = SV): CommandSpec => ({
  name, arity: -2, flags: [], group, summary, since, subcommands,
});
const help = (lines: string[]) => sub('help', 2, 'loading stale', (c) => replyHelp(c, lines), 'Show helpful text about the different subcommands', '5.0.0');

export const commands: CommandSpec[] = [
  sub('info', -1, 'loading stale', info, 'Get information and statistics about the server', '1.0.0'),
  container('config', 'A container for server configuration commands', '2.0.0', [
    sub('get', -3, 'admin noscript loading stale', configGet, 'Get the values of configuration parameters', '2.0.0'),
    sub('set', -4, 'admin noscript loading stale', configSet, 'Set configuration parameters to the given values', '2.0.0'),
    sub('resetstat', 2, 'admin noscript loading stale', configResetstat, 'Reset the stats returned by INFO', '2.0.0'),
    sub('rewrite', 2, 'admin noscript loading stale', configRewrite, 'Rewrite the configuration file with the in memory configuration', '2.8.0'),
    help(CONFIG_HELP),
  ]),
  {
    ...sub('command', -1, 'loading stale', command, 'Get array of Redis command details', '2.8.13'),
    subcommands: [
      sub('count', 2, 'loading stale', (c) => c.int(allCommands(c).length), 'Get total number of Redis commands', '2.8.13'),
      sub('info', -2, 'loading stale', commandInfo, 'Get array of specific Redis command details, or all when no argument is given.', '2.8.13'),
      sub('docs', -2, 'loading stale', commandDocs, 'Get array of specific Redis command documentation', '7.0.0'),
      sub('list', -2, 'loading stale', commandList, 'Get an array of Redis command names', '7.0.0'),
      sub('getkeys', -4, 'loading stale', commandGetkeys, 'Extract keys given a full Redis command', '2.8.13'),
      help(COMMAND_HELP),
    ],
  },
  sub('time', 1, 'loading stale fast', (c) => {
    const us = BigInt(Math.floor(performance.timeOrigin * 1000 + performance.now() * 1000));
    c.bulkArray([(us / 1000000n).toString(), (us % 1000000n).toString()]);
  }, 'Return the current server time', '2.6.0'),
  sub('dbsize', 1, 'readonly fast', (c) => c.int(c.db.dict.size), 'Return the number of keys in the selected database', '1.0.0'),
  sub('lastsave', 1, 'loading stale fast', (c) => c.int(c.server.lastSaveTime), 'Get the UNIX time stamp of the last successful save to disk', '1.0.0'),
  sub('shutdown', -1, 'admin noscript loading stale no_multi allow_busy', shutdown, 'Synchronously save the dataset to disk and then shut down the server', '1.0.0'),
  sub('debug', -2, 'admin noscript loading stale', debug, 'A container for debugging commands', '1.0.0'),
  sub('monitor', 1, 'admin noscript loading stale', monitor, 'Listen for all requests received by the server in real time', '1.0.0'),
  container('slowlog', 'A container for slow log commands', '2.2.12', [
    sub('get', -2, 'admin loading stale', slowlogGet, 'Get the slow log\'s entries', '2.2.12'),
    sub('len', 2, 'admin loading stale', (c) => c.int(c.server.slowlog.entries.length), "Get the slow log's length", '2.2.12'),
    sub('reset', 2, 'admin loading stale', (c) => { c.server.slowlog.reset(); c.ok(); }, 'Clear all entries from the slow log', '2.2.12'),
    help(SLOWLOG_HELP),
  ]),
  container('latency', 'A container for latency diagnostics commands', '2.8.13', [
    sub('latest', 2, 'admin noscript loading stale', latencyLatest, 'Return the latest latency samples for all events.', '2.8.13'),
    sub('history', 3, 'admin noscript loading stale', latencyHistory, 'Return timestamp-latency samples for the event.', '2.8.13'),
    sub('reset', -2, 'admin noscript loading stale', (c, a) => c.int(c.server.latency.reset(a.slice(2))), 'Reset latency data for one or more events.', '2.8.13'),
    help(LATENCY_HELP),
  ]),
  container('memory', 'A container for memory diagnostics commands', '4.0.0', [
    sub('usage', -3, 'readonly', memoryUsage, 'Estimate the memory usage of a key', '4.0.0', [2, 2, 1]),
    help(MEMORY_HELP),
  ]),
];
