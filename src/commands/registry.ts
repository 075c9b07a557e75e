/**
 * The command table: every family module's specs, keyed by lowercase name (and the
 * uppercase spelling, so the common case skips toLowerCase on the hot path).
 */
import { Command, type CommandSpec } from './spec';
import { commands as connection } from './connection';
import { commands as strings } from './strings';
import { commands as keys } from './keys';
import { commands as server } from './server';
import { commands as lists } from './lists';
import { commands as hashes } from './hashes';
import { commands as sets } from './sets';
import { commands as zsets } from './zsets';
import { commands as transactions } from './transactions';
import { commands as pubsub } from './pubsub';
import { commands as persistence } from './persistence';
import { commands as sort } from './sort';

export const families: readonly (readonly CommandSpec[])[] = [
  connection,
  strings,
  keys,
  server,
  lists,
  hashes,
  sets,
  zsets,
  transactions,
  pubsub,
  persistence,
  sort,
];

export function buildCommandTable(): Map<string, Command> {
  const table = new Map<string, Command>();
  for (const family of families) {
    for (const spec of family) {
      if (table.has(spec.name)) throw new Error(`command ${spec.name} defined twice`);
      const cmd = new Command(spec);
      table.set(spec.name, cmd);
    }
  }
  for (const [name, cmd] of [...table]) table.set(name.toUpperCase(), cmd);
  return table;
}

/**
 * The table clients see after rename-command lines (already checked by the configuration):
 * the same Command objects under their new names, or gone when renamed to ''.
 */
export function renameCommands(table: Map<string, Command>, renames: readonly [string, string][]): Map<string, Command> {
  const out = new Map<string, Command>();
  for (const cmd of uniqueCommands(table)) out.set(cmd.name, cmd);
  for (const [from, to] of renames) {
    const cmd = out.get(from.toLowerCase());
    if (cmd === undefined) throw new Error(`rename-command: no command ${from}`);
    out.delete(from.toLowerCase());
    if (to !== '') out.set(to.toLowerCase(), cmd);
  }
  for (const [name, cmd] of [...out]) out.set(name.toUpperCase(), cmd);
  return out;
}

/** The distinct commands (the table holds each under two spellings). */
export function uniqueCommands(table: Map<string, Command>): Command[] {
  return [...new Set(table.values())];
}
