/**
 * The arguments MONITOR and SLOWLOG may show: AUTH's, and the user and password of HELLO's AUTH,
 * become "(redacted)", as Redis's redactClientCommandArgument makes them.
 */
export function redactSecrets(argv: string[]): string[] {
  const name = argv[0].length === 4 || argv[0].length === 5 ? argv[0].toLowerCase() : '';
  if (name === 'auth') return argv.map((a, i) => (i === 0 ? a : '(redacted)'));
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
