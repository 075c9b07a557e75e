/**
 * Pub/Sub commands (pubsub.c): SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB,
 * and the sharded SSUBSCRIBE SUNSUBSCRIBE SPUBLISH (one shard: Keel has no cluster).
 * Confirmations and messages are RESP3 push frames, RESP2 arrays.
 */
import type { CommandSpec } from './spec';
import type { Client } from '../server/client';
import { stringMatch } from '../util/glob';
import { replyHelp } from './connection';
import { bulkHeader, pushHeader } from '../protocol/reply';

/** `count`: channels and patterns, or for the shard kinds, shard channels (as Redis counts them) */
function confirm(c: Client, kind: string, name: string | null): void {
  const count = kind === 'ssubscribe' || kind === 'sunsubscribe' ? c.shardChannels.size : c.channels.size + c.patterns.size;
  const nameText = name === null ? (c.resp === 3 ? '_\r\n' : '$-1\r\n') : bulkHeader(name.length) + name + '\r\n';
  c.pushFrame(pushHeader(c.resp, 3) + bulkHeader(kind.length) + kind + '\r\n' + nameText + ':' + count + '\r\n');
}

type Join = (c: Client, name: string) => boolean;

/** SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: join each name, confirming each. */
function subscribeTo(kind: string, join: Join) {
  return (c: Client, argv: string[]): void => {
    for (let i = 1; i < argv.length; i++) {
      join(c, argv[i]);
      confirm(c, kind, argv[i]);
    }
  };
}

/** UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE: leave the names given, or all (one null confirmation when none). */
function unsubscribeFrom(kind: string, own: (c: Client) => Set<string>, leave: Join) {
  return (c: Client, argv: string[]): void => {
    const names = argv.length === 1 ? [...own(c)] : argv.slice(1);
    if (names.length === 0) return confirm(c, kind, null);
    for (const name of names) {
      leave(c, name);
      confirm(c, kind, name);
    }
  };
}

const subscribe = subscribeTo('subscribe', (c, n) => c.server.pubsub.subscribe(c, n));
const psubscribe = subscribeTo('psubscribe', (c, n) => c.server.pubsub.psubscribe(c, n));
const ssubscribeAll = subscribeTo('ssubscribe', (c, n) => c.server.pubsub.ssubscribe(c, n));
/** Redis 7.0 refuses SSUBSCRIBE from a client that expects one reply per command: inside EXEC */
function ssubscribe(c: Client, argv: string[]): void {
  if (c.server.execDepth > 0) return c.error(`ERR ${argv[0]} isn't allowed for a DENY BLOCKING client`);
  ssubscribeAll(c, argv);
}
const unsubscribe = unsubscribeFrom('unsubscribe', (c) => c.channels, (c, n) => c.server.pubsub.unsubscribe(c, n));
const punsubscribe = unsubscribeFrom('punsubscribe', (c) => c.patterns, (c, n) => c.server.pubsub.punsubscribe(c, n));
const sunsubscribe = unsubscribeFrom('sunsubscribe', (c) => c.shardChannels, (c, n) => c.server.pubsub.sunsubscribe(c, n));

function spublish(c: Client, argv: string[]): void {
  c.int(c.server.pubsub.spublish(argv[1], argv[2]));
}

function publish(c: Client, argv: string[]): void {
  c.int(c.server.pubsub.publish(argv[1], argv[2]));
}

function channelsOf(c: Client, argv: string[], channels: Map<string, Set<Client>>): void {
  if (argv.length > 3) return c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try PUBSUB HELP.`);
  const pattern = argv.length > 2 ? argv[2] : null;
  const out: string[] = [];
  for (const ch of channels.keys()) if (pattern === null || stringMatch(pattern, ch, false)) out.push(ch);
  c.bulkArray(out);
}

function numsubOf(c: Client, argv: string[], channels: Map<string, Set<Client>>): void {
  c.arrayLen((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.bulk(argv[i]);
    c.int(channels.get(argv[i])?.size ?? 0);
  }
}

const pubsubChannels = (c: Client, argv: string[]) => channelsOf(c, argv, c.server.pubsub.channels);
const pubsubNumsub = (c: Client, argv: string[]) => numsubOf(c, argv, c.server.pubsub.channels);
const pubsubShardchannels = (c: Client, argv: string[]) => channelsOf(c, argv, c.server.pubsub.shardChannels);
const pubsubShardnumsub = (c: Client, argv: string[]) => numsubOf(c, argv, c.server.pubsub.shardChannels);

function pubsubNumpat(c: Client): void {
  c.int(c.server.pubsub.patterns.size);
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  '    Return the currently active shard level channels matching a <pattern> (default: \'*\').',
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

const ps = { group: 'pubsub', acl: ['pubsub'] };
const subFlags = ['pubsub', 'noscript', 'loading', 'stale'];
export const commands: CommandSpec[] = [
  { name: 'subscribe', arity: -2, flags: subFlags, summary: 'Listen for messages published to the given channels', since: '2.0.0', complexity: 'O(N) where N is the number of channels to subscribe to.', handler: subscribe, ...ps },
  { name: 'unsubscribe', arity: -1, flags: subFlags, summary: 'Stop listening for messages posted to the given channels', since: '2.0.0', complexity: 'O(N) where N is the number of clients already subscribed to a channel.', handler: unsubscribe, ...ps },
  { name: 'psubscribe', arity: -2, flags: subFlags, summary: 'Listen for messages published to channels matching the given patterns', since: '2.0.0', complexity: 'O(N) where N is the number of patterns the client is already subscribed to.', handler: psubscribe, ...ps },
  { name: 'punsubscribe', arity: -1, flags: subFlags, summary: 'Stop listening for messages posted to channels matching the given patterns', since: '2.0.0', complexity: 'O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).', handler: punsubscribe, ...ps },
  { name: 'ssubscribe', arity: -2, flags: subFlags, firstKey: 1, lastKey: -1, step: 1, summary: 'Listen for messages published to the given shard channels', since: '7.0.0', complexity: 'O(N) where N is the number of shard channels to subscribe to.', handler: ssubscribe, ...ps },
  { name: 'sunsubscribe', arity: -1, flags: subFlags, firstKey: 1, lastKey: -1, step: 1, summary: 'Stop listening for messages posted to the given shard channels', since: '7.0.0', complexity: 'O(N) where N is the number of clients already subscribed to a shard channel.', handler: sunsubscribe, ...ps },
  { name: 'spublish', arity: 3, flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], firstKey: 1, lastKey: 1, step: 1, summary: 'Post a message to a shard channel', since: '7.0.0', complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.', handler: spublish, ...ps },
  { name: 'publish', arity: 3, flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'], summary: 'Post a message to a channel', since: '2.0.0', complexity: 'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).', handler: publish, ...ps },
  {
    name: 'pubsub',
    arity: -2,
    flags: [],
    summary: 'A container for Pub/Sub commands',
    since: '2.8.0',
    ...ps,
    subcommands: [
      { name: 'channels', arity: -2, flags: ['pubsub', 'loading', 'stale'], summary: 'List active channels', since: '2.8.0', handler: pubsubChannels, ...ps },
      { name: 'numsub', arity: -2, flags: ['pubsub', 'loading', 'stale'], summary: 'Get the count of subscribers for channels', since: '2.8.0', handler: pubsubNumsub, ...ps },
      { name: 'shardchannels', arity: -2, flags: ['pubsub', 'loading', 'stale'], summary: 'List active shard channels', since: '7.0.0', handler: pubsubShardchannels, ...ps },
      { name: 'shardnumsub', arity: -2, flags: ['pubsub', 'loading', 'stale'], summary: 'Get the count of subscribers for shard channels', since: '7.0.0', handler: pubsubShardnumsub, ...ps },
      { name: 'numpat', arity: 2, flags: ['pubsub', 'loading', 'stale'], summary: 'Get the count of unique patterns pattern subscriptions', since: '2.8.0', handler: pubsubNumpat, ...ps },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], summary: 'Show helpful text about the different subcommands', since: '6.2.0', handler: (c) => replyHelp(c, PUBSUB_HELP), ...ps },
    ],
  },
];
