/*
 * Undoing what the kernel's offloads did to a frame before a switch sees it.
 *
 * An AF_PACKET socket sees frames the way the stack holds them, not as they would be on a wire:
 * - the VLAN tag may have been stripped into metadata (PACKET_AUXDATA / tp_vlan_tci): insertVlan()
 *   puts it back in place, using the 4 bytes of headroom every receive path here keeps in front of
 *   the frame;
 * - a locally generated TCP/UDP frame may carry only a partial (pseudo-header) checksum
 *   (TP_STATUS_CSUMNOTREADY; virtio_net_hdr NEEDS_CSUM tells where): completeChecksum() finishes it;
 * - a TSO/GSO frame may be up to 64 KiB (virtio_net_hdr gso_type/gso_size): segmentTcp() cuts it into
 *   MSS-sized frames with correct IP lengths, IDs, TCP sequence numbers, flags and checksums, as the
 *   kernel's software GSO would before a real NIC; segmentUdp() does the same for UDP_SEGMENT
 *   (GSO_UDP_L4) super-datagrams, which become independent datagrams of gso_size bytes.
 *
 * Everything works on Buffers with explicit offsets and writes no more than it is given room for.
 */

export const VIRTIO_NET_HDR_LEN = 10;
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_GSO = { NONE: 0, TCPV4: 1, UDP: 3, TCPV6: 4, UDP_L4: 5, ECN: 0x80 } as const;

export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** Re-inserts an 802.1Q/802.1ad tag in front of the EtherType; needs 4 bytes before `off`. Returns the new offset. */
export function insertVlan(buf: Buffer, off: number, tpid: number, tci: number): number {
  buf.copyWithin(off - 4, off, off + 12);
  buf.writeUInt16BE(tpid, off + 8);
  buf.writeUInt16BE(tci & 0xffff, off + 10);
  return off - 4;
}

/** One's-complement sum of buf[start, end) as 16-bit big-endian words, added to `sum` (not folded). */
export function onesSum(buf: Buffer, start: number, end: number, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * Finishes a partial checksum: the field at csumStart + csumOffset holds the pseudo-header sum, and
 * the checksum covers frame[csumStart, len). Offsets are relative to the frame at `off`.
 */
export function completeChecksum(
  buf: Buffer,
  off: number,
  len: number,
  csumStart: number,
  csumOffset: number,
): void {
  const field = off + csumStart + csumOffset;
  if (csumStart >= len || csumStart + csumOffset + 2 > len) return;
  let c = ~fold(onesSum(buf, off + csumStart, off + len)) & 0xffff;
  if (c === 0) c = 0xffff; // UDP: 0 means "no checksum"; for TCP 0xffff is the same value
  buf.writeUInt16BE(c, field);
}

/** Offsets of the L3 header and the EtherType behind any VLAN tags, or undefined for a runt. */
export function l3Offset(buf: Buffer, off: number, len: number): { l3: number; type: number } | undefined {
  let p = off + 12;
  const end = off + len;
  if (p + 2 > end) return undefined;
  let type = buf.readUInt16BE(p);
  while ((type === ETH_P_8021Q || type === ETH_P_8021AD) && p + 6 <= end) {
    p += 4;
    type = buf.readUInt16BE(p);
  }
  return { l3: p + 2, type };
}

/** Computes and stores the TCP or UDP checksum of a segment whose headers are in place. */
function l4Checksum(b: Buffer, l3: number, l4: number, end: number, v6: boolean, proto: number): void {
  const len = end - l4;
  const field = l4 + (proto === IPPROTO_TCP ? 16 : 6);
  let sum = v6 ? onesSum(b, l3 + 8, l3 + 40) : onesSum(b, l3 + 12, l3 + 20);
  sum += proto + (len & 0xffff) + Math.floor(len / 0x10000);
  b.writeUInt16BE(0, field);
  sum = onesSum(b, l4, end, sum);
  let c = ~fold(sum) & 0xffff;
  if (c === 0 && proto === IPPROTO_UDP) c = 0xffff;
  b.writeUInt16BE(c, field);
}

function ipv4HeaderChecksum(b: Buffer, l3: number, ihl: number): void {
  b.writeUInt16BE(0, l3 + 10);
  b.writeUInt16BE(~fold(onesSum(b, l3, l3 + ihl)) & 0xffff, l3 + 10);
}

type Alloc = (n: number) => { buf: Buffer; off: number };
type Emit = (buf: Buffer, off: number, len: number) => void;

/** Where a `proto` packet's headers sit in frame src[off, off+len), over IPv4 or IPv6. */
interface Headers {
  l3: number;
  l4: number;
  /** IPv4 header length (0 for IPv6). */
  ihl: number;
  v6: boolean;
}

/** Finds the IP and L4 headers of a `proto` packet, or undefined for anything else (or a runt). */
function ipHeaders(src: Buffer, off: number, len: number, proto: number): Headers | undefined {
  const l3i = l3Offset(src, off, len);
  if (!l3i) return undefined;
  const { l3, type } = l3i;
  const end = off + len;
  if (type === ETH_P_IP) {
    if (l3 + 20 > end || src[l3 + 9] !== proto) return undefined;
    const ihl = (src[l3]! & 0x0f) * 4;
    return { l3, l4: l3 + ihl, ihl, v6: false };
  }
  if (type === ETH_P_IPV6) {
    if (l3 + 40 > end || src[l3 + 6] !== proto) return undefined;
    return { l3, l4: l3 + 40, ihl: 0, v6: true };
  }
  return undefined;
}

/**
 * The loop both segmenters share: each segment repeats the headers src[off, hdrEnd) in front of
 * its slice of the payload, gets its own IP length (and IPv4 ID and header checksum), then
 * `fixL4(b, l4, i, n, chunk)` adjusts the L4 header before its checksum is computed.
 */
function segment(
  src: Buffer,
  off: number,
  len: number,
  gsoSize: number,
  h: Headers,
  hdrEnd: number,
  proto: number,
  fixL4: (b: Buffer, l4: number, i: number, n: number, chunk: number) => void,
  alloc: Alloc,
  emit: Emit,
): number {
  const { l3, l4, ihl, v6 } = h;
  const hdrLen = hdrEnd - off;
  const payload = off + len - hdrEnd;
  const n = Math.max(1, Math.ceil(payload / gsoSize));
  const id0 = v6 ? 0 : src.readUInt16BE(l3 + 4);
  for (let i = 0; i < n; i++) {
    const chunk = Math.min(gsoSize, payload - i * gsoSize);
    const segLen = hdrLen + chunk;
    const { buf: b, off: o } = alloc(segLen);
    src.copy(b, o, off, hdrEnd);
    src.copy(b, o + hdrLen, hdrEnd + i * gsoSize, hdrEnd + i * gsoSize + chunk);
    const sl3 = o + (l3 - off);
    const sl4 = o + (l4 - off);
    if (v6) b.writeUInt16BE(segLen - (l3 - off) - 40, sl3 + 4);
    else {
      b.writeUInt16BE(segLen - (l3 - off), sl3 + 2);
      b.writeUInt16BE((id0 + i) & 0xffff, sl3 + 4);
      ipv4HeaderChecksum(b, sl3, ihl);
    }
    fixL4(b, sl4, i, n, chunk);
    l4Checksum(b, sl3, sl4, o + segLen, v6, proto);
    emit(b, o, segLen);
  }
  return n;
}

/**
 * Cuts the TCP super-frame src[off, off+len) into segments of at most `gsoSize` payload bytes.
 * `alloc(n)` returns a Buffer and offset with room for n bytes; `emit` receives each finished
 * segment. Returns the number of segments, or 0 when the frame is not TCP over IPv4/IPv6 (the
 * caller drops it).
 */
export function segmentTcp(
  src: Buffer,
  off: number,
  len: number,
  gsoSize: number,
  alloc: Alloc,
  emit: Emit,
): number {
  const h = gsoSize > 0 ? ipHeaders(src, off, len, IPPROTO_TCP) : undefined;
  if (!h || h.l4 + 20 > off + len) return 0;
  const hdrEnd = h.l4 + (src[h.l4 + 12]! >> 4) * 4;
  if (hdrEnd > off + len) return 0;
  const seq0 = src.readUInt32BE(h.l4 + 4);
  const flags0 = src[h.l4 + 13]!;
  const fixTcp = (b: Buffer, l4: number, i: number, n: number): void => {
    b.writeUInt32BE((seq0 + i * gsoSize) >>> 0, l4 + 4);
    let fl = flags0;
    if (i < n - 1) fl &= ~0x09; // FIN and PSH only on the last segment
    if (i > 0) fl &= ~0x80; // CWR only on the first
    b[l4 + 13] = fl;
  };
  return segment(src, off, len, gsoSize, h, hdrEnd, IPPROTO_TCP, fixTcp, alloc, emit);
}

/**
 * Cuts a UDP_SEGMENT super-datagram src[off, off+len) into datagrams of at most `gsoSize` payload
 * bytes, each with its own UDP length and checksum (and IPv4 length, ID, header checksum or IPv6
 * payload length). Same contract as segmentTcp(); returns 0 for anything but UDP over IPv4/IPv6.
 */
export function segmentUdp(
  src: Buffer,
  off: number,
  len: number,
  gsoSize: number,
  alloc: Alloc,
  emit: Emit,
): number {
  const h = gsoSize > 0 ? ipHeaders(src, off, len, IPPROTO_UDP) : undefined;
  if (!h || h.l4 + 8 > off + len) return 0;
  const fixUdp = (b: Buffer, l4: number, _i: number, _n: number, chunk: number): void => {
    b.writeUInt16BE(8 + chunk, l4 + 4);
  };
  return segment(src, off, len, gsoSize, h, h.l4 + 8, IPPROTO_UDP, fixUdp, alloc, emit);
}
