/**
 * A sorted set as Redis keeps it (t_zset.c): a skiplist ordered by (score, member) whose
 * forward links carry spans, so rank queries are O(log n), plus a member -> node map for
 * O(1) ZSCORE. Members are latin1 strings, so `<` is byte order.
 *
 * The skiplist lives in one ArrayBuffer per set (viewed as Float64Array and Int32Array), not
 * in one JS object per node: a step of a search is then one load of the next node's score
 * from the same buffer (as with Redis's C structs), the nodes cost the garbage collector
 * nothing, and a node takes 16 + 8 * level bytes. A node is addressed by its offset in
 * 8-byte words:
 *
 *   word x        f64  score
 *   word x+1      i32  prev (offset of the previous node; 0: none)
 *                 i32  (slot << 5) | (level - 1); the member is `members[slot]`
 *   word x+2+k    i32  next at level k (0: none)
 *                 i32  span at level k
 *
 * The header node sits at offset 0 with MAX_LEVEL levels, so offset 0 doubles as "no node".
 * As in Redis, a link's span counts the level-0 steps it covers; a null link's span is
 * never read. Freed nodes go to one free list per level, whose heads follow the header node;
 * a set that shrinks to a quarter of its buffer is laid out afresh.
 */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}
export interface LexRange {
  min: string;
  max: string;
  minex: boolean;
  maxex: boolean;
  /** min is '-' */
  minInf?: boolean;
  /** max is '+' */
  maxInf?: boolean;
}

/** ZSet.add flags (zsetAdd's ZADD_IN_*) */
export const ZADD_NX = 1;
export const ZADD_XX = 2;
export const ZADD_GT = 4;
export const ZADD_LT = 8;
export const ZADD_INCR = 16;

/** ZSet.add results (zsetAdd's ZADD_OUT_*) */
export const enum ZAdd {
  /** NX/XX/GT/LT left the element alone */
  Nop = 0,
  Added = 1,
  Updated = 2,
  /** processed, score unchanged */
  Same = 3,
  /** INCR produced NaN; nothing changed */
  NaN = 4,
}

const MAX_LEVEL = 32;
const HEAD_WORDS = 2 + MAX_LEVEL;
/** i32 index of the free list heads, one per level (1..MAX_LEVEL), after the header node */
const FREE = 2 * HEAD_WORDS - 1;
/** words before the first node: the header node and the free list heads */
const RESERVED = HEAD_WORDS + MAX_LEVEL / 2;
const MIN_WORDS = 64;
/** below this many words a set is never compacted */
const COMPACT_MIN = 4096;

// search scratch (zslInsert's update[] and rank[]): every operation is synchronous and
// runs to completion before the next, so one pair serves every set
const UPD = new Int32Array(MAX_LEVEL);
const RNK = new Int32Array(MAX_LEVEL);

function gteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}
function lteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}
function lexGteMin(s: string, r: LexRange): boolean {
  if (r.minInf) return true;
  return r.minex ? s > r.min : s >= r.min;
}
function lexLteMax(s: string, r: LexRange): boolean {
  if (r.maxInf) return true;
  return r.maxex ? s < r.max : s <= r.max;
}

/** zslRandomLevel: level k+1 with probability 1/4 of level k, at most MAX_LEVEL. */
function randomLevel(): number {
  let lvl = 1;
  for (;;) {
    let r = (Math.random() * 4294967296) >>> 0;
    for (let b = 0; b < 16; b++) {
      if ((r & 3) !== 0 || lvl === MAX_LEVEL) return lvl;
      lvl++;
      r >>>= 2;
    }
  }
}

export class ZSet implements Iterable<[string, number]> {
  private F: Float64Array;
  private I: Int32Array;
  /** words allocated so far (bump pointer) */
  private top = RESERVED;
  /** words held by live nodes, the reserved words included */
  private live = RESERVED;
  private level = 1;
  private tail = 0;
  private members: string[] = [];
  private freeSlots: number[] = [];
  /** member -> node offset */
  private dict = new Map<string, number>();
  /**
   * Redis holds this zset as a skiplist for good: it grew out of a listpack in place (past
   * zset-max-listpack-entries, or a member longer than zset-max-listpack-value), and Redis never
   * converts back when it shrinks. A zset built fresh (a *STORE result, an RDB load) starts
   * unmarked and its encoding follows its content. Set by the commands (zsets.ts).
   */
  converted = false;

  constructor() {
    const buf = new ArrayBuffer(MIN_WORDS * 8);
    this.F = new Float64Array(buf);
    this.I = new Int32Array(buf);
    this.F[0] = -Infinity;
  }

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    const n = this.dict.get(member);
    return n === undefined ? undefined : this.F[n];
  }

  has(member: string): boolean {
    return this.dict.has(member);
  }

  // ---------------------------------------------------------------- nodes

  private memberOf(n: number): string {
    return this.members[this.I[2 * n + 3] >> 5];
  }

  private levelOf(n: number): number {
    return (this.I[2 * n + 3] & 31) + 1;
  }

  private alloc(member: string, score: number, lvl: number): number {
    let n = this.I[FREE + lvl];
    if (n !== 0) {
      this.I[FREE + lvl] = this.I[2 * n + 2];
    } else {
      const words = 2 + lvl;
      if (this.top + words > this.F.length) this.grow(this.top + words);
      n = this.top;
      this.top += words;
    }
    this.live += 2 + lvl;
    let slot: number;
    if (this.freeSlots.length !== 0) {
      slot = this.freeSlots.pop()!;
      this.members[slot] = member;
    } else {
      slot = this.members.length;
      this.members.push(member);
    }
    const I = this.I;
    this.F[n] = score;
    I[2 * n + 3] = (slot << 5) | (lvl - 1);
    // links are written by the caller; spans of null links are never read
    return n;
  }

  private release(n: number): void {
    const I = this.I;
    const meta = I[2 * n + 3];
    const lvl = (meta & 31) + 1;
    const slot = meta >> 5;
    this.members[slot] = '';
    this.freeSlots.push(slot);
    I[2 * n + 2] = I[FREE + lvl];
    I[FREE + lvl] = n;
    this.live -= 2 + lvl;
  }

  private grow(need: number): void {
    let words = this.F.length * 2;
    while (words < need) words *= 2;
    const F = new Float64Array(words);
    F.set(this.F.subarray(0, this.top));
    this.F = F;
    this.I = new Int32Array(F.buffer);
  }

  /**
   * Lays the nodes out afresh, in order, in a buffer twice their size: after many deletions
   * the free lists would otherwise hold most of the memory.
   */
  private compact(): void {
    const oF = this.F;
    const oI = this.I;
    let words = MIN_WORDS;
    while (words < this.live * 2) words *= 2;
    const F = new Float64Array(words);
    const I = new Int32Array(F.buffer);
    F[0] = -Infinity;
    for (let k = 0; k < MAX_LEVEL; k++) {
      UPD[k] = 0;
      RNK[k] = 0;
    }
    const dict = this.dict;
    const members = this.members;
    let top = RESERVED;
    let prev = 0;
    let rank = 0;
    for (let x = oI[4]; x !== 0; x = oI[2 * x + 4]) {
      rank++;
      const meta = oI[2 * x + 3];
      const lvl = (meta & 31) + 1;
      const n = top;
      top += 2 + lvl;
      F[n] = oF[x];
      I[2 * n + 2] = prev;
      I[2 * n + 3] = meta;
      for (let k = 0; k < lvl; k++) {
        const u = UPD[k];
        I[2 * u + 4 + 2 * k] = n;
        I[2 * u + 5 + 2 * k] = rank - RNK[k];
        UPD[k] = n;
        RNK[k] = rank;
      }
      dict.set(members[meta >> 5], n);
      prev = n;
    }
    this.F = F;
    this.I = I;
    this.top = top;
    this.live = top;
    this.tail = prev;
  }

  // ---------------------------------------------------------------- skiplist

  /** zslInsert: links node n (score and member set, level from its meta). */
  private link(n: number, score: number, member: string): void {
    const I = this.I;
    const rank = this.findUpdate(score, member);
    const lvl = (I[2 * n + 3] & 31) + 1;
    if (lvl > this.level) {
      for (let i = this.level; i < lvl; i++) {
        RNK[i] = 0;
        UPD[i] = 0;
        I[5 + 2 * i] = this.dict.size; // length before this node
      }
      this.level = lvl;
    }
    for (let i = 0; i < lvl; i++) {
      const u = 2 * UPD[i] + 4 + 2 * i;
      const v = 2 * n + 4 + 2 * i;
      const d = rank - RNK[i];
      I[v] = I[u];
      I[u] = n;
      I[v + 1] = I[u + 1] - d;
      I[u + 1] = d + 1;
    }
    for (let i = lvl; i < this.level; i++) I[2 * UPD[i] + 5 + 2 * i]++;
    const p = UPD[0];
    I[2 * n + 2] = p;
    const next = I[2 * n + 4];
    if (next !== 0) I[2 * next + 2] = n;
    else this.tail = n;
  }

  /**
   * Fills UPD with the last node before (score, member) on every level and RNK with its rank
   * (1-based; 0: the header); returns the rank of UPD[0].
   */
  private findUpdate(score: number, member: string): number {
    const F = this.F;
    const I = this.I;
    const members = this.members;
    let x = 0;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      const o = 4 + 2 * i;
      for (;;) {
        const y = I[2 * x + o];
        if (y === 0) break;
        const ys = F[y];
        if (ys < score || (ys === score && members[I[2 * y + 3] >> 5] < member)) {
          rank += I[2 * x + o + 1];
          x = y;
        } else break;
      }
      UPD[i] = x;
      RNK[i] = rank;
    }
    return rank;
  }

  /**
   * The walk by rank (zslGetElementByRank's): returns the node at 1-based rank `target`
   * (0 <= target <= size; 0 is the header) and fills UPD with the last node of rank <= target
   * on every level. It stops on the level where it reaches the target; the levels below it
   * get that same node.
   */
  private rankWalk(target: number): number {
    const I = this.I;
    let traversed = 0;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      const o = 4 + 2 * i;
      for (;;) {
        const y = I[2 * x + o];
        if (y === 0) break;
        const t = traversed + I[2 * x + o + 1];
        if (t > target) break;
        traversed = t;
        x = y;
      }
      UPD[i] = x;
      if (traversed === target) {
        while (i > 0) UPD[--i] = x;
        break;
      }
    }
    return x;
  }

  /**
   * The last node whose score is below the range (0: the header), with UPD filled likewise on
   * every level and its rank (1-based), which is the 0-based rank of its successor, in foundRank.
   */
  private beforeScore(r: ScoreRange): number {
    const F = this.F;
    const I = this.I;
    let x = 0;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      const o = 4 + 2 * i;
      for (;;) {
        const y = I[2 * x + o];
        if (y === 0 || gteMin(F[y], r)) break;
        rank += I[2 * x + o + 1];
        x = y;
      }
      UPD[i] = x;
    }
    this.foundRank = rank;
    return x;
  }

  /** beforeScore by member: the last node below the lex range. */
  private beforeLex(r: LexRange): number {
    const I = this.I;
    const members = this.members;
    let x = 0;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      const o = 4 + 2 * i;
      for (;;) {
        const y = I[2 * x + o];
        if (y === 0 || lexGteMin(members[I[2 * y + 3] >> 5], r)) break;
        rank += I[2 * x + o + 1];
        x = y;
      }
      UPD[i] = x;
    }
    this.foundRank = rank;
    return x;
  }

  /** zslDeleteNode: unlinks n, whose predecessors are in UPD. */
  private unlink(n: number): void {
    const I = this.I;
    for (let i = 0; i < this.level; i++) {
      const u = 2 * UPD[i] + 4 + 2 * i;
      if (I[u] === n) {
        const v = 2 * n + 4 + 2 * i;
        I[u + 1] += I[v + 1] - 1;
        I[u] = I[v];
      } else {
        I[u + 1]--;
      }
    }
    const next = I[2 * n + 4];
    const prev = I[2 * n + 2];
    if (next !== 0) I[2 * next + 2] = prev;
    else this.tail = prev;
    while (this.level > 1 && I[4 + 2 * (this.level - 1)] === 0) this.level--;
  }

  private insertNew(member: string, score: number): void {
    const n = this.alloc(member, score, randomLevel());
    this.link(n, score, member);
    this.dict.set(member, n);
  }

  /** zslUpdateScore: moves node n to a new score, in place when its neighbours allow. */
  private rescore(n: number, member: string, score: number): void {
    const F = this.F;
    const I = this.I;
    const prev = I[2 * n + 2];
    const next = I[2 * n + 4];
    if (
      (prev === 0 || F[prev] < score || (F[prev] === score && this.memberOf(prev) < member)) &&
      (next === 0 || F[next] > score || (F[next] === score && this.memberOf(next) > member))
    ) {
      F[n] = score;
      return;
    }
    this.findUpdate(F[n], member);
    this.unlink(n);
    F[n] = score;
    this.link(n, score, member);
  }

  private removeNode(n: number, member: string): void {
    this.findUpdate(this.F[n], member);
    this.unlink(n);
    this.dict.delete(member);
    this.release(n);
    this.maybeCompact();
  }

  private maybeCompact(): void {
    if (this.top > COMPACT_MIN && this.live * 4 < this.top) this.compact();
  }

  // ---------------------------------------------------------------- writes

  set(member: string, score: number): 'added' | 'updated' | 'unchanged' {
    const n = this.dict.get(member);
    if (n === undefined) {
      this.insertNew(member, score);
      return 'added';
    }
    if (this.F[n] === score) return 'unchanged';
    this.rescore(n, member, score);
    return 'updated';
  }

  /** A score of -0 becomes 0 (the order is the same: they compare equal). */
  clearNegativeZero(member: string): void {
    const n = this.dict.get(member);
    if (n !== undefined && Object.is(this.F[n], -0)) this.F[n] = 0;
  }

  /** The score `add` left the element with (zsetAdd's newscore), when it was processed. */
  addedScore = 0;

  /**
   * zsetAdd: ZADD's NX/XX/GT/LT/INCR logic for one element with a single member lookup.
   * `score` must not be NaN; sets `addedScore` unless the result is Nop or NaN.
   */
  add(member: string, score: number, flags: number): ZAdd {
    const n = this.dict.get(member);
    if (n === undefined) {
      if (flags & ZADD_XX) return ZAdd.Nop;
      this.insertNew(member, score);
      this.addedScore = score;
      return ZAdd.Added;
    }
    if (flags & ZADD_NX) return ZAdd.Nop;
    const cur = this.F[n];
    if (flags & ZADD_INCR) {
      score += cur;
      if (Number.isNaN(score)) return ZAdd.NaN;
    }
    if (((flags & ZADD_LT) && score >= cur) || ((flags & ZADD_GT) && score <= cur)) return ZAdd.Nop;
    this.addedScore = score;
    if (score === cur) return ZAdd.Same;
    this.rescore(n, member, score);
    return ZAdd.Updated;
  }

  delete(member: string): boolean {
    const n = this.dict.get(member);
    if (n === undefined) return false;
    this.removeNode(n, member);
    return true;
  }

  // ---------------------------------------------------------------- reads

  /** 0-based ascending rank, or -1. */
  rank(member: string): number {
    const n = this.dict.get(member);
    if (n === undefined) return -1;
    return this.rankOf(n, this.F[n], member);
  }

  /** zslGetRank of node n (0-based). */
  private rankOf(n: number, score: number, member: string): number {
    const F = this.F;
    const I = this.I;
    const members = this.members;
    let r = 0;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      const o = 4 + 2 * i;
      for (;;) {
        const y = I[2 * x + o];
        if (y === 0) break;
        const ys = F[y];
        if (y === n || ys < score || (ys === score && members[I[2 * y + 3] >> 5] < member)) {
          r += I[2 * x + o + 1];
          x = y;
          if (x === n) return r - 1;
        } else break;
      }
    }
    return -1;
  }

  /** zslGetElementByRank: node at 0-based ascending rank, or 0. */
  private nodeAt(rank: number): number {
    if (rank < 0 || rank >= this.dict.size) return 0;
    return this.rankWalk(rank + 1);
  }

  at(rank: number): [string, number] | undefined {
    const n = this.nodeAt(rank);
    return n !== 0 ? [this.memberOf(n), this.F[n]] : undefined;
  }

  first(): [string, number] | undefined {
    const n = this.I[4];
    return n !== 0 ? [this.memberOf(n), this.F[n]] : undefined;
  }

  last(): [string, number] | undefined {
    const n = this.tail;
    return n !== 0 ? [this.memberOf(n), this.F[n]] : undefined;
  }

  rangeByRank(start: number, end: number, reverse = false): [string, number][] {
    const out: [string, number][] = [];
    const len = this.dict.size;
    let n = this.nodeAt(reverse ? len - 1 - start : start);
    const I = this.I;
    const step = reverse ? 2 : 4;
    for (let i = start; i <= end && n !== 0; i++) {
      out.push([this.memberOf(n), this.F[n]]);
      n = I[2 * n + step];
    }
    return out;
  }

  /** First node with score in range (ascending), or 0; its rank in `foundRank`. */
  private firstInScore(r: ScoreRange): number {
    const n = this.I[2 * this.beforeScore(r) + 4];
    return n !== 0 && lteMax(this.F[n], r) ? n : 0;
  }

  private lastInScore(r: ScoreRange): number {
    const F = this.F;
    const I = this.I;
    let x = 0;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      const o = 4 + 2 * i;
      for (;;) {
        const y = I[2 * x + o];
        if (y === 0 || !lteMax(F[y], r)) break;
        rank += I[2 * x + o + 1];
        x = y;
      }
    }
    this.foundRank = rank - 1;
    return x !== 0 && gteMin(F[x], r) ? x : 0;
  }

  /**
   * zslIsInLexRange / zzlIsInLexRange: the last element is >= min and the first <= max. With
   * equal scores (the only case Redis defines) this is whether anything is in range; with mixed
   * scores it is the shortcut Redis takes, so Keel takes it too.
   */
  private lexRangeTouches(r: LexRange): boolean {
    const first = this.I[4];
    return first !== 0 && lexGteMin(this.memberOf(this.tail), r) && lexLteMax(this.memberOf(first), r);
  }

  private firstInLex(r: LexRange, linear: boolean): number {
    if (!this.lexRangeTouches(r)) return 0;
    if (linear) {
      // zzlFirstInLexRange: a listpack is walked from its head
      let rank = 0;
      for (let n = this.I[4]; n !== 0; n = this.I[2 * n + 4], rank++) {
        if (!lexGteMin(this.memberOf(n), r)) continue;
        this.foundRank = rank;
        return lexLteMax(this.memberOf(n), r) ? n : 0;
      }
      return 0;
    }
    const n = this.I[2 * this.beforeLex(r) + 4];
    return n !== 0 && lexLteMax(this.memberOf(n), r) ? n : 0;
  }

  private lastInLex(r: LexRange, linear: boolean): number {
    if (!this.lexRangeTouches(r)) return 0;
    if (linear) {
      // zzlLastInLexRange: from the tail
      let rank = this.dict.size - 1;
      for (let n = this.tail; n !== 0; n = this.I[2 * n + 2], rank--) {
        if (!lexLteMax(this.memberOf(n), r)) continue;
        this.foundRank = rank;
        return lexGteMin(this.memberOf(n), r) ? n : 0;
      }
      return 0;
    }
    const I = this.I;
    const members = this.members;
    let x = 0;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      const o = 4 + 2 * i;
      for (;;) {
        const y = I[2 * x + o];
        if (y === 0 || !lexLteMax(members[I[2 * y + 3] >> 5], r)) break;
        rank += I[2 * x + o + 1];
        x = y;
      }
    }
    this.foundRank = rank - 1;
    return x !== 0 && lexGteMin(this.memberOf(x), r) ? x : 0;
  }

  /** 0-based rank of the node the last first/lastIn* search returned */
  private foundRank = 0;

  /**
   * Walks from `start` (at rank foundRank): skips `offset` nodes (by rank when that is
   * shorter, with the same result), then takes nodes while `inRange` holds, at most `limit`.
   */
  private collect(start: number, reverse: boolean, inRange: (n: number) => boolean, offset: number, limit: number): [string, number][] {
    const out: [string, number][] = [];
    let n = start;
    if (n !== 0 && offset > 0) {
      if (offset > 16) {
        n = this.nodeAt(reverse ? this.foundRank - offset : this.foundRank + offset);
      } else {
        const step = reverse ? 2 : 4;
        while (n !== 0 && offset > 0) {
          n = this.I[2 * n + step];
          offset--;
        }
      }
    }
    const step = reverse ? 2 : 4;
    while (n !== 0 && limit !== 0 && inRange(n)) {
      out.push([this.memberOf(n), this.F[n]]);
      n = this.I[2 * n + step];
      limit--;
    }
    return out;
  }

  rangeByScore(r: ScoreRange, reverse = false, offset = 0, limit = -1): [string, number][] {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return [];
    const start = reverse ? this.lastInScore(r) : this.firstInScore(r);
    const F = this.F;
    return this.collect(start, reverse, reverse ? (n) => gteMin(F[n], r) : (n) => lteMax(F[n], r), offset, limit);
  }

  /**
   * The lex operations take `linear` when Redis would hold this zset as a listpack: members
   * with different scores are not in lex order, and Redis then walks a listpack from one end
   * where it searches a skiplist by levels, so the results differ by encoding.
   */
  rangeByLex(r: LexRange, reverse = false, offset = 0, limit = -1, linear = false): [string, number][] {
    if (!r.minInf && !r.maxInf && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return [];
    const start = reverse ? this.lastInLex(r, linear) : this.firstInLex(r, linear);
    return this.collect(start, reverse, (n) => (reverse ? lexGteMin(this.memberOf(n), r) : lexLteMax(this.memberOf(n), r)), offset, limit);
  }

  /** zsetCount: by the ranks of the first and the last element in range. */
  countInScore(r: ScoreRange): number {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return 0;
    if (this.firstInScore(r) === 0) return 0;
    const len = this.dict.size;
    let count = len - this.foundRank;
    if (this.lastInScore(r) !== 0) count -= len - 1 - this.foundRank;
    return count;
  }

  /** zsetLexCount, likewise. */
  countInLex(r: LexRange, linear = false): number {
    if (!r.minInf && !r.maxInf && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return 0;
    let n = this.firstInLex(r, linear);
    if (n === 0) return 0;
    if (linear) {
      // a listpack counts from the first element in range while the members stay <= max
      let count = 0;
      for (; n !== 0 && lexLteMax(this.memberOf(n), r); n = this.I[2 * n + 4]) count++;
      return count;
    }
    const len = this.dict.size;
    let count = len - this.foundRank;
    if (this.lastInLex(r, false) !== 0) count -= len - 1 - this.foundRank;
    return count;
  }

  /**
   * Unlinks and frees the run of nodes starting at UPD[0]'s successor while `more` says so
   * (zslDeleteRangeBy*: one search, then O(1) per node).
   */
  private deleteRun(more: (n: number, i: number) => boolean): number {
    const I = this.I;
    let n = I[2 * UPD[0] + 4];
    let removed = 0;
    while (n !== 0 && more(n, removed)) {
      const next = I[2 * n + 4];
      const member = this.memberOf(n);
      this.unlink(n);
      this.dict.delete(member);
      this.release(n);
      removed++;
      n = next;
    }
    if (removed) this.maybeCompact();
    return removed;
  }

  deleteRangeByRank(start: number, end: number): number {
    if (start < 0) start = 0;
    if (end >= this.dict.size) end = this.dict.size - 1;
    if (start > end) return 0;
    this.rankWalk(start); // UPD: the nodes before rank `start` (0-based)
    const count = end - start + 1;
    return this.deleteRun((_n, i) => i < count);
  }

  deleteRangeByScore(r: ScoreRange): number {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return 0;
    this.beforeScore(r);
    return this.deleteRun((n) => lteMax(this.F[n], r));
  }

  deleteRangeByLex(r: LexRange, linear = false): number {
    if (!r.minInf && !r.maxInf && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return 0;
    if (linear) {
      // zzlDeleteRangeByLex: from zzlFirstInLexRange's element
      if (this.firstInLex(r, true) === 0) return 0;
      this.rankWalk(this.foundRank);
    } else this.beforeLex(r); // zslDeleteRangeByLex searches without the shortcut
    return this.deleteRun((n) => lexLteMax(this.memberOf(n), r));
  }

  /**
   * ZSCAN's stateless walk: visits the members in up to `count` member slots from slot `from`
   * and returns the slot to go on from, 0 when done. A member keeps its slot for as long as it
   * is in the set (compaction moves nodes, not slots), so a walk from 0 to the end visits every
   * member present throughout; one added meanwhile may take a freed slot behind the cursor.
   */
  scanSlots(from: number, count: number, visit: (member: string, score: number) => void): number {
    const members = this.members;
    const I = this.I;
    let i = from;
    let found = 0;
    // freed slots are passed over too, but no more than 10 per member asked for
    for (const end = Math.min(members.length, from + count * 10); i < end && found < count; i++) {
      const m = members[i];
      const n = this.dict.get(m);
      // a freed slot holds '' (a member of its own, with its own slot)
      if (n !== undefined && I[2 * n + 3] >> 5 === i) {
        visit(m, this.F[n]);
        found++;
      }
    }
    return i < members.length ? i : 0;
  }

  [Symbol.iterator](): Iterator<[string, number]> {
    let n = this.I[4];
    return {
      next: (): IteratorResult<[string, number]> => {
        if (n === 0) return { value: undefined, done: true };
        const v: [string, number] = [this.memberOf(n), this.F[n]];
        n = this.I[2 * n + 4];
        return { value: v, done: false };
      },
    };
  }

  /**
   * Checks every invariant of the structure (for tests): order, spans, ranks, prev links,
   * tail, level, the dict and the free lists. Returns a description of the first problem.
   */
  check(): string | null {
    const F = this.F;
    const I = this.I;
    const len = this.dict.size;
    // level 0: order, prev links, tail, dict
    const rankOfNode = new Map<number, number>();
    let prev = 0;
    let r = 0;
    for (let x = I[4]; x !== 0; x = I[2 * x + 4]) {
      r++;
      if (r > len) return `level 0 has more than ${len} nodes`;
      if (I[2 * x + 2] !== prev) return `prev of rank ${r} is ${I[2 * x + 2]}, not ${prev}`;
      const m = this.memberOf(x);
      if (this.dict.get(m) !== x) return `dict does not map ${JSON.stringify(m)} to its node`;
      if (prev !== 0) {
        const ps = F[prev];
        const pm = this.memberOf(prev);
        if (!(ps < F[x] || (ps === F[x] && pm < m))) return `rank ${r} is out of order`;
      }
      if (Number.isNaN(F[x])) return `rank ${r} has a NaN score`;
      if (this.levelOf(x) > this.level) return `rank ${r} is above the list's level`;
      rankOfNode.set(x, r);
      prev = x;
    }
    if (r !== len) return `level 0 has ${r} nodes, dict ${len}`;
    if (this.tail !== prev) return 'tail is not the last node';
    // upper levels: each link skips to a node of at least that level, with the right span
    for (let i = 0; i < this.level; i++) {
      let x = 0;
      let xr = 0;
      for (;;) {
        const y = I[2 * x + 4 + 2 * i];
        if (y === 0) break;
        const yr = rankOfNode.get(y);
        if (yr === undefined) return `level ${i} links to a node not on level 0`;
        if (this.levelOf(y) <= i) return `level ${i} links to a node of level ${this.levelOf(y)}`;
        if (I[2 * x + 5 + 2 * i] !== yr - xr) return `span at level ${i} from rank ${xr} is ${I[2 * x + 5 + 2 * i]}, not ${yr - xr}`;
        // no node of this level is skipped
        for (let z = x === 0 ? I[4] : I[2 * x + 4]; z !== y; z = I[2 * z + 4]) {
          if (this.levelOf(z) > i) return `level ${i} skips a node of level ${this.levelOf(z)}`;
        }
        x = y;
        xr = yr;
      }
      if (x === 0 ? false : this.levelOf(x) <= i) return `level ${i} ends on a lower node`;
      // the last node of the level: no node after it has this level
      for (let z = x === 0 ? I[4] : I[2 * x + 4]; z !== 0; z = I[2 * z + 4]) {
        if (this.levelOf(z) > i) return `level ${i} misses a node at its end`;
      }
    }
    if (this.level > 1 && I[4 + 2 * (this.level - 1)] === 0) return `level ${this.level} is empty`;
    // memory accounting: live words and free lists
    let live = RESERVED;
    for (const x of rankOfNode.keys()) live += 2 + this.levelOf(x);
    if (live !== this.live) return `live words ${this.live}, counted ${live}`;
    let freeWords = 0;
    for (let l = 1; l <= MAX_LEVEL; l++) {
      for (let x = I[FREE + l]; x !== 0; x = I[2 * x + 2]) {
        if (rankOfNode.has(x)) return `free list ${l} holds a live node`;
        if (this.levelOf(x) !== l) return `free list ${l} holds a node of level ${this.levelOf(x)}`;
        freeWords += 2 + l;
        if (freeWords > this.top) return `free list ${l} loops`;
      }
    }
    if (live + freeWords !== this.top) return `${live} live + ${freeWords} free words, top ${this.top}`;
    if (this.members.length - this.freeSlots.length !== len) return 'member slots do not add up';
    return null;
  }
}
