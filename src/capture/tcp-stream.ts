/*
 * TCP stream reassembly for OpenFlow captures, per direction (keyed by the 4-tuple).
 *
 * Two policies:
 * - 'ovs' reproduces `ovs-ofctl ofp-parse-pcap` exactly (OVS lib/pcap-file.c tcp_reader): only the
 *   segment carrying the next expected sequence number is appended; anything else (retransmits,
 *   out-of-order segments) is dropped; SYN (re)starts a stream; FIN or RST ends it and the data in
 *   that segment is dropped; a stream seen first mid-connection starts at its first data segment.
 * - 'reassemble' is a tolerant reassembler: out-of-order segments wait until the gap fills,
 *   retransmitted or overlapping bytes are trimmed, and data riding on FIN/RST is kept.
 * Both hand out each direction's new bytes in order; the caller frames OpenFlow messages.
 */
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL } from './pcap.js';

export interface TcpSegment {
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  flags: number;
  payload: Buffer;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;

/** Decodes an IPv4/TCP segment from a captured frame, or undefined when it is not one. */
export function parseTcpSegment(frame: Buffer, linkType: number): TcpSegment | undefined {
  let p: number;
  let type: number;
  if (linkType === LINKTYPE_ETHERNET) {
    if (frame.length < 14) return undefined;
    p = 12;
    type = frame.readUInt16BE(p);
    p += 2;
    while ((type === 0x8100 || type === 0x88a8) && frame.length >= p + 4) {
      type = frame.readUInt16BE(p + 2);
      p += 4;
    }
  } else if (linkType === LINKTYPE_LINUX_SLL) {
    if (frame.length < 16) return undefined;
    type = frame.readUInt16BE(14);
    p = 16;
  } else return undefined;
  if (type !== 0x0800 || frame.length < p + 20) return undefined;
  const ihl = (frame[p]! & 0x0f) * 4;
  const totLen = frame.readUInt16BE(p + 2);
  if (ihl < 20 || totLen < ihl || frame.length < p + ihl || frame[p + 9] !== 6) return undefined;
  if (frame.readUInt16BE(p + 6) & 0x1fff) return undefined; // later fragment: no TCP header
  const end = Math.min(frame.length, p + totLen);
  const t = p + ihl;
  if (end - t < 20) return undefined;
  const off = (frame[t + 12]! >>> 4) * 4;
  if (off < 20 || t + off > end) return undefined;
  return {
    srcIp: frame.readUInt32BE(p + 12),
    dstIp: frame.readUInt32BE(p + 16),
    srcPort: frame.readUInt16BE(t),
    dstPort: frame.readUInt16BE(t + 2),
    seq: frame.readUInt32BE(t + 4),
    flags: frame[t + 13]!,
    payload: frame.subarray(t + off, end),
  };
}

export type ReassemblyPolicy = 'ovs' | 'reassemble';

interface Stream {
  /** Next expected sequence number (0 = not yet known, as in OVS). */
  next: number;
  buffered: Buffer;
  /** Out-of-order segments by sequence number ('reassemble' only). */
  pending: Map<number, Buffer>;
}

function key(s: TcpSegment): string {
  return `${s.srcIp}:${s.srcPort}>${s.dstIp}:${s.dstPort}`;
}

const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;

/**
 * Per-direction byte streams. `push()` returns the stream's unconsumed bytes when the segment
 * added data (the caller consumes a prefix with `consume()`), or undefined.
 */
export class TcpReassembler {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly policy: ReassemblyPolicy = 'ovs') {}

  push(seg: TcpSegment): Buffer | undefined {
    const k = key(seg);
    let st = this.streams.get(k);
    if (!st) {
      if (!(seg.flags & TCP_SYN) && !seg.payload.length) return undefined;
      st = {
        next: seg.flags & TCP_SYN ? (seg.seq + 1) >>> 0 : seg.seq,
        buffered: Buffer.alloc(0),
        pending: new Map(),
      };
      this.streams.set(k, st);
    }
    if (seg.flags & TCP_SYN || !st.next) {
      st.buffered = Buffer.alloc(0);
      st.pending.clear();
      st.next = (seg.seq + 1) >>> 0;
      return undefined;
    }
    if (this.policy === 'ovs') {
      if (seg.flags & (TCP_FIN | TCP_RST)) {
        this.streams.delete(k);
        return undefined;
      }
      if (seg.seq !== st.next) return undefined;
      st.buffered = st.buffered.length ? Buffer.concat([st.buffered, seg.payload]) : Buffer.from(seg.payload);
      st.next = (st.next + seg.payload.length) >>> 0;
      return st.buffered;
    }
    const added = this.accept(st, seg.seq, seg.payload);
    if (seg.flags & (TCP_FIN | TCP_RST)) this.streams.delete(k);
    return added ? st.buffered : undefined;
  }

  /** Drops the first `n` bytes of the stream that `seg` belongs to. */
  consume(seg: TcpSegment, n: number): void {
    const st = this.streams.get(key(seg));
    if (st) st.buffered = st.buffered.subarray(n);
  }

  private accept(st: Stream, seq: number, data: Buffer): boolean {
    if (!data.length) return false;
    // Trim bytes already received (retransmits, overlaps).
    if (seqLt(seq, st.next)) {
      const skip = (st.next - seq) >>> 0;
      if (skip >= data.length) return false;
      data = data.subarray(skip);
      seq = st.next;
    }
    if (seq !== st.next) {
      st.pending.set(seq, Buffer.from(data));
      return false;
    }
    const parts = [st.buffered, data];
    st.next = (st.next + data.length) >>> 0;
    // Pull in queued segments that are now contiguous.
    for (let progress = true; progress;) {
      progress = false;
      for (const [s, d] of st.pending) {
        if (!seqLt(st.next, s)) {
          st.pending.delete(s);
          const skip = (st.next - s) >>> 0;
          if (skip < d.length) {
            parts.push(d.subarray(skip));
            st.next = (st.next + d.length - skip) >>> 0;
          }
          progress = true;
        }
      }
    }
    st.buffered = Buffer.concat(parts);
    return true;
  }
}
