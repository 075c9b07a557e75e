/**
 * One client connection: parses what arrives, runs each complete command in order, and
 * writes all the replies of an event-loop turn in one socket write, at the end of the turn
 * (Server.scheduleTurnEnd).
 */
import type { Socket } from 'node:net';
import { ProtocolError, QueryBufferLimitError, RequestParser } from '../protocol/parser';
import { ReplyWriter } from '../protocol/reply';
import type { Db } from '../store/keyspace';
import type { Command } from '../commands/spec';
import type { Server } from './server';

/** how long replies still queued for a closed client may take to leave before the socket is dropped */
const CLOSE_GRACE_MS = 2000;
/** replies piled up past this during a batch are checked against client-output-buffer-limit */
const OUT_CHECK_BYTES = 64 * 1024;
/**
 * replies piled up past this are written at once rather than at the end of the turn: one turn
 * may read many chunks of a pipeline (after a slow command), and their replies must never
 * approach V8's longest string (2^29 - 24 chars)
 */
const WRITE_NOW_BYTES = 1024 * 1024;
/**
 * A client's share of one event-loop turn, in request bytes: past it the client yields (see
 * processInput). Redis reads at most 16 KB (PROTO_IOBUF_LEN) from a client per turn and runs
 * what that read holds, so a pipelining client delays the others by that much; Node would hand
 * over up to 32 reads of 64 KB in a row.
 */
const TURN_SHARE_BYTES = 16 * 1024;

export const enum ReplyMode {
  On,
  Off,
  /** drop the reply of the next command only */
  Skip,
  /** the command running now is the one SKIP drops (CLIENT REPLY SKIP in it arms the next) */
  SkipThis,
}

/** A key a client WATCHes; `expiredAtWatch`: it had already expired then (Redis's wk->expired). */
export interface WatchedKey {
  db: Db;
  key: string;
  expiredAtWatch: boolean;
}

export interface QueuedCommand {
  cmd: Command;
  argv: string[];
}

export class Client extends ReplyWriter {
  readonly id: number;
  readonly parser: RequestParser;
  db: Db;
  name = '';
  authenticated: boolean;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommand = 'NULL';
  readonly addr: string;
  readonly laddr: string;

  /** set when the client must not run more commands until something happens (blocked, paused) */
  blocked = false;
  /** why the client is blocked, for CLIENT LIST flags and INFO */
  blockedOn: 'pause' | 'list' | 'zset' | null = null;
  closing = false;
  closeAfterReply = false;
  replyMode = ReplyMode.On;
  /**
   * While a command whose replies CLIENT REPLY OFF|SKIP drops runs: the pub/sub frames it
   * wrote, which Redis sends anyway (see pushFrame).
   */
  keptPushes: string[] | null = null;

  /** MULTI state */
  inMulti = false;
  multiQueue: QueuedCommand[] = [];
  multiError = false;
  /** WATCHed keys became dirty: EXEC must fail */
  watchDirty = false;
  watched: WatchedKey[] = [];

  /** pub/sub */
  channels = new Set<string>();
  patterns = new Set<string>();
  /** SSUBSCRIBE: shard channels, a namespace of their own (no cluster: one shard) */
  shardChannels = new Set<string>();
  monitor = false;
  noEvict = false;
  /** when output first went over the soft client-output-buffer-limit, in unix seconds (0 = not over) */
  obufSoftSince = 0;

  /** the AOF offset this client's pending replies wait for (see AofPersistence's reply gate) */
  aofWait = 0;

  /** propagation override for the command being executed (see Server.call) */
  propArgv: string[] | null = null;
  preventProp = false;
  /** propagate even though nothing changed (FLUSHDB on an empty db, as Redis forces) */
  forceProp = false;

  /** islocalClient: a loopback or unix-socket connection ("local" of enable-debug-command and enable-protected-configs) */
  get isLocal(): boolean {
    return this.unixPath !== undefined || isLoopback(this.socket.remoteAddress);
  }

  /** `unixPath`: the socket file of a client connected through unixsocket */
  constructor(readonly server: Server, readonly socket: Socket, id: number, readonly unixPath?: string) {
    super();
    this.id = id;
    this.db = server.keyspace.dbs[0];
    this.authenticated = !server.requiresAuth();
    this.parser = new RequestParser({
      maxBulkLen: server.settings.maxStringLen,
      maxQueryBuffer: server.settings.clientQueryBufferLimit,
      authenticated: this.authenticated,
    });
    this.addr = unixPath !== undefined ? `${unixPath}:0` : `${formatHost(socket.remoteAddress)}:${socket.remotePort}`;
    this.laddr = unixPath !== undefined ? `${unixPath}:0` : `${formatHost(socket.localAddress)}:${socket.localPort}`;
    this.onError = server.countError;
  }

  /** channels and patterns and shard channels: any of them puts the client in pub/sub mode */
  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }

  setAuthenticated(v: boolean): void {
    this.authenticated = v;
    this.parser.limits.authenticated = v;
  }

  onData(chunk: Buffer): void {
    // closing after its replies (see close): what it sends meanwhile will never run
    if (this.closing) return;
    this.lastInteraction = Date.now();
    this.server.stats.netInputBytes += chunk.length;
    this.server.stats.readsProcessed++;
    try {
      this.parser.feed(chunk);
    } catch (e) {
      if (e instanceof QueryBufferLimitError) {
        this.server.log.warning(`Closing client that reached max query buffer length: ${this.describe()}`);
        this.close();
        return;
      }
      throw e;
    }
    this.runInput();
  }

  private runInput(): void {
    const server = this.server;
    server.batchClock = performance.now();
    try {
      this.processInput();
    } finally {
      server.batchClock = -1;
    }
    server.schedulePendingWrite(this);
  }

  /** processInput stopped at its turn's share: reading is paused until `resumeInput` has run the rest */
  private yielded = false;

  /**
   * Runs every complete command that has arrived, unless blocked; after TURN_SHARE_BYTES of
   * them, yields: stops reading from the socket and runs the rest at the end of the turn, after
   * the other clients' reads (and again, turn by turn, until they are all run).
   */
  processInput(): void {
    const parser = this.parser;
    const shareEnd = parser.buffered - TURN_SHARE_BYTES;
    while (!this.blocked && !this.closing && !this.closeAfterReply) {
      if (parser.buffered <= shareEnd && parser.buffered !== 0) {
        this.yieldInput();
        break;
      }
      let argv: string[] | null;
      try {
        argv = this.parser.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.error('ERR ' + e.message);
        this.server.log.verbose(`${e.message} from client: ${this.describe()}`);
        this.closeAfterReply = true;
        break;
      }
      if (argv === null) break;
      this.server.processCommand(this, argv);
      // a pipelined batch may pile up replies before its flush: the output limits apply meanwhile
      if (this.pendingOutput > OUT_CHECK_BYTES) {
        this.server.checkOutputBufferLimits(this);
        // written now, or set aside by the barrier holding it (sealOutput)
        if (this.pendingOutput > WRITE_NOW_BYTES) this.flush();
      }
    }
    // the read's bytes are not kept past here (they are borrowed: see RequestParser)
    this.parser.release();
  }

  private yieldInput(): void {
    if (this.yielded) return;
    this.yielded = true;
    this.socket.pause();
    setImmediate(this.resumeInput);
  }

  private readonly resumeInput = (): void => {
    this.yielded = false;
    // the turn's replies (other clients', and its own so far) go before its next share
    this.server.endTurnNow();
    if (this.closing) return;
    this.runInput();
    this.closeIfPeerEnded();
    if (!this.yielded && !this.closing) this.socket.resume();
  };

  /**
   * A client the write gate held while its peer shut down its sending side (see onPeerEnd),
   * once it has run all it had sent: answered, then closed; closed at once if it blocked.
   * Not while it is held again or has yielded (resumeInput checks again when it is done).
   */
  closeIfPeerEnded(): void {
    if (!this.peerEnded || this.closing || this.yielded || this.server.isGateHeld(this)) return;
    if (this.blocked) return this.close();
    this.closeAfterReply = true;
    this.server.schedulePendingWrite(this);
  }

  /**
   * The peer shut down its sending side (the socket allows half-open): what it sent is
   * answered, then the connection closes, as Redis has written those replies before it reads
   * the EOF. A blocked or paused client is closed at once, as Redis frees it; one held by a
   * snapshot's write gate runs what it sent once the gate opens, then closes.
   */
  onPeerEnd(): void {
    if (this.closing) return;
    if (this.blocked) {
      // held by a snapshot's write gate: Redis (no gate) would have run the command already
      if (this.server.isGateHeld(this)) {
        this.peerEnded = true;
        return;
      }
      return this.close();
    }
    this.closeAfterReply = true;
    this.server.schedulePendingWrite(this);
  }

  /** the peer shut down its sending side while the write gate held this client */
  peerEnded = false;

  /**
   * Output set aside, in order, ahead of `out`: replies held back by a durability barrier (the
   * AOF) while more keep coming, and big values (ReplyWriter's BIG_REPLY), so that `out` stays
   * far below V8's longest string. Written first by flush().
   */
  private parked: string[] = [];
  private parkedBytes = 0;
  /** times `parked` was handed to the socket (see silenced) */
  private flushes = 0;

  protected setAside(piece: string): void {
    if (piece.length === 0) return;
    this.parked.push(piece);
    this.parkedBytes += piece.length;
  }

  /** Bytes of replies produced and not yet handed to the socket. */
  get pendingOutput(): number {
    return this.out.length + this.parkedBytes;
  }


  /**
   * How many of `parked` a durability barrier held back as they were (see sealOutput), or -1.
   * Replies made after that may reveal later writes: they pass the barrier again.
   */
  private sealedParts = -1;

  /** A barrier holds the replies made so far: set them aside, apart from any made later. */
  sealOutput(): void {
    this.setAside(this.out);
    this.out = '';
    this.sealedParts = this.parked.length;
  }

  /** The barrier let the sealed replies go: writes them, and only them. */
  flushSealed(): void {
    if (this.sealedParts < 0 || this.closing) return;
    this.writeParked(this.sealedParts);
    this.server.stats.writesProcessed++;
    if (this.socket.writableLength !== 0) this.server.checkOutputBufferLimits(this);
  }

  /** Hands the first `n` set-aside pieces to the socket. */
  private writeParked(n: number): void {
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const chunk = this.parked[i];
      bytes += chunk.length;
      this.socket.write(chunk, 'latin1');
    }
    this.server.stats.netOutputBytes += bytes;
    this.parkedBytes -= bytes;
    this.parked = n === this.parked.length ? [] : this.parked.slice(n);
    this.sealedParts = -1;
    this.flushes++;
  }

  /** Drops every reply not yet written (the client is being closed). */
  discardOutput(): void {
    this.out = '';
    this.parked = [];
    this.parkedBytes = 0;
    this.sealedParts = -1;
    this.flushes++;
  }

  /** Sends what the batch produced, unless a durability barrier holds it back. */
  flush(): void {
    if (this.pendingOutput !== 0 && !this.closing) {
      if (this.server.replyGate !== null && this.server.replyGate(this)) return;
      this.writeParked(this.parked.length);
      const out = this.out;
      this.out = '';
      this.server.stats.netOutputBytes += out.length;
      this.server.stats.writesProcessed++;
      this.socket.write(out, 'latin1');
      // the kernel took less than all of it: the client may be one that does not read
      if (this.socket.writableLength !== 0) this.server.checkOutputBufferLimits(this);
    }
    if (this.closeAfterReply && !this.closing) this.close(true);
  }

  /**
   * Writes a pub/sub frame (confirmation or message), kept even when the running command's
   * replies are dropped, as Redis writes them with CLIENT_PUSHING.
   */
  pushFrame(frame: string): void {
    this.raw(frame);
    if (this.keptPushes !== null) this.keptPushes.push(frame);
  }

  /**
   * Runs `fn` with its replies dropped (CLIENT REPLY OFF|SKIP) but its pub/sub frames kept;
   * `drop()`, asked afterwards, may let the replies go after all (CLIENT REPLY ON answers).
   */
  silenced(fn: () => void, drop: () => boolean = () => true): void {
    // what came before is set aside, so whatever fn adds (to `out`, or set aside when big) can be cut off
    this.setAside(this.out);
    this.out = '';
    const mark = this.parked.length;
    const flushesBefore = this.flushes;
    const outer = this.keptPushes;
    // frames kept apart, not joined: two big messages would make a string past V8's longest
    const kept: string[] = [];
    this.keptPushes = kept;
    try {
      fn();
    } finally {
      // inside another silenced run, that one keeps these frames too
      if (outer !== null) for (const f of kept) outer.push(f);
      this.keptPushes = outer;
    }
    if (drop()) {
      // fn may have flushed this client (DEBUG LOADAOF, CONFIG SET appendonly no release the
      // replies held for the AOF): then every piece set aside since is fn's own
      const from = this.flushes === flushesBefore ? mark : 0;
      for (let i = from; i < this.parked.length; i++) this.parkedBytes -= this.parked[i].length;
      this.parked.length = from;
      this.out = '';
      for (const f of kept) this.raw(f);
    }
  }

  /**
   * Runs replies made outside the client's own command dispatch (a transaction's commands, a
   * served or ended block): dropped under CLIENT REPLY OFF, pub/sub frames kept, as for a
   * command (Server.processCommand).
   */
  underReplyMode(fn: () => void): void {
    // SkipThis here: the blocked command was the one CLIENT REPLY SKIP meant (Blocking.resume ends it)
    if (this.replyMode === ReplyMode.Off || (this.replyMode === ReplyMode.SkipThis && this.blocked)) this.silenced(fn);
    else fn();
  }

  /** Queues a push (pub/sub message) to be flushed at the end of the current turn. */
  push(): void {
    this.server.schedulePendingWrite(this);
  }

  close(afterWrite = false): void {
    if (this.closing) return;
    this.closing = true;
    if (afterWrite) {
      const socket = this.socket;
      socket.end();
      // Redis close()s the descriptor once the replies are out: a peer that keeps its side
      // open, or never reads them, must not hold the socket (nor a closed server's host) for good
      socket.once('finish', () => socket.destroy());
      const t = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      t.unref();
      socket.once('close', () => clearTimeout(t));
    } else {
      this.socket.destroy();
    }
    this.server.unlinkClient(this);
  }

  /** One line of CLIENT LIST / CLIENT INFO. */
  describe(): string {
    const now = Date.now();
    let flags = '';
    // in catClientInfoString's order; a client held by CLIENT PAUSE is blocked too (BLOCKED_PAUSE)
    if (this.monitor) flags += 'O';
    if (this.subscriptionCount > 0) flags += 'P';
    if (this.inMulti) flags += 'x';
    if (this.blocked) flags += 'b';
    if (this.watchDirty) flags += 'd';
    if (this.closeAfterReply) flags += 'c';
    if (this.closing) flags += 'A';
    if (this.unixPath !== undefined) flags += 'U';
    if (this.noEvict) flags += 'e';
    if (flags === '') flags = 'N';
    const qbuf = this.parser.queryBuffer;
    const omem = this.socket.writableLength;
    const cmd = this.lastCommand;
    return (
      `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=${(this.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1} ` +
      `name=${this.name} age=${Math.floor((now - this.createdAt) / 1000)} idle=${Math.floor((now - this.lastInteraction) / 1000)} ` +
      `flags=${flags} db=${this.db.id} sub=${this.channels.size} psub=${this.patterns.size} ssub=${this.shardChannels.size} ` +
      `multi=${this.inMulti ? this.multiQueue.length : -1} qbuf=${qbuf} qbuf-free=0 argv-mem=0 multi-mem=0 ` +
      `rbs=${qbuf > 1024 ? qbuf : 1024} rbp=${qbuf} obl=${this.out.length} oll=${omem > 0 ? 1 : 0} omem=${omem + this.parkedBytes} ` +
      `tot-mem=${qbuf + omem + this.pendingOutput + 1024} events=r${omem > 0 ? 'w' : ''} cmd=${cmd} user=default ` +
      `redir=-1 resp=${this.resp}`
    );
  }
}

function formatHost(h: string | undefined): string {
  if (!h) return '?';
  if (h.startsWith('::ffff:')) return h.slice(7);
  return h.includes(':') ? `[${h}]` : h;
}

/** A loopback peer address; none (a unix socket) counts as local too. */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return true;
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}
