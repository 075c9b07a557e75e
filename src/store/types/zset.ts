/**
 * A sorted set as Redis keeps it (t_zset.c): a skiplist ordered by (score, member) whose
 * forward links carry spans, so rank queries are O(log n), plus a member -> score map for
 * O(1) ZSCORE. Members are latin1 strings, so `<` is byte order.
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

const MAX_LEVEL = 32;
const P = 0.25;

class Node {
  readonly next: (Node | null)[];
  readonly span: number[];
  prev: Node | null = null;
  constructor(public member: string, public score: number, level: number) {
    this.next = new Array(level).fill(null);
    this.span = new Array(level).fill(0);
  }
}

function before(score: number, member: string, n: Node): boolean {
  return n.score < score || (n.score === score && n.member < member);
}

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

export class ZSet implements Iterable<[string, number]> {
  private readonly head = new Node('', -Infinity, MAX_LEVEL);
  private tail: Node | null = null;
  private level = 1;
  private readonly dict = new Map<string, number>();

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  has(member: string): boolean {
    return this.dict.has(member);
  }

  private randomLevel(): number {
    let l = 1;
    while (l < MAX_LEVEL && Math.random() < P) l++;
    return l;
  }

  private insert(member: string, score: number): void {
    const update: Node[] = new Array(MAX_LEVEL);
    const rank: number[] = new Array(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      while (x.next[i] !== null && before(score, member, x.next[i]!)) {
        rank[i] += x.span[i];
        x = x.next[i]!;
      }
      update[i] = x;
    }
    const lvl = this.randomLevel();
    if (lvl > this.level) {
      for (let i = this.level; i < lvl; i++) {
        rank[i] = 0;
        update[i] = this.head;
        update[i].span[i] = this.dict.size; // length before insertion
      }
      this.level = lvl;
    }
    const n = new Node(member, score, lvl);
    for (let i = 0; i < lvl; i++) {
      n.next[i] = update[i].next[i];
      update[i].next[i] = n;
      n.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = lvl; i < this.level; i++) update[i].span[i]++;
    n.prev = update[0] === this.head ? null : update[0];
    if (n.next[0] !== null) n.next[0]!.prev = n;
    else this.tail = n;
  }

  /** Unlinks the node for (member, score); the dict is handled by the caller. */
  private remove(member: string, score: number): void {
    const update: Node[] = new Array(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && before(score, member, x.next[i]!)) x = x.next[i]!;
      update[i] = x;
    }
    const n = x.next[0]!;
    this.unlink(n, update);
  }

  private unlink(n: Node, update: Node[]): void {
    for (let i = 0; i < this.level; i++) {
      if (update[i].next[i] === n) {
        update[i].span[i] += n.span[i] - 1;
        update[i].next[i] = n.next[i];
      } else {
        update[i].span[i]--;
      }
    }
    if (n.next[0] !== null) n.next[0]!.prev = n.prev;
    else this.tail = n.prev;
    while (this.level > 1 && this.head.next[this.level - 1] === null) this.level--;
  }

  set(member: string, score: number): 'added' | 'updated' | 'unchanged' {
    const cur = this.dict.get(member);
    if (cur === undefined) {
      this.dict.set(member, score);
      this.insert(member, score);
      return 'added';
    }
    if (cur === score) return 'unchanged';
    this.remove(member, cur);
    this.dict.set(member, score);
    this.insert(member, score);
    return 'updated';
  }

  delete(member: string): boolean {
    const cur = this.dict.get(member);
    if (cur === undefined) return false;
    this.remove(member, cur);
    this.dict.delete(member);
    return true;
  }

  /** 0-based ascending rank, or -1. */
  rank(member: string): number {
    const score = this.dict.get(member);
    if (score === undefined) return -1;
    let r = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && (before(score, member, x.next[i]!) || x.next[i]!.member === member)) {
        r += x.span[i];
        x = x.next[i]!;
        if (x.member === member) return r - 1;
      }
    }
    return -1;
  }

  /** Node at 0-based ascending rank. */
  private nodeAt(rank: number): Node | null {
    if (rank < 0 || rank >= this.dict.size) return null;
    const target = rank + 1;
    let traversed = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i] <= target) {
        traversed += x.span[i];
        x = x.next[i]!;
      }
      if (traversed === target) return x;
    }
    return null;
  }

  at(rank: number): [string, number] | undefined {
    const n = this.nodeAt(rank);
    return n ? [n.member, n.score] : undefined;
  }

  first(): [string, number] | undefined {
    const n = this.head.next[0];
    return n ? [n.member, n.score] : undefined;
  }

  last(): [string, number] | undefined {
    return this.tail ? [this.tail.member, this.tail.score] : undefined;
  }

  rangeByRank(start: number, end: number, reverse = false): [string, number][] {
    const out: [string, number][] = [];
    const len = this.dict.size;
    let n = this.nodeAt(reverse ? len - 1 - start : start);
    for (let i = start; i <= end && n !== null; i++) {
      out.push([n.member, n.score]);
      n = reverse ? n.prev : n.next[0];
    }
    return out;
  }

  /** First node with score in range (ascending). */
  private firstInScore(r: ScoreRange): Node | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !gteMin(x.next[i]!.score, r)) x = x.next[i]!;
    }
    const n = x.next[0];
    return n !== null && lteMax(n.score, r) ? n : null;
  }

  private lastInScore(r: ScoreRange): Node | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && lteMax(x.next[i]!.score, r)) x = x.next[i]!;
    }
    return x !== this.head && gteMin(x.score, r) ? x : null;
  }

  private firstInLex(r: LexRange): Node | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !lexGteMin(x.next[i]!.member, r)) x = x.next[i]!;
    }
    const n = x.next[0];
    return n !== null && lexLteMax(n.member, r) ? n : null;
  }

  private lastInLex(r: LexRange): Node | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && lexLteMax(x.next[i]!.member, r)) x = x.next[i]!;
    }
    return x !== this.head && lexGteMin(x.member, r) ? x : null;
  }

  private collect(start: Node | null, reverse: boolean, inRange: (n: Node) => boolean, offset: number, limit: number): [string, number][] {
    const out: [string, number][] = [];
    let n = start;
    while (n !== null && offset > 0) {
      n = reverse ? n.prev : n.next[0];
      offset--;
    }
    while (n !== null && limit !== 0 && inRange(n)) {
      out.push([n.member, n.score]);
      n = reverse ? n.prev : n.next[0];
      limit--;
    }
    return out;
  }

  rangeByScore(r: ScoreRange, reverse = false, offset = 0, limit = -1): [string, number][] {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return [];
    const start = reverse ? this.lastInScore(r) : this.firstInScore(r);
    return this.collect(start, reverse, (n) => (reverse ? gteMin(n.score, r) : lteMax(n.score, r)), offset, limit);
  }

  rangeByLex(r: LexRange, reverse = false, offset = 0, limit = -1): [string, number][] {
    if (!r.minInf && !r.maxInf && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return [];
    const start = reverse ? this.lastInLex(r) : this.firstInLex(r);
    return this.collect(start, reverse, (n) => (reverse ? lexGteMin(n.member, r) : lexLteMax(n.member, r)), offset, limit);
  }

  countInScore(r: ScoreRange): number {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return 0;
    const a = this.firstInScore(r);
    if (a === null) return 0;
    const b = this.lastInScore(r)!;
    return this.rank(b.member) - this.rank(a.member) + 1;
  }

  countInLex(r: LexRange): number {
    if (!r.minInf && !r.maxInf && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return 0;
    const a = this.firstInLex(r);
    if (a === null) return 0;
    const b = this.lastInLex(r)!;
    return this.rank(b.member) - this.rank(a.member) + 1;
  }

  deleteRangeByRank(start: number, end: number): number {
    const victims = this.rangeByRank(start, end);
    for (const [m] of victims) this.delete(m);
    return victims.length;
  }

  deleteRangeByScore(r: ScoreRange): number {
    const victims = this.rangeByScore(r);
    for (const [m] of victims) this.delete(m);
    return victims.length;
  }

  deleteRangeByLex(r: LexRange): number {
    const victims = this.rangeByLex(r);
    for (const [m] of victims) this.delete(m);
    return victims.length;
  }

  *[Symbol.iterator](): Iterator<[string, number]> {
    for (let n = this.head.next[0]; n !== null; n = n.next[0]) yield [n.member, n.score];
  }
}
