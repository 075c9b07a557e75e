/**
 * Connection commands: PING ECHO QUIT RESET SELECT AUTH HELLO CLIENT.
 */
import type { CommandSpec } from './spec';
import type { Client } from '../server/client';
import { ReplyMode } from '../server/client';
import { ERR_SYNTAX, intArg, int32Arg } from './args';
import { REDIS_VERSION } from '../server/server';
import { Resp } from '../protocol/reply';

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

function ping(c: Client, argv: string[]): void {
  if (argv.length > 2) return c.error("ERR wrong number of arguments for 'ping' command");
  if (c.resp === Resp.V2 && c.subscriptionCount > 0) {
    c.arrayLen(2);
    c.bulk('pong');
    c.bulk(argv.length === 2 ? argv[1] : '');
    return;
  }
  if (argv.length === 2) c.bulk(argv[1]);
  else c.raw('+PONG\r\n');
}

/** Checks a user/password pair against requirepass (Keel has only the default user). */
function checkPassword(c: Client, user: string, pass: string): boolean {
  const required = c.server.settings.requirepass;
  if (user !== 'default') return false;
  return required === '' || pass === required;
}

function auth(c: Client, argv: string[]): void {
  if (argv.length > 3) return c.error(ERR_SYNTAX);
  if (argv.length === 2 && c.server.settings.requirepass === '') {
    return c.error(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  }
  const user = argv.length === 3 ? argv[1] : 'default';
  const pass = argv[argv.length - 1];
  if (!checkPassword(c, user, pass)) {
    c.server.log.verbose(`AUTH failed for client ${c.addr}`);
    return c.error(WRONGPASS);
  }
  c.setAuthenticated(true);
  c.ok();
}

function hello(c: Client, argv: string[]): void {
  let ver = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = intArg(c, argv[1], 'ERR Protocol version is not an integer or out of range');
    if (v === null) return;
    next = 2;
    if (v < 2 || v > 3) return c.error('NOPROTO unsupported protocol version');
    ver = v;
  }
  let name: string | null = null;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - j - 1;
    const opt = argv[j].toLowerCase();
    if (opt === 'auth' && more >= 2) {
      if (!checkPassword(c, argv[j + 1], argv[j + 2])) return c.error(WRONGPASS);
      c.setAuthenticated(true);
      j += 2;
    } else if (opt === 'setname' && more >= 1) {
      if (!validClientName(argv[j + 1])) return c.error(BAD_NAME);
      name = argv[j + 1];
      j += 1;
    } else {
      return c.error(`ERR Syntax error in HELLO option '${argv[j]}'`);
    }
  }
  if (!c.authenticated) {
    return c.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (name !== null) c.name = name;
  if (ver) c.resp = ver;
  c.mapLen(7);
  c.bulk('server');
  c.bulk('redis');
  c.bulk('version');
  c.bulk(REDIS_VERSION);
  c.bulk('proto');
  c.int(c.resp);
  c.bulk('id');
  c.int(c.id);
  c.bulk('mode');
  c.bulk('standalone');
  c.bulk('role');
  c.bulk('master');
  c.bulk('modules');
  c.arrayLen(0);
}

function select(c: Client, argv: string[]): void {
  const id = int32Arg(c, argv[1]);
  if (id === null) return;
  const db = c.server.keyspace.dbs[id];
  if (db === undefined) return c.error('ERR DB index is out of range');
  c.db = db;
  c.ok();
}

function quit(c: Client): void {
  c.ok();
  c.closeAfterReply = true;
}

function reset(c: Client): void {
  const s = c.server;
  if (c.inMulti) {
    c.inMulti = false;
    c.multiQueue = [];
    c.multiError = false;
  }
  s.unwatchAll(c);
  s.monitors.delete(c);
  c.monitor = false;
  s.pubsubResetClient(c);
  c.db = s.keyspace.dbs[0];
  c.resp = Resp.V2;
  c.name = '';
  c.replyMode = ReplyMode.On;
  // CLIENT NO-EVICT survives RESET in Redis 7.0 (clearClientConnectionState leaves it)
  c.setAuthenticated(!s.requiresAuth());
  c.status('RESET');
}

// ------------------------------------------------------------------ CLIENT

const BAD_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';

function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

function clientId(c: Client): void {
  c.int(c.id);
}

function clientSetName(c: Client, argv: string[]): void {
  if (!validClientName(argv[2])) return c.error(BAD_NAME);
  c.name = argv[2];
  c.ok();
}

function clientGetName(c: Client): void {
  if (c.name === '') c.nullBulk();
  else c.bulk(c.name);
}

function clientType(x: Client): string {
  return x.subscriptionCount > 0 ? 'pubsub' : 'normal';
}

function clientList(c: Client, argv: string[]): void {
  let list = [...c.server.clients.values()];
  if (argv.length > 2) {
    const opt = argv[2].toLowerCase();
    if (opt === 'type' && argv.length === 4) {
      const t = argv[3].toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(t)) return c.error(`ERR Unknown client type '${argv[3]}'`);
      list = list.filter((x) => clientType(x) === t);
    } else if (opt === 'id' && argv.length >= 4) {
      // in the order asked, repeats included; an id no client has is skipped, as Redis does
      list = [];
      for (let j = 3; j < argv.length; j++) {
        const id = intArg(c, argv[j], 'ERR Invalid client ID');
        if (id === null) return;
        const x = c.server.clients.get(id);
        if (x) list.push(x);
      }
    } else {
      return c.error(ERR_SYNTAX);
    }
  }
  let out = '';
  for (const x of list) out += x.describe() + '\n';
  c.verbatim(out);
}

function clientInfo(c: Client): void {
  c.verbatim(c.describe() + '\n');
}

function clientKill(c: Client, argv: string[]): void {
  const s = c.server;
  if (argv.length === 3) {
    // old form: CLIENT KILL addr:port
    for (const x of s.clients.values()) {
      if (x.addr === argv[2]) {
        killClient(c, x);
        return c.ok();
      }
    }
    return c.error('ERR No such client');
  }
  if ((argv.length - 2) % 2 !== 0) return c.error(ERR_SYNTAX);
  let id: number | null = null;
  let addr: string | null = null;
  let laddr: string | null = null;
  let type: string | null = null;
  let user: string | null = null;
  let skipMe = true;
  for (let j = 2; j < argv.length; j += 2) {
    const opt = argv[j].toLowerCase();
    const v = argv[j + 1];
    if (opt === 'id') {
      const n = intArg(c, v, 'ERR client-id should be greater than 0');
      if (n === null) return;
      if (n <= 0) return c.error('ERR client-id should be greater than 0');
      id = n;
    } else if (opt === 'type') {
      const t = v.toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(t)) return c.error(`ERR Unknown client type '${v}'`);
      type = t === 'slave' ? 'replica' : t;
    } else if (opt === 'addr') addr = v;
    else if (opt === 'laddr') laddr = v;
    else if (opt === 'user') user = v;
    else if (opt === 'skipme') {
      const b = v.toLowerCase();
      if (b === 'yes') skipMe = true;
      else if (b === 'no') skipMe = false;
      else return c.error(ERR_SYNTAX);
    } else return c.error(ERR_SYNTAX);
  }
  if (user !== null && user !== 'default') return c.error(`ERR No such user '${user}'`);
  let killed = 0;
  for (const x of [...s.clients.values()]) {
    if (id !== null && x.id !== id) continue;
    if (addr !== null && x.addr !== addr) continue;
    if (laddr !== null && x.laddr !== laddr) continue;
    if (type !== null && clientType(x) !== type) continue;
    if (x === c && skipMe) continue;
    killClient(c, x);
    killed++;
  }
  c.int(killed);
}

function killClient(self: Client, x: Client): void {
  if (x === self) x.closeAfterReply = true;
  else {
    x.flush();
    x.close();
  }
}

function clientNoEvict(c: Client, argv: string[]): void {
  const v = argv[2].toLowerCase();
  if (v === 'on') c.noEvict = true;
  else if (v === 'off') c.noEvict = false;
  else return c.error(ERR_SYNTAX);
  c.ok();
}

function clientPause(c: Client, argv: string[]): void {
  const ms = intArg(c, argv[2], 'ERR timeout is not an integer or out of range');
  if (ms === null) return;
  if (ms < 0) return c.error('ERR timeout is negative');
  let writeOnly = false;
  if (argv.length === 4) {
    const m = argv[3].toLowerCase();
    if (m === 'write') writeOnly = true;
    else if (m !== 'all') return c.error('ERR CLIENT PAUSE mode must be WRITE or ALL');
  } else if (argv.length > 4) return c.error(ERR_SYNTAX);
  const s = c.server;
  const until = Date.now() + ms;
  // a stricter (ALL) or longer pause wins over a running one, as in Redis
  const wasPaused = s.clientsPausedUntil !== 0;
  s.clientsPauseWriteOnly = wasPaused ? s.clientsPauseWriteOnly && writeOnly : writeOnly;
  if (!wasPaused || until > s.clientsPausedUntil) s.clientsPausedUntil = until;
  const timer = setTimeout(() => {
    if (s.clientsPausedUntil !== 0 && Date.now() >= s.clientsPausedUntil) s.unpauseClients();
  }, ms + 1);
  timer.unref();
  c.ok();
}

function clientUnpause(c: Client): void {
  c.server.unpauseClients();
  c.ok();
}

function clientReply(c: Client, argv: string[]): void {
  const m = argv[2].toLowerCase();
  if (m === 'on') {
    c.replyMode = ReplyMode.On;
    c.ok();
  } else if (m === 'off') c.replyMode = ReplyMode.Off;
  else if (m === 'skip') {
    if (c.replyMode !== ReplyMode.Off) c.replyMode = ReplyMode.Skip;
  } else c.error(ERR_SYNTAX);
}

function clientUnblock(c: Client, argv: string[]): void {
  const id = intArg(c, argv[2]);
  if (id === null) return;
  let withError = false;
  if (argv.length === 4) {
    const m = argv[3].toLowerCase();
    if (m === 'error') withError = true;
    else if (m !== 'timeout') return c.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  } else if (argv.length > 4) return c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try CLIENT HELP.`);
  const target = c.server.clients.get(id);
  c.int(target !== undefined && c.server.blocking.unblock(target, withError) ? 1 : 0);
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'HELP',
  '    Prints this help.',
];

/** Replies a HELP list the way Redis's addReplyHelp does (status lines). */
export function replyHelp(c: Client, lines: readonly string[]): void {
  c.arrayLen(lines.length);
  for (const l of lines) c.status(l);
}

const conn = { group: 'connection', acl: ['connection'] };
const cl = (name: string, arity: number, flags: string[], summary: string, handler: (c: Client, argv: string[]) => void): CommandSpec => ({
  name,
  arity,
  flags,
  summary,
  handler,
  since: '2.4.0',
  ...conn,
});

export const commands: CommandSpec[] = [
  { name: 'ping', arity: -1, flags: ['fast', 'sentinel'], summary: 'Ping the server', since: '1.0.0', handler: ping, ...conn },
  { name: 'echo', arity: 2, flags: ['fast'], summary: 'Echo the given string', since: '1.0.0', handler: (c, a) => c.bulk(a[1]), ...conn },
  { name: 'quit', arity: -1, flags: ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'], summary: 'Close the connection', since: '1.0.0', handler: quit, ...conn },
  { name: 'reset', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], summary: 'Reset the connection', since: '6.2.0', handler: reset, ...conn },
  { name: 'select', arity: 2, flags: ['loading', 'stale', 'fast'], summary: 'Change the selected database for the current connection', since: '2.0.0', handler: select, ...conn },
  { name: 'auth', arity: -2, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], summary: 'Authenticate to the server', since: '1.0.0', handler: auth, ...conn },
  { name: 'hello', arity: -1, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], summary: 'Handshake with Redis', since: '6.0.0', handler: hello, ...conn },
  {
    name: 'client',
    arity: -2,
    flags: [],
    summary: 'A container for client connection commands',
    since: '2.4.0',
    ...conn,
    subcommands: [
      cl('id', 2, ['noscript', 'loading', 'stale'], 'Returns the client ID for the current connection', clientId),
      cl('setname', 3, ['noscript', 'loading', 'stale'], 'Set the current connection name', clientSetName),
      cl('getname', 2, ['noscript', 'loading', 'stale'], 'Get the current connection name', clientGetName),
      cl('list', -2, ['admin', 'noscript', 'loading', 'stale'], 'Get the list of client connections', clientList),
      cl('info', 2, ['noscript', 'loading', 'stale'], 'Returns information about the current client connection.', clientInfo),
      cl('kill', -3, ['admin', 'noscript', 'loading', 'stale'], 'Kill the connection of a client', clientKill),
      cl('no-evict', 3, ['admin', 'noscript', 'loading', 'stale'], 'Set client eviction mode for the current connection', clientNoEvict),
      cl('pause', -3, ['admin', 'noscript', 'loading', 'stale'], 'Stop processing commands from clients for some time', clientPause),
      cl('unpause', 2, ['admin', 'noscript', 'loading', 'stale'], 'Resume processing of clients that were paused', clientUnpause),
      cl('reply', 3, ['noscript', 'loading', 'stale'], 'Instruct the server whether to reply to commands', clientReply),
      cl('unblock', -3, ['admin', 'noscript', 'loading', 'stale'], 'Unblock a client blocked in a blocking command from a different connection', clientUnblock),
      cl('help', 2, ['loading', 'stale'], 'Show helpful text about the different subcommands', (c) => replyHelp(c, CLIENT_HELP)),
    ],
  },
];

