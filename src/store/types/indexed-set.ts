/**
 * The value of a Redis set: a set of latin1 strings with O(1) add, delete and membership and
 * an O(1) uniformly random member (SPOP, SRANDMEMBER), as Redis's dict gives.
 *
 * Members live in a dense array with a member -> index map; a delete moves the last member
 * into the freed slot. Iteration runs over the array in index order (insertion order until
 * deletes reorder it), which stands in for Redis's hash order. Do not mutate the set while
 * iterating it (a delete would move an unvisited member behind the iterator); SSCAN walks with
 * scan(), which stays correct across changes between calls.
 *
 * The set also tracks what its OBJECT ENCODING depends on in O(1): how many members are not
 * integers Redis could keep in an intset, and whether Redis would have converted it to a
 * hashtable for good (see sets.ts).
 */
import { isIntegerString } from '../../util/intstring';
import { sampleDistinct } from '../../util/random';

export class IndexedSet implements Iterable<string> {
  private items: string[] = [];
  private readonly index = new Map<string, number>();
  private nonInts = 0;
  /**
   * Redis holds this set as a hashtable for good: it grew out of an intset in place (Redis
   * never converts back when it shrinks). A set built fresh (a *STORE result, an RDB load)
   * starts unmarked and its encoding follows its content.
   */
  converted = false;

  constructor(members?: Iterable<string>) {
    if (members !== undefined) for (const m of members) this.add(m);
  }

  get size(): number {
    return this.items.length;
  }

  /** Every member is an integer string (what an intset can hold). O(1). */
  get allIntegers(): boolean {
    return this.nonInts === 0;
  }

  has(m: string): boolean {
    return this.index.has(m);
  }

  /** Adds a member; false when it was already there. */
  add(m: string): boolean {
    if (this.index.has(m)) return false;
    this.index.set(m, this.items.length);
    this.items.push(m);
    if (!isIntegerString(m)) this.nonInts++;
    return true;
  }

  /** Removes a member; false when it was not there. */
  delete(m: string): boolean {
    const i = this.index.get(m);
    if (i === undefined) return false;
    this.removeAt(i, m);
    return true;
  }

  clear(): void {
    this.items = [];
    this.index.clear();
    this.nonInts = 0;
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    return this.items[Math.floor(Math.random() * this.items.length)];
  }

  /** Removes and returns a uniformly random member (the set must not be empty). */
  popRandom(): string {
    const i = Math.floor(Math.random() * this.items.length);
    const m = this.items[i];
    this.removeAt(i, m);
    return m;
  }

  /** `count` distinct members chosen uniformly at random, in random order (0 <= count <= size). */
  sample(count: number): string[] {
    return sampleDistinct(this.items, count);
  }

  /**
   * One SSCAN step: visits up to `count` members and returns the cursor to continue from,
   * 0 when the walk is over. The walk goes from the last index down; the cursor is the
   * number of slots still to visit (0 starts a walk). A delete moves the last member into
   * the freed slot, which is then either still ahead of the cursor or the member was already
   * visited, and adds go to the end, behind the cursor: so every member present for the
   * whole walk is visited at least once, whatever changes in between, with no state kept.
   */
  scan(cursor: number, count: number, visit: (m: string) => void): number {
    const n = this.items.length;
    let p = cursor <= 0 || cursor > n ? n : cursor;
    for (let k = 0; k < count && p > 0; k++) visit(this.items[--p]);
    return p;
  }

  /** A copy with the same members in the same order, and the same encoding history. */
  clone(): IndexedSet {
    const c = new IndexedSet();
    c.items = this.items.slice();
    for (let i = 0; i < c.items.length; i++) c.index.set(c.items[i], i);
    c.nonInts = this.nonInts;
    c.converted = this.converted;
    return c;
  }

  /** The members in iteration order, as a new array. */
  toArray(): string[] {
    return this.items.slice();
  }

  values(): IterableIterator<string> {
    return this.items.values();
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.items.values();
  }

  private removeAt(i: number, m: string): void {
    const last = this.items.pop() as string;
    if (last !== m) {
      this.items[i] = last;
      this.index.set(last, i);
    }
    this.index.delete(m);
    if (!isIntegerString(m)) this.nonInts--;
  }
}
