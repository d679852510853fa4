/*
 * The flow of an Ethernet frame as ovs-ofctl prints it under PACKET_IN and PACKET_OUT: OVS's
 * flow_extract() followed by flow_format() and the L4 checksum that ofp_packet_to_string() appends,
 * e.g.
 *
 *   udp,vlan_tci=0x0000,dl_src=…,dl_dst=…,nw_src=10.0.0.1,…,nw_frag=no,tp_src=1000,tp_dst=53 udp_csum:32e2
 *
 * Fields are shown for every layer the ethertype announces, even when the header is missing or
 * malformed (they then print as zero), exactly as OVS does. Handled: Ethernet II and 802.3
 * LLC/SNAP, up to two 802.1Q/802.1ad tags, ARP/RARP, IPv4 (with fragments), IPv6 (with extension
 * headers and neighbour discovery), TCP, UDP, SCTP, ICMP, ICMPv6, IGMP, MPLS.
 */
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_RARP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IGMP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  dlTypeShorthand,
  l4Shorthand,
} from '../eth-protocols.js';
import { ipToString, macToString } from '../match.js';

const ETH_TYPE_VLAN = 0x8100;
const ETH_TYPE_VLAN_8021AD = 0x88a8;
const FLOW_DL_TYPE_NONE = 0x05ff;

interface Flow {
  dlDst: number;
  dlSrc: number;
  dlType: number;
  vlans: number[];
  mpls: number[];
  nwSrc: number;
  nwDst: number;
  ipv6Src: Uint8Array;
  ipv6Dst: Uint8Array;
  ipv6Label: number;
  nwProto: number;
  nwTos: number;
  nwTtl: number;
  /** Bit 0: any fragment; bit 1: a later fragment. */
  nwFrag: number;
  tpSrc: number;
  tpDst: number;
  tcpFlags: number;
  arpSha: number;
  arpTha: number;
  ndTarget: Uint8Array;
  /** Offset of the L4 header, or -1 when the L3 header did not parse. */
  l4: number;
  /** End of the L3 payload (the frame's end less Ethernet padding). */
  end: number;
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const mac48 = (b: Uint8Array, o: number): number => u16(b, o) * 2 ** 32 + u32(b, o + 2);

function emptyFlow(end: number): Flow {
  return {
    dlDst: 0,
    dlSrc: 0,
    dlType: 0,
    vlans: [],
    mpls: [],
    nwSrc: 0,
    nwDst: 0,
    ipv6Src: new Uint8Array(16),
    ipv6Dst: new Uint8Array(16),
    ipv6Label: 0,
    nwProto: 0,
    nwTos: 0,
    nwTtl: 0,
    nwFrag: 0,
    tpSrc: 0,
    tpDst: 0,
    tcpFlags: 0,
    arpSha: 0,
    arpTha: 0,
    ndTarget: new Uint8Array(16),
    l4: -1,
    end,
  };
}

function parseL4(b: Uint8Array, f: Flow, p: number, end: number): void {
  const size = end - p;
  f.l4 = p;
  if (f.nwFrag & 2) return;
  switch (f.nwProto) {
    case IPPROTO_TCP:
      if (size >= 20) {
        const off = (b[p + 12]! >>> 4) * 4;
        if (off >= 20 && off <= size) {
          f.tpSrc = u16(b, p);
          f.tpDst = u16(b, p + 2);
          f.tcpFlags = u16(b, p + 12) & 0x0fff;
        }
      }
      break;
    case IPPROTO_UDP:
      if (size >= 8) {
        f.tpSrc = u16(b, p);
        f.tpDst = u16(b, p + 2);
      }
      break;
    case IPPROTO_SCTP:
      if (size >= 12) {
        f.tpSrc = u16(b, p);
        f.tpDst = u16(b, p + 2);
      }
      break;
    case IPPROTO_ICMP:
    case IPPROTO_IGMP:
      if (size >= 8) {
        f.tpSrc = b[p]!;
        f.tpDst = b[p + 1]!;
      }
      break;
    case IPPROTO_ICMPV6:
      if (size >= 4) {
        f.tpSrc = b[p]!;
        f.tpDst = b[p + 1]!;
        parseNd(b, f, p, end);
      }
      break;
  }
}

function parseNd(b: Uint8Array, f: Flow, p: number, end: number): void {
  if (f.tpDst !== 0 || (f.tpSrc !== 135 && f.tpSrc !== 136)) return;
  if (end - p < 24) return;
  f.ndTarget = b.slice(p + 8, p + 24);
  let o = p + 24;
  while (end - o >= 8) {
    const type = b[o]!;
    const len = b[o + 1]! * 8;
    if (!len || len > end - o) {
      // A malformed option voids what ND parsing found, as in OVS.
      f.ndTarget = new Uint8Array(16);
      f.arpSha = f.arpTha = 0;
      return;
    }
    if (len === 8) {
      if (type === 1 && f.tpSrc === 135 && !f.arpSha) f.arpSha = mac48(b, o + 2);
      else if (type === 2 && f.tpSrc === 136 && !f.arpTha) f.arpTha = mac48(b, o + 2);
    }
    o += len;
  }
}

function parseIpv4(b: Uint8Array, f: Flow, p: number, end: number): void {
  const size = end - p;
  if (size < 20) return;
  const ihl = (b[p]! & 0x0f) * 4;
  if (b[p]! >>> 4 !== 4 || ihl < 20 || ihl > size) return;
  const totLen = u16(b, p + 2);
  if (totLen < ihl || totLen > size) return;
  f.end = end = p + totLen;
  f.nwSrc = u32(b, p + 12);
  f.nwDst = u32(b, p + 16);
  f.nwTos = b[p + 1]!;
  f.nwTtl = b[p + 8]!;
  f.nwProto = b[p + 9]!;
  const frag = u16(b, p + 6);
  if (frag & 0x3fff) {
    f.nwFrag = 1;
    if (frag & 0x1fff) f.nwFrag |= 2;
  }
  parseL4(b, f, p + ihl, end);
}

function parseIpv6(b: Uint8Array, f: Flow, p: number, end: number): void {
  const size = end - p;
  if (size < 40) return;
  const plen = u16(b, p + 4);
  if (plen > size - 40) return;
  f.end = end = p + 40 + plen;
  const tc = (u32(b, p) >>> 20) & 0xff;
  let nh = b[p + 6]!;
  f.ipv6Src = b.slice(p + 8, p + 24);
  f.ipv6Dst = b.slice(p + 24, p + 40);
  f.ipv6Label = u32(b, p) & 0xfffff;
  f.nwTos = tc;
  f.nwTtl = b[p + 7]!;
  let o = p + 40;
  // Extension headers (hop-by-hop, routing, destination options, AH, fragment).
  for (;;) {
    if (nh === 0 || nh === 43 || nh === 60 || nh === 51) {
      if (end - o < 8) {
        f.nwProto = nh;
        return;
      }
      const len = nh === 51 ? (b[o + 1]! + 2) * 4 : (b[o + 1]! + 1) * 8;
      if (len > end - o) {
        f.nwProto = nh;
        return;
      }
      nh = b[o]!;
      o += len;
    } else if (nh === 44) {
      if (end - o < 8) {
        f.nwProto = nh;
        return;
      }
      const off = u16(b, o + 2);
      f.nwFrag = 1;
      if (off & 0xfff8) f.nwFrag |= 2;
      nh = b[o]!;
      o += 8;
      if (f.nwFrag & 2) break;
    } else break;
  }
  f.nwProto = nh;
  parseL4(b, f, o, end);
}

function parseArp(b: Uint8Array, f: Flow, p: number, end: number): void {
  if (end - p < 28) return;
  if (u16(b, p) !== 1 || u16(b, p + 2) !== ETH_TYPE_IP || b[p + 4] !== 6 || b[p + 5] !== 4) return;
  const op = u16(b, p + 6);
  if (op <= 0xff) f.nwProto = op;
  f.arpSha = mac48(b, p + 8);
  f.nwSrc = u32(b, p + 14);
  f.arpTha = mac48(b, p + 18);
  f.nwDst = u32(b, p + 24);
}

function extract(b: Uint8Array): Flow {
  const f = emptyFlow(b.length);
  if (b.length < 14) return f;
  f.dlDst = mac48(b, 0);
  f.dlSrc = mac48(b, 6);
  let p = 12;
  let end = b.length;
  // VLAN tags: up to two are parsed; OVS keeps the CFI bit set to mark a tag as present.
  while (f.vlans.length < 2 && end - p >= 4) {
    const tpid = u16(b, p);
    if (tpid !== ETH_TYPE_VLAN && tpid !== ETH_TYPE_VLAN_8021AD) break;
    if (end - p < 6) break;
    f.vlans.push(u16(b, p + 2) | 0x1000);
    p += 4;
  }
  if (end - p < 2) return f;
  let type = u16(b, p);
  p += 2;
  if (type < 0x600) {
    // 802.3: only LLC/SNAP with a zero OUI carries an ethertype.
    if (
      end - p >= 8 &&
      b[p] === 0xaa &&
      b[p + 1] === 0xaa &&
      b[p + 2] === 0x03 &&
      b[p + 3] === 0 &&
      b[p + 4] === 0 &&
      b[p + 5] === 0
    ) {
      type = u16(b, p + 6);
      p += 8;
      if (type < 0x600) type = FLOW_DL_TYPE_NONE;
    } else type = FLOW_DL_TYPE_NONE;
  }
  f.dlType = type;
  if (type === ETH_TYPE_MPLS || type === ETH_TYPE_MPLS_MCAST) {
    while (f.mpls.length < 3 && end - p >= 4) {
      const lse = u32(b, p);
      f.mpls.push(lse);
      p += 4;
      if (lse & 0x100) break;
    }
    return f;
  }
  if (type === ETH_TYPE_IP) parseIpv4(b, f, p, end);
  else if (type === ETH_TYPE_IPV6) parseIpv6(b, f, p, end);
  else if (type === ETH_TYPE_ARP || type === ETH_TYPE_RARP) parseArp(b, f, p, end);
  end = f.end;
  return f;
}

/** An IPv6 address as glibc's inet_ntop() writes it. */
export function ipv6ToString(a: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((a[i]! << 8) | a[i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i) s += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += `${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
      break;
    }
    s += w[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ':';
  return s;
}

const TCP_FLAG_NAMES: Readonly<Record<number, string>> = {
  0x001: 'fin',
  0x002: 'syn',
  0x004: 'rst',
  0x008: 'psh',
  0x010: 'ack',
  0x020: 'urg',
  0x040: 'ece',
  0x080: 'cwr',
  0x100: 'ns',
  0x200: '[200]',
  0x400: '[400]',
  0x800: '[800]',
};

function tcpFlags(flags: number): string {
  if (!flags) return '0';
  const out: string[] = [];
  for (let bit = 1; bit <= 0x800; bit <<= 1) if (flags & bit) out.push(TCP_FLAG_NAMES[bit]!);
  return out.join('|');
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

function formatFlow(f: Flow): string[] {
  const parts: string[] = [];
  const t = f.dlType;
  const isIp = t === ETH_TYPE_IP;
  const isIp6 = t === ETH_TYPE_IPV6;
  const isArp = t === ETH_TYPE_ARP || t === ETH_TYPE_RARP;
  const protoName = l4Shorthand(t, f.nwProto, true);
  const shorthand = protoName ?? dlTypeShorthand(t);
  const skipType = shorthand !== undefined;
  const skipProto = protoName !== undefined;
  if (shorthand) parts.push(shorthand);
  // The first all-zero VLAN slot is shown; none after it.
  for (let i = 0; i < 2; i++) {
    const tci = f.vlans[i] ?? 0;
    const sfx = i ? String(i) : '';
    if (tci & 0x1000) {
      parts.push(`dl_vlan${sfx}=${tci & 0xfff}`, `dl_vlan_pcp${sfx}=${tci >>> 13}`);
    } else {
      parts.push(`vlan_tci${sfx}=0x${hex4(tci)}`);
      break;
    }
  }
  parts.push(`dl_src=${macToString(f.dlSrc)}`, `dl_dst=${macToString(f.dlDst)}`);
  if (!skipType) parts.push(`dl_type=0x${hex4(t)}`);
  if (isIp6) {
    parts.push(`ipv6_src=${ipv6ToString(f.ipv6Src)}`, `ipv6_dst=${ipv6ToString(f.ipv6Dst)}`);
    parts.push(`ipv6_label=0x${f.ipv6Label.toString(16).padStart(5, '0')}`);
  } else if (isArp) {
    parts.push(`arp_spa=${ipToString(f.nwSrc)}`, `arp_tpa=${ipToString(f.nwDst)}`, `arp_op=${f.nwProto}`);
    parts.push(`arp_sha=${macToString(f.arpSha)}`, `arp_tha=${macToString(f.arpTha)}`);
    return parts;
  } else if (isIp) {
    parts.push(`nw_src=${ipToString(f.nwSrc)}`, `nw_dst=${ipToString(f.nwDst)}`);
  }
  if (t === ETH_TYPE_MPLS || t === ETH_TYPE_MPLS_MCAST) {
    const lse = f.mpls[0] ?? 0;
    parts.push(
      `mpls_label=${lse >>> 12}`,
      `mpls_tc=${(lse >>> 9) & 7}`,
      `mpls_ttl=${lse & 0xff}`,
      `mpls_bos=${(lse >>> 8) & 1}`,
    );
    for (let i = 1; i < f.mpls.length || (i < 3 && !((f.mpls[i - 1] ?? 0x100) & 0x100)); i++)
      parts.push(`mpls_lse${i}=0x${(f.mpls[i] ?? 0).toString(16)}`);
    return parts;
  }
  if (!isIp && !isIp6) return parts;
  if (!skipProto) parts.push(`nw_proto=${f.nwProto}`);
  parts.push(`nw_tos=${f.nwTos & 0xfc}`, `nw_ecn=${f.nwTos & 3}`, `nw_ttl=${f.nwTtl}`);
  parts.push(`nw_frag=${f.nwFrag & 1 ? (f.nwFrag & 2 ? 'later' : 'first') : 'no'}`);
  const l4 =
    !(f.nwFrag & 2) &&
    [IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_IGMP].includes(f.nwProto);
  if (!l4) return parts;
  if (isIp && f.nwProto === IPPROTO_ICMP) parts.push(`icmp_type=${f.tpSrc}`, `icmp_code=${f.tpDst}`);
  else if (isIp && f.nwProto === IPPROTO_IGMP) parts.push(`igmp_type=${f.tpSrc}`, `igmp_code=${f.tpDst}`);
  else if (isIp6 && f.nwProto === IPPROTO_ICMPV6) {
    parts.push(`icmp_type=${f.tpSrc}`, `icmp_code=${f.tpDst}`);
    if (f.tpDst === 0 && (f.tpSrc === 135 || f.tpSrc === 136)) {
      parts.push(
        `nd_target=${ipv6ToString(f.ndTarget)}`,
        `nd_sll=${macToString(f.arpSha)}`,
        `nd_tll=${macToString(f.arpTha)}`,
      );
    }
  } else parts.push(`tp_src=${f.tpSrc}`, `tp_dst=${f.tpDst}`);
  if (f.nwProto === IPPROTO_TCP) parts.push(`tcp_flags=${tcpFlags(f.tcpFlags)}`);
  return parts;
}

/** The text ovs-ofctl prints for a packet (no trailing newline). */
export function formatPacket(frame: Uint8Array): string {
  const f = extract(frame);
  let s = formatFlow(f).join(',');
  if (f.l4 >= 0) {
    const l4size = f.end - f.l4;
    const p = f.l4;
    if (f.nwProto === IPPROTO_TCP && l4size >= 20) s += ` tcp_csum:${u16(frame, p + 16).toString(16)}`;
    else if (f.nwProto === IPPROTO_UDP && l4size >= 8) s += ` udp_csum:${u16(frame, p + 6).toString(16)}`;
    else if (f.nwProto === IPPROTO_SCTP && l4size >= 12) s += ` sctp_csum:${u32(frame, p + 8).toString(16)}`;
    else if (f.nwProto === IPPROTO_ICMP && l4size >= 8) s += ` icmp_csum:${u16(frame, p + 2).toString(16)}`;
    else if (f.nwProto === IPPROTO_ICMPV6 && l4size >= 4)
      s += ` icmp6_csum:${u16(frame, p + 2).toString(16)}`;
  }
  return s;
}
