#!/usr/bin/env node
/**
 * `keel <subcommand>`: the command-line face of Keel.
 */
import { runServerCli } from './server-cli';
import { KEEL_VERSION, REDIS_VERSION } from './server/server';

const HELP = `Usage: keel <command> [arguments]

Commands:
  server [keel.conf] [--directive value ...]
                     Start a server. Takes the same arguments as redis-server:
                     an optional config file, then overrides such as
                     --port 7000 --save "" --appendonly yes --dir ./data
  help               Show this help.
  version            Show the version.

Examples:
  keel server --port 6379 --dir ./data
  keel server ./keel.conf --loglevel verbose
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return cmd === undefined ? 1 : 0;
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`Keel v=${KEEL_VERSION} (Redis ${REDIS_VERSION} compatible)\n`);
      return 0;
    case 'server':
      return runServerCli(rest);
    default:
      process.stderr.write(`keel: unknown command '${cmd}'\n\n${HELP}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
