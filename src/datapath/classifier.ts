/*
 * The classifier: tuple space search over the OpenFlow 1.0 flow table.
 *
 * What: rules are (mask, masked value, rank). lookup(key) returns the matching rule of highest rank.
 *
 * Basic design: rules with the same mask share a *subtable*, an open-addressing hash table keyed by
 * the masked value, so a lookup costs one hash probe per distinct mask rather than one comparison per
 * rule. Rules whose masked values are equal (same subtable, same bucket) differ only in rank and are
 * chained in descending rank order, so a probe's answer is the chain head. Subtables are kept sorted
 * by the highest rank they hold; lookup stops as soon as the best rule found outranks every subtable
 * still to be probed, which makes a table whose high-priority masks hit usually cost a probe or two.
 *
 * Tie-break: among matching rules of equal rank the answer is any one of them (OpenFlow 1.0 leaves
 * overlapping equal-priority flows undefined), but always the same one for the same table contents.
 *
 * Ranks: the flow table gives exact-match flows a rank above every priority, so they always win.
 *
 * Nothing here allocates on lookup. Insert and remove are O(1) expected plus a re-sort of the
 * subtable list (tens of entries) when a subtable's top rank changes. Rules are owned by the caller;
 * the classifier only threads its `clsNext` link through them while they are inserted.
 */
import { KEY_WORDS } from './frame-key.js';
import { hashMasked, hashWords } from './hash.js';

export interface ClsRule {
  readonly mask: Int32Array;
  /** The rule's values, already masked by `mask`. */
  readonly value: Int32Array;
  /** Higher wins. */
  readonly rank: number;
  /** Next rule of the same bucket; owned by the classifier. */
  clsNext: ClsRule | null;
}

const MIN_CAP = 8;

/**
 * One mask's rules. The hash table is a single Int32Array of fixed-stride slots laid out as
 * [hash, rank of the bucket head + 1 (0 = empty), masked key words …], so a probe reads one
 * contiguous run of memory and touches a rule object only once the search is over: with 100,000
 * rules the table no longer fits in cache, and every pointer chased would be a cache miss.
 */
class Subtable<R extends ClsRule> {
  readonly mask: Int32Array;
  /** Indices of the mask's non-zero words: the only ones hashed, stored and compared. */
  readonly idx: Int32Array;
  readonly maskHash: number;
  private readonly stride: number;
  private tab: Int32Array;
  /** Bucket heads by slot. */
  heads: (R | null)[];
  private capMask: number;
  private buckets = 0;
  count = 0;
  maxRank = -1;
  private readonly rankCounts = new Map<number, number>();
  /** The hash find() computed last (saves insert() hashing twice). */
  private lastHash = 0;

  /** `mask` is shared with the rules (interned), never modified. */
  constructor(mask: Int32Array, maskHash: number) {
    this.mask = mask;
    const idx: number[] = [];
    for (let i = 0; i < KEY_WORDS; i++) if (mask[i] !== 0) idx.push(i);
    this.idx = Int32Array.from(idx);
    this.stride = 2 + idx.length;
    this.maskHash = maskHash;
    this.tab = new Int32Array(MIN_CAP * this.stride);
    this.heads = new Array<R | null>(MIN_CAP).fill(null);
    this.capMask = MIN_CAP - 1;
  }

  /**
   * The slot of the bucket matching the (unmasked) frame key, or -1. The bucket head's rank is
   * rankAt(slot), the rule heads[slot].
   */
  find(key: Int32Array): number {
    const mask = this.mask;
    const idx = this.idx;
    const n = idx.length;
    const h = hashMasked(key, mask, idx);
    this.lastHash = h;
    const tab = this.tab;
    const stride = this.stride;
    const cm = this.capMask;
    let s = h & cm;
    for (;;) {
      const b = s * stride;
      if (tab[b + 1] === 0) return -1;
      if (tab[b] === h) {
        let j = 0;
        for (; j < n; j++) {
          const i = idx[j]!;
          if ((key[i]! & mask[i]!) !== tab[b + 2 + j]) break;
        }
        if (j === n) return s;
      }
      s = (s + 1) & cm;
    }
  }

  *rules(): IterableIterator<R> {
    for (let s = 0; s < this.heads.length; s++)
      for (let r: ClsRule | null = this.heads[s]!; r !== null; r = r.clsNext) yield r as R;
  }

  rankAt(slot: number): number {
    return this.tab[slot * this.stride + 1]! - 1;
  }

  /** Inserts `r`, replacing (and returning) a rule of the same masked value and rank. */
  insert(r: R): R | undefined {
    const s = this.find(r.value);
    if (s >= 0) {
      let head = this.heads[s]!;
      if (head.rank === r.rank) {
        r.clsNext = head.clsNext;
        head.clsNext = null;
        this.heads[s] = r;
        return head;
      }
      if (r.rank > head.rank) {
        r.clsNext = head;
        this.heads[s] = r;
        this.tab[s * this.stride + 1] = r.rank + 1;
      } else {
        while (head.clsNext !== null && head.clsNext.rank > r.rank) head = head.clsNext as R;
        const next = head.clsNext;
        if (next !== null && next.rank === r.rank) {
          r.clsNext = next.clsNext;
          next.clsNext = null;
          head.clsNext = r;
          return next as R;
        }
        r.clsNext = next;
        head.clsNext = r;
      }
    } else {
      const h = this.lastHash;
      if ((this.buckets + 1) * 2 > this.capMask + 1) this.grow();
      let e = h & this.capMask;
      while (this.tab[e * this.stride + 1] !== 0) e = (e + 1) & this.capMask;
      r.clsNext = null;
      const b = e * this.stride;
      this.tab[b] = h;
      this.tab[b + 1] = r.rank + 1;
      for (let j = 0; j < this.idx.length; j++) this.tab[b + 2 + j] = r.value[this.idx[j]!]!;
      this.heads[e] = r;
      this.buckets++;
    }
    this.count++;
    this.rankCounts.set(r.rank, (this.rankCounts.get(r.rank) ?? 0) + 1);
    if (r.rank > this.maxRank) this.maxRank = r.rank;
    return undefined;
  }

  /** Removes `r`; returns false when it was not here. */
  remove(r: R): boolean {
    const s = this.find(r.value);
    if (s < 0) return false;
    let head = this.heads[s]!;
    if (head === r) {
      if (r.clsNext !== null) {
        this.heads[s] = r.clsNext as R;
        this.tab[s * this.stride + 1] = r.clsNext.rank + 1;
      } else this.deleteSlot(s);
    } else {
      while (head.clsNext !== null && head.clsNext !== r) head = head.clsNext as R;
      if (head.clsNext !== r) return false;
      head.clsNext = r.clsNext;
    }
    r.clsNext = null;
    this.count--;
    const c = this.rankCounts.get(r.rank)! - 1;
    if (c === 0) {
      this.rankCounts.delete(r.rank);
      if (r.rank === this.maxRank) {
        let m = -1;
        for (const k of this.rankCounts.keys()) if (k > m) m = k;
        this.maxRank = m;
      }
    } else {
      this.rankCounts.set(r.rank, c);
    }
    return true;
  }

  /** Linear-probing deletion with backward shift, so probes never need tombstones. */
  private deleteSlot(i: number): void {
    const cm = this.capMask;
    const st = this.stride;
    const tab = this.tab;
    let j = i;
    for (;;) {
      j = (j + 1) & cm;
      if (tab[j * st + 1] === 0) break;
      const home = tab[j * st]! & cm;
      const movable = i <= j ? home <= i || home > j : home <= i && home > j;
      if (movable) {
        tab.copyWithin(i * st, j * st, j * st + st);
        this.heads[i] = this.heads[j]!;
        i = j;
      }
    }
    tab.fill(0, i * st, i * st + st);
    this.heads[i] = null;
    this.buckets--;
  }

  private grow(): void {
    const oldTab = this.tab;
    const oldHeads = this.heads;
    const st = this.stride;
    const cap = (this.capMask + 1) * 2;
    this.tab = new Int32Array(cap * st);
    this.heads = new Array<R | null>(cap).fill(null);
    this.capMask = cap - 1;
    for (let s = 0; s < oldHeads.length; s++) {
      if (oldTab[s * st + 1] === 0) continue;
      let e = oldTab[s * st]! & this.capMask;
      while (this.tab[e * st + 1] !== 0) e = (e + 1) & this.capMask;
      this.tab.set(oldTab.subarray(s * st, s * st + st), e * st);
      this.heads[e] = oldHeads[s]!;
    }
  }
}

export class Classifier<R extends ClsRule> {
  /** Subtables by descending maxRank. */
  private sorted: Subtable<R>[] = [];
  private byMaskHash = new Map<number, Subtable<R>[]>();
  private count_ = 0;

  get size(): number {
    return this.count_;
  }

  /** Number of distinct masks (subtables). */
  get maskCount(): number {
    return this.sorted.length;
  }

  /** The matching rule of highest rank, or null. Allocates nothing. */
  lookup(key: Int32Array): R | null {
    const sts = this.sorted;
    let bestSt: Subtable<R> | null = null;
    let bestSlot = -1;
    let bestRank = -1;
    for (let i = 0; i < sts.length; i++) {
      const st = sts[i]!;
      if (st.maxRank <= bestRank) break;
      const s = st.find(key);
      if (s >= 0) {
        const rank = st.rankAt(s);
        if (rank > bestRank) {
          bestSt = st;
          bestSlot = s;
          bestRank = rank;
        }
      }
    }
    return bestSt === null ? null : bestSt.heads[bestSlot]!;
  }

  /**
   * Inserts `r`. A rule with the same mask, masked value and rank is replaced and returned (the
   * flow table's "identical flow" case). `r.mask` must not change while `r` is inserted.
   */
  insert(r: R): R | undefined {
    let st = this.subtableFor(r.mask);
    if (!st) {
      const mh = hashWords(r.mask, KEY_WORDS);
      st = new Subtable<R>(r.mask, mh);
      const list = this.byMaskHash.get(mh);
      if (list) list.push(st);
      else this.byMaskHash.set(mh, [st]);
      this.sorted.push(st);
    }
    const before = st.maxRank;
    const old = st.insert(r);
    if (old) return old;
    this.count_++;
    if (st.maxRank !== before) this.resort();
    return undefined;
  }

  /** The classifier's own copy of `mask` when it has a subtable for it (so rules share it), else a copy. */
  internMask(mask: Int32Array): Int32Array {
    return this.subtableFor(mask)?.mask ?? Int32Array.from(mask);
  }

  /** Removes `r`; returns false when it was not in the classifier. */
  remove(r: R): boolean {
    const st = this.subtableFor(r.mask);
    if (!st) return false;
    const before = st.maxRank;
    if (!st.remove(r)) return false;
    this.count_--;
    if (st.count === 0) {
      const list = this.byMaskHash.get(st.maskHash)!;
      list.splice(list.indexOf(st), 1);
      if (list.length === 0) this.byMaskHash.delete(st.maskHash);
      this.sorted.splice(this.sorted.indexOf(st), 1);
    } else if (st.maxRank !== before) {
      this.resort();
    }
    return true;
  }

  /** The rule with exactly this mask, masked value and rank, or undefined. */
  findStrict(mask: Int32Array, value: Int32Array, rank: number): R | undefined {
    const st = this.subtableFor(mask);
    if (!st) return undefined;
    const s = st.find(value);
    if (s < 0) return undefined;
    for (let r: ClsRule | null = st.heads[s]!; r !== null; r = r.clsNext) if (r.rank === rank) return r as R;
    return undefined;
  }

  /** Every rule, in no particular order (the caller must not insert or remove while iterating). */
  *rules(): IterableIterator<R> {
    for (const st of this.sorted) yield* st.rules();
  }

  clear(): void {
    this.sorted = [];
    this.byMaskHash = new Map();
    this.count_ = 0;
  }

  private subtableFor(mask: Int32Array): Subtable<R> | undefined {
    const list = this.byMaskHash.get(hashWords(mask, KEY_WORDS));
    if (!list) return undefined;
    for (const st of list) {
      let i = 0;
      while (i < KEY_WORDS && st.mask[i] === mask[i]) i++;
      if (i === KEY_WORDS) return st;
    }
    return undefined;
  }

  private resort(): void {
    this.sorted.sort((a, b) => b.maxRank - a.maxRank);
  }
}
