/*
 * Hashing packed keys (frame-key.ts) without allocating: MurmurHash3's 32-bit mixing over int32 words,
 * results in 30 bits.
 */

function mixWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * Final avalanche, truncated to 30 bits: a hash that fits V8's small-integer range is never boxed
 * when a function returns it or passes it on, which keeps the fast path allocation-free even where
 * the JIT declines to inline.
 */
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

/** Hash of `key` masked by `mask`, over the word indices in `idx` only (the mask's non-zero words). */
export function hashMasked(key: Int32Array, mask: Int32Array, idx: Int32Array): number {
  let h = idx.length;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    h = mixWord(h, key[i]! & mask[i]!);
  }
  return finish(h);
}

/** Hash of the first `n` words of `key`. */
export function hashWords(key: Int32Array, n: number): number {
  let h = 0x5bd1e995;
  for (let i = 0; i < n; i++) h = mixWord(h, key[i]!);
  return finish(h);
}
