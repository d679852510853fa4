/*
 * Nicira Extended Match (NXM) decoding for printing the Nicira messages ovs-ofctl exchanges with an
 * OpenFlow 1.0 switch (NXST_FLOW, NXST_AGGREGATE, NXT_FLOW_MOD, NXT_PACKET_IN2 metadata).
 *
 * Only the NXM_OF_* fields (the OpenFlow 1.0 field set: in_port, Ethernet, VLAN, IPv4, ARP,
 * TCP/UDP/ICMP), NXM_NX_COOKIE and OXM_OF_IN_PORT are understood; `decodeNxm` returns undefined for anything else,
 * and callers then print the message's header line only.
 */
import type { OvsMatch } from './match-format.js';

export interface NxmMatch {
  match: OvsMatch;
  /** NXM_NX_COOKIE(_W): [value, mask]. */
  cookie?: [bigint, bigint];
}

const MAC_ALL = 2 ** 48 - 1;

function readN(b: Buffer, o: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[o + i]!;
  return v;
}

/** Decodes the NXM TLVs in [start, end). */
export function decodeNxm(b: Buffer, start: number, end: number): NxmMatch | undefined {
  const m: OvsMatch = { nwSrc: [0, 0], nwDst: [0, 0] };
  const out: NxmMatch = { match: m };
  let p = start;
  while (p < end) {
    if (end - p < 4) return undefined;
    const header = b.readUInt32BE(p);
    const cls = header >>> 16;
    const field = (header >>> 9) & 0x7f;
    const hasMask = (header >>> 8) & 1;
    const len = header & 0xff;
    p += 4;
    if (end - p < len) return undefined;
    const n = hasMask ? len / 2 : len;
    const v = p;
    const mk = p + n;
    p += len;
    if (cls === 0x0001 && field === 30 && n === 8) {
      out.cookie = [b.readBigUInt64BE(v), hasMask ? b.readBigUInt64BE(mk) : 0xffffffffffffffffn];
      continue;
    }
    if (cls === 0x8000 && field === 0 && n === 4 && !hasMask) {
      // OXM_OF_IN_PORT (packet-in2 metadata): a 32-bit port; reserved ports map onto OF1.0's.
      const port = b.readUInt32BE(v);
      m.inPort = port >= 0xffffff00 ? port - 0xffff0000 : port;
      continue;
    }
    if (cls !== 0x0000) return undefined;
    const value = readN(b, v, n);
    const full = 2 ** (8 * n) - 1;
    const mask = hasMask ? readN(b, mk, n) : full;
    const masked = (x: number): [number, number] =>
      n <= 4 ? [(x & mask) >>> 0, mask] : [Number(BigInt(x) & BigInt(mask)), mask];
    switch (field) {
      case 0:
        m.inPort = value;
        break;
      case 1:
        m.dlDst = n === 6 ? masked(value) : [value, MAC_ALL];
        break;
      case 2:
        m.dlSrc = n === 6 ? masked(value) : [value, MAC_ALL];
        break;
      case 3:
        m.dlType = value;
        break;
      case 4:
        m.vlan = masked(value);
        break;
      case 5:
        m.nwTos = value & 0xfc;
        break;
      case 6:
        m.nwProto = value;
        break;
      case 7:
      case 16:
        m.nwSrc = masked(value);
        break;
      case 8:
      case 17:
        m.nwDst = masked(value);
        break;
      case 9:
      case 11:
      case 13:
        m.tpSrc = masked(value);
        break;
      case 10:
      case 12:
      case 14:
        m.tpDst = masked(value);
        break;
      case 15:
        m.nwProto = value & 0xff;
        break;
      default:
        return undefined;
    }
  }
  return out;
}
