/**
 * Startup: build the server from a config, load persisted data, start listening, log as
 * Redis does. Shared by the CLI and the embedding API.
 */
import type { Config } from '../config';
import { Server, KEEL_VERSION, REDIS_VERSION } from './server';
import { RdbPersistence } from '../persistence/rdb-persistence';
import { AofPersistence } from '../persistence/aof/aof';
import { manageOomScoreAdj, writePidFile } from './process';
import { ensureDir } from '../persistence/fsutil';

/** `onCreated` sees the server before it loads its data (the CLI's signal handlers need it). */
export async function boot(config: Config, onCreated?: (server: Server) => void): Promise<Server> {
  const server = new Server(config);
  onCreated?.(server);
  const log = server.log;
  log.notice('oO0OoO0OoO0Oo Keel is starting oO0OoO0OoO0Oo');
  log.notice(`Keel version=${KEEL_VERSION} (Redis ${REDIS_VERSION} compatible), bits=64, pid=${process.pid}, just started`);
  manageOomScoreAdj(config, log);
  // a failure is logged too: a daemonized server has no terminal to say it on
  const fail = (e: unknown): never => {
    log.warning(e instanceof Error ? e.message : String(e));
    server.teardown();
    throw e;
  };
  try {
    // made when missing (Redis requires it to exist): the embedded defaults keep data in ./data
    ensureDir(config.path('dir'), 'the working directory');
  } catch (e) {
    fail(e);
  }
  server.rdb = new RdbPersistence(server);
  server.aof = new AofPersistence(server);
  try {
    await server.start();
  } catch (e) {
    fail(e);
  }
  // once listening, as Redis writes it: a server that failed to start leaves no pid file
  server.pidFile = writePidFile(config, log);
  log.notice(`Server initialized`);
  log.notice(`Ready to accept connections tcp on port ${server.port}`);
  if (config.str('unixsocket') !== '') log.notice(`The server is now ready to accept connections at ${config.str('unixsocket')}`);
  // clients can connect while the dataset loads; data commands get -LOADING meanwhile
  try {
    // with appendonly yes the AOF is the dataset and dump.rdb is not read, as in Redis
    if (config.bool('appendonly')) await server.aof.loadAtStartup();
    else await server.rdb.loadAtStartup();
  } catch (e) {
    fail(e);
  }
  return server;
}
