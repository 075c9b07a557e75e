/**
 * Configuration: the live values of every directive, the redis.conf reader (quoting,
 * `include`, errors naming file and line), redis-server style command-line arguments, and
 * CONFIG SET / REWRITE semantics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DIRECTIVES, ConfigValueError, type ConfigValue, type Directive, type ObufLimits, type SaveRule } from './directives';
import { toBytes, fromBytes } from '../util/bytes';
import { splitInlineArgs } from '../protocol/parser';
import { stringMatch } from '../util/glob';

export { ConfigValueError, type SaveRule, type ObufLimits };
export { toBytes, fromBytes };

const BY_NAME = new Map<string, Directive>();
for (const d of DIRECTIVES) {
  BY_NAME.set(d.name, d);
  for (const a of d.aliases ?? []) BY_NAME.set(a, d);
}

function defaultOf(d: Directive): ConfigValue {
  return d.parse(d.multiArg ? d.default.split(' ') : [d.default], undefined, false);
}

export function findDirective(name: string): Directive | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** A startup configuration problem, already worded as Redis words it. */
export class ConfigFileError extends Error {}

/** Thrown by Config.setMany with Redis's CONFIG SET error text. */
export class ConfigSetError extends Error {}

export class Config {
  private readonly values = new Map<string, ConfigValue>();
  private readonly changeListeners: (() => void)[] = [];
  private readonly nameListeners = new Map<string, ((v: ConfigValue, old: ConfigValue) => void)[]>();
  /** absolute path of the config file, when started with one (CONFIG REWRITE writes it) */
  configFile: string | null = null;
  /** directives seen while loading a file, to know which "save" line is the first */
  private readonly seenInFile = new Set<string>();

  constructor() {
    for (const d of DIRECTIVES) this.values.set(d.name, defaultOf(d));
  }

  /** Embedding: directive names as keys, config-file values (`{ port: 0, save: '' }`). */
  static fromOptions(options: Record<string, string | number | boolean | string[]>): Config {
    const c = new Config();
    for (const [name, raw] of Object.entries(options)) {
      const d = findDirective(name);
      if (!d) throw new ConfigFileError(`Unknown option '${name}'`);
      const args = (Array.isArray(raw) ? raw.map(String) : typeof raw === 'boolean' ? [raw ? 'yes' : 'no'] : [String(raw)]).map(toBytes);
      try {
        // as a config file's line: startup values (a missing dir is created at boot)
        c.values.set(d.name, d.parse(args, undefined, true));
      } catch (e) {
        if (e instanceof ConfigValueError) throw new ConfigFileError(`Invalid option '${name}': ${e.message}`);
        throw e;
      }
    }
    return c;
  }

  get(name: string): ConfigValue {
    const d = findDirective(name);
    if (!d) throw new Error(`unknown directive ${name}`);
    return this.values.get(d.name)!;
  }
  num(name: string): number {
    return this.get(name) as number;
  }
  str(name: string): string {
    return this.get(name) as string;
  }
  /**
   * A file-name directive for the file system: its bytes read as UTF-8, as the OS reads them.
   * Redis chdir()s into `dir`, so any other relative name (dbfilename, appenddirname, logfile,
   * pidfile, unixsocket) is inside it.
   */
  path(name: string): string {
    const p = fromBytes(this.str(name));
    return name === 'dir' || p === '' ? p : path.resolve(fromBytes(this.str('dir')), p);
  }
  bool(name: string): boolean {
    return this.get(name) as boolean;
  }
  list(name: string): string[] {
    return this.get(name) as string[];
  }
  saveRules(): SaveRule[] {
    return this.get('save') as SaveRule[];
  }
  clientOutputBufferLimits(): ObufLimits {
    return this.get('client-output-buffer-limit') as ObufLimits;
  }
  /** The value as CONFIG GET prints it. */
  format(name: string): string {
    const d = findDirective(name)!;
    return d.format(this.values.get(d.name)!);
  }

  onAnyChange(fn: () => void): void {
    this.changeListeners.push(fn);
  }
  /** Runs after `name` changes through CONFIG SET; a throw (ConfigValueError) undoes the change. */
  onChange(name: string, fn: (v: ConfigValue, old: ConfigValue) => void): void {
    const list = this.nameListeners.get(name) ?? [];
    list.push(fn);
    this.nameListeners.set(name, list);
  }

  /**
   * rename-command lines, in order: [old name, new name ('' removes the command)]. Only a
   * config file or the command line sets them; the server applies them to its command table.
   */
  readonly renamedCommands: [string, string][] = [];
  /** the command names as the renames so far leave them (checked as each line is read) */
  private commandNames: Set<string> | null = null;

  renameCommand(from: string, to: string): void {
    if (this.commandNames === null) {
      // loaded lazily: the command modules are not this module's dependency otherwise
      const { families } = require('../commands/registry') as typeof import('../commands/registry');
      this.commandNames = new Set(families.flatMap((f) => f.map((spec) => spec.name)));
    }
    const names = this.commandNames;
    if (!names.delete(from.toLowerCase())) throw new ConfigValueError('No such command in rename-command');
    if (to !== '') {
      if (names.has(to.toLowerCase())) throw new ConfigValueError('Target command name already exists');
      names.add(to.toLowerCase());
    }
    this.renamedCommands.push([from, to]);
  }

  /** Applies one config-file line. */
  applyLine(args: string[]): void {
    const name = args[0].toLowerCase();
    const d = findDirective(name);
    if (!d) throw new ConfigValueError('Bad directive or wrong number of arguments');
    const rest = args.slice(1);
    if (!d.multiArg && rest.length !== 1) throw new ConfigValueError('Bad directive or wrong number of arguments');
    const first = !this.seenInFile.has(d.name);
    this.seenInFile.add(d.name);
    // The first line of an accumulating directive replaces the default; later ones add.
    const prev = first ? undefined : this.values.get(d.name);
    this.values.set(d.name, d.parse(rest, prev, true));
  }

  /** CONFIG GET: every directive whose name (or alias) matches one of the patterns. */
  matching(patterns: string[]): [string, string][] {
    // by lowercased name: [the name as shown, value]
    const out = new Map<string, [string, string]>();
    for (const p of patterns) {
      const exact = BY_NAME.get(p.toLowerCase());
      if (exact) {
        // named as asked, as Redis echoes it
        if (!out.has(p.toLowerCase())) out.set(p.toLowerCase(), [p, exact.format(this.values.get(exact.name)!)]);
        continue;
      }
      for (const [name, d] of BY_NAME) {
        if (!d.hidden && !out.has(name) && stringMatch(p, name, true)) out.set(name, [name, d.format(this.values.get(d.name)!)]);
      }
    }
    return [...out.values()];
  }

  /**
   * CONFIG SET name value [name value ...]: all or nothing, as Redis 7.0 does it. Throws
   * ConfigSetError with Redis's message.
   */
  setMany(pairs: [string, string][], localClient = false): void {
    const protectedOk = this.str('enable-protected-configs') === 'yes' || (localClient && this.str('enable-protected-configs') === 'local');
    const planned: [Directive, ConfigValue][] = [];
    // every name is checked before any value is parsed, as Redis does; a name given twice is a
    // duplicate, but a directive and its alias are two names (the last one wins)
    const seen = new Set<string>();
    const found: Directive[] = [];
    for (const [name] of pairs) {
      const d = findDirective(name);
      if (!d) throw new ConfigSetError(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
      if (!d.mutable) throw new ConfigSetError(`ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`);
      if (d.protected && !protectedOk) throw new ConfigSetError(`ERR CONFIG SET failed (possibly related to argument '${name}') - can't set protected config`);
      if (seen.has(name.toLowerCase())) throw new ConfigSetError(`ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`);
      seen.add(name.toLowerCase());
      found.push(d);
    }
    pairs.forEach(([name, raw], i) => {
      const d = found[i];
      try {
        const args = d.multiArg && !d.splitsItself ? raw.split(/\s+/).filter(Boolean) : [raw];
        let prev = this.values.get(d.name);
        for (const [p, v] of planned) if (p === d) prev = v;
        planned.push([d, d.parse(d.multiArg && args.length === 0 ? [] : args, prev, false)]);
      } catch (e) {
        if (e instanceof ConfigValueError) throw new ConfigSetError(`ERR CONFIG SET failed (possibly related to argument '${name.toLowerCase()}') - ${e.message}`);
        throw e;
      }
    });
    const olds = planned.map(([d]) => this.values.get(d.name)!);
    planned.forEach(([d, v]) => this.values.set(d.name, v));
    const applied: number[] = [];
    try {
      planned.forEach(([d, v], i) => {
        for (const fn of this.nameListeners.get(d.name) ?? []) fn(v, olds[i]);
        applied.push(i);
      });
    } catch (e) {
      // roll back every value, then tell the listeners that ran about the restore
      planned.forEach(([d], i) => this.values.set(d.name, olds[i]));
      for (const i of applied) for (const fn of this.nameListeners.get(planned[i][0].name) ?? []) {
        try {
          fn(olds[i], planned[i][1]);
        } catch {
          /* best effort */
        }
      }
      const name = planned[applied.length]?.[0].name ?? '';
      const msg = e instanceof Error ? e.message : String(e);
      throw new ConfigSetError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${msg}`);
    }
    for (const fn of this.changeListeners) fn();
  }

  /**
   * CONFIG REWRITE: keeps the file's comments and order, replaces each directive's lines with
   * its current value (a default one too, as Redis does), and appends the directives the file
   * does not name whose values differ from the default.
   */
  rewrite(): void {
    if (!this.configFile) throw new ConfigSetError('ERR The server is running without a config file');
    let oldLines: string[] = [];
    try {
      oldLines = fs.readFileSync(this.configFile, 'latin1').split('\n');
      if (oldLines[oldLines.length - 1] === '') oldLines.pop();
    } catch {
      /* a missing file is rewritten from scratch */
    }
    const wanted = new Map<string, { lines: string[]; isDefault: boolean }>();
    for (const d of DIRECTIVES) {
      const v = this.values.get(d.name)!;
      const lines = (d.rewrite ? d.rewrite(v) : [quoteArg(d.format(v))]).map((x) => `${d.name} ${x}`);
      wanted.set(d.name, { lines, isDefault: d.format(defaultOf(d)) === d.format(v) });
    }
    const out: string[] = [];
    const written = new Set<string>();
    for (const line of oldLines) {
      const args = splitInlineArgs(line.trim());
      const d = args && args.length > 0 && !line.trim().startsWith('#') ? findDirective(args[0]) : undefined;
      if (!d) {
        if (line.trim() !== '# Generated by CONFIG REWRITE') out.push(line);
        continue;
      }
      if (written.has(d.name)) continue;
      written.add(d.name);
      // a directive the file names is rewritten with its current value, even a default one
      out.push(...wanted.get(d.name)!.lines);
    }
    const extra: string[] = [];
    for (const [name, w] of wanted) if (!written.has(name) && !w.isDefault) extra.push(...w.lines);
    if (extra.length) out.push('# Generated by CONFIG REWRITE', ...extra);
    const tmp = `${this.configFile}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, out.join('\n') + '\n', 'latin1');
    fs.renameSync(tmp, this.configFile);
  }
}

/** Quotes a value for a config file when it needs it (sdscatrepr style). */
export function quoteArg(s: string): string {
  if (s !== '' && /^[\x21-\x7e]+$/.test(s) && !/["'\\]/.test(s)) return s;
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '\\' || ch === '"') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c > 0x7e) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

function fatal(file: string, lineNo: number, line: string, reason: string): ConfigFileError {
  return new ConfigFileError(
    `\n*** FATAL CONFIG FILE ERROR (Keel, Redis 7.0.15 compatible) ***\n` +
      `Reading the configuration file, at line ${lineNo}\n>>> '${line}'\n${reason}\nin ${file}`,
  );
}

/** Reads redis.conf text into `config`; `origin` names the source in errors. */
export function loadConfigFromString(text: string, config: Config, origin: string, depth = 0): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // sdstrim(line, " \t\r\n"): String.trim() would also take a trailing 0xA0 byte (the end of a UTF-8 "à")
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '' || line.startsWith('#')) continue;
    const args = splitInlineArgs(line);
    if (args === null) throw fatal(origin, i + 1, line, 'Unbalanced quotes in configuration line');
    if (args.length === 0) continue;
    if (args[0].toLowerCase() === 'include') {
      if (args.length !== 2) throw fatal(origin, i + 1, line, 'Bad directive or wrong number of arguments');
      if (depth > 16) throw fatal(origin, i + 1, line, 'Too many nested includes');
      // the path as given, from the working directory (not the including file's), as Redis opens it
      loadConfigFile(args[1], config, depth + 1);
      continue;
    }
    try {
      if (args[0].toLowerCase() === 'rename-command' && args.length === 3) config.renameCommand(args[1], args[2]);
      else if (args[0].toLowerCase() === 'user') checkUserLine(args);
      else config.applyLine(args);
    } catch (e) {
      if (e instanceof ConfigValueError) throw fatal(origin, i + 1, line, e.message);
      throw e;
    }
  }
}

/** ACL rules that leave the default user as Keel's only user is: no password, every permission. */
const OPEN_USER_RULES = new Set(['on', 'nopass', '~*', '&*', '+@all', 'allkeys', 'allchannels', 'allcommands', 'sanitize-payload', 'skip-sanitize-payload', 'resetchannels']);

/**
 * `user` lines: Keel has no ACL, but redis-server 7.0's CONFIG REWRITE always writes
 * `user default on nopass ~* &* +@all`, and such a file must load. That line (and its
 * equivalents) is taken; any other user, password or restriction is refused, not ignored.
 */
function checkUserLine(args: string[]): void {
  if (args.length >= 2 && args[1] === 'default' && args.slice(2).every((r) => OPEN_USER_RULES.has(r.toLowerCase()))) return;
  throw new ConfigValueError('Keel has no ACL: only "user default on nopass ~* &* +@all" is accepted (set a password with requirepass)');
}

export function loadConfigFile(file: string, config: Config, depth = 0): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    throw new ConfigFileError(`Fatal error, can't open config file '${file}': ${(e as Error).message}`);
  }
  if (depth === 0) config.configFile = path.resolve(file);
  loadConfigFromString(text, config, file, depth);
}

export interface ServerArgs {
  help: boolean;
  version: boolean;
  configFile: string | null;
  /** `-` first or last: read configuration from stdin too (after the file, before the options) */
  stdin: boolean;
  /** the --name value overrides, as config-file text */
  directivesText: string;
}

/**
 * redis-server's command line: an optional config file first ("-" reads stdin), then
 * `--name value...` overrides, each starting a new config line.
 */
export function parseServerArgs(argv: string[]): ServerArgs {
  const out: ServerArgs = { help: false, version: false, configFile: null, stdin: false, directivesText: '' };
  let i = 0;
  // as redis-server's main(): only the first argument is looked at for these
  if (argv[0] === '-v' || argv[0] === '--version') return { ...out, version: true };
  if (argv[0] === '-h' || argv[0] === '--help') return { ...out, help: true };
  if (argv.length > 0 && !argv[0].startsWith('-')) {
    out.configFile = argv[0];
    i = 1;
  }
  const lines: string[] = [];
  // false right after a bare option name: the next argument is its value even if it starts with --
  let nameDone = true;
  for (; i < argv.length; i++) {
    // the configuration holds bytes (latin1 strings), as a config file read from disk does
    const a = toBytes(argv[i]);
    if (a === '-' && (i === 0 || i === argv.length - 1)) {
      out.stdin = true; // `-` first or last: the configuration is also read from stdin
    } else if (nameDone && a.startsWith('--') && a.length > 2) {
      lines.push(a.slice(2));
      nameDone = a.slice(2).trim().includes(' '); // "--port 6380" in one argument
      // `--save` with no value means save "" (as redis-server treats it)
      if (a === '--save' && (i + 1 === argv.length || argv[i + 1].startsWith('--'))) {
        lines[lines.length - 1] += ' ""';
        nameDone = true;
      }
    } else if (lines.length === 0) {
      throw new ConfigFileError(`Invalid argument '${a}': options must be written as --name value`);
    } else {
      lines[lines.length - 1] += ' ' + quoteArg(a);
      nameDone = true;
    }
  }
  out.directivesText = lines.join('\n');
  return out;
}
