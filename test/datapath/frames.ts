/*
 * Test frames built from scratch, with checksums computed in full (never incrementally), and an
 * independent checksum verifier: the datapath's incremental updates are checked against these.
 */

export interface FrameSpec {
  dst?: number;
  src?: number;
  /** 802.1Q tag (omit for untagged). */
  vlan?: { vid: number; pcp?: number };
  /** Ethernet type of the payload (default IPv4 when `ip` is given). */
  type?: number;
  ip?: {
    src: number;
    dst: number;
    proto: number;
    tos?: number;
    ttl?: number;
    /** Fragment offset in 8-byte units. */
    fragOffset?: number;
    moreFragments?: boolean;
    id?: number;
  };
  tcp?: { src: number; dst: number };
  udp?: { src: number; dst: number; noChecksum?: boolean };
  icmp?: { type: number; code: number };
  /** Payload after the L4 (or L3) header. */
  payload?: Buffer;
  /** Raw bytes after the Ethernet header instead of ip/tcp/udp/icmp. */
  raw?: Buffer;
}

export function mac(s: string): number {
  return parseInt(s.replace(/:/g, ''), 16);
}

export function ip(s: string): number {
  return s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function writeMac(b: Buffer, o: number, m: number): void {
  b.writeUIntBE(m, o, 6);
}

/** The Internet checksum of b[start, end) plus `initial` (a partial 32-bit sum). */
export function inetSum(b: Buffer, start: number, end: number, initial = 0): number {
  let s = initial;
  for (let i = start; i + 1 < end; i += 2) s += b.readUInt16BE(i);
  if ((end - start) & 1) s += b[end - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function pseudoSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

export function buildFrame(f: FrameSpec): Buffer {
  const parts: Buffer[] = [];
  const eth = Buffer.alloc(12);
  writeMac(eth, 0, f.dst ?? mac('00:00:00:00:00:02'));
  writeMac(eth, 6, f.src ?? mac('00:00:00:00:00:01'));
  parts.push(eth);
  if (f.vlan) {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(0x8100, 0);
    t.writeUInt16BE(((f.vlan.pcp ?? 0) << 13) | f.vlan.vid, 2);
    parts.push(t);
  }
  const type = Buffer.alloc(2);
  type.writeUInt16BE(f.type ?? (f.ip ? 0x0800 : 0x88b5), 0);
  parts.push(type);
  if (f.raw) parts.push(f.raw);
  else if (f.ip) parts.push(buildIp(f));
  else if (f.payload) parts.push(f.payload);
  return Buffer.concat(parts);
}

function buildIp(f: FrameSpec): Buffer {
  const i = f.ip!;
  const payload = f.payload ?? Buffer.alloc(0);
  let l4: Buffer;
  const later = (i.fragOffset ?? 0) !== 0;
  if (later) l4 = payload;
  else if (f.tcp) {
    l4 = Buffer.concat([Buffer.alloc(20), payload]);
    l4.writeUInt16BE(f.tcp.src, 0);
    l4.writeUInt16BE(f.tcp.dst, 2);
    l4.writeUInt32BE(0x01020304, 4);
    l4[12] = 5 << 4;
    l4[13] = 0x18;
    l4.writeUInt16BE(8192, 14);
  } else if (f.udp) {
    l4 = Buffer.concat([Buffer.alloc(8), payload]);
    l4.writeUInt16BE(f.udp.src, 0);
    l4.writeUInt16BE(f.udp.dst, 2);
    l4.writeUInt16BE(l4.length, 4);
  } else if (f.icmp) {
    l4 = Buffer.concat([Buffer.alloc(8), payload]);
    l4[0] = f.icmp.type;
    l4[1] = f.icmp.code;
    l4.writeUInt16BE(0x1234, 4);
  } else l4 = payload;
  // L4 checksums over the whole datagram as if unfragmented (a first fragment carries the real one).
  if (!later) {
    if (f.tcp)
      l4.writeUInt16BE(~inetSum(l4, 0, l4.length, pseudoSum(i.src, i.dst, 6, l4.length)) & 0xffff, 16);
    if (f.udp && !f.udp.noChecksum) {
      const c = ~inetSum(l4, 0, l4.length, pseudoSum(i.src, i.dst, 17, l4.length)) & 0xffff;
      l4.writeUInt16BE(c === 0 ? 0xffff : c, 6);
    }
    if (f.icmp) l4.writeUInt16BE(~inetSum(l4, 0, l4.length) & 0xffff, 2);
  }
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h[1] = i.tos ?? 0;
  h.writeUInt16BE(20 + l4.length, 2);
  h.writeUInt16BE(i.id ?? 0x1c46, 4);
  h.writeUInt16BE((i.moreFragments ? 0x2000 : 0) | (i.fragOffset ?? 0), 6);
  h[8] = i.ttl ?? 64;
  h[9] = i.proto;
  h.writeUInt32BE(i.src, 12);
  h.writeUInt32BE(i.dst, 16);
  h.writeUInt16BE(~inetSum(h, 0, 20) & 0xffff, 10);
  return Buffer.concat([h, l4]);
}

/** Where the IPv4 header starts in an Ethernet frame (after an optional 802.1Q tag). */
export function ipOffset(frame: Buffer): number {
  return frame.readUInt16BE(12) === 0x8100 ? 18 : 14;
}

/**
 * Verifies every checksum of an IPv4 frame by full recomputation: the IPv4 header, and for a
 * non-fragment or first fragment its TCP, UDP (unless 0) or ICMP checksum. Returns a list of
 * problems (empty when all are right).
 */
export function checksumProblems(frame: Buffer): string[] {
  const out: string[] = [];
  if (frame.length < 34) return out;
  const o = ipOffset(frame);
  if (frame.readUInt16BE(o - 2) !== 0x0800) return out;
  const hl = (frame[o]! & 0xf) * 4;
  if (inetSum(frame, o, o + hl) !== 0xffff) out.push('ipv4 header checksum');
  const frag = frame.readUInt16BE(o + 6);
  const totLen = frame.readUInt16BE(o + 2);
  // A later fragment has no L4 header. (Test first fragments carry a checksum over their own bytes.)
  if ((frag & 0x1fff) !== 0) return out;
  const proto = frame[o + 9]!;
  const src = frame.readUInt32BE(o + 12);
  const dst = frame.readUInt32BE(o + 16);
  const l4 = o + hl;
  const l4len = totLen - hl;
  if (proto === 6 && inetSum(frame, l4, l4 + l4len, pseudoSum(src, dst, 6, l4len)) !== 0xffff)
    out.push('tcp checksum');
  if (
    proto === 17 &&
    frame.readUInt16BE(l4 + 6) !== 0 &&
    inetSum(frame, l4, l4 + l4len, pseudoSum(src, dst, 17, l4len)) !== 0xffff
  )
    out.push('udp checksum');
  if (proto === 1 && inetSum(frame, l4, l4 + l4len) !== 0xffff) out.push('icmp checksum');
  return out;
}

/** An ARP frame (Ethernet/IPv4). */
export function arpFrame(
  op: number,
  sha: number,
  spa: number,
  tha: number,
  tpa: number,
  dst = 0xffffffffffff,
): Buffer {
  const a = Buffer.alloc(28);
  a.writeUInt16BE(1, 0);
  a.writeUInt16BE(0x0800, 2);
  a[4] = 6;
  a[5] = 4;
  a.writeUInt16BE(op, 6);
  writeMac(a, 8, sha);
  a.writeUInt32BE(spa, 14);
  writeMac(a, 18, tha);
  a.writeUInt32BE(tpa, 24);
  return buildFrame({ dst, src: sha, type: 0x0806, raw: a });
}
