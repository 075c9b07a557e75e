#!/usr/bin/env node
/**
 * `keel <subcommand>`: the command-line face of Keel.
 */
import { runServerCli } from './server-cli';
import { KEEL_VERSION, REDIS_VERSION } from './server/server';
import { runCheckAof } from './tools/check-aof';
import { runCheckRdb } from './tools/check-rdb';
import { runRdbJson } from './tools/rdb-json';

const HELP = `Usage: keel <command> [arguments]

Commands:
  server [keel.conf] [--directive value ...]
                     Start a server. Takes the same arguments as redis-server:
                     an optional config file, then overrides such as
                     --port 7000 --save "" --appendonly yes --dir ./data
  check-rdb <file>   Check an RDB file like redis-check-rdb: report its version,
                     AUX fields and key counts, or the offset and reason of the
                     first error (exit 1). Data Keel cannot load (streams,
                     modules, functions) is reported as unsupported, not corrupt.
  check-aof [--fix [--yes]] [--truncate-to-timestamp <ts>] <file.manifest|file.aof>
                     Check an AOF like redis-check-aof: a manifest and every
                     BASE/INCR file it lists, or one (old-style) AOF file; exit 1
                     on the first error, with its offset. --fix truncates the
                     last file to its last valid command after asking
                     "Continue? [y/N]" (--yes answers y); --truncate-to-timestamp
                     cuts at the first #TS annotation later than <ts>.
  rdb <file> [--json]
                     Print every key of an RDB file as one JSON line:
                     {"db":0,"key":..,"type":"string|list|set|zset|hash",
                      "expireAt":<unix ms>|null,"value":..}
                     list/set: [..]; hash: [[field,value],..];
                     zset: [[member,score],..] (score "inf"/"-inf" if infinite).
                     Byte strings are JSON strings when valid UTF-8, otherwise
                     {"base64":".."}. Expired keys are listed too.
  help               Show this help.
  version            Show the version.

Examples:
  keel server --port 6379 --dir ./data
  keel server ./keel.conf --loglevel verbose
  keel check-rdb ./data/dump.rdb
  keel check-aof --fix ./data/appendonlydir/appendonly.aof.manifest
  keel rdb ./data/dump.rdb | jq -c 'select(.type == "hash")'
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
    case 'check-rdb':
      return runCheckRdb(rest);
    case 'check-aof':
      return runCheckAof(rest);
    case 'rdb':
      return runRdbJson(rest);
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
