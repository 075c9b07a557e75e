/** SENSITIVE_CONFIG directives: CONFIG SET's value for them is never shown */
const SENSITIVE_CONFIG = new Set(['requirepass']);

/**
 * The arguments MONITOR and SLOWLOG may show: AUTH's, the user and password of HELLO's AUTH,
 * and CONFIG SET's value of a password directive become "(redacted)", as Redis's
 * redactClientCommandArgument makes them.
 */
export function redactSecrets(argv: string[]): string[] {
  const name = argv[0].length >= 4 && argv[0].length <= 6 ? argv[0].toLowerCase() : '';
  if (name === 'auth') return argv.map((a, i) => (i === 0 ? a : '(redacted)'));
  if (name === 'config') {
    if (argv.length < 4 || argv[1].toLowerCase() !== 'set') return argv;
    const out = argv.slice();
    for (let j = 2; j + 1 < out.length; j += 2) if (SENSITIVE_CONFIG.has(out[j].toLowerCase())) out[j + 1] = '(redacted)';
    return out;
  }
  if (name !== 'hello') return argv;
  const out = argv.slice();
  for (let j = 2; j < out.length; j++) {
    const opt = out[j].toLowerCase();
    if (opt === 'auth' && j + 2 < out.length) {
      out[j + 1] = out[j + 2] = '(redacted)';
      j += 2;
    } else if (opt === 'setname' && j + 1 < out.length) j++;
  }
  return out;
}
