/**
 * The directive table: every redis.conf directive Keel understands, with its type, Redis 7.0
 * default, whether CONFIG SET may change it, and its validation. Values are kept parsed
 * (numbers, booleans, strings, or a directive-specific shape) and formatted back for
 * CONFIG GET / REWRITE the way Redis prints them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toBytes, fromBytes } from '../util/bytes';
import { parseInt64 } from '../util/number';
import { formatPercentile } from '../server/latency-histogram';
import { strerror } from '../persistence/fsutil';

export type ConfigValue = string | number | boolean | string[] | SaveRule[] | ObufLimits | ShutdownFlags;

export interface SaveRule {
  seconds: number;
  changes: number;
}
export type ObufClass = 'normal' | 'replica' | 'pubsub';
export type ObufLimits = Record<ObufClass, { hard: number; soft: number; softSeconds: number }>;

/** Why a value was refused; becomes the text after "CONFIG SET failed ... - " or a file error. */
export class ConfigValueError extends Error {}

export interface Directive {
  name: string;
  aliases?: string[];
  mutable: boolean;
  /** the Redis default, in config-file syntax */
  default: string;
  /** CONFIG SET refuses it unless enable-protected-configs allows (dir, dbfilename) */
  protected?: boolean;
  /** CONFIG SET answers -LOADING while the dataset loads (Redis's DENY_LOADING_CONFIG) */
  denyLoading?: boolean;
  /** HIDDEN_CONFIG: CONFIG GET shows it only when asked by its exact name */
  hidden?: boolean;
  /** several arguments on one config-file line (save 3600 1 300 100, bind a b) */
  multiArg?: boolean;
  /** CONFIG SET hands the value to parse() unsplit (it splits as Redis does) */
  splitsItself?: boolean;
  /** parse one config-file line's arguments (or CONFIG SET's value split likewise);
   *  `prev` is the current value, for directives that accumulate across lines */
  parse(args: string[], prev: ConfigValue | undefined, fromFile: boolean): ConfigValue;
  format(v: ConfigValue): string;
  /** for CONFIG REWRITE: config-file lines for the value */
  rewrite?(v: ConfigValue): string[];
}

/**
 * A maximum of 2^53 stands for Redis's LLONG_MAX / LONG_MAX: shown as Redis shows it, and any
 * 64-bit value is within it (kept as a double, so one past 2^53 loses its last digits).
 */
const shownMax = (m: number) => (m === 2 ** 53 ? '9223372036854775807' : String(m));
const outOfRange = (n: number, min: number, max: number) => n < min || n > (max === 2 ** 53 ? 2 ** 63 : max);

const YESNO = "argument must be 'yes' or 'no'";

function one(args: string[]): string {
  if (args.length !== 1) throw new ConfigValueError('wrong number of arguments');
  return args[0];
}

function bool(name: string, def: boolean, mutable = true, aliases?: string[]): Directive {
  return {
    name,
    aliases,
    mutable,
    default: def ? 'yes' : 'no',
    parse(args) {
      const v = one(args).toLowerCase();
      if (v === 'yes') return true;
      if (v === 'no') return false;
      throw new ConfigValueError(YESNO);
    },
    format: (v) => (v ? 'yes' : 'no'),
  };
}

function int(name: string, def: number, min: number, max: number, mutable = true, aliases?: string[]): Directive {
  return {
    name,
    aliases,
    mutable,
    default: String(def),
    parse(args) {
      const s = one(args);
      const big = parseInt64(s); // string2ll: no leading zeros, no "-0", within 64 bits
      if (big === null) throw new ConfigValueError("argument couldn't be parsed into an integer");
      const n = Number(big);
      if (outOfRange(n, min, max)) throw new ConfigValueError(`argument must be between ${min} and ${shownMax(max)} inclusive`);
      return n;
    },
    format: (v) => String(v),
  };
}

/** A directive whose CONFIG SET value is stored clamped to [lo, hi] (the file's value is kept as written). */
function clampedOnSet(d: Directive, lo: number, hi: number): Directive {
  return {
    ...d,
    parse(args, prev, fromFile) {
      const n = d.parse(args, prev, fromFile) as number;
      return fromFile ? n : Math.min(hi, Math.max(lo, n));
    },
  };
}

/** A memory limit Keel does not enforce: only 0 (no limit) is accepted. `percent`: N% is a value too. */
function onlyZero(d: Directive, what: string, percent = false): Directive {
  return {
    ...d,
    parse(args, prev, fromFile) {
      let n: ConfigValue;
      if (percent && /^\d+%$/.test(args[0] ?? '')) n = Number(args[0].slice(0, -1));
      else {
        try {
          n = d.parse(args, prev, fromFile);
        } catch (e) {
          if (percent && e instanceof ConfigValueError) throw new ConfigValueError('argument must be a memory or percent value');
          throw e;
        }
      }
      if (n !== 0) throw new ConfigValueError(`Keel does not implement ${what} (eviction): only 0, no limit, is supported`);
      return n;
    },
  };
}

/** maxmemory-policy: the -lfu policies are refused, since Keel keeps no access frequency (OBJECT FREQ). */
function noLfu(d: Directive): Directive {
  return {
    ...d,
    parse(args, prev, fromFile) {
      const v = d.parse(args, prev, fromFile) as string;
      if (v.endsWith('-lfu')) throw new ConfigValueError('Keel does not track LFU access frequency, so the -lfu policies are not supported');
      return v;
    },
  };
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 * 1024, g: 1e9, gb: 1024 * 1024 * 1024 };

/**
 * redis.conf memory notation: 1k = 1000, 1kb = 1024, ... (memtoull: digits then a unit, no
 * sign, so a negative size is no memory value; no digits at all, as in "" or "kb", is 0).
 */
export function parseMemory(s: string): number | null {
  const m = /^(\d*)([a-zA-Z]*)$/.exec(s);
  if (!m) return null;
  const unit = UNITS[m[2].toLowerCase()];
  if (unit === undefined) return null;
  return Number(m[1]) * unit;
}

function formatMemoryForFile(n: number): string {
  const gb = 1024 * 1024 * 1024;
  if (n !== 0 && n % gb === 0) return `${n / gb}gb`;
  if (n !== 0 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)}mb`;
  if (n !== 0 && n % 1024 === 0) return `${n / 1024}kb`;
  return String(n);
}

function mem(name: string, def: string, min: number, max: number, mutable = true, aliases?: string[]): Directive {
  return {
    name,
    aliases,
    mutable,
    default: def,
    parse(args) {
      const n = parseMemory(one(args));
      if (n === null) throw new ConfigValueError('argument must be a memory value');
      if (outOfRange(n, min, max)) throw new ConfigValueError(`argument must be between ${min} and ${shownMax(max)} inclusive`);
      return n;
    },
    format: (v) => String(v),
    rewrite: (v) => [formatMemoryForFile(v as number)],
  };
}

function str(name: string, def: string, mutable = true, check?: (s: string) => string | null): Directive {
  return {
    name,
    mutable,
    default: def,
    parse(args) {
      const s = one(args);
      const err = check?.(s);
      if (err) throw new ConfigValueError(err);
      return s;
    },
    format: (v) => v as string,
  };
}

function enumOf(name: string, def: string, values: string[], mutable = true): Directive {
  return {
    name,
    mutable,
    default: def,
    parse(args) {
      const s = one(args).toLowerCase();
      if (!values.includes(s)) throw new ConfigValueError(`argument(s) must be one of the following: ${values.join(', ')}`);
      return s;
    },
    format: (v) => v as string,
  };
}

const noSlashes = (what: string) => (s: string) =>
  s.includes('/') || s.includes('\\') ? `${what} can't be a path, just a filename` : null;

/** notify-keyspace-events flag letters and their bits (server.h NOTIFY_*) */
export const NOTIFY_BITS: Record<string, number> = {
  K: 1 << 0, E: 1 << 1, g: 1 << 2, $: 1 << 3, l: 1 << 4, s: 1 << 5, h: 1 << 6, z: 1 << 7,
  x: 1 << 8, e: 1 << 9, t: 1 << 10, m: 1 << 11, d: 1 << 13, n: 1 << 14,
};

function notifyParse(s: string): number {
  let flags = 0;
  for (const ch of s) {
    if (ch === 'A') flags |= allNotify();
    else if (NOTIFY_BITS[ch] !== undefined) flags |= NOTIFY_BITS[ch];
    else throw new ConfigValueError('Invalid event class character. Use \'Ag$lshzxeKEtmdn\'.');
  }
  return flags;
}

/** 'A': every class but key-miss (m) and new-key (n) */
function allNotify(): number {
  let f = 0;
  for (const ch of 'g$lshzxetd') f |= NOTIFY_BITS[ch];
  return f;
}

/** keyspaceEventsFlagsToString in notify.c */
export function notifyFormat(flags: number): string {
  let res = '';
  const all = allNotify();
  // as Redis 7.0 writes it: `n` only among the classes, so not after an `A`
  if ((flags & all) === all) res += 'A';
  else for (const ch of 'g$lshzxetdn') if (flags & NOTIFY_BITS[ch]) res += ch;
  if (flags & NOTIFY_BITS.K) res += 'K';
  if (flags & NOTIFY_BITS.E) res += 'E';
  if (flags & NOTIFY_BITS.m) res += 'm';
  return res;
}

const OBUF_CLASSES: Record<string, ObufClass> = { normal: 'normal', replica: 'replica', slave: 'replica', pubsub: 'pubsub' };

function obufParse(args: string[], prev: ConfigValue | undefined, fromFile: boolean): ObufLimits {
  // CONFIG SET passes one string; the file may pass the words directly
  const words = args.length === 1 ? args[0].split(/\s+/).filter(Boolean) : args;
  // CONFIG SET client-output-buffer-limit "" changes nothing, as in Redis
  if (words.length === 0 && !fromFile && prev !== undefined) return structuredClone(prev as ObufLimits);
  if (words.length % 4 !== 0 || words.length === 0) throw new ConfigValueError('Wrong number of arguments in buffer limit configuration.');
  const out: ObufLimits = structuredClone((prev as ObufLimits) ?? defaultObuf());
  for (let i = 0; i < words.length; i += 4) {
    const cls = OBUF_CLASSES[words[i].toLowerCase()];
    if (!cls) throw new ConfigValueError('Invalid client class specified in buffer limit configuration.');
    const hard = parseMemory(words[i + 1]);
    const soft = parseMemory(words[i + 2]);
    const secs = /^\d+$/.test(words[i + 3]) ? Number(words[i + 3]) : -1;
    if (hard === null || soft === null || secs < 0)
      throw new ConfigValueError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    out[cls] = { hard, soft, softSeconds: secs };
  }
  return out;
}

function defaultObuf(): ObufLimits {
  return {
    normal: { hard: 0, soft: 0, softSeconds: 0 },
    replica: { hard: 256 * 1024 * 1024, soft: 64 * 1024 * 1024, softSeconds: 60 },
    pubsub: { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 },
  };
}

function obufFormat(v: ConfigValue): string {
  const o = v as ObufLimits;
  const f = (n: string, x: { hard: number; soft: number; softSeconds: number }) => `${n} ${x.hard} ${x.soft} ${x.softSeconds}`;
  return `${f('normal', o.normal)} ${f('slave', o.replica)} ${f('pubsub', o.pubsub)}`;
}

function saveParse(args: string[], prev: ConfigValue | undefined, fromFile: boolean): SaveRule[] {
  const words = args.length === 1 ? args[0].split(/\s+/).filter(Boolean) : args;
  if (words.length % 2 !== 0) throw new ConfigValueError('Invalid save parameters');
  const rules: SaveRule[] = [];
  for (let i = 0; i < words.length; i += 2) {
    // seconds at least 1, changes at least 0, as setConfigSaveOption checks
    if (!/^\d+$/.test(words[i]) || !/^\d+$/.test(words[i + 1]) || Number(words[i]) < 1) throw new ConfigValueError('Invalid save parameters');
    rules.push({ seconds: Number(words[i]), changes: Number(words[i + 1]) });
  }
  // In a config file, save lines accumulate (the first one replaces the default).
  if (fromFile && prev !== undefined && rules.length > 0) return [...(prev as SaveRule[]), ...rules];
  return rules;
}

function saveFormat(v: ConfigValue): string {
  return (v as SaveRule[]).map((r) => `${r.seconds} ${r.changes}`).join(' ');
}

export const PROC_TITLE_DEFAULT = '{title} {listen-addr} {server-mode}';
const PROC_TITLE_VARS = new Set(['title', 'listen-addr', 'server-mode', 'port', 'tls-port', 'unixsocket', 'config-file']);

/**
 * proc-title-template expansion, as Redis's sdstemplate: `{name}` is a variable, `{{` a
 * literal brace. Null for an unknown variable or an unterminated one.
 */
export function expandTemplate(t: string, value: (name: string) => string): string | null {
  let out = '';
  let i = 0;
  while (i < t.length) {
    const open = t.indexOf('{', i);
    if (open < 0) return out + t.slice(i);
    out += t.slice(i, open);
    if (open + 1 >= t.length) return null;
    if (t[open + 1] === '{') {
      out += '{';
      i = open + 2;
      continue;
    }
    const close = t.indexOf('}', open + 1);
    if (close < 0) return null;
    const name = t.slice(open + 1, close);
    if (!PROC_TITLE_VARS.has(name)) return null;
    out += value(name);
    i = close + 1;
  }
  return out;
}

/** What SIGTERM/SIGINT do (shutdown-on-sigterm/-sigint): SHUTDOWN's modifiers. */
export interface ShutdownFlags {
  save: boolean;
  nosave: boolean;
  now: boolean;
  force: boolean;
}
const SHUTDOWN_FLAG_NAMES = ['save', 'nosave', 'now', 'force'] as const;
const SHUTDOWN_FLAGS_ERR = 'argument(s) must be one of the following: default, save, nosave, now, force';

function shutdownFlagsFormat(v: ConfigValue): string {
  const f = v as ShutdownFlags;
  const on = SHUTDOWN_FLAG_NAMES.filter((k) => f[k]);
  return on.length === 0 ? 'default' : on.join(' ');
}

function shutdownFlags(name: string): Directive {
  return {
    name,
    mutable: true,
    multiArg: true,
    default: 'default',
    parse(args) {
      const words = args.length === 1 ? args[0].split(/\s+/).filter(Boolean) : args;
      if (words.length === 0) throw new ConfigValueError(SHUTDOWN_FLAGS_ERR);
      const f: ShutdownFlags = { save: false, nosave: false, now: false, force: false };
      for (const w of words) {
        const k = w.toLowerCase();
        if (k === 'default') continue;
        if (!(SHUTDOWN_FLAG_NAMES as readonly string[]).includes(k)) throw new ConfigValueError(SHUTDOWN_FLAGS_ERR);
        f[k as keyof ShutdownFlags] = true;
      }
      if (f.save && f.nosave) throw new ConfigValueError("shutdown options SAVE and NOSAVE can't be used simultaneously");
      return f;
    },
    format: shutdownFlagsFormat,
    rewrite: (v) => [shutdownFlagsFormat(v)],
  };
}

export const DIRECTIVES: Directive[] = [
  // network
  {
    name: 'bind',
    mutable: false,
    multiArg: true,
    default: '127.0.0.1 -::1',
    parse(args) {
      const words = args.length === 1 ? args[0].split(/\s+/).filter(Boolean) : args;
      if (words.length === 0) throw new ConfigValueError('Too many bind addresses specified.');
      if (words.length > 16) throw new ConfigValueError('Too many bind addresses specified.');
      return words;
    },
    format: (v) => (v as string[]).join(' '),
    rewrite: (v) => [(v as string[]).join(' ')],
  },
  int('port', 6379, 0, 65535, false),
  int('tcp-backlog', 511, 0, 2147483647, false),
  str('unixsocket', '', false),
  {
    name: 'unixsocketperm',
    mutable: false,
    default: '0',
    parse(args) {
      const s = one(args);
      if (!/^[0-7]+$/.test(s)) throw new ConfigValueError("argument couldn't be parsed as an octal number");
      const n = parseInt(s, 8);
      if (n > 0o777) throw new ConfigValueError('argument must be between 0 and 777 inclusive');
      return n;
    },
    format: (v) => (v as number).toString(8),
  },
  int('tcp-keepalive', 300, 0, 2147483647),
  int('timeout', 0, 0, 2147483647),
  bool('protected-mode', true),
  int('maxclients', 10000, 1, 4294967295),
  str('requirepass', ''),
  enumOf('enable-debug-command', 'no', ['no', 'yes', 'local'], false),
  mem('client-query-buffer-limit', '1gb', 1024 * 1024, 2 ** 53),
  mem('proto-max-bulk-len', '512mb', 1024 * 1024, 2 ** 53),
  {
    name: 'client-output-buffer-limit',
    mutable: true,
    multiArg: true,
    default: 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    parse: (args, prev, fromFile) => obufParse(args, prev, fromFile),
    format: obufFormat,
    rewrite(v) {
      return obufFormat(v).match(/\S+ \S+ \S+ \S+/g) ?? [];
    },
  },
  // general
  int('databases', 16, 1, 2147483647, false),
  enumOf('loglevel', 'notice', ['debug', 'verbose', 'notice', 'warning']),
  str('logfile', '', false),
  str('pidfile', '', false),
  clampedOnSet(int('hz', 10, 0, 2147483647), 1, 500), // CONFIG SET hz 0 stores 1, as Redis's updateHZ does
  bool('dynamic-hz', true),
  int('active-expire-effort', 1, 1, 10),
  int('slowlog-log-slower-than', 10000, -1, 2 ** 53),
  int('slowlog-max-len', 128, 0, 2 ** 53),
  int('latency-monitor-threshold', 0, 0, 2 ** 53),
  bool('latency-tracking', true),
  {
    name: 'latency-tracking-info-percentiles',
    mutable: true,
    multiArg: true,
    default: '50 99 99.9',
    parse(args) {
      const words = args.length === 1 ? args[0].split(/\s+/).filter(Boolean) : args;
      const values = words.map((w) => (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(w) ? Number(w) : NaN));
      if (values.some((n) => Number.isNaN(n))) throw new ConfigValueError('Invalid latency-tracking-info-percentiles parameters');
      if (values.some((n) => n < 0 || n > 100)) throw new ConfigValueError('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
      return values.map((n) => formatPercentile(n));
    },
    format: (v) => (v as string[]).join(' '),
    rewrite: (v) => [(v as string[]).join(' ') || '""'],
  },
  {
    name: 'notify-keyspace-events',
    mutable: true,
    default: '',
    parse: (args) => notifyParse(one(args)),
    format: (v) => notifyFormat(v as number),
  },
  // encodings (what OBJECT ENCODING reports and the RDB writer picks)
  int('hash-max-listpack-entries', 512, 0, 2 ** 53, true, ['hash-max-ziplist-entries']),
  mem('hash-max-listpack-value', '64', 0, 2 ** 53, true, ['hash-max-ziplist-value']),
  int('zset-max-listpack-entries', 128, 0, 2 ** 53, true, ['zset-max-ziplist-entries']),
  mem('zset-max-listpack-value', '64', 0, 2 ** 53, true, ['zset-max-ziplist-value']),
  int('set-max-intset-entries', 512, 0, 2 ** 53),
  int('list-max-listpack-size', -2, -2147483648, 2147483647, true, ['list-max-ziplist-size']), // below -5 acts as -5
  int('list-compress-depth', 0, 0, 2147483647),
  // snapshotting
  {
    name: 'save',
    mutable: true,
    multiArg: true,
    default: '3600 1 300 100 60 10000',
    parse: saveParse,
    format: saveFormat,
    rewrite: (v) => ((v as SaveRule[]).length === 0 ? ['""'] : (v as SaveRule[]).map((r) => `${r.seconds} ${r.changes}`)),
  },
  bool('stop-writes-on-bgsave-error', true),
  bool('rdbcompression', true),
  bool('rdbchecksum', true, false),
  bool('rdb-del-sync-files', false),
  // deep checks of RESTORE payloads (yes, clients) and of loaded files (yes): decodeIntset
  enumOf('sanitize-dump-payload', 'no', ['no', 'yes', 'clients']),
  bool('rdb-save-incremental-fsync', true),
  { ...str('dbfilename', 'dump.rdb', true, noSlashes('dbfilename')), protected: true },
  enumOf('enable-protected-configs', 'no', ['no', 'yes', 'local'], false),
  {
    name: 'dir',
    mutable: true,
    protected: true,
    denyLoading: true,
    default: '.',
    // Redis chdir()s into it: a relative path is taken from the directory in use, and CONFIG
    // SET refuses one that is not there (at startup Keel creates it, for its ./data default)
    parse(args, prev, fromFile) {
      const s = one(args);
      if (s === '') throw new ConfigValueError('dir can not be empty');
      // resolved as the OS names it, kept as bytes
      const osDir = path.resolve(typeof prev === 'string' ? fromBytes(prev) : '.', fromBytes(s));
      const dir = toBytes(osDir);
      if (!fromFile) {
        let st: fs.Stats;
        try {
          st = fs.statSync(osDir);
        } catch (e) {
          // chdir's strerror, as Redis answers it
          throw new ConfigValueError(strerror(e));
        }
        if (!st.isDirectory()) throw new ConfigValueError('Not a directory');
      }
      return dir;
    },
    format: (v) => v as string,
  },
  // Redis's test knobs, hidden from CONFIG GET patterns
  { ...int('rdb-key-save-delay', 0, -2147483648, 2147483647), hidden: true },
  { ...int('key-load-delay', 0, -2147483648, 2147483647), hidden: true },
  // append only file
  // turning the AOF on while loading would write its first BASE from part of the dataset
  { ...bool('appendonly', false), denyLoading: true },
  str('appendfilename', 'appendonly.aof', false, noSlashes('appendfilename')),
  str('appenddirname', 'appendonlydir', false, noSlashes('appenddirname')),
  enumOf('appendfsync', 'everysec', ['everysec', 'always', 'no']),
  bool('no-appendfsync-on-rewrite', false),
  int('auto-aof-rewrite-percentage', 100, 0, 2147483647),
  mem('auto-aof-rewrite-min-size', '64mb', 0, 2 ** 53),
  bool('aof-load-truncated', true),
  bool('aof-use-rdb-preamble', true),
  bool('aof-timestamp-enabled', false),
  bool('aof-rewrite-incremental-fsync', true),
  // the process (server-cli.ts, process.ts)
  bool('daemonize', false, false),
  bool('set-proc-title', true, false),
  {
    name: 'proc-title-template',
    mutable: true,
    default: PROC_TITLE_DEFAULT,
    parse(args) {
      const s = one(args);
      // as validateProcTitleTemplate: expanded with an empty title (the server's address, port and
      // tls-port are never empty; the other variables are here), the result must not be empty
      const t = expandTemplate(s, (name) => (name === 'listen-addr' || name === 'port' || name === 'tls-port' ? '0' : ''));
      if (t === null || t.trim() === '') throw new ConfigValueError('template format is invalid or contains unknown variables');
      return s;
    },
    format: (v) => v as string,
  },
  {
    // `relative` is another name for `yes`: CONFIG GET shows it as yes
    ...enumOf('oom-score-adj', 'no', ['no', 'yes', 'relative', 'absolute']),
    parse(args) {
      const v = one(args).toLowerCase();
      if (!['no', 'yes', 'relative', 'absolute'].includes(v)) {
        throw new ConfigValueError('argument(s) must be one of the following: no, yes, relative, absolute');
      }
      return v === 'relative' ? 'yes' : v;
    },
  },
  {
    name: 'oom-score-adj-values',
    mutable: true,
    multiArg: true,
    splitsItself: true,
    default: '0 200 800',
    parse(args) {
      // one CONFIG SET value is split on single spaces, as Redis does: "0  200 800" has 4 words
      const words = args.length === 1 ? args[0].split(' ') : args;
      if (words.length !== 3) throw new ConfigValueError('wrong number of arguments');
      const values = words.map((w) => (/^-?\d+$/.test(w) ? Number(w) : NaN));
      if (values.some((n) => !(n >= -2000 && n <= 2000))) {
        throw new ConfigValueError('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
      }
      return values.map(String);
    },
    format: (v) => (v as string[]).join(' '),
    rewrite: (v) => [(v as string[]).join(' ')],
  },
  shutdownFlags('shutdown-on-sigterm'),
  shutdownFlags('shutdown-on-sigint'),
  // waits for replicas to catch up before a shutdown; Keel has none to wait for
  int('shutdown-timeout', 10, 0, 2147483647),
  bool('always-show-logo', false, false),
  /*
   * Accepted so that a redis.conf written for Redis 7.0 loads, and shown by CONFIG GET, but
   * changing nothing a client can observe: they tune mechanisms Keel does not have.
   * - freeing memory lazily: the garbage collector always frees in the background
   * - allocator and rehashing knobs: there is no jemalloc, and Dict rehashes as it grows
   * - replication knobs: Keel has no replicas (a master without replicas ignores them too);
   *   replicaof itself is refused, since it would promise replication
   * - ACL log, HyperLogLog and stream knobs: those features are not implemented
   */
  /*
   * Memory limits: Keel has no eviction, which is what Redis does with `maxmemory 0` (its
   * default): no limit, whatever the policy. So 0 is the one value accepted; a limit, or an LFU
   * policy (which would change OBJECT FREQ and IDLETIME even without a limit), is refused.
   */
  onlyZero(mem('maxmemory', '0', 0, 2 ** 53), 'maxmemory'),
  noLfu(enumOf('maxmemory-policy', 'noeviction', ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'])),
  int('maxmemory-samples', 5, 1, 2147483647),
  int('maxmemory-eviction-tenacity', 10, 0, 100),
  onlyZero(mem('maxmemory-clients', '0', 0, 2 ** 53), 'maxmemory-clients', true),
  bool('lazyfree-lazy-eviction', false),
  bool('lazyfree-lazy-expire', false),
  bool('lazyfree-lazy-server-del', false),
  bool('lazyfree-lazy-user-del', false),
  bool('lazyfree-lazy-user-flush', false),
  bool('replica-lazy-flush', false, true, ['slave-lazy-flush']),
  bool('activerehashing', true),
  bool('jemalloc-bg-thread', true),
  bool('disable-thp', true, false),
  {
    ...bool('activedefrag', false),
    parse(args) {
      const v = one(args).toLowerCase();
      if (v === 'no') return false;
      if (v !== 'yes') throw new ConfigValueError(YESNO);
      // what a Redis built without its modified jemalloc answers
      throw new ConfigValueError(
        'Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution',
      );
    },
  },
  bool('replica-serve-stale-data', true, true, ['slave-serve-stale-data']),
  bool('replica-read-only', true, true, ['slave-read-only']),
  bool('repl-diskless-sync', true),
  int('repl-diskless-sync-delay', 5, 0, 2147483647),
  int('repl-diskless-sync-max-replicas', 0, 0, 2147483647),
  enumOf('repl-diskless-load', 'disabled', ['disabled', 'on-empty-db', 'swapdb']),
  bool('repl-disable-tcp-nodelay', false),
  int('replica-priority', 100, 0, 2147483647, true, ['slave-priority']),
  int('repl-timeout', 60, 1, 2147483647),
  int('repl-ping-replica-period', 10, 1, 2147483647, true, ['repl-ping-slave-period']),
  mem('repl-backlog-size', '1mb', 1, 2 ** 53),
  int('repl-backlog-ttl', 3600, 0, 2 ** 53),
  { ...str('replica-announce-ip', '', true), aliases: ['slave-announce-ip'] },
  int('replica-announce-port', 0, 0, 65535, true, ['slave-announce-port']),
  bool('replica-announced', true),
  bool('replica-ignore-maxmemory', true, true, ['slave-ignore-maxmemory']),
  bool('replica-ignore-disk-write-errors', false),
  int('acllog-max-len', 128, 0, 2 ** 53),
  mem('hll-sparse-max-bytes', '3000', 0, 2 ** 53),
  mem('stream-node-max-bytes', '4096', 0, 2 ** 53),
  int('stream-node-max-entries', 100, 0, 2 ** 53),
];
