/**
 * Pub/Sub channels and patterns, and keyspace notifications published through them
 * (notify.c, pubsub.c).
 */
import type { Client } from './client';
import type { Server } from './server';
import { stringMatch } from '../util/glob';
import { bulkHeader, pushHeader } from '../protocol/reply';

/** Bulk strings, encoded once for every subscriber. */
function bulks(...items: string[]): string {
  let s = '';
  for (const x of items) s += bulkHeader(x.length) + x + '\r\n';
  return s;
}

/** Adds `c` under `name` in the server's map and the client's own set; false if already there. */
function join(byName: Map<string, Set<Client>>, own: Set<string>, c: Client, name: string): boolean {
  if (own.has(name)) return false;
  own.add(name);
  let s = byName.get(name);
  if (!s) byName.set(name, (s = new Set()));
  s.add(c);
  return true;
}

function leave(byName: Map<string, Set<Client>>, own: Set<string>, c: Client, name: string): boolean {
  if (!own.delete(name)) return false;
  const s = byName.get(name);
  if (s) {
    s.delete(c);
    if (s.size === 0) byName.delete(name);
  }
  return true;
}

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  /** SSUBSCRIBE channels: matched by name only, never by patterns */
  readonly shardChannels = new Map<string, Set<Client>>();
  /** notify-keyspace-events as a bitmask of NotifyClass */
  notifyFlags = 0;

  constructor(private readonly server: Server) {}

  subscribe(c: Client, channel: string): boolean {
    return join(this.channels, c.channels, c, channel);
  }

  unsubscribe(c: Client, channel: string): boolean {
    return leave(this.channels, c.channels, c, channel);
  }

  ssubscribe(c: Client, channel: string): boolean {
    return join(this.shardChannels, c.shardChannels, c, channel);
  }

  sunsubscribe(c: Client, channel: string): boolean {
    return leave(this.shardChannels, c.shardChannels, c, channel);
  }

  psubscribe(c: Client, pattern: string): boolean {
    return join(this.patterns, c.patterns, c, pattern);
  }

  punsubscribe(c: Client, pattern: string): boolean {
    return leave(this.patterns, c.patterns, c, pattern);
  }

  /** SPUBLISH: delivers `smessage` frames to the shard channel's subscribers. */
  spublish(channel: string, message: string): number {
    const subs = this.shardChannels.get(channel);
    return subs ? this.pushTo(subs, 3, '$8\r\nsmessage\r\n' + bulks(channel, message)) : 0;
  }

  /** Drops every subscription of a client (disconnect, RESET). */
  removeClient(c: Client): void {
    for (const ch of [...c.channels]) this.unsubscribe(c, ch);
    for (const p of [...c.patterns]) this.punsubscribe(c, p);
    for (const ch of [...c.shardChannels]) this.sunsubscribe(c, ch);
  }

  /**
   * Delivers a message; returns the number of receivers. They are all chosen before any is
   * served: one closed for its output limit as it is served still counts, for its channel and
   * its patterns alike, as Redis frees it only after the publish.
   */
  publish(channel: string, message: string): number {
    const subs = this.channels.get(channel);
    // no patterns: the channel's own set, counted before it is served
    if (this.patterns.size === 0) return subs ? this.pushTo(subs, 3, '$7\r\nmessage\r\n' + bulks(channel, message)) : 0;
    const targets: [Client[], number, string][] = [];
    if (subs) targets.push([[...subs], 3, '$7\r\nmessage\r\n' + bulks(channel, message)]);
    for (const [pattern, clients] of this.patterns) {
      if (stringMatch(pattern, channel, false)) targets.push([[...clients], 4, '$8\r\npmessage\r\n' + bulks(pattern, channel, message)]);
    }
    let n = 0;
    for (const [clients, len, body] of targets) n += this.pushTo(clients, len, body);
    return n;
  }

  /** Writes one push frame of `len` elements (its body already encoded) to each client; returns how many. */
  private pushTo(clients: Client[] | Set<Client>, len: number, body: string): number {
    const n = clients instanceof Set ? clients.size : clients.length;
    const frames = [pushHeader(2, len) + body, pushHeader(3, len) + body];
    for (const c of clients) {
      if (c.closing) continue; // closed by an earlier frame of this publish: counted, not served
      c.pushFrame(frames[c.resp === 3 ? 1 : 0]);
      this.deliver(c);
    }
    return n;
  }

  private deliver(c: Client): void {
    if (c !== this.server.currentClient) c.push();
    this.server.checkOutputBufferLimits(c);
  }

  /** notifyKeyspaceEvent: publishes __keyspace@db__:key and/or __keyevent@db__:event. */
  notify(cls: number, event: string, key: string, dbid: number): void {
    const flags = this.notifyFlags;
    if ((flags & cls) === 0) return;
    if (flags & 1 /* K */) this.publish(`__keyspace@${dbid}__:${key}`, event);
    if (flags & 2 /* E */) this.publish(`__keyevent@${dbid}__:${event}`, key);
  }
}
