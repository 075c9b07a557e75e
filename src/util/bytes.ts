/**
 * Keel holds bytes as latin1 strings (one char per byte), as they come off the wire and out of
 * config files. Strings from JS (the command line, embedding options) and names for the OS
 * (file paths) are real text: these convert between the two through UTF-8.
 */
/** A JS string (UTF-16, from the command line or embedding options) as the latin1 string of its UTF-8 bytes. */
export function toBytes(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/** The inverse: bytes held as a latin1 string, read as UTF-8 (file names for the OS). */
export function fromBytes(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, 'latin1').toString('utf8');
}
