/**
 * How a command family describes its commands. Each module in src/commands exports
 * `commands: CommandSpec[]`; the registry turns them into the dispatch table, COMMAND INFO
 * and COMMAND DOCS. Field meanings follow Redis 7.0's command table (src/commands/*.json).
 */
import { LatencyHistogram } from '../server/latency-histogram';
import type { Client } from '../server/client';

export type Handler = (c: Client, argv: string[]) => void;

export interface CommandSpec {
  /** lowercase name; for a subcommand, just the subcommand (`get` under `config`) */
  name: string;
  /** Redis convention: N = exactly N args (name included), -N = at least N */
  arity: number;
  /** Redis 7.0 command flags: write readonly denyoom admin pubsub noscript blocking loading
   *  stale skip_monitor skip_slowlog fast no_auth may_replicate no_mandatory_keys
   *  no_multi movablekeys allow_busy */
  flags: readonly string[];
  /** key positions (1-based, lastKey -1 = last arg, 0 = no keys) */
  firstKey?: number;
  lastKey?: number;
  step?: number;
  /** extra ACL categories beyond those Redis derives from flags (e.g. 'string', 'keyspace') */
  acl?: readonly string[];
  group: string;
  summary: string;
  since: string;
  complexity?: string;
  /** COMMAND DOCS argument descriptions, when known */
  arguments?: readonly ArgDoc[];
  handler?: Handler;
  subcommands?: readonly CommandSpec[];
  /** key indexes for commands whose keys are not at fixed positions (movablekeys) */
  getKeys?: (argv: string[]) => number[];
}

export interface ArgDoc {
  name: string;
  type: 'string' | 'integer' | 'double' | 'key' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  arguments?: readonly ArgDoc[];
}

/** The runtime form: the spec plus flags resolved to booleans for the hot path. */
export class Command {
  readonly name: string;
  /** `config|get` for subcommands */
  readonly fullName: string;
  readonly arity: number;
  readonly isWrite: boolean;
  /** CMD_FAST: its slow runs are the latency monitor's fast-command events */
  readonly isFast: boolean;
  /** CMD_PROTECTED (DEBUG; Redis's other one, MODULE, is not implemented): enable-debug-command decides */
  readonly isProtected: boolean;
  /** write or may_replicate (PUBLISH): what CLIENT PAUSE WRITE holds */
  readonly mayReplicate: boolean;
  readonly denyOom: boolean;
  readonly noAuth: boolean;
  readonly allowLoading: boolean;
  readonly isAdmin: boolean;
  readonly noMulti: boolean;
  readonly skipMonitor: boolean;
  readonly skipSlowlog: boolean;
  readonly isPubsub: boolean;
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly handler: Handler | null;
  readonly subcommands: Map<string, Command> | null;
  readonly parent: Command | null;
  /** statistics, for INFO commandstats */
  calls = 0;
  usec = 0;
  rejectedCalls = 0;
  failedCalls = 0;
  /** INFO latencystats: made on the first call while latency-tracking is on */
  latency: LatencyHistogram | null = null;

  constructor(readonly spec: CommandSpec, parent: Command | null = null) {
    const f = new Set(spec.flags);
    this.name = spec.name;
    this.parent = parent;
    this.fullName = parent ? `${parent.name}|${spec.name}` : spec.name;
    this.arity = spec.arity;
    this.isWrite = f.has('write');
    this.mayReplicate = this.isWrite || f.has('may_replicate');
    this.isFast = f.has('fast');
    this.isProtected = parent === null && spec.name === 'debug';
    this.denyOom = f.has('denyoom');
    this.noAuth = f.has('no_auth');
    this.allowLoading = f.has('loading');
    this.isAdmin = f.has('admin');
    this.noMulti = f.has('no_multi');
    this.skipMonitor = f.has('skip_monitor');
    this.skipSlowlog = f.has('skip_slowlog');
    this.isPubsub = f.has('pubsub');
    this.firstKey = spec.firstKey ?? 0;
    this.lastKey = spec.lastKey ?? 0;
    this.step = spec.step ?? (this.firstKey ? 1 : 0);
    this.handler = spec.handler ?? null;
    if (spec.subcommands) {
      this.subcommands = new Map();
      for (const s of spec.subcommands) this.subcommands.set(s.name, new Command(s, this));
    } else {
      this.subcommands = null;
    }
  }

  /** Indexes of the key arguments in argv. */
  keyIndexes(argv: string[]): number[] {
    if (this.spec.getKeys) return this.spec.getKeys(argv);
    if (this.firstKey === 0) return [];
    const last = this.lastKey < 0 ? argv.length + this.lastKey : this.lastKey;
    const out: number[] = [];
    for (let i = this.firstKey; i <= last && i < argv.length; i += this.step || 1) out.push(i);
    return out;
  }
}

export function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/**
 * Compact spec builder for the family tables:
 *   cmd('get', 2, 'readonly fast', [1, 1, 1], get, 'Get the value of a key', '1.0.0')
 */
export function cmd(
  name: string,
  arity: number,
  flags: string,
  keys: [number, number, number] | null,
  handler: Handler,
  summary: string,
  since: string,
  group: string,
  extra: Partial<CommandSpec> = {},
): CommandSpec {
  return {
    name,
    arity,
    flags: flags ? flags.split(' ') : [],
    firstKey: keys ? keys[0] : 0,
    lastKey: keys ? keys[1] : 0,
    step: keys ? keys[2] : 0,
    handler,
    summary,
    since,
    group,
    ...extra,
  };
}
