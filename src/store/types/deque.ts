/**
 * A growable ring buffer: O(1) push and pop at both ends and O(1) indexing, which is what
 * Redis lists need (LPUSH/RPOP, LINDEX near either end). Middle edits (LINSERT, LREM, LSET
 * is O(1)) rebuild in O(n), as they walk the list in Redis too.
 */
export class Deque<T> implements Iterable<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private len = 0;

  constructor(items?: Iterable<T>) {
    this.buf = new Array(8);
    if (items) for (const x of items) this.push(x);
  }

  get length(): number {
    return this.len;
  }

  private grow(): void {
    const old = this.buf;
    const n = old.length;
    const next = new Array<T | undefined>(n * 2);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & (n - 1)];
    this.buf = next;
    this.head = 0;
  }

  push(x: T): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & (this.buf.length - 1)] = x;
    this.len++;
  }

  unshift(x: T): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = x;
    this.len++;
  }

  pop(): T | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & (this.buf.length - 1);
    const x = this.buf[i];
    this.buf[i] = undefined;
    this.len--;
    return x;
  }

  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const x = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.len--;
    return x;
  }

  /** element at 0-based index (no negative indexes; callers normalise) */
  get(i: number): T | undefined {
    if (i < 0 || i >= this.len) return undefined;
    return this.buf[(this.head + i) & (this.buf.length - 1)];
  }

  set(i: number, x: T): void {
    this.buf[(this.head + i) & (this.buf.length - 1)] = x;
  }

  /** elements in [start, end] inclusive, already clamped */
  slice(start: number, end: number): T[] {
    const out: T[] = [];
    for (let i = start; i <= end; i++) out.push(this.buf[(this.head + i) & (this.buf.length - 1)] as T);
    return out;
  }

  /** replaces the whole content (used by middle edits) */
  replaceAll(items: T[]): void {
    let cap = 8;
    while (cap < items.length) cap *= 2;
    this.buf = new Array(cap);
    for (let i = 0; i < items.length; i++) this.buf[i] = items[i];
    this.head = 0;
    this.len = items.length;
  }

  toArray(): T[] {
    return this.slice(0, this.len - 1);
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & (this.buf.length - 1)] as T;
  }
}
