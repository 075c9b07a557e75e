/**
 * Embedding API: run a Keel server inside a Node process.
 *
 *   import { startServer } from 'keel';
 *   const s = await startServer({ port: 0, dir: './data' });
 *   console.log(s.port);
 *   await s.close();
 *
 * Options are redis.conf directive names with their config-file values
 * (`{ save: '', appendonly: 'yes', 'maxclients': 100 }`).
 */
import { Config } from './config';
import { Server } from './server/server';
import { boot } from './server/boot';

export type ServerOptions = Record<string, string | number | boolean | string[]>;

export interface KeelServer {
  /** the TCP port the server listens on (the real one when `port: 0`) */
  readonly port: number;
  /** the server internals, for advanced embedding and tests */
  readonly server: Server;
  /** Shuts down as SHUTDOWN does (saving when save rules are set), then releases the port. */
  close(opts?: { save?: boolean }): Promise<void>;
  /** resolves once the server has stopped, whoever stopped it */
  readonly closed: Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<KeelServer> {
  const config = Config.fromOptions(options);
  const server = await boot(config);
  return {
    get port() {
      return server.port;
    },
    server,
    closed: server.closedPromise,
    async close(opts = {}) {
      if (server.isClosed) return;
      await server.shutdown({ save: opts.save ?? null, now: false, force: false });
    },
  };
}

export { Server, Config };
