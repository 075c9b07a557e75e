/**
 * Pub/Sub channels and patterns, and keyspace notifications published through them
 * (notify.c, pubsub.c).
 */
import type { Client } from './client';
import type { Server } from './server';
import { stringMatch } from '../util/glob';

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  /** SSUBSCRIBE channels: matched by name only, never by patterns */
  readonly shardChannels = new Map<string, Set<Client>>();
  /** notify-keyspace-events as a bitmask of NotifyClass */
  notifyFlags = 0;

  constructor(private readonly server: Server) {}

  subscribe(c: Client, channel: string): boolean {
    if (c.channels.has(channel)) return false;
    c.channels.add(channel);
    let s = this.channels.get(channel);
    if (!s) this.channels.set(channel, (s = new Set()));
    s.add(c);
    return true;
  }

  unsubscribe(c: Client, channel: string): boolean {
    if (!c.channels.delete(channel)) return false;
    const s = this.channels.get(channel);
    if (s) {
      s.delete(c);
      if (s.size === 0) this.channels.delete(channel);
    }
    return true;
  }

  ssubscribe(c: Client, channel: string): boolean {
    if (c.shardChannels.has(channel)) return false;
    c.shardChannels.add(channel);
    let s = this.shardChannels.get(channel);
    if (!s) this.shardChannels.set(channel, (s = new Set()));
    s.add(c);
    return true;
  }

  sunsubscribe(c: Client, channel: string): boolean {
    if (!c.shardChannels.delete(channel)) return false;
    const s = this.shardChannels.get(channel);
    if (s) {
      s.delete(c);
      if (s.size === 0) this.shardChannels.delete(channel);
    }
    return true;
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

  psubscribe(c: Client, pattern: string): boolean {
    if (c.patterns.has(pattern)) return false;
    c.patterns.add(pattern);
    let s = this.patterns.get(pattern);
    if (!s) this.patterns.set(pattern, (s = new Set()));
    s.add(c);
    return true;
  }

  punsubscribe(c: Client, pattern: string): boolean {
    if (!c.patterns.delete(pattern)) return false;
    const s = this.patterns.get(pattern);
    if (s) {
      s.delete(c);
      if (s.size === 0) this.patterns.delete(pattern);
    }
    return true;
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
