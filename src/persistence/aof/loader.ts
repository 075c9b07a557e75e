/**
 * Replays AOF files into the keyspace, as Redis's loadSingleAppendOnlyFile does: an optional
 * RDB preamble, then each command run by a client that has no connection. Commands inside
 * MULTI are held until EXEC, so a transaction cut off by a crash is never half applied.
 *
 * A file that ends inside a command (a crash mid-write), or inside a MULTI, is "truncated":
 * when it is the last file and aof-load-truncated is on, the file is cut back to its last
 * complete command and loading goes on. Anything else is an AofLoadError that names the file
 * and offset; the server must not start on it.
 */
import fs from 'node:fs';
import type { Socket } from 'node:net';
import type { Server } from '../../server/server';
import { Client } from '../../server/client';
import { arityOk, type Command } from '../../commands/spec';
import { AofCommandReader, AofParseError, hasRdbPreamble } from './reader';
import type { RdbLoader } from '../rdb-persistence';
import { RdbError } from '../rdb/reader';
import { readFileShared } from '../rdb/parallel-crc';

export class AofLoadError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A client with no connection: replies are produced and dropped. */
const NO_SOCKET = {
  remoteAddress: undefined,
  remotePort: 0,
  localAddress: undefined,
  localPort: 0,
  writableLength: 0,
  write: () => true,
  end: () => undefined,
  destroy: () => undefined,
} as unknown as Socket;

export function loaderClient(server: Server): Client {
  const c = new Client(server, NO_SOCKET, 0);
  c.setAuthenticated(true);
  c.onError = null;
  return c;
}

export interface FileLoadResult {
  commands: number;
  /** set when the file was cut back to this length */
  truncatedAt: number | null;
  empty: boolean;
}

export class AofFileLoader {
  private reader: AofCommandReader | null = null;
  private rdb: RdbLoader | null = null;
  private readonly client: Client;
  private readonly buf: Buffer;
  private commands = 0;
  private multi: string[][] | null = null;
  /** the offset before the MULTI being collected: where to cut if it never ends */
  private beforeMulti = 0;

  constructor(
    private readonly server: Server,
    readonly file: string,
    private readonly isLast: boolean,
    private readonly hint: string,
    /** only the first file (the BASE) may start with an RDB preamble */
    isFirst: boolean,
  ) {
    try {
      this.buf = readFileShared(file);
    } catch (e) {
      throw new AofLoadError(`Fatal error: can't open the append log file ${file} for reading: ${(e as Error).message}`, file, 0);
    }
    this.client = loaderClient(server);
    if (isFirst && hasRdbPreamble(this.buf)) {
      server.log.notice(`Reading RDB base file on AOF loading...`);
      this.rdb = server.rdb!.loaderFor(this.buf, true);
    } else {
      this.reader = new AofCommandReader(this.buf);
    }
  }

  get size(): number {
    return this.buf.length;
  }

  /** How far the loader has read, for INFO loading_loaded_bytes. */
  get position(): number {
    return this.reader ? this.reader.pos : 0;
  }

  /** Gives the load up (the server is closing): stops the preamble's worker thread. */
  abort(): void {
    this.rdb?.abort();
  }

  /** Loads for up to `budgetMs`; returns the result when the file is done. */
  step(budgetMs: number): FileLoadResult | null {
    if (this.buf.length === 0) return { commands: 0, truncatedAt: null, empty: true };
    const t0 = performance.now();
    if (this.rdb) {
      let r;
      try {
        r = this.rdb.step(budgetMs);
      } catch (e) {
        const off = e instanceof RdbError ? e.offset : 0;
        throw new AofLoadError(`Error reading the RDB preamble of the AOF file ${this.file}, AOF loading aborted: ${(e as Error).message}`, this.file, off);
      }
      if (r === null) return null;
      this.server.log.notice(`Reading the remaining AOF tail...`);
      this.rdb = null;
      this.reader = new AofCommandReader(this.buf, r.end);
    }
    const reader = this.reader!;
    const ks = this.server.keyspace;
    ks.loading = true;
    try {
      for (let n = 0; ; n++) {
        if ((n & 1023) === 1023 && performance.now() - t0 >= budgetMs) return null;
        let argv: string[] | null;
        try {
          argv = reader.next();
        } catch (e) {
          if (!(e instanceof AofParseError)) throw e;
          if (e.kind === 'truncated') return this.truncated(this.multi ? this.beforeMulti : e.offset, e.reason);
          throw new AofLoadError(
            `Bad file format reading the append only file ${this.file} at offset ${e.offset}: ${e.reason}. ` +
              `Make a backup of your AOF file, then use ${this.hint}`,
            this.file,
            e.offset,
          );
        }
        if (argv === null) break;
        this.run(argv, reader.start);
      }
    } finally {
      ks.loading = false;
    }
    if (this.multi) {
      this.server.log.warning(`Revert incomplete MULTI/EXEC transaction in AOF file ${this.file}`);
      return this.truncated(this.beforeMulti, 'unfinished MULTI/EXEC transaction');
    }
    return { commands: this.commands, truncatedAt: null, empty: false };
  }

  private run(argv: string[], offset: number): void {
    const server = this.server;
    let cmd: Command | undefined = server.lookupStoredCommand(argv);
    if (cmd !== undefined && cmd.subcommands !== null && argv.length >= 2) cmd = cmd.subcommands.get(argv[1].toLowerCase());
    if (cmd === undefined || cmd.handler === undefined) {
      throw new AofLoadError(`Unknown command '${argv[0].slice(0, 128)}' reading the append only file ${this.file} at offset ${offset}`, this.file, offset);
    }
    if (!arityOk(cmd.arity, argv.length)) {
      throw new AofLoadError(`Wrong number of arguments for '${cmd.fullName}' reading the append only file ${this.file} at offset ${offset}`, this.file, offset);
    }
    this.commands++;
    if (cmd.name === 'multi') {
      // a MULTI inside a transaction fails there and the queue goes on, as when Redis replays it
      if (this.multi !== null) {
        this.server.log.warning(`== CRITICAL == This server is sending an error to its AOF-loading-client: 'MULTI calls can not be nested' after processing the command 'multi' (${this.file} at offset ${offset})`);
        return;
      }
      this.multi = [];
      this.beforeMulti = offset;
      return;
    }
    if (cmd.name === 'exec') {
      const queued = this.multi ?? [];
      this.multi = null;
      for (const q of queued) this.exec(q);
      return;
    }
    if (this.multi) {
      this.multi.push(argv);
      return;
    }
    this.exec(argv, cmd);
  }

  private exec(argv: string[], cmd = this.server.lookupStoredCommand(argv)!): void {
    if (cmd.subcommands !== null && argv.length >= 2) cmd = cmd.subcommands.get(argv[1].toLowerCase()) ?? cmd;
    const server = this.server;
    const prev = server.currentClient;
    server.currentClient = this.client;
    try {
      cmd.handler!(this.client, argv);
    } finally {
      server.currentClient = prev;
      this.client.discardOutput();
    }
  }

  private truncated(validUpTo: number, reason: string): FileLoadResult {
    const { server, file } = this;
    if (!this.isLast) {
      throw new AofLoadError(
        `Fatal error: the AOF file ${file} is truncated at offset ${validUpTo} (${reason}) but it is not the last file. Use ${this.hint}`,
        file,
        validUpTo,
      );
    }
    if (!server.config.bool('aof-load-truncated')) {
      throw new AofLoadError(
        `Unexpected end of file reading the append only file ${file} at offset ${validUpTo} (${reason}). You can: ` +
          `1) Make a backup of your AOF file, then use ${this.hint}. ` +
          `2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
        file,
        validUpTo,
      );
    }
    server.log.warning(`!!! Warning: short read while loading the AOF file ${file}!!!`);
    server.log.warning(`!!! Truncating the AOF ${file} at offset ${validUpTo} !!!`);
    try {
      fs.truncateSync(file, validUpTo);
    } catch (e) {
      throw new AofLoadError(`Error truncating the AOF file ${file}: ${(e as Error).message}`, file, validUpTo);
    }
    server.log.warning(`AOF ${file} loaded anyway because aof-load-truncated is enabled`);
    return { commands: this.commands, truncatedAt: validUpTo, empty: false };
  }
}
