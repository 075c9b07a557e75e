/**
 * LZF (liblzf 3.6, as bundled in Redis): the compressor follows lzf_c.c's algorithm (HLOG 16,
 * VERY_FAST hashing) and the decompressor lzf_d.c's format, so Redis reads what Keel writes.
 */
const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

const htab = new Int32Array(HSIZE);
/**
 * htab holds positions offset by a per-call base, so it needs no clearing: each call's base
 * lies past every value an earlier call stored, so older entries read as negative (no match),
 * as a cleared table would. Clearing 256 KB per call was most of the time of a SAVE.
 */
let htabNext = 0;

/**
 * Compresses `input` into at most `maxOut` bytes; returns the compressed bytes, or null when
 * they would not fit (Redis then stores the string uncompressed).
 */
export function lzfCompress(input: Uint8Array, maxOut: number): Buffer | null {
  if (input.length === 0 || maxOut <= 0) return null;
  const out = Buffer.allocUnsafe(maxOut + 3);
  const n = lzfCompressInto(input, input.length, out, maxOut);
  return n < 0 ? null : out.subarray(0, n);
}

/**
 * lzfCompress over input[0, inLen) into `out` (at least maxOut + 3 bytes long, reusable):
 * returns the compressed length, or -1 when it would not fit in maxOut bytes.
 */
export function lzfCompressInto(input: Uint8Array, inLen: number, out: Uint8Array, maxOut: number): number {
  if (inLen === 0 || maxOut <= 0) return -1;
  if (htabNext > 0x7fffffff - inLen - 1) {
    htab.fill(0);
    htabNext = 0;
  }
  const hb = htabNext;
  htabNext += inLen + 1;
  let ip = 0;
  let op = 0;
  let lit = 0;
  op++; // start run
  const inEnd = inLen;
  let hval = (input[ip] << 8) | input[ip + 1];
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | input[ip + 2]) & 0xffffff;
    const slot = (((hval >>> (3 * 8 - HLOG)) - hval * 5) & (HSIZE - 1)) >>> 0;
    const ref = htab[slot] - hb - 1;
    htab[slot] = hb + ip + 1;
    let off: number;
    if (
      ref >= 0 &&
      ref < ip &&
      (off = ip - ref - 1) < MAX_OFF &&
      ref > 0 &&
      input[ref + 2] === input[ip + 2] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref] === input[ip]
    ) {
      // match: at least 3 bytes
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op + 3 + 1 >= maxOut) {
        if (op - (lit === 0 ? 1 : 0) + 3 + 1 >= maxOut) return -1;
      }
      out[op - lit - 1] = lit - 1; // stop run
      op -= lit === 0 ? 1 : 0; // undo run if length is zero
      // lzf_c.c first compares 16 bytes unrolled when more than 16 may match, without the
      // maxlen bound, so a match there can run up to 2 bytes past maxlen (to the input's end):
      // the same steps give the same bytes as Redis
      let mismatch = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            mismatch = true;
            break;
          }
        }
      }
      if (!mismatch) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2;
      ip++;
      if (len < 7) {
        out[op++] = (off >> 8) + (len << 5);
      } else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      --ip;
      --ip;
      hval = (input[ip] << 8) | input[ip + 1];
      hval = ((hval << 8) | input[ip + 2]) & 0xffffff;
      htab[(((hval >>> (3 * 8 - HLOG)) - hval * 5) & (HSIZE - 1)) >>> 0] = hb + ip + 1;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) & 0xffffff;
      htab[(((hval >>> (3 * 8 - HLOG)) - hval * 5) & (HSIZE - 1)) >>> 0] = hb + ip + 1;
      ip++;
    } else {
      // one more literal byte we must copy
      if (op >= maxOut) return -1;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1; // stop run
        lit = 0;
        op++; // start run
      }
    }
  }
  if (op + 3 > maxOut) return -1; // at most 3 bytes can be missing here
  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  op -= lit === 0 ? 1 : 0; // undo run if length is zero
  if (op > maxOut) return -1;
  return op;
}

/** Decompresses into exactly `outLen` bytes; throws on malformed input. */
export function lzfDecompress(input: Uint8Array, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  lzfDecompressInto(input, 0, input.length, out, outLen);
  return out;
}

/**
 * Decompresses input[ip0, ipEnd) into out[0, outLen) (out may be longer: a reusable scratch
 * buffer); throws on malformed input. Literal runs (at most 32 bytes) and short back
 * references are copied by plain loops: a subarray + set or copyWithin per run costs more
 * than the bytes themselves, so only long non-overlapping references use copyWithin.
 */
export function lzfDecompressInto(input: Uint8Array, ip0: number, ipEnd: number, out: Uint8Array, outLen: number): void {
  let ip = ip0;
  let op = 0;
  while (ip < ipEnd) {
    let ctrl = input[ip++];
    if (ctrl < 1 << 5) {
      ctrl++;
      if (op + ctrl > outLen) throw new Error('LZF: output overflow');
      if (ip + ctrl > ipEnd) throw new Error('LZF: input overflow');
      const end = op + ctrl;
      while (op < end) out[op++] = input[ip++];
    } else {
      let len = ctrl >> 5;
      if (ip >= ipEnd) throw new Error('LZF: input overflow');
      if (len === 7) {
        len += input[ip++];
        if (ip >= ipEnd) throw new Error('LZF: input overflow');
      }
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
      len += 2;
      if (op + len > outLen) throw new Error('LZF: output overflow');
      if (ref < 0) throw new Error('LZF: back reference out of range');
      if (len > 64 && ref + len <= op) {
        out.copyWithin(op, ref, ref + len);
        op += len;
      } else {
        let r = ref;
        const end = op + len;
        while (op < end) out[op++] = out[r++];
      }
    }
  }
  if (op !== outLen) throw new Error('LZF: length mismatch');
}
