/*
 * The exact-match (microflow) cache in front of the classifier.
 *
 * What: maps a whole packed frame key to the classifier's answer for it (a rule, or null for a table
 * miss), so a frame of an established microflow costs one hash and one 9-word compare.
 *
 * Invariant: an entry is valid only while its generation equals the cache's. The owner calls
 * invalidate() on every change that could alter any lookup's answer (flow-mod, expiry, emergency
 * mode), which makes every entry stale at once in O(1); nothing stale is ever returned, so a
 * flow-mod is in effect for the very next frame.
 *
 * Layout: 2-way set-associative over typed arrays (keys stored inline), so a lookup allocates
 * nothing and chases no pointers until it has found its entry.
 */
import { KEY_WORDS } from './frame-key.js';

export const CACHE_ENTRIES = 1 << 14;

/** Words per entry: generation, hash, key. One entry spans 44 bytes, so a probe costs one cache miss. */
const STRIDE = 2 + KEY_WORDS;

export class FlowCache<R> {
  private readonly ent = new Int32Array(CACHE_ENTRIES * STRIDE);
  private readonly rules: (R | null)[] = new Array<R | null>(CACHE_ENTRIES).fill(null);
  private generation = 1;

  invalidate(): void {
    this.generation = (this.generation + 1) | 0;
    if (this.generation === 0) {
      // Wrapped around: old entries could look current again, so forget them for real.
      this.ent.fill(0);
      this.rules.fill(null);
      this.generation = 1;
    }
  }

  /** The cached answer for `key` (hash `h`): a rule, null (a cached miss), or undefined (not cached). */
  lookup(key: Int32Array, h: number): R | null | undefined {
    const e = h & (CACHE_ENTRIES - 2);
    if (this.holds(e, key, h)) return this.rules[e]!;
    if (this.holds(e + 1, key, h)) return this.rules[e + 1]!;
    return undefined;
  }

  insert(key: Int32Array, h: number, rule: R | null): void {
    const set = h & (CACHE_ENTRIES - 2);
    const g = this.generation;
    const ent = this.ent;
    // The way already holding this key, else a stale way, else one a hash bit picks.
    let e: number;
    if (this.holds(set, key, h)) e = set;
    else if (this.holds(set + 1, key, h)) e = set + 1;
    else if (ent[set * STRIDE] !== g) e = set;
    else e = ent[(set + 1) * STRIDE] !== g ? set + 1 : set + ((h >>> 16) & 1);
    const b = e * STRIDE;
    ent[b] = g;
    ent[b + 1] = h;
    for (let i = 0; i < KEY_WORDS; i++) ent[b + 2 + i] = key[i]!;
    this.rules[e] = rule;
  }

  private holds(e: number, key: Int32Array, h: number): boolean {
    const ent = this.ent;
    const b = e * STRIDE;
    if (ent[b] !== this.generation || ent[b + 1] !== h) return false;
    for (let i = 0; i < KEY_WORDS; i++) if (ent[b + 2 + i] !== key[i]) return false;
    return true;
  }
}
