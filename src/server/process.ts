/**
 * The server as an operating-system process, as redis-server manages itself: the pid file,
 * the process title (set-proc-title, proc-title-template) and the OOM killer's score
 * (oom-score-adj). The pid file and the OOM score follow the configuration wherever the
 * server runs; the title is the command line's business only (server-cli.ts), since an
 * embedded server must not rename the application that embeds it.
 */
import fs from 'node:fs';
import { ConfigValueError, type Config } from '../config';
import { expandTemplate } from '../config/directives';
import type { Logger } from './log';

/**
 * Where a daemonized server writes its pid when no pidfile is set. Redis uses
 * /var/run/redis.pid; Keel keeps its own name so it never overwrites a Redis's pid file on
 * the same host (an init script would then signal the wrong process).
 */
export const DAEMON_PID_FILE = '/var/run/keel.pid';

/** The pid file this server wrote (and removes when it stops), or null. */
export function writePidFile(config: Config, log: Logger): string | null {
  let file = config.path('pidfile');
  if (file === '' && config.bool('daemonize')) file = DAEMON_PID_FILE;
  if (file === '') return null;
  try {
    fs.writeFileSync(file, `${process.pid}\n`);
    return file;
  } catch (e) {
    log.warning(`Failed to write PID file: ${(e as Error).message}`);
    return null;
  }
}

export function removePidFile(file: string, log: Logger): void {
  log.notice('Removing the pid file.');
  try {
    fs.unlinkSync(file);
  } catch {
    /* already gone */
  }
}

const OOM_FILE = '/proc/self/oom_score_adj';
/** the score before Keel first changed it, to restore on `oom-score-adj no` (null: untouched) */
let oomBase: number | null = null;

/**
 * Applies oom-score-adj and oom-score-adj-values (the first value: Keel is always a master and
 * has no child processes), as Redis's setOOMScoreAdj: `yes`/`relative` add to the score the
 * process had, `absolute` replaces it, `no` puts back what Keel changed. False on failure,
 * which is logged.
 */
export function applyOomScoreAdj(config: Config, log: Logger): boolean {
  const mode = config.str('oom-score-adj');
  let val: number;
  if (mode !== 'no') {
    if (oomBase === null) {
      try {
        oomBase = parseInt(fs.readFileSync(OOM_FILE, 'latin1'), 10) || 0;
      } catch (e) {
        log.warning(`Unable to read oom_score_adj: ${(e as Error).message}`);
        return false;
      }
    }
    val = Number(config.list('oom-score-adj-values')[0]);
    if (mode !== 'absolute') val += oomBase;
    val = Math.max(-1000, Math.min(1000, val));
  } else if (oomBase !== null) {
    val = oomBase;
    oomBase = null;
  } else {
    return true;
  }
  try {
    fs.writeFileSync(OOM_FILE, `${val}\n`);
    return true;
  } catch (e) {
    log.warning(`Unable to write oom_score_adj: ${(e as Error).message}`);
    return false;
  }
}

/** Applies the OOM score now and whenever CONFIG SET changes it (refusing a change that fails). */
export function manageOomScoreAdj(config: Config, log: Logger): void {
  if (!applyOomScoreAdj(config, log)) log.warning('Failed to set current oom_score_adj. Check server logs.');
  const onChange = () => {
    if (!applyOomScoreAdj(config, log)) throw new ConfigValueError('Failed to set current oom_score_adj. Check server logs.');
  };
  config.onChange('oom-score-adj', onChange);
  config.onChange('oom-score-adj-values', onChange);
}

/** The process title proc-title-template gives, as redisProcTitleGetVariable fills it in. */
export function procTitle(config: Config, port: number): string {
  const bind = config.list('bind');
  const vars: Record<string, string> = {
    title: 'keel-server',
    'listen-addr': `${bind.length ? bind[0] : '*'}:${port}`,
    'server-mode': '',
    port: String(port),
    'tls-port': '0',
    unixsocket: config.str('unixsocket'),
    'config-file': config.configFile ?? '',
  };
  return (expandTemplate(config.str('proc-title-template'), (name) => vars[name]) ?? '').trim();
}
