/**
 * Pub/Sub channels and patterns, and keyspace notifications published through them
 * (notify.c, pubsub.c).
 */
import type { Client } from './client';
import type { Server } from './server';
import { stringMatch } from '../util/glob';

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
    if (!subs) return 0;
    const body = '$8\r\nsmessage\r\n$' + channel.length + '\r\n' + channel + '\r\n$' + message.length + '\r\n' + message + '\r\n';
    for (const c of subs) {
      const start = c.out.length;
      c.pushLen(3);
      c.raw(body);
      c.keepPush(start);
      this.deliver(c);
    }
    return subs.size;
  }

  /** Drops every subscription of a client (disconnect, RESET). */
  removeClient(c: Client): void {
    for (const ch of [...c.channels]) this.unsubscribe(c, ch);
    for (const p of [...c.patterns]) this.punsubscribe(c, p);
    for (const ch of [...c.shardChannels]) this.sunsubscribe(c, ch);
  }

  /** Delivers a message; returns the number of receivers. */
  publish(channel: string, message: string): number {
    let n = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      const head = '$' + channel.length + '\r\n' + channel + '\r\n$' + message.length + '\r\n' + message + '\r\n';
      for (const c of subs) {
        const start = c.out.length;
        c.pushLen(3);
        c.raw('$7\r\nmessage\r\n' + head);
        c.keepPush(start);
        this.deliver(c);
        n++;
      }
    }
    if (this.patterns.size !== 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!stringMatch(pattern, channel, false)) continue;
        const body = '$' + pattern.length + '\r\n' + pattern + '\r\n$' + channel.length + '\r\n' + channel + '\r\n$' + message.length + '\r\n' + message + '\r\n';
        for (const c of clients) {
          const start = c.out.length;
          c.pushLen(4);
          c.raw('$8\r\npmessage\r\n' + body);
          c.keepPush(start);
          this.deliver(c);
          n++;
        }
      }
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
