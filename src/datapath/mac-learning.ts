/*
 * The MAC-learning table behind the NORMAL action.
 *
 * What: (VLAN, MAC) → port, learnt from source addresses, aged out after `agingMs` without being
 * seen (default 300 s, Open vSwitch's default), at most `maxEntries` entries (default 2048, Open
 * vSwitch's default mac-table-size); when full, the least recently seen entry is evicted.
 *
 * Why this shape: learn() and lookup() run once per frame on the NORMAL path, so the table is an
 * open-addressing hash over typed arrays (no allocation, no string keys) with an intrusive LRU list
 * (also typed arrays): refreshing an entry moves it to the tail, aging pops from the head, eviction
 * takes the head. VLAN is the 802.1Q VID (0 for untagged frames, which share VLAN 0 as in OVS).
 */

const NIL = -1;

export interface MacEntry {
  vlan: number;
  mac: number;
  port: number;
  /** Milliseconds since the entry was last refreshed. */
  ageMs: number;
}

export class MacLearningTable {
  readonly maxEntries: number;
  agingMs: number;
  /** The clock (ms) for learning and aging; the datapath sets it once per batch. */
  now = 0;
  private readonly capMask: number;
  /** slot → entry index, NIL when empty. */
  private readonly slotEntry: Int32Array;
  private readonly slotHash: Int32Array;
  private readonly eKeyHi: Int32Array;
  private readonly eKeyLo: Int32Array;
  private readonly ePort: Int32Array;
  private readonly eSeen: Float64Array;
  private readonly eSlot: Int32Array;
  private readonly ePrev: Int32Array;
  private readonly eNext: Int32Array;
  private head = NIL;
  private tail = NIL;
  private freeTop: number;
  private readonly freeList: Int32Array;
  private count = 0;

  constructor(maxEntries = 2048, agingMs = 300_000) {
    this.maxEntries = Math.max(1, maxEntries);
    this.agingMs = agingMs;
    let cap = 16;
    while (cap < this.maxEntries * 2) cap *= 2;
    this.capMask = cap - 1;
    this.slotEntry = new Int32Array(cap).fill(NIL);
    this.slotHash = new Int32Array(cap);
    const n = this.maxEntries;
    this.eKeyHi = new Int32Array(n);
    this.eKeyLo = new Int32Array(n);
    this.ePort = new Int32Array(n);
    this.eSeen = new Float64Array(n);
    this.eSlot = new Int32Array(n);
    this.ePrev = new Int32Array(n);
    this.eNext = new Int32Array(n);
    this.freeList = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeList[i] = n - 1 - i;
    this.freeTop = n;
  }

  get size(): number {
    return this.count;
  }

  /**
   * The key is passed as three small integers — vlan << 16 | MAC bytes 0-1, MAC bytes 2-3, MAC bytes
   * 4-5 — and hashes fit 30 bits, so no call on this path ever boxes a number.
   */
  private static hash(k0: number, k1: number, k2: number): number {
    let h = Math.imul(k0 ^ 0x2f6b1c3d, 0x9e3779b1) ^ ((k1 << 16) | k2);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & 0x3fffffff;
  }

  private find(k0: number, k1: number, k2: number, h: number): number {
    const lo = (k1 << 16) | k2;
    let s = h & this.capMask;
    for (;;) {
      const e = this.slotEntry[s]!;
      if (e === NIL) return NIL;
      if (this.slotHash[s] === h && this.eKeyHi[e] === k0 && this.eKeyLo[e] === lo) return e;
      s = (s + 1) & this.capMask;
    }
  }

  /** Learns that the MAC at b[off, off + 6) was seen on `port` in `vlan`, at this.now. */
  learnFrom(b: Uint8Array, off: number, vlan: number, port: number): boolean {
    return this.learnKey(
      (vlan << 16) | (b[off]! << 8) | b[off + 1]!,
      (b[off + 2]! << 8) | b[off + 3]!,
      (b[off + 4]! << 8) | b[off + 5]!,
      port,
    );
  }

  /** The port learnt for the MAC at b[off, off + 6) in `vlan`, or -1 when unknown or aged out. */
  lookupFrom(b: Uint8Array, off: number, vlan: number): number {
    return this.lookupKey(
      (vlan << 16) | (b[off]! << 8) | b[off + 1]!,
      (b[off + 2]! << 8) | b[off + 3]!,
      (b[off + 4]! << 8) | b[off + 5]!,
    );
  }

  /** learnFrom() for a MAC given as a number; sets the clock to `now`. Returns true when new or moved. */
  learn(vlan: number, mac: number, port: number, now: number): boolean {
    this.now = now;
    const hi = Math.floor(mac / 0x100000000);
    const lo = mac % 0x100000000;
    return this.learnKey((vlan << 16) | hi, lo >>> 16, lo & 0xffff, port);
  }

  /** lookupFrom() for a MAC given as a number; sets the clock to `now`. */
  lookup(vlan: number, mac: number, now: number): number {
    this.now = now;
    const hi = Math.floor(mac / 0x100000000);
    const lo = mac % 0x100000000;
    return this.lookupKey((vlan << 16) | hi, lo >>> 16, lo & 0xffff);
  }

  private learnKey(k0: number, k1: number, k2: number, port: number): boolean {
    const h = MacLearningTable.hash(k0, k1, k2);
    let e = this.find(k0, k1, k2, h);
    if (e !== NIL) {
      this.eSeen[e] = this.now;
      if (this.tail !== e) {
        this.unlink(e);
        this.append(e);
      }
      if (this.ePort[e] === port) return false;
      this.ePort[e] = port;
      return true;
    }
    if (this.freeTop === 0) this.removeEntry(this.head);
    e = this.freeList[--this.freeTop]!;
    this.eKeyHi[e] = k0;
    this.eKeyLo[e] = (k1 << 16) | k2;
    this.ePort[e] = port;
    this.eSeen[e] = this.now;
    let s = h & this.capMask;
    while (this.slotEntry[s] !== NIL) s = (s + 1) & this.capMask;
    this.slotEntry[s] = e;
    this.slotHash[s] = h;
    this.eSlot[e] = s;
    this.append(e);
    this.count++;
    return true;
  }

  private lookupKey(k0: number, k1: number, k2: number): number {
    const e = this.find(k0, k1, k2, MacLearningTable.hash(k0, k1, k2));
    if (e === NIL) return -1;
    if (this.now - this.eSeen[e]! >= this.agingMs) {
      this.removeEntry(e);
      return -1;
    }
    return this.ePort[e]!;
  }

  /** Removes entries not seen for agingMs; returns how many. */
  expire(now: number): number {
    let n = 0;
    while (this.head !== NIL && now - this.eSeen[this.head]! >= this.agingMs) {
      this.removeEntry(this.head);
      n++;
    }
    return n;
  }

  /** Forgets everything learnt on `port` (it went away or down). */
  flushPort(port: number): void {
    let e = this.head;
    while (e !== NIL) {
      const next = this.eNext[e]!;
      if (this.ePort[e] === port) this.removeEntry(e);
      e = next;
    }
  }

  flush(): void {
    while (this.head !== NIL) this.removeEntry(this.head);
  }

  /** Every entry, least recently seen first (for tools and tests). */
  entries(now: number): MacEntry[] {
    const out: MacEntry[] = [];
    for (let e = this.head; e !== NIL; e = this.eNext[e]!) {
      const hi = this.eKeyHi[e]!;
      out.push({
        vlan: hi >>> 16,
        mac: (hi & 0xffff) * 0x100000000 + (this.eKeyLo[e]! >>> 0),
        port: this.ePort[e]!,
        ageMs: now - this.eSeen[e]!,
      });
    }
    return out;
  }

  private append(e: number): void {
    this.ePrev[e] = this.tail;
    this.eNext[e] = NIL;
    if (this.tail !== NIL) this.eNext[this.tail] = e;
    else this.head = e;
    this.tail = e;
  }

  private unlink(e: number): void {
    const p = this.ePrev[e]!;
    const n = this.eNext[e]!;
    if (p !== NIL) this.eNext[p] = n;
    else this.head = n;
    if (n !== NIL) this.ePrev[n] = p;
    else this.tail = p;
  }

  private removeEntry(e: number): void {
    this.unlink(e);
    // Backward-shift deletion keeps linear probing tombstone-free.
    const cm = this.capMask;
    let i = this.eSlot[e]!;
    let j = i;
    for (;;) {
      j = (j + 1) & cm;
      const f = this.slotEntry[j]!;
      if (f === NIL) break;
      const home = this.slotHash[j]! & cm;
      const movable = i <= j ? home <= i || home > j : home <= i && home > j;
      if (movable) {
        this.slotEntry[i] = f;
        this.slotHash[i] = this.slotHash[j]!;
        this.eSlot[f] = i;
        i = j;
      }
    }
    this.slotEntry[i] = NIL;
    this.freeList[this.freeTop++] = e;
    this.count--;
  }
}
