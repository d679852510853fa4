/*
 * ofp_match as ovs-ofctl prints it (OVS match_format() applied to the match that
 * ofputil_match_from_ofp10_match() builds from an OpenFlow 1.0 match).
 *
 * What OVS does, and so what this does:
 * - wildcarded fields are zeroed and left out; nw_tos keeps only its DSCP bits;
 * - dl_vlan=0xffff (OFP_VLAN_NONE) prints as `vlan_tci=0x0000`; otherwise dl_vlan/dl_vlan_pcp;
 * - dl_type 0x0800/0x86dd/0x0806/0x8035/0x8847/0x8848 print as shorthands, with nw_proto folded
 *   into `tcp`, `udp`, `icmp`, `sctp` (and the IPv6 forms; ovs-ofctl 3.1 prints IGMP as
 *   `ip,nw_proto=2`);
 * - ARP/RARP print nw_src/nw_dst/nw_proto as arp_spa/arp_tpa/arp_op; IPv6 and NSH print no IPv4
 *   addresses at all; ICMP/IGMP print tp_src/tp_dst as their type and code;
 * - `priority=N` comes first unless N is OFP_DEFAULT_PRIORITY (0x8000).
 * `normalizeMatch()` is OVS's ofputil_normalize_match(), which the flow-mod decoder applies.
 */
import { OFPFW, OFP_DEFAULT_PRIORITY, OFP_VLAN_NONE } from '../constants.js';
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
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
import { ipToString, macToString, nwDstPrefixLen, nwSrcPrefixLen, prefixMask } from '../match.js';
import type { OfpMatch } from '../structs.js';
import { formatPort } from './ports.js';

const ETH_TYPE_NSH = 0x894f;

/** An IPv4 address with a CIDR-or-dotted mask, as OVS's ip_format_masked(). */
export function ipMasked(ip: number, mask: number): string {
  let s = ipToString((ip & mask) >>> 0);
  if (mask !== 0xffffffff) {
    let len = 0;
    while (len < 32 && (mask >>> (31 - len)) & 1) len++;
    // A CIDR mask prints as its length, any other as a dotted quad.
    s += '/' + (prefixMask(len) === mask >>> 0 ? String(len) : ipToString(mask));
  }
  return s;
}

/**
 * The match fields OVS prints, as [value, mask] pairs (value already masked); a field is absent or
 * has a zero mask when it is wildcarded. Built from an OF1.0 match here and from NXM in nxm.ts.
 */
export interface OvsMatch {
  inPort?: number;
  /** [tci, mask] of the first VLAN header. */
  vlan?: [number, number];
  dlSrc?: [number, number];
  dlDst?: [number, number];
  dlType?: number;
  nwSrc: [number, number];
  nwDst: [number, number];
  nwProto?: number;
  nwTos?: number;
  tpSrc?: [number, number];
  tpDst?: [number, number];
  arpSha?: [number, number];
  arpTha?: [number, number];
}

const MAC_ALL = 2 ** 48 - 1;

function fromOfp10(m: OfpMatch): OvsMatch {
  const w = m.wildcards & OFPFW.ALL;
  const srcMask = prefixMask(nwSrcPrefixLen(w));
  const dstMask = prefixMask(nwDstPrefixLen(w));
  const o: OvsMatch = {
    nwSrc: [(m.nw_src & srcMask) >>> 0, srcMask],
    nwDst: [(m.nw_dst & dstMask) >>> 0, dstMask],
  };
  if (!(w & OFPFW.IN_PORT)) o.inPort = m.in_port;
  if (!(w & OFPFW.DL_SRC)) o.dlSrc = [m.dl_src, MAC_ALL];
  if (!(w & OFPFW.DL_DST)) o.dlDst = [m.dl_dst, MAC_ALL];
  if (!(w & OFPFW.DL_TYPE)) o.dlType = m.dl_type;
  if (!(w & OFPFW.NW_PROTO)) o.nwProto = m.nw_proto;
  if (!(w & OFPFW.NW_TOS)) o.nwTos = m.nw_tos & 0xfc;
  if (!(w & OFPFW.TP_SRC)) o.tpSrc = [m.tp_src, 0xffff];
  if (!(w & OFPFW.TP_DST)) o.tpDst = [m.tp_dst, 0xffff];
  let mask = 0;
  if (!(w & OFPFW.DL_VLAN_PCP)) mask |= 0xf000;
  if (!(w & OFPFW.DL_VLAN)) mask |= 0x1fff;
  if (!(w & OFPFW.DL_VLAN) && m.dl_vlan === OFP_VLAN_NONE) o.vlan = [0, 0xffff];
  else if (mask) o.vlan = [((m.dl_vlan & 0xfff) | ((m.dl_vlan_pcp << 13) & 0xe000) | 0x1000) & mask, mask];
  return o;
}

/** OVS's ofputil_normalize_match(): drops matches on fields that the match's dl_type/nw_proto rule out. */
export function normalizeMatch(m: OfpMatch): OfpMatch {
  const w0 = m.wildcards & OFPFW.ALL;
  const dlType = w0 & OFPFW.DL_TYPE ? 0 : m.dl_type;
  const nwProto = w0 & OFPFW.NW_PROTO ? 0 : m.nw_proto;
  let mayNwAddr = false;
  let mayTp = false;
  let mayProto = false;
  let mayTos = false;
  if (dlType === ETH_TYPE_IP) {
    mayNwAddr = mayProto = mayTos = true;
    mayTp = [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP].includes(nwProto);
  } else if (dlType === ETH_TYPE_IPV6) {
    mayProto = mayTos = true;
    mayTp = [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMPV6].includes(nwProto);
  } else if (dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP) {
    mayNwAddr = mayProto = true;
  }
  let w = m.wildcards;
  if (!mayNwAddr) w = (w & ~(OFPFW.NW_SRC_MASK | OFPFW.NW_DST_MASK)) | OFPFW.NW_SRC_ALL | OFPFW.NW_DST_ALL;
  if (!mayTp) w |= OFPFW.TP_SRC | OFPFW.TP_DST;
  if (!mayProto) w |= OFPFW.NW_PROTO;
  if (!mayTos) w |= OFPFW.NW_TOS;
  return { ...m, wildcards: w >>> 0 };
}

/**
 * The ovs-ofctl text of an OF1.0 match, e.g. `priority=300,udp,nw_src=10.0.0.0/24,tp_dst=53`.
 * `priority` is printed first unless it is OFP_DEFAULT_PRIORITY (or not given).
 */
export function formatMatch(match: OfpMatch, priority: number = OFP_DEFAULT_PRIORITY): string {
  return formatOvsMatch(fromOfp10(match), priority);
}

function macMasked(name: string, [v, m]: [number, number]): string | undefined {
  if (!m) return undefined;
  return `${name}=${macToString(v)}` + (m === MAC_ALL ? '' : `/${macToString(m)}`);
}

function be16Masked(name: string, [v, m]: [number, number]): string {
  return m === 0xffff ? `${name}=${v}` : `${name}=0x${v.toString(16)}/0x${m.toString(16)}`;
}

/** OVS's match_format() for the fields an OpenFlow 1.0 or NXM match can carry. */
export function formatOvsMatch(f: OvsMatch, priority: number = OFP_DEFAULT_PRIORITY): string {
  const parts: string[] = [];
  if (priority !== OFP_DEFAULT_PRIORITY) parts.push(`priority=${priority}`);
  const dlType = f.dlType ?? 0;
  const proto = f.nwProto ?? 0;
  let skipType = false;
  let skipProto = false;
  if (f.dlType !== undefined) {
    const l4 = f.nwProto !== undefined ? l4Shorthand(dlType, proto) : undefined;
    const shorthand = l4 ?? dlTypeShorthand(dlType);
    skipType = shorthand !== undefined;
    skipProto = l4 !== undefined;
    if (shorthand) parts.push(shorthand);
  }
  if (f.inPort !== undefined) parts.push(`in_port=${formatPort(f.inPort)}`);
  if (f.vlan && f.vlan[1]) {
    const [tci, mask] = f.vlan;
    const vid = mask & 0x0fff;
    const pcp = mask & 0xe000;
    if (
      mask & 0x1000 &&
      tci & 0x1000 &&
      (!vid || vid === 0x0fff) &&
      (!pcp || pcp === 0xe000) &&
      (vid || pcp)
    ) {
      if (vid) parts.push(`dl_vlan=${tci & 0xfff}`);
      if (pcp) parts.push(`dl_vlan_pcp=${tci >>> 13}`);
    } else if (mask === 0xffff) parts.push(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}`);
    else
      parts.push(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}/0x${mask.toString(16).padStart(4, '0')}`);
  }
  for (const x of [f.dlSrc && macMasked('dl_src', f.dlSrc), f.dlDst && macMasked('dl_dst', f.dlDst)])
    if (x) parts.push(x);
  if (!skipType && f.dlType !== undefined) parts.push(`dl_type=0x${dlType.toString(16).padStart(4, '0')}`);
  const arp = dlType === ETH_TYPE_ARP || dlType === ETH_TYPE_RARP;
  if (dlType !== ETH_TYPE_IPV6 && dlType !== ETH_TYPE_NSH) {
    if (f.nwSrc[1]) parts.push(`${arp ? 'arp_spa' : 'nw_src'}=${ipMasked(...f.nwSrc)}`);
    if (f.nwDst[1]) parts.push(`${arp ? 'arp_tpa' : 'nw_dst'}=${ipMasked(...f.nwDst)}`);
  }
  if (!skipProto && f.nwProto !== undefined) parts.push(`${arp ? 'arp_op' : 'nw_proto'}=${proto}`);
  if (arp)
    for (const x of [f.arpSha && macMasked('arp_sha', f.arpSha), f.arpTha && macMasked('arp_tha', f.arpTha)])
      if (x) parts.push(x);
  if (f.nwTos !== undefined) parts.push(`nw_tos=${f.nwTos}`);
  let tpNames = ['tp_src', 'tp_dst'];
  if (dlType === ETH_TYPE_IP && proto === IPPROTO_ICMP) tpNames = ['icmp_type', 'icmp_code'];
  else if (dlType === ETH_TYPE_IP && proto === IPPROTO_IGMP) tpNames = ['igmp_type', 'igmp_code'];
  else if (dlType === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) tpNames = ['icmp_type', 'icmp_code'];
  if (f.tpSrc && f.tpSrc[1]) parts.push(be16Masked(tpNames[0]!, f.tpSrc));
  if (f.tpDst && f.tpDst[1]) parts.push(be16Masked(tpNames[1]!, f.tpDst));
  return parts.join(',');
}

/**
 * OVS's ofp10_match_to_string(): the raw OF1.0 match as ovs-ofctl shows it inside FLOW_MOD at
 * verbosity 3 and above: values as on the wire (not masked or normalised), wildcarded fields as `*`.
 */
export function formatOfp10MatchRaw(m: OfpMatch, verbosity: number): string {
  const w = m.wildcards;
  const parts: string[] = [];
  const wild = (name: string, isWild: number, value: () => string): void => {
    if (isWild && verbosity < 2) return;
    parts.push(`${name}=${isWild ? '*' : value()}`);
  };
  let skipType = false;
  let skipProto = false;
  if (!(w & OFPFW.DL_TYPE)) {
    // Unlike match_format(), no IPv6 shorthands here.
    const ipv6 = m.dl_type === ETH_TYPE_IPV6;
    const l4 = !ipv6 && !(w & OFPFW.NW_PROTO) ? l4Shorthand(m.dl_type, m.nw_proto) : undefined;
    const shorthand = ipv6 ? undefined : (l4 ?? dlTypeShorthand(m.dl_type));
    skipType = shorthand !== undefined;
    skipProto = l4 !== undefined;
    if (shorthand) parts.push(shorthand);
  }
  wild('in_port', w & OFPFW.IN_PORT, () => formatPort(m.in_port));
  wild('dl_vlan', w & OFPFW.DL_VLAN, () => String(m.dl_vlan));
  wild('dl_vlan_pcp', w & OFPFW.DL_VLAN_PCP, () => String(m.dl_vlan_pcp));
  wild('dl_src', w & OFPFW.DL_SRC, () => macToString(m.dl_src));
  wild('dl_dst', w & OFPFW.DL_DST, () => macToString(m.dl_dst));
  if (!skipType) wild('dl_type', w & OFPFW.DL_TYPE, () => `0x${m.dl_type.toString(16).padStart(4, '0')}`);
  const net = (name: string, ip: number, bits: number): void => {
    if (bits >= 32 && verbosity < 2) return;
    parts.push(`${name}=${bits >= 32 ? '*' : ipToString(ip) + (bits ? `/${32 - bits}` : '')}`);
  };
  net('nw_src', m.nw_src, (w & OFPFW.NW_SRC_MASK) >>> OFPFW.NW_SRC_SHIFT);
  net('nw_dst', m.nw_dst, (w & OFPFW.NW_DST_MASK) >>> OFPFW.NW_DST_SHIFT);
  if (!skipProto) {
    const arp = m.dl_type === ETH_TYPE_ARP || m.dl_type === ETH_TYPE_RARP;
    wild(arp ? 'arp_op' : 'nw_proto', w & OFPFW.NW_PROTO, () => String(m.nw_proto));
  }
  wild('nw_tos', w & OFPFW.NW_TOS, () => String(m.nw_tos));
  const icmp = m.nw_proto === IPPROTO_ICMP;
  wild(icmp ? 'icmp_type' : 'tp_src', w & OFPFW.TP_SRC, () => String(m.tp_src));
  wild(icmp ? 'icmp_code' : 'tp_dst', w & OFPFW.TP_DST, () => String(m.tp_dst));
  return parts.join(',');
}
