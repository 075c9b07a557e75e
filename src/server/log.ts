/**
 * Log lines in Redis's format: `pid:M 23 Nov 2026 01:13:55.123 * message`, with Redis's
 * level marks (`.` debug, `-` verbose, `*` notice, `#` warning), to stdout or `logfile`.
 */
import { appendFileSync } from 'node:fs';

const LEVELS = ['debug', 'verbose', 'notice', 'warning', 'nothing'] as const;
export type LogLevel = (typeof LEVELS)[number];
const MARKS = ['.', '-', '*', '#'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function formatLogTime(d: Date): string {
  return (
    `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

export class Logger {
  level = 2;
  /** '' = standard output */
  file = '';
  /** lines kept in memory as well (tests and embedding read them) */
  sink: ((line: string) => void) | null = null;

  setLevel(name: string): void {
    const i = LEVELS.indexOf(name as LogLevel);
    if (i >= 0) this.level = i;
  }

  log(level: number, msg: string): void {
    if (level < this.level) return;
    const line = `${process.pid}:M ${formatLogTime(new Date())} ${MARKS[level]} ${msg}`;
    if (this.sink) this.sink(line);
    if (this.file === '') process.stdout.write(line + '\n');
    else {
      try {
        appendFileSync(this.file, line + '\n');
      } catch {
        process.stderr.write(line + '\n');
      }
    }
  }

  debug(msg: string): void {
    this.log(0, msg);
  }
  verbose(msg: string): void {
    this.log(1, msg);
  }
  notice(msg: string): void {
    this.log(2, msg);
  }
  warning(msg: string): void {
    this.log(3, msg);
  }
}
