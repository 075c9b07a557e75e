#!/usr/bin/env node
/**
 * `keel-server [keel.conf] [--directive value ...]` (also `keel server ...`): the
 * redis-server command line. Loads the config file, then the overrides, boots, and shuts
 * down cleanly on SIGTERM / SIGINT or SHUTDOWN.
 */
import { spawn } from 'node:child_process';
import { Config, parseServerArgs, loadConfigFile, loadConfigFromString, ConfigFileError } from './config';
import type { ShutdownFlags } from './config/directives';
import { boot } from './server/boot';
import { procTitle } from './server/process';
import { KEEL_VERSION, REDIS_VERSION, type Server } from './server/server';

const USAGE = `Usage: keel-server [/path/to/keel.conf] [options] [-]
       keel-server - (read config from stdin)
       keel-server -v or --version
       keel-server -h or --help

Options are redis.conf directives written as --name value, after the config file:
  keel-server --port 7777
  keel-server /etc/keel/6379.conf --loglevel verbose
  keel-server --port 7777 --save "" --appendonly yes --dir ./data
  keel-server /etc/redis/redis.conf --port 7000 --daemonize no
`;

export async function runServerCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseServerArgs>;
  try {
    parsed = parseServerArgs(argv);
  } catch (e) {
    if (!(e instanceof ConfigFileError)) throw e;
    process.stderr.write(e.message + '\n');
    return 1;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`Keel server v=${KEEL_VERSION} (Redis ${REDIS_VERSION} compatible)\n`);
    return 0;
  }
  const config = new Config();
  let stdinConfig: string | null = null;
  try {
    if (parsed.configFile) loadConfigFile(parsed.configFile, config);
    if (parsed.stdin) {
      const text = await readStdin();
      stdinConfig = text;
      loadConfigFromString(text, config, 'stdin');
    }
    if (parsed.directivesText) loadConfigFromString(parsed.directivesText, config, '(command line)');
  } catch (e) {
    if (e instanceof ConfigFileError) {
      process.stderr.write(e.message + '\n');
      return 1;
    }
    throw e;
  }
  // a bad configuration is reported on the terminal; everything after that goes to the log
  if (config.bool('daemonize') && process.env[DAEMON_ENV] !== '1') return daemonize(stdinConfig);
  // the handlers go in before the data loads: a signal while loading shuts down without saving
  let server: Server | null = null;
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (server === null || (signals > 1 && name === 'SIGINT')) {
      server?.log.warning('You insist... exiting now.');
      process.exit(1);
    }
    if (server.loading) server.log.warning('Received shutdown signal during loading, scheduling shutdown.');
    else server.log.warning(`Received ${name} scheduling shutdown...`);
    const f = config.get(name === 'SIGTERM' ? 'shutdown-on-sigterm' : 'shutdown-on-sigint') as ShutdownFlags;
    server.shutdown({ save: f.save ? true : f.nosave ? false : null, now: f.now, force: f.force }).catch((e: unknown) => {
      signals = 0;
      server?.log.warning(`Errors trying to shut down the server. Check the logs for more information. (${e instanceof Error ? e.message : e})`);
    });
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGHUP', () => {}); // ignored, as redis-server ignores it
  try {
    server = await boot(config, (s) => {
      server = s;
      s.exitOnFatal = true;
    });
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (config.bool('set-proc-title')) {
    const s = server;
    const setTitle = () => {
      process.title = procTitle(config, s.port);
    };
    setTitle();
    config.onChange('proc-title-template', setTitle);
  }
  await server.closedPromise;
  return 0;
}

/** set in the environment of the process a daemonizing server starts */
const DAEMON_ENV = 'KEEL_DAEMONIZED';

/**
 * daemonize yes: Node cannot fork, so the server starts itself again, detached, with the same
 * command line (and the same configuration on stdin when it was read from there), and this
 * process exits at once, as redis-server's parent does after fork().
 */
async function daemonize(stdinConfig: string | null): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: [stdinConfig === null ? 'ignore' : 'pipe', 'ignore', 'ignore'],
    env: { ...process.env, [DAEMON_ENV]: '1' },
  });
  child.unref();
  if (stdinConfig !== null) await new Promise<void>((resolve) => child.stdin!.end(stdinConfig, resolve));
  return 0;
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    process.stdin.setEncoding('latin1');
    process.stdin.on('data', (d) => (s += d));
    process.stdin.on('end', () => resolve(s));
    process.stdin.on('error', reject);
  });
}

if (require.main === module) {
  runServerCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
