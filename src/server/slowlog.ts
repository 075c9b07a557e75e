/**
 * SLOWLOG entries and the LATENCY monitor's per-event history, as Redis 7.0 keeps them.
 */
import type { Client } from './client';
import { redactSecrets } from './redact';

export interface SlowLogEntry {
  id: number;
  time: number;
  usec: number;
  argv: string[];
  addr: string;
  name: string;
}

const SLOWLOG_ENTRY_MAX_ARGC = 32;
const SLOWLOG_ENTRY_MAX_STRING = 128;

export class SlowLog {
  entries: SlowLogEntry[] = [];
  nextId = 0;
  maxLen = 128;

  record(threshold: number, usec: number, argv: string[], c: Client): void {
    if (threshold < 0 || usec < threshold) return;
    argv = redactSecrets(argv);
    const n = Math.min(argv.length, SLOWLOG_ENTRY_MAX_ARGC);
    const args: string[] = [];
    for (let i = 0; i < n; i++) {
      if (n !== argv.length && i === n - 1) {
        args.push(`... (${argv.length - n + 1} more arguments)`);
        break;
      }
      const a = argv[i];
      args.push(
        a.length > SLOWLOG_ENTRY_MAX_STRING
          ? `${a.slice(0, SLOWLOG_ENTRY_MAX_STRING)}... (${a.length - SLOWLOG_ENTRY_MAX_STRING} more bytes)`
          : a,
      );
    }
    this.entries.unshift({ id: this.nextId++, time: Math.floor(Date.now() / 1000), usec, argv: args, addr: c.addr, name: c.name });
    if (this.entries.length > this.maxLen) this.entries.length = Math.max(0, this.maxLen);
  }

  reset(): void {
    this.entries = [];
  }
}

export interface LatencySample {
  time: number;
  latency: number;
}

const LATENCY_TS_LEN = 160;

export class LatencyMonitor {
  events = new Map<string, { samples: LatencySample[]; max: number }>();

  add(event: string, ms: number): void {
    const now = Math.floor(Date.now() / 1000);
    let e = this.events.get(event);
    if (!e) this.events.set(event, (e = { samples: [], max: 0 }));
    if (ms > e.max) e.max = ms;
    const last = e.samples[e.samples.length - 1];
    if (last && last.time === now) {
      if (ms > last.latency) last.latency = ms;
      return;
    }
    e.samples.push({ time: now, latency: ms });
    if (e.samples.length > LATENCY_TS_LEN) e.samples.shift();
  }

  reset(names: string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.events.delete(name)) n++;
    return n;
  }
}
