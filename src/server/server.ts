/**
 * The server: listeners, clients, command dispatch (processCommand → call), the one
 * propagation stream every persistence consumer reads, and the cron that runs `hz` times a
 * second. The order of checks in processCommand is Redis 7.0's.
 */
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client, ReplyMode, isLoopback, type WatchedKey } from './client';
import { readShared } from './shared-reads';
import { Logger } from './log';
import { Keyspace, type Db, type Entry } from '../store/keyspace';
import type { Dict } from '../store/dict';
import { Command, arityOk } from '../commands/spec';
import { ERR_LOADING } from '../commands/args';
import { buildCommandTable, renameCommands } from '../commands/registry';
import { discardTransaction } from '../commands/transactions';
import { pruneScanCache } from '../commands/collscan';
import { redactSecrets } from './redact';
import type { Config } from '../config';
import { SlowLog, LatencyMonitor } from './slowlog';
import { PubSub } from './pubsub';
import { Blocking } from './blocking';
import type { RdbPersistence } from '../persistence/rdb-persistence';
import type { AofPersistence } from '../persistence/aof/aof';
import { removePidFile } from './process';
import { strerror } from '../persistence/fsutil';
import { LatencyHistogram } from './latency-histogram';
import { MAX_STRING_LENGTH } from '../util/limits';

export const KEEL_VERSION = '0.1.0';
/** The Redis version Keel answers as (clients and tools gate features on it). */
export const REDIS_VERSION = '7.0.15';

/** One write in canonical form, in the database it applies to. */
export interface PropagatedOp {
  db: number;
  argv: string[];
}
export type PropagationListener = (ops: PropagatedOp[]) => void;

/** Values read on hot paths, refreshed whenever the config changes. */
export interface Settings {
  protoMaxBulkLen: number;
  /** the longest argument or string value: proto-max-bulk-len, or V8's longest string when shorter */
  maxStringLen: number;
  clientQueryBufferLimit: number;
  maxclients: number;
  timeout: number;
  requirepass: string;
  slowlogSlowerThan: number;
  slowlogMaxLen: number;
  latencyThreshold: number;
  /** latency-tracking: per-command latency histograms for INFO latencystats */
  latencyTracking: boolean;
  latencyPercentiles: number[];
  hz: number;
  protectedMode: boolean;
  activeExpireEffort: number;
  enableDebugCommand: string;
  /** client-output-buffer-limit per class: bytes (0 = none) and soft seconds */
  obufLimits: Record<'normal' | 'pubsub', { hard: number; soft: number; softSeconds: number }>;
}

export interface Stats {
  startTime: number;
  connectionsReceived: number;
  rejectedConnections: number;
  commandsProcessed: number;
  netInputBytes: number;
  netOutputBytes: number;
  errorReplies: number;
  errorsByCode: Map<string, number>;
  /** socket reads and writes, for INFO total_reads_processed/total_writes_processed */
  readsProcessed: number;
  writesProcessed: number;
  /** time spent in the active expire cycle, for INFO expire_cycle_cpu_milliseconds */
  expireCycleMs: number;
  /** ops/sec samples, taken every 100ms by the cron */
  opsSamples: number[];
  opsSampleIdx: number;
  lastSampleTime: number;
  lastSampleCommands: number;
  inputSamples: number[];
  outputSamples: number[];
  lastSampleInput: number;
  lastSampleOutput: number;
}

const PUBSUB_RESP2_ALLOWED = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

export class Server {
  readonly log = new Logger();
  readonly keyspace: Keyspace;
  readonly commands: Map<string, Command>;
  /** every command under its own name, renamed or not: for reading files (lookupStoredCommand) */
  private readonly storedCommands: Map<string, Command>;
  readonly clients = new Map<number, Client>();
  readonly monitors = new Set<Client>();
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  readonly pubsub: PubSub = new PubSub(this);
  readonly blocking: Blocking = new Blocking(this);
  settings!: Settings;
  readonly stats: Stats;
  /** when set and it returns true, the client's replies wait (appendfsync always) */
  replyGate: ((c: Client) => boolean) | null = null;
  /** true when a write must wait for a snapshot to save the values it touches */
  writeGate: ((c: Client, cmd: Command, argv: string[]) => boolean) | null = null;
  readonly gatedClients: { c: Client; argv: string[] }[] = [];
  /** why write commands are refused right now (MISCONF), or null */
  writeRefusal: (() => string | null) | null = null;
  /** while true, data commands answer -LOADING */
  loading = false;
  /** RDB persistence (SAVE, BGSAVE, save rules, loading), attached at boot */
  rdb: RdbPersistence | null = null;
  /** the append-only file, attached at boot */
  aof: AofPersistence | null = null;
  /** unix seconds of the last successful save (LASTSAVE); startup counts, as in Redis */
  lastSaveTime = Math.floor(Date.now() / 1000);
  /** peak of used_memory seen by the cron, for INFO memory */
  peakMemory = 0;
  private lastObufSweep = 0;
  /** used_memory once started, before any data: INFO used_memory_startup */
  startupMemory = 0;
  /** 40 hex chars identifying this run (INFO run_id) */
  readonly runId = randomHex(40);
  readonly replId = randomHex(40);
  /** the port actually bound (useful with port 0) */
  port = 0;
  /** ids of the listeners' addresses actually bound */
  boundAddresses: string[] = [];
  /** commands running inside EXEC share one propagation unit */
  execDepth = 0;
  /** error replies of every call() so far: a call's own errors exclude those of the calls it made */
  private nestedCallErrors = 0;
  /** the client whose command is executing (keyspace events attribute to it) */
  currentClient: Client | null = null;
  /**
   * While a client's batch of pipelined commands runs: performance.now() at the end of the
   * previous command, which is when the next one starts (the parse in between is noise), so
   * timing a command costs one clock read instead of two. -1 outside a batch.
   */
  batchClock = -1;
  /**
   * Unix ms at which CLIENT PAUSE ends, 0 when clients are not paused. Kept in the keyspace,
   * where it also holds expiry back: see Keyspace.expiryPaused.
   */
  get clientsPausedUntil(): number {
    return this.keyspace.pausedUntil;
  }
  set clientsPausedUntil(until: number) {
    this.keyspace.pausedUntil = until;
  }
  clientsPauseWriteOnly = false;
  readonly pausedClients: { c: Client; argv: string[] }[] = [];
  /** run by SHUTDOWN / SIGTERM before the process or embedding closes; persistence adds its save here */
  readonly shutdownHooks: ((opts: { save: boolean | null; now: boolean; force: boolean }) => Promise<void> | void)[] = [];
  /** run once per cron tick */
  readonly cronHooks: (() => void)[] = [];
  /** extra INFO sections (persistence adds its own) */
  readonly infoProviders = new Map<string, () => [string, string | number][]>();

  private readonly listeners: PropagationListener[] = [];
  private pendingOps: PropagatedOp[] = [];
  private readonly netServers: net.Server[] = [];
  private cronTimer: NodeJS.Timeout | null = null;
  private nextClientId = 1;
  private readonly pendingWrites = new Set<Client>();
  private turnEndScheduled = false;
  private closed = false;
  private shutdownPromise: Promise<void> | null = null;
  /** resolves when the server has shut down (SHUTDOWN command, signal or close()) */
  readonly closedPromise: Promise<void>;
  /** the pid file written at startup (pidfile, or a daemon's default), removed on the way out */
  pidFile: string | null = null;
  private resolveClosed!: () => void;

  constructor(readonly config: Config) {
    this.refreshSettings();
    const self = this;
    this.keyspace = new Keyspace(config.num('databases'), {
      expired(db: Db, key: string) {
        self.alsoPropagate(db.id, ['DEL', key]);
        self.notifyKeyspaceEvent(NotifyClass.Expired, 'expired', key, db.id);
      },
      modified(db: Db, key: string) {
        if (self.watchedKeys.size !== 0) self.touchWatchedKey(db, key);
      },
      added(db: Db, key: string) {
        // RENAME, COPY, MOVE, RESTORE... as well as pushes: a waiter on the key may be served
        self.blocking.signalKeyReady(db, key);
        self.notifyKeyspaceEvent(NotifyClass.New, 'new', key, db.id);
      },
      missed(db: Db, key: string) {
        self.notifyKeyspaceEvent(NotifyClass.KeyMiss, 'keymiss', key, db.id);
      },
      dbReplaced(db: Db, previous: Dict<Entry>) {
        if (self.watchedKeys.size !== 0) self.touchWatchedDb(db, previous);
        self.blocking.signalDbReady(db);
      },
    });
    this.storedCommands = buildCommandTable();
    this.commands = config.renamedCommands.length ? renameCommands(this.storedCommands, config.renamedCommands) : this.storedCommands;
    const now = Date.now();
    this.stats = {
      startTime: now,
      connectionsReceived: 0,
      rejectedConnections: 0,
      commandsProcessed: 0,
      netInputBytes: 0,
      netOutputBytes: 0,
      errorReplies: 0,
      readsProcessed: 0,
      writesProcessed: 0,
      expireCycleMs: 0,
      errorsByCode: new Map(),
      opsSamples: new Array(16).fill(0),
      opsSampleIdx: 0,
      lastSampleTime: now,
      lastSampleCommands: 0,
      inputSamples: new Array(16).fill(0),
      outputSamples: new Array(16).fill(0),
      lastSampleInput: 0,
      lastSampleOutput: 0,
    };
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    config.onAnyChange(() => this.refreshSettings());
  }

  refreshSettings(): void {
    const c = this.config;
    this.settings = {
      protoMaxBulkLen: c.num('proto-max-bulk-len'),
      maxStringLen: Math.min(c.num('proto-max-bulk-len'), MAX_STRING_LENGTH),
      clientQueryBufferLimit: c.num('client-query-buffer-limit'),
      maxclients: c.num('maxclients'),
      timeout: c.num('timeout'),
      requirepass: c.str('requirepass'),
      slowlogSlowerThan: c.num('slowlog-log-slower-than'),
      slowlogMaxLen: c.num('slowlog-max-len'),
      latencyThreshold: c.num('latency-monitor-threshold'),
      latencyTracking: c.bool('latency-tracking'),
      latencyPercentiles: c.list('latency-tracking-info-percentiles').map(Number),
      hz: Math.min(500, Math.max(1, c.num('hz'))),
      protectedMode: c.bool('protected-mode'),
      activeExpireEffort: c.num('active-expire-effort'),
      enableDebugCommand: c.str('enable-debug-command'),
      obufLimits: c.clientOutputBufferLimits(),
    };
    this.pubsub.notifyFlags = c.num('notify-keyspace-events');
    this.notifyKeyspaceEvent = this.pubsub.notifyFlags === 0 ? noNotify : this.publishNotification;
    this.log.setLevel(c.str('loglevel'));
    this.log.file = c.path('logfile');
    this.slowlog.maxLen = this.settings.slowlogMaxLen;
    for (const cl of this.clients.values()) {
      cl.parser.limits.maxBulkLen = this.settings.maxStringLen;
      cl.parser.limits.maxQueryBuffer = this.settings.clientQueryBufferLimit;
    }
    if (this.cronTimer) this.startCron();
  }

  requiresAuth(): boolean {
    return this.settings.requirepass !== '';
  }

  readonly countError = (code: string): void => {
    this.stats.errorReplies++;
    this.stats.errorsByCode.set(code, (this.stats.errorsByCode.get(code) ?? 0) + 1);
  };

  // ---------------------------------------------------------------- listening

  async start(): Promise<void> {
    // as Redis refuses its config: a log nobody could read is no log
    if (this.log.file !== '') {
      try {
        fs.appendFileSync(this.log.file, '');
      } catch (e) {
        throw new Error(`Can't open the log file: ${strerror(e)}`);
      }
    }
    const port = this.config.num('port');
    const binds = this.config.list('bind');
    const backlog = this.config.num('tcp-backlog');
    let bound = port;
    for (const spec of binds) {
      const optional = spec.startsWith('-');
      const addr = optional ? spec.slice(1) : spec;
      const host = addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr;
      // half-open: a client that shuts down its sending side still gets its replies (onPeerEnd);
      // paused: accept() moves the connection to shared-buffer reads before its first read
      const srv = net.createServer({ noDelay: true, allowHalfOpen: true, pauseOnConnect: true }, (s) => this.accept(s));
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ host, port: bound, backlog, ipv6Only: host.includes(':') }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (optional && (err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT' || err.code === 'EPROTONOSUPPORT')) {
          this.log.notice(`Skipping optional bind address ${addr}: ${err.message}`);
          continue;
        }
        for (const s of this.netServers) s.close();
        throw new Error(`Could not create server TCP listening socket ${addr}:${bound}: ${err.message}`);
      }
      const a = srv.address() as net.AddressInfo;
      bound = a.port;
      this.boundAddresses.push(addr);
      this.netServers.push(srv);
    }
    if (this.netServers.length === 0) throw new Error('Failed listening on port ' + port + ' (tcp), aborting.');
    this.port = bound;
    this.startupMemory = usedMemory();
    const unix = this.config.str('unixsocket');
    if (unix !== '') await this.listenUnix(unix, backlog);
    this.startCron();
  }

  /** unixsocket: a listening socket file, replacing a stale one, with unixsocketperm's mode. */
  private async listenUnix(name: string, backlog: number): Promise<void> {
    // `name` as configured (bytes: CLIENT LIST shows it), `file` for the OS
    const file = this.config.path('unixsocket');
    try {
      fs.unlinkSync(file);
    } catch {
      /* none there, or not ours to remove: listen says which */
    }
    const srv = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.accept(s, name));
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ path: file, backlog }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const perm = this.config.num('unixsocketperm');
      if (perm !== 0) fs.chmodSync(file, perm);
    } catch (e) {
      srv.close();
      for (const s of this.netServers) s.close();
      throw new Error(`Failed opening Unix socket: ${(e as Error).message}`);
    }
    this.netServers.push(srv);
    this.unixSocket = file;
  }

  /** the socket file listened on (removed on the way out), or null */
  private unixSocket: string | null = null;

  private startCron(): void {
    if (this.cronTimer) clearInterval(this.cronTimer);
    this.cronTimer = setInterval(() => this.cron(), Math.max(1, Math.floor(1000 / this.settings.hz)));
    this.cronTimer.unref();
  }

  /** `unixPath`: the socket file a local client came in through */
  private accept(accepted: net.Socket, unixPath?: string): void {
    if (this.closed) {
      accepted.destroy();
      return;
    }
    if (this.clients.size >= this.settings.maxclients) return this.refuse(accepted, '-ERR max number of clients reached\r\n');
    if (this.settings.protectedMode && !this.requiresAuth() && !isLoopback(accepted.remoteAddress)) return this.refuse(accepted, PROTECTED_MODE_ERROR);
    this.adopt(accepted, unixPath);
  }

  /**
   * Answers a connection that may not stay with the error, then closes it once the error is
   * out, as Redis does. A peer that resets meanwhile is no error of the server's.
   */
  private refuse(accepted: net.Socket, why: string): void {
    this.stats.rejectedConnections++;
    accepted.on('error', () => accepted.destroy());
    accepted.resume();
    accepted.end(why, () => accepted.destroy());
  }

  /** A client for an accepted connection (which is left behind for the socket readShared makes). */
  private adopt(accepted: net.Socket, unixPath?: string): void {
    // as Redis, counted once accepted: refused connections count only as rejected_connections
    this.stats.connectionsReceived++;
    let client!: Client; // made below, before the first read can arrive
    const socket = readShared(accepted, (chunk) => client.onData(chunk));
    socket.setNoDelay(true);
    const keepalive = this.config.num('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    client = new Client(this, socket, this.nextClientId++, unixPath);
    this.clients.set(client.id, client);
    socket.on('end', () => client.onPeerEnd());
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // one write of the replies queued for a socket can take at most 2 GB (libuv): past that the
      // client is closed, as an output limit would close it, and said so
      if (e.code === 'ENOBUFS') this.log.warning(`Client ${client.describe()} closed: its pending replies are more than one socket write can take (${e.message})`);
      client.close();
    });
    socket.on('close', () => client.close());
  }

  /** Forgets a closed client everywhere. */
  unlinkClient(c: Client): void {
    this.clients.delete(c.id);
    this.monitors.delete(c);
    this.pendingWrites.delete(c);
    this.unwatchAll(c);
    if (c.subscriptionCount !== 0) this.pubsub.removeClient(c);
    if (c.blocked) this.blocking.remove(c);
    for (const hook of this.clientCloseHooks) hook(c);
  }
  readonly clientCloseHooks: ((c: Client) => void)[] = [];

  /** Writes a client's replies at the end of this turn (its own reads, pub/sub, unblocking). */
  schedulePendingWrite(c: Client): void {
    this.pendingWrites.add(c);
    this.scheduleTurnEnd();
  }

  /**
   * Runs the end-of-turn work once the event loop has handled every socket that was ready, as
   * Redis's beforeSleep does: the hooks (the AOF write), then every pending reply. One write
   * per client per turn, made after all the reading, keeps the peers from being woken once per
   * socket read (which costs more CPU than the command itself on loopback).
   */
  scheduleTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    setImmediate(this.endTurn);
  }

  /**
   * Runs the end-of-turn work now if it is pending: for work that runs at the end of the turn
   * itself (a snapshot's slice, a yielded client's next share), so that the replies ready
   * before it do not wait for it.
   */
  endTurnNow(): void {
    if (this.turnEndScheduled) this.endTurn();
  }

  /** end-of-turn work that must come before the replies go out (see scheduleTurnEnd) */
  readonly beforeRepliesHooks: (() => void)[] = [];

  private readonly endTurn = (): void => {
    this.turnEndScheduled = false;
    for (const hook of this.beforeRepliesHooks) hook();
    if (this.pendingWrites.size === 0) return;
    const list = [...this.pendingWrites];
    this.pendingWrites.clear();
    for (const c of list) c.flush();
  };

  // ---------------------------------------------------------------- dispatch

  /**
   * A command read from a file: by the name clients use, else by its own name. An AOF holds
   * both kinds after rename-command (a command is logged as the client called it, but one
   * rewritten for the log, such as SET ... PXAT, under its own name), and the commands a
   * rename removed still happened. Redis 7.0 refuses such an AOF at startup.
   */
  lookupStoredCommand(argv: string[]): Command | undefined {
    return this.lookupCommand(argv) ?? this.storedCommands.get(argv[0].toLowerCase());
  }

  lookupCommand(argv: string[]): Command | undefined {
    const name = argv[0];
    let cmd = this.commands.get(name);
    if (cmd === undefined) cmd = this.commands.get(name.toLowerCase());
    return cmd;
  }

  /**
   * Runs or queues one command. Under CLIENT REPLY OFF|SKIP whatever it answers is dropped,
   * errors included, except pub/sub frames (Client.pushFrame).
   */
  processCommand(c: Client, argv: string[]): void {
    const mode = c.replyMode;
    if (mode === ReplyMode.On) return this.dispatch(c, argv);
    if (mode === ReplyMode.Skip) c.replyMode = ReplyMode.SkipThis;
    // held (CLIENT PAUSE, the snapshot gate): it runs later, and SKIP still applies then
    const held = () => c.blocked && c.blockedOn === 'pause';
    // CLIENT REPLY ON answers, even in place of a skipped reply (Redis clears the flags first)
    c.silenced(
      () => this.dispatch(c, argv),
      () => !held() && (c.replyMode as ReplyMode) !== ReplyMode.On,
    );
    if (held()) c.replyMode = mode;
    // a command that blocked on keys keeps its SKIP for the reply it gives when the wait ends
    else if ((c.replyMode as ReplyMode) === ReplyMode.SkipThis && !c.blocked) c.replyMode = ReplyMode.On;
  }

  private dispatch(c: Client, argv: string[]): void {
    let cmd = this.lookupCommand(argv);
    if (cmd === undefined) {
      c.lastCommand = 'NULL'; // CLIENT LIST cmd=NULL, as Redis shows a failed lookup
      let args = '';
      for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${argv[i].slice(0, 128 - args.length)}' `;
      return this.reject(c, `ERR unknown command '${argv[0].slice(0, 128)}', with args beginning with: ${args}`);
    }
    if (cmd.subcommands !== null && argv.length >= 2) {
      const sub = cmd.subcommands.get(argv[1].toLowerCase());
      if (sub === undefined) {
        c.lastCommand = 'NULL';
        return this.reject(c, `ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try ${cmd.name.toUpperCase()} HELP.`);
      }
      cmd = sub;
    }
    c.lastCommand = cmd.fullName;
    if (!arityOk(cmd.arity, argv.length)) {
      cmd.rejectedCalls++;
      return this.reject(c, `ERR wrong number of arguments for '${cmd.fullName}' command`, cmd);
    }
    if (cmd.isProtected && !this.debugAllowed(c)) {
      cmd.rejectedCalls++;
      return this.reject(c, DEBUG_DENIED, cmd);
    }
    if (!c.authenticated && !cmd.noAuth) {
      cmd.rejectedCalls++;
      return this.reject(c, 'NOAUTH Authentication required.', cmd);
    }
    if (cmd.isWrite && this.writeRefusal !== null) {
      const why = this.writeRefusal();
      if (why !== null) {
        cmd.rejectedCalls++;
        return this.reject(c, why, cmd);
      }
    }
    if (c.resp === 2 && c.subscriptionCount > 0 && !PUBSUB_RESP2_ALLOWED.has(cmd.parent ? cmd.parent.name : cmd.name)) {
      cmd.rejectedCalls++;
      return this.reject(
        c,
        `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
        cmd,
      );
    }
    if (this.loading && !cmd.allowLoading) {
      cmd.rejectedCalls++;
      return this.reject(c, ERR_LOADING, cmd);
    }
    if (this.clientsPausedUntil !== 0 && this.mustPause(c, cmd)) {
      c.blocked = true;
      c.blockedOn = 'pause';
      this.pausedClients.push({ c, argv });
      return;
    }
    if (this.writeGate !== null && (!c.inMulti || cmd.name === 'exec') && this.writeGate(c, cmd, argv)) {
      // a snapshot must save a big value before this write may touch it
      c.blocked = true;
      c.blockedOn = 'pause';
      this.gatedClients.push({ c, argv });
      return;
    }
    if (c.inMulti && !MULTI_IMMEDIATE.has(cmd.name)) {
      if (cmd.noMulti) {
        cmd.rejectedCalls++;
        return this.reject(c, 'ERR Command not allowed inside a transaction', cmd);
      }
      c.multiQueue.push({ cmd, argv });
      c.status('QUEUED');
      return;
    }
    this.call(c, cmd, argv);
  }

  private debugAllowed(c: Client): boolean {
    const mode = this.settings.enableDebugCommand;
    return mode === 'yes' || (mode === 'local' && c.isLocal);
  }

  private mustPause(c: Client, cmd: Command): boolean {
    if (Date.now() >= this.clientsPausedUntil) {
      this.unpauseClients();
      return false;
    }
    if (!this.clientsPauseWriteOnly) return true;
    return cmd.mayReplicate || (c.inMulti && cmd.name === 'exec' && c.multiQueue.some((q) => q.cmd.mayReplicate));
  }

  isGateHeld(c: Client): boolean {
    return this.gatedClients.some((g) => g.c === c);
  }

  /** Re-runs clients held by the write gate (they are held again if still needed). */
  releaseGatedClients(): void {
    // called from inside a command (FLUSHALL aborting a snapshot), the held writes run after it,
    // so that they reach the AOF after it too, in the order they ran
    if (this.currentClient !== null) {
      queueMicrotask(() => this.releaseGatedClients());
      return;
    }
    const list = this.gatedClients.splice(0);
    for (const { c, argv } of list) {
      if (c.closing) continue;
      c.blocked = false;
      c.blockedOn = null;
      this.processCommand(c, argv);
      if (!c.blocked) c.processInput();
      c.closeIfPeerEnded();
      c.flush();
    }
  }

  unpauseClients(): void {
    this.clientsPausedUntil = 0;
    // CLIENT UNPAUSE: the held commands run after it, as Redis runs them from beforeSleep
    if (this.currentClient !== null) queueMicrotask(() => this.runPaused());
    else this.runPaused();
  }

  private runPaused(): void {
    if (this.clientsPausedUntil !== 0) return; // paused again meanwhile: they stay held
    const list = this.pausedClients.splice(0);
    for (const { c, argv } of list) {
      if (c.closing) continue;
      c.blocked = false;
      c.blockedOn = null;
      this.processCommand(c, argv);
      c.processInput();
      c.flush();
    }
  }

  /**
   * rejectCommand: an error instead of running `cmd`. Inside MULTI it dooms the transaction; a
   * rejected EXEC discards it.
   */
  private reject(c: Client, msg: string, cmd?: Command): void {
    if (cmd?.name === 'exec') {
      discardTransaction(c);
      return c.error(`EXECABORT Transaction discarded because of: ${msg.replace(/^ERR /, '')}`);
    }
    if (c.inMulti) c.multiError = true;
    c.error(msg);
  }

  /** Runs one command: timing, stats, MONITOR, slowlog and propagation. */
  call(c: Client, cmd: Command, argv: string[]): void {
    const ks = this.keyspace;
    const dirtyBefore = ks.dirty;
    c.propArgv = null;
    c.preventProp = false;
    c.forceProp = false;
    const timed = this.settings.slowlogSlowerThan >= 0 || this.settings.latencyThreshold > 0 || this.settings.latencyTracking;
    const t0 = timed ? (this.batchClock >= 0 ? this.batchClock : performance.now()) : 0;
    const prev = this.currentClient;
    this.currentClient = c;
    const errorsBefore = this.stats.errorReplies;
    const nestedBefore = this.nestedCallErrors;
    const outBefore = c.pendingOutput;
    const retry = this.blocking.isRetry(c);
    // the outermost command fixes the clock keys expire by, for itself and what it runs (EXEC)
    const outermost = !ks.inCommand;
    ks.inCommand = true;
    try {
      cmd.handler!(c, argv);
    } catch (e) {
      if (!isStringTooLong(e)) throw e;
      // a value or reply past V8's longest string: this command fails, the server goes on
      this.log.warning(`${cmd.fullName}: ${(e as Error).message} (client ${c.id})`);
      // a reply cut short cannot be taken back: the client is closed after the error
      if (c.pendingOutput !== outBefore) c.closeAfterReply = true;
      c.error(`ERR the reply or a value would be longer than the longest string Keel can hold (${MAX_STRING_LENGTH} bytes)`);
    } finally {
      if (outermost) {
        ks.inCommand = false;
        ks.commandTime = 0;
      }
    }
    this.currentClient = prev;
    // after the command, as Redis's call(): a SELECT shows its new db, EXEC follows its commands;
    // admin commands are not shown, nor a blocked command when it is served (it was, when it came)
    if (this.monitors.size !== 0 && !cmd.skipMonitor && !cmd.isAdmin && !retry) this.feedMonitors(c, argv);
    if (timed) {
      const t1 = performance.now();
      if (this.batchClock >= 0) this.batchClock = t1;
      const usec = Math.round((t1 - t0) * 1000);
      cmd.usec += usec;
      // a command that blocked is not done yet: it is recorded when it is served
      const done = !(c.blocked && c.blockedOn !== 'pause') || retry;
      // a served blocked command is logged with the arguments the client sent
      if (!cmd.skipSlowlog && done) this.slowlog.record(this.settings.slowlogSlowerThan, usec, retry ? this.blocking.sentArgv(c) ?? argv : argv, c);
      if (this.settings.latencyTracking && done) (cmd.latency ??= new LatencyHistogram()).record(usec);
      if (this.settings.latencyThreshold > 0 && usec / 1000 >= this.settings.latencyThreshold) {
        this.latency.add(cmd.isFast ? 'fast-command' : 'command', Math.round(usec / 1000));
      }
    }
    // its own errors, not those of the commands it ran (EXEC's), as Redis counts them; ">":
    // CONFIG RESETSTAT sets the counter back to 0, which is no failure of its own
    const errors = this.stats.errorReplies - errorsBefore;
    if (errors - (this.nestedCallErrors - nestedBefore) > 0) cmd.failedCalls++;
    if (errors > 0) this.nestedCallErrors += errors;
    // a served blocking command was counted when it blocked
    if (!retry) {
      cmd.calls++;
      this.stats.commandsProcessed++;
    }
    // ">", as call() clamps a negative change to 0: SAVE and DEBUG RELOAD reset the counter and are not logged
    if ((ks.dirty > dirtyBefore || c.forceProp) && !c.preventProp && this.listeners.length !== 0) {
      this.pendingOps.push({ db: c.db.id, argv: c.propArgv ?? argv });
    }
    if (this.execDepth === 0) {
      if (this.pendingOps.length !== 0) this.flushPropagation();
      if (this.blocking.hasReady) this.blocking.handleReady();
    }
  }

  // ---------------------------------------------------------------- propagation

  /** Subscribes a consumer (AOF, ...) to the stream of canonical writes. */
  addPropagationListener(l: PropagationListener): void {
    this.listeners.push(l);
  }

  removePropagationListener(l: PropagationListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** Queues an extra write for the current unit (lazy-expire DELs, rewritten commands). */
  alsoPropagate(db: number, argv: string[]): void {
    if (this.listeners.length === 0) return;
    this.pendingOps.push({ db, argv });
    if (this.currentClient === null && this.execDepth === 0) this.flushPropagation();
  }

  /** Hands the pending unit to consumers, wrapped in MULTI/EXEC when it holds several writes. */
  flushPropagation(): void {
    let ops = this.pendingOps;
    this.pendingOps = [];
    if (ops.length === 0) return;
    if (ops.length > 1) ops = [{ db: ops[0].db, argv: ['MULTI'] }, ...ops, { db: ops[ops.length - 1].db, argv: ['EXEC'] }];
    for (const l of this.listeners) l(ops);
  }

  // ---------------------------------------------------------------- WATCH

  /** db -> key -> watching clients, each with its entry in `c.watched` */
  readonly watchedKeys = new Map<Db, Map<string, Map<Client, WatchedKey>>>();

  watch(c: Client, db: Db, key: string, expiredAtWatch = false): void {
    let m = this.watchedKeys.get(db);
    if (!m) this.watchedKeys.set(db, (m = new Map()));
    let s = m.get(key);
    if (!s) m.set(key, (s = new Map()));
    if (s.has(c)) return;
    const w = { db, key, expiredAtWatch };
    s.set(c, w);
    c.watched.push(w);
  }

  unwatchAll(c: Client): void {
    for (const { db, key } of c.watched) {
      const m = this.watchedKeys.get(db);
      const s = m?.get(key);
      if (!s) continue;
      s.delete(c);
      if (s.size === 0) m!.delete(key);
      if (m!.size === 0) this.watchedKeys.delete(db);
    }
    c.watched = [];
    c.watchDirty = false;
  }

  /**
   * touchWatchedKey: the key changed. A key that had already expired when it was watched and
   * is now gone (deleted, or its expiry carried out) is no change: Redis clears the mark then.
   */
  private touchWatchedKey(db: Db, key: string): void {
    const s = this.watchedKeys.get(db)?.get(key);
    if (!s) return;
    for (const [c, w] of s) {
      if (w.expiredAtWatch && !db.dict.has(key)) {
        w.expiredAtWatch = false;
        continue;
      }
      c.watchDirty = true;
    }
  }

  /**
   * touchAllWatchedKeysInDb: a watched key changed if it was there before or is there now
   * (`previous` and `db.dict` as stored, due keys included). As Redis 7.0 judges it, a key that
   * had already expired when it was watched is no change when it is gone now or still expired,
   * and a missing key replaced by an expired one (SWAPDB) counts as watched-while-expired.
   */
  private touchWatchedDb(db: Db, previous: Dict<Entry>): void {
    const m = this.watchedKeys.get(db);
    if (!m) return;
    for (const [key, s] of m) {
      const before = previous.has(key);
      const after = db.dict.get(key);
      if (!before && after === undefined) continue;
      const afterExpired = after !== undefined && this.keyspace.isExpired(after);
      for (const [c, w] of s) {
        if (w.expiredAtWatch) {
          if (after === undefined) {
            w.expiredAtWatch = false;
            continue;
          }
          if (afterExpired) continue;
        } else if (!before && afterExpired) {
          w.expiredAtWatch = true;
          continue;
        }
        c.watchDirty = true;
      }
    }
  }

  // ---------------------------------------------------------------- keyspace notifications

  /** Drops a client's subscriptions (RESET). */
  pubsubResetClient(c: Client): void {
    this.pubsub.removeClient(c);
  }

  /** Raises a keyspace notification; a no-op until `notify-keyspace-events` enables classes. */
  notifyKeyspaceEvent: (cls: number, event: string, key: string, dbid: number) => void = noNotify;

  private readonly publishNotification = (cls: number, event: string, key: string, dbid: number): void => {
    this.pubsub.notify(cls, event, key, dbid);
  };

  /**
   * client-output-buffer-limit: a client whose pending output passes the hard limit, or
   * stays over the soft limit for soft-seconds, is disconnected instead of growing memory.
   */
  checkOutputBufferLimits(c: Client): void {
    const lim = this.settings.obufLimits[c.subscriptionCount > 0 ? 'pubsub' : 'normal'];
    if (lim.hard === 0 && lim.soft === 0) return;
    const used = c.pendingOutput + c.socket.writableLength;
    let over = lim.hard !== 0 && used >= lim.hard;
    if (!over && lim.soft !== 0) {
      if (used >= lim.soft) {
        // whole seconds, over and not at the limit: as Redis compares its unix-time clock
        const now = Math.floor(Date.now() / 1000);
        if (c.obufSoftSince === 0) c.obufSoftSince = now;
        else if (now - c.obufSoftSince > lim.softSeconds) over = true;
      } else {
        c.obufSoftSince = 0;
      }
    }
    if (over) {
      this.log.warning(`Client ${c.describe()} scheduled to be closed ASAP for overcoming of output buffer limits.`);
      c.discardOutput();
      c.close();
    }
  }

  // ---------------------------------------------------------------- MONITOR

  private feedMonitors(c: Client, argv: string[]): void {
    const now = Date.now();
    let line = `+${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')} [${c.db.id} ${c.addr}]`;
    for (const a of redactSecrets(argv)) line += ' "' + escapeMonitorArg(a) + '"';
    line += '\r\n';
    for (const m of this.monitors) {
      m.raw(line);
      if (m !== c) m.push();
    }
  }

  // ---------------------------------------------------------------- cron

  private cron(): void {
    const now = Date.now();
    const ks = this.keyspace;
    ks.lruClock = Math.floor(now / 1000) & 0xffffff;
    if (this.clientsPausedUntil !== 0 && now >= this.clientsPausedUntil) this.unpauseClients();
    // active expire: 25% of a tick's time at effort 1 (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC)
    const tickMs = 1000 / this.settings.hz;
    const effort = this.settings.activeExpireEffort;
    // not while loading: the rest of an AOF may still PERSIST a key its preamble holds expired
    if (!this.loading) {
      const t0 = performance.now();
      ks.activeExpireCycle((tickMs * (25 + 2 * (effort - 1))) / 100, effort);
      this.stats.expireCycleMs += performance.now() - t0;
    }
    if (this.pendingOps.length !== 0 && this.currentClient === null) this.flushPropagation();
    this.sampleStats(now);
    if (this.settings.timeout > 0) this.closeIdleClients(now);
    // a client over the soft output limit is dropped once its time is up, even if no more
    // output comes (Redis checks in its clients cron too)
    if (now - this.lastObufSweep >= 1000) {
      this.lastObufSweep = now;
      for (const c of this.clients.values()) if (c.obufSoftSince !== 0) this.checkOutputBufferLimits(c);
    }
    pruneScanCache(now);
    const mem = usedMemory();
    if (mem > this.peakMemory) this.peakMemory = mem;
    for (const hook of this.cronHooks) hook();
  }

  private sampleStats(now: number): void {
    const s = this.stats;
    const dt = now - s.lastSampleTime;
    if (dt < 100) return;
    const i = s.opsSampleIdx;
    s.opsSamples[i] = Math.round(((s.commandsProcessed - s.lastSampleCommands) * 1000) / dt);
    s.inputSamples[i] = ((s.netInputBytes - s.lastSampleInput) * 1000) / dt;
    s.outputSamples[i] = ((s.netOutputBytes - s.lastSampleOutput) * 1000) / dt;
    s.opsSampleIdx = (i + 1) % 16;
    s.lastSampleTime = now;
    s.lastSampleCommands = s.commandsProcessed;
    s.lastSampleInput = s.netInputBytes;
    s.lastSampleOutput = s.netOutputBytes;
  }

  private closeIdleClients(now: number): void {
    const limit = this.settings.timeout * 1000;
    for (const c of this.clients.values()) {
      if (c.blocked && c.blockedOn !== 'pause') continue;
      if (c.subscriptionCount > 0 || c.monitor) continue;
      if (now - c.lastInteraction > limit) {
        this.log.verbose('Closing idle client');
        c.close();
      }
    }
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Stops the server: runs shutdown hooks (the save on shutdown), then closes listeners and
   * clients. A hook that throws aborts the shutdown unless `force`.
   */
  shutdown(opts: { save: boolean | null; now: boolean; force: boolean } = { save: null, now: false, force: false }): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    // while the dataset loads, what is in memory is not the dataset: saving it would replace
    // the file being loaded with part of it (Redis forces NOSAVE here too, even for SAVE)
    if (this.loading) opts = { ...opts, save: false };
    const run = async () => {
      this.log.warning('User requested shutdown...');
      for (const hook of this.shutdownHooks) await hook(opts);
      this.teardown();
      this.log.warning('Redis is now ready to exit, bye bye...');
    };
    this.shutdownPromise = run().catch((e) => {
      this.shutdownPromise = null;
      throw e;
    });
    return this.shutdownPromise;
  }

  /**
   * An error the server cannot go on after (the AOF cannot be written under appendfsync
   * always, so a write can be neither acknowledged nor undone): log it and exit, as Redis does.
   */
  fatal(msg: string): void {
    this.log.warning(msg);
    if (this.exitOnFatal) process.exit(1);
    // embedded: this server stops at once, without saving; its host goes on (`closed` settles)
    this.log.warning('Stopping this embedded server; its host process goes on.');
    this.shutdown({ save: false, now: true, force: true }).catch(() => this.teardown());
  }

  /** keel-server exits on a fatal error, as redis-server does; an embedded server only stops */
  exitOnFatal = false;

  /** Releases sockets and timers without running shutdown hooks. */
  teardown(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.cronTimer) clearInterval(this.cronTimer);
    this.cronTimer = null;
    for (const s of this.netServers) s.close();
    for (const c of [...this.clients.values()]) {
      c.flush();
      c.close(true);
    }
    // closing the listener removed the socket file
    if (this.unixSocket !== null) this.log.notice('Removing the unix socket file.');
    if (this.pidFile !== null) removePidFile(this.pidFile, this.log);
    this.resolveClosed();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** Keyspace notification classes (notify-keyspace-events flags). */
export const enum NotifyClass {
  Keyspace = 1 << 0,
  Keyevent = 1 << 1,
  Generic = 1 << 2,
  String = 1 << 3,
  List = 1 << 4,
  Set = 1 << 5,
  Hash = 1 << 6,
  Zset = 1 << 7,
  Expired = 1 << 8,
  Evicted = 1 << 9,
  Stream = 1 << 10,
  KeyMiss = 1 << 11,
  Loaded = 1 << 12,
  Module = 1 << 13,
  New = 1 << 14,
}

function noNotify(): void {}

/** What INFO reports as used_memory: the JS heap plus buffers held outside it. */
export function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function randomHex(n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

const DEBUG_DENIED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

function escapeMonitorArg(a: string): string {
  let out = '';
  for (let i = 0; i < a.length; i++) {
    const ch = a.charCodeAt(i);
    if (ch === 92) out += '\\\\';
    else if (ch === 34) out += '\\"';
    else if (ch === 10) out += '\\n';
    else if (ch === 13) out += '\\r';
    else if (ch === 9) out += '\\t';
    else if (ch === 7) out += '\\a';
    else if (ch === 8) out += '\\b';
    else if (ch < 32 || ch > 126) out += '\\x' + ch.toString(16).padStart(2, '0');
    else out += a[i];
  }
  return out;
}

const PROTECTED_MODE_ERROR =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. ' +
  'In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: ' +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
  "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
  '3) If you started the server manually just for testing, restart it with the \'--protected-mode no\' option. ' +
  '4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n';

/** The errors V8 and Node throw for a string past the longest they can make. */
function isStringTooLong(e: unknown): boolean {
  if (e instanceof RangeError && e.message === 'Invalid string length') return true;
  return (e as { code?: string } | null)?.code === 'ERR_STRING_TOO_LONG';
}
