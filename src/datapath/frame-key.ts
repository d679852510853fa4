/*
 * Frame → OpenFlow 1.0 12-tuple, packed into nine 32-bit words.
 *
 * What: parseFrame() reads an Ethernet frame in place and fills a preallocated ParsedFrame: the packed
 * key (the classifier's and the flow cache's input) and the header offsets the actions need.
 *
 * Why packed words: the classifier hashes and compares keys as int32 words, so a lookup touches no
 * strings and allocates nothing. The same layout is used for rule masks and masked rule values
 * (match.ts), so "does frame K match rule R" is `(K[i] & R.mask[i]) === R.key[i]` for every word.
 *
 * Word layout (bit 31 first):
 *   W_PORT_VLAN  in_port(16) | dl_vlan(16)          dl_vlan is 0xffff (OFP_VLAN_NONE) when untagged
 *   W_SRC_HI     dl_src bits 47..16
 *   W_SRC_DST    dl_src bits 15..0 | dl_dst bits 47..32
 *   W_DST_LO     dl_dst bits 31..0
 *   W_TYPE       dl_type(16) | dl_vlan_pcp(8) | nw_tos(8)   nw_tos has its ECN bits cleared
 *   W_PROTO      nw_proto(8) in the low byte
 *   W_NW_SRC     nw_src
 *   W_NW_DST     nw_dst
 *   W_TP         tp_src(16) | tp_dst(16)
 *
 * Invariants: parseFrame never throws and never reads outside [off, off + len); a header that is not
 * all there leaves its fields (and everything after it) zero, as Open vSwitch's flow_extract does.
 * Offsets in ParsedFrame are relative to the start of the frame, so they survive moving the frame
 * to another buffer; -1 means "absent".
 */
import { OFP_DL_TYPE_ETH2_CUTOFF, OFP_DL_TYPE_NOT_ETH_TYPE, OFP_VLAN_NONE } from '../openflow/constants.js';
import type { OfpMatch } from '../openflow/structs.js';
// A cycle (match.ts reads this file's layout constants), safe because neither module uses the
// other's bindings while it is being evaluated.
import { FULL_MASK, wordsToMatch } from './match.js';

export const W_PORT_VLAN = 0;
export const W_SRC_HI = 1;
export const W_SRC_DST = 2;
export const W_DST_LO = 3;
export const W_TYPE = 4;
export const W_PROTO = 5;
export const W_NW_SRC = 6;
export const W_NW_DST = 7;
export const W_TP = 8;
export const KEY_WORDS = 9;

export const ETH_TYPE_IP = 0x0800;
export const ETH_TYPE_ARP = 0x0806;
export const ETH_TYPE_VLAN = 0x8100;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** L4 kinds the actions care about. */
export const L4_NONE = 0;
export const L4_TCP = 1;
export const L4_UDP = 2;
export const L4_ICMP = 3;

/** Preallocated parse result; one per datapath, reused for every frame. */
export class ParsedFrame {
  readonly key = new Int32Array(KEY_WORDS);
  /** Offset of the 802.1Q tag's TPID (always 12 when present), or -1. */
  vlanOff = -1;
  /** Offset of the IPv4 header, or -1 when the frame is not (complete enough) IPv4. */
  ipOff = -1;
  /** IPv4 header length in bytes. */
  ipHdrLen = 0;
  /** Offset of the L4 header whose ports/type were read, or -1 (also -1 for non-first fragments). */
  l4Off = -1;
  /** L4_* kind at l4Off. */
  l4Kind = L4_NONE;
  /** Whether the frame is an IPv4 fragment (first or later). */
  isFragment = false;
  /** Whether it is a non-first fragment (no L4 header). */
  isLaterFragment = false;
}

/** Parses the frame buf[off, off + len) received on `inPort` into `p`. Never throws. */
export function parseFrame(buf: Uint8Array, off: number, len: number, inPort: number, p: ParsedFrame): void {
  const k = p.key;
  k[W_PORT_VLAN] = (inPort << 16) | OFP_VLAN_NONE;
  k[W_SRC_HI] = 0;
  k[W_SRC_DST] = 0;
  k[W_DST_LO] = 0;
  k[W_TYPE] = 0;
  k[W_PROTO] = 0;
  k[W_NW_SRC] = 0;
  k[W_NW_DST] = 0;
  k[W_TP] = 0;
  p.vlanOff = -1;
  p.ipOff = -1;
  p.ipHdrLen = 0;
  p.l4Off = -1;
  p.l4Kind = L4_NONE;
  p.isFragment = false;
  p.isLaterFragment = false;
  if (len < 14) return;
  const b = buf;
  const o = off;
  k[W_DST_LO] = (b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!;
  k[W_SRC_HI] = (b[o + 6]! << 24) | (b[o + 7]! << 16) | (b[o + 8]! << 8) | b[o + 9]!;
  k[W_SRC_DST] = (b[o + 10]! << 24) | (b[o + 11]! << 16) | (b[o]! << 8) | b[o + 1]!;
  let typeOff = 12;
  let type = (b[o + 12]! << 8) | b[o + 13]!;
  let pcp = 0;
  if (type === ETH_TYPE_VLAN) {
    if (len < 18) {
      // A TPID with no room for its TCI: classify by what is there, an Ethernet type of 0x8100.
      k[W_TYPE] = type << 16;
      return;
    }
    const tci = (b[o + 14]! << 8) | b[o + 15]!;
    p.vlanOff = 12;
    k[W_PORT_VLAN] = (inPort << 16) | (tci & 0xfff);
    pcp = tci >>> 13;
    typeOff = 16;
    type = (b[o + 16]! << 8) | b[o + 17]!;
  }
  let l3 = typeOff + 2;
  if (type < OFP_DL_TYPE_ETH2_CUTOFF) {
    // 802.3: an LLC header, maybe followed by SNAP with a zero OUI carrying a real Ethernet type.
    if (
      len >= l3 + 8 &&
      b[o + l3] === 0xaa &&
      b[o + l3 + 1] === 0xaa &&
      b[o + l3 + 2] === 0x03 &&
      b[o + l3 + 3] === 0 &&
      b[o + l3 + 4] === 0 &&
      b[o + l3 + 5] === 0
    ) {
      type = (b[o + l3 + 6]! << 8) | b[o + l3 + 7]!;
      l3 += 8;
    } else {
      type = OFP_DL_TYPE_NOT_ETH_TYPE;
    }
  }
  k[W_TYPE] = (type << 16) | (pcp << 8);
  if (type === ETH_TYPE_IP) parseIpv4(b, o, len, l3, p);
  else if (type === ETH_TYPE_ARP) parseArp(b, o, len, l3, k);
}

function parseIpv4(b: Uint8Array, o: number, len: number, l3: number, p: ParsedFrame): void {
  const k = p.key;
  if (len < l3 + 20) return;
  const vihl = b[o + l3]!;
  const hl = (vihl & 0xf) * 4;
  if (vihl >>> 4 !== 4 || hl < 20 || len < l3 + hl) return;
  p.ipOff = l3;
  p.ipHdrLen = hl;
  const tos = b[o + l3 + 1]! & 0xfc;
  k[W_TYPE] |= tos;
  const proto = b[o + l3 + 9]!;
  k[W_PROTO] = proto;
  k[W_NW_SRC] = (b[o + l3 + 12]! << 24) | (b[o + l3 + 13]! << 16) | (b[o + l3 + 14]! << 8) | b[o + l3 + 15]!;
  k[W_NW_DST] = (b[o + l3 + 16]! << 24) | (b[o + l3 + 17]! << 16) | (b[o + l3 + 18]! << 8) | b[o + l3 + 19]!;
  const frag = (b[o + l3 + 6]! << 8) | b[o + l3 + 7]!;
  if ((frag & 0x3fff) !== 0) {
    p.isFragment = true;
    if ((frag & 0x1fff) !== 0) {
      p.isLaterFragment = true;
      return;
    }
  }
  // The L4 header ends at the IP datagram's end when tot_len is sane (Ethernet padding excluded).
  const totLen = (b[o + l3 + 2]! << 8) | b[o + l3 + 3]!;
  const end = totLen >= hl && l3 + totLen < len ? l3 + totLen : len;
  const l4 = l3 + hl;
  const avail = end - l4;
  if (proto === IPPROTO_TCP) {
    if (avail < 20) return;
    p.l4Kind = L4_TCP;
  } else if (proto === IPPROTO_UDP) {
    if (avail < 8) return;
    p.l4Kind = L4_UDP;
  } else if (proto === IPPROTO_ICMP) {
    if (avail < 4) return;
    p.l4Kind = L4_ICMP;
    p.l4Off = l4;
    k[W_TP] = (b[o + l4]! << 16) | b[o + l4 + 1]!;
    return;
  } else {
    return;
  }
  p.l4Off = l4;
  k[W_TP] = (b[o + l4]! << 24) | (b[o + l4 + 1]! << 16) | (b[o + l4 + 2]! << 8) | b[o + l4 + 3]!;
}

function parseArp(b: Uint8Array, o: number, len: number, l3: number, k: Int32Array): void {
  if (len < l3 + 28) return;
  const a = o + l3;
  // Ethernet/IPv4 ARP only: hardware type 1, protocol 0x0800, address lengths 6 and 4.
  if (b[a] !== 0 || b[a + 1] !== 1 || b[a + 2] !== 8 || b[a + 3] !== 0 || b[a + 4] !== 6 || b[a + 5] !== 4)
    return;
  // The opcode becomes nw_proto only when it fits in 8 bits, as in Open vSwitch.
  if (b[a + 6] === 0) k[W_PROTO] = b[a + 7]!;
  k[W_NW_SRC] = (b[a + 14]! << 24) | (b[a + 15]! << 16) | (b[a + 16]! << 8) | b[a + 17]!;
  k[W_NW_DST] = (b[a + 24]! << 24) | (b[a + 25]! << 16) | (b[a + 26]! << 8) | b[a + 27]!;
}

/** The 12-tuple in `key` as an exact OfpMatch (wildcards 0); for tests, upcalls and debugging. */
export function keyToMatch(key: Int32Array): OfpMatch {
  return wordsToMatch(FULL_MASK, key);
}
