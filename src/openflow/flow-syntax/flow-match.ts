/*
 * The match being built while a flow is parsed: OVS's `struct match` cut down to the fields an
 * OpenFlow 1.0 ofp_match can carry, each as a value and a bit mask.
 *
 * Why not build an OfpMatch directly? Because ovs-ofctl does not. It sets fields in its own
 * representation, where order matters (`dl_vlan=0xffff,dl_vlan_pcp=3` becomes a VLAN-0 match, the
 * other order "no VLAN"), values are masked as they are set, and only at the end converts to
 * ofp_match (ofputil_match_to_ofp10_match). Reproducing that path is what gives identical bytes.
 * The same representation is normalised (ofputil_normalize_match) and printed (match_format) for
 * the "normalization changed ofp_match" warning, whose text must show the match *before*
 * normalisation, which an OF1.0 printer never sees.
 *
 * Invariants: every value has no bits outside its mask; masks of in_port, dl_type, nw_proto are
 * all-or-nothing; MAC masks are all-or-nothing (partial masks are rejected before they get here).
 */
import { OFPFW } from '../constants.js';
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_RARP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  dlTypeShorthand,
  l4Shorthand,
} from '../eth-protocols.js';
import { macToString } from '../match.js';
import { ipMasked } from '../print/match-format.js';
import { formatPort } from '../print/ports.js';
import type { OfpMatch } from '../structs.js';
import { ctz32 } from './c-numbers.js';

export const VLAN_CFI = 0x1000;
export const VLAN_VID_MASK = 0x0fff;
export const VLAN_PCP_MASK = 0xe000;
export const IP_DSCP_MASK = 0xfc;
export const MAC_ALL = 0xffffffffffff;
const OFP_VLAN_NONE = 0xffff;

export interface FlowMatch {
  inPort: number;
  inPortMask: number;
  dlSrc: number;
  dlSrcMask: number;
  dlDst: number;
  dlDstMask: number;
  vlanTci: number;
  vlanTciMask: number;
  dlType: number;
  dlTypeMask: number;
  nwSrc: number;
  nwSrcMask: number;
  nwDst: number;
  nwDstMask: number;
  nwProto: number;
  nwProtoMask: number;
  nwTos: number;
  nwTosMask: number;
  tpSrc: number;
  tpSrcMask: number;
  tpDst: number;
  tpDstMask: number;
}

/** MATCH_CATCHALL_INITIALIZER. */
export function catchAll(): FlowMatch {
  return {
    inPort: 0,
    inPortMask: 0,
    dlSrc: 0,
    dlSrcMask: 0,
    dlDst: 0,
    dlDstMask: 0,
    vlanTci: 0,
    vlanTciMask: 0,
    dlType: 0,
    dlTypeMask: 0,
    nwSrc: 0,
    nwSrcMask: 0,
    nwDst: 0,
    nwDstMask: 0,
    nwProto: 0,
    nwProtoMask: 0,
    nwTos: 0,
    nwTosMask: 0,
    tpSrc: 0,
    tpSrcMask: 0,
    tpDst: 0,
    tpDstMask: 0,
  };
}

/* VLAN setters: OVS match_set_dl_vlan / match_set_dl_vlan_pcp / match_set_vlan_vid(_masked) /
 * match_set_dl_tci_masked / match_set_any_vid / match_set_any_pcp. */

export function setDlVlan(m: FlowMatch, vid: number): void {
  if (vid === OFP_VLAN_NONE) {
    m.vlanTci = 0;
    m.vlanTciMask = 0xffff;
  } else {
    m.vlanTci = (m.vlanTci & ~VLAN_VID_MASK & 0xffff) | VLAN_CFI | (vid & VLAN_VID_MASK);
    m.vlanTciMask |= VLAN_VID_MASK | VLAN_CFI;
  }
}

export function setDlVlanPcp(m: FlowMatch, pcp: number): void {
  m.vlanTci = (m.vlanTci & ~VLAN_PCP_MASK & 0xffff) | (((pcp & 7) << 13) | VLAN_CFI);
  m.vlanTciMask |= VLAN_CFI | VLAN_PCP_MASK;
}

export function setVlanVid(m: FlowMatch, vid: number): void {
  const mask = VLAN_VID_MASK | VLAN_CFI;
  m.vlanTci = (m.vlanTci & ~mask & 0xffff) | (vid & mask);
  m.vlanTciMask = mask | (m.vlanTciMask & VLAN_PCP_MASK);
}

export function setDlTciMasked(m: FlowMatch, tci: number, mask: number): void {
  m.vlanTci = tci & mask;
  m.vlanTciMask = mask;
}

export function setAnyVid(m: FlowMatch): void {
  if (m.vlanTciMask & VLAN_PCP_MASK) {
    m.vlanTciMask &= ~VLAN_VID_MASK & 0xffff;
    m.vlanTci &= ~VLAN_VID_MASK & 0xffff;
  } else {
    setDlTciMasked(m, 0, 0);
  }
}

export function setAnyPcp(m: FlowMatch): void {
  if (m.vlanTciMask & VLAN_VID_MASK) {
    m.vlanTciMask &= ~VLAN_PCP_MASK & 0xffff;
    m.vlanTci &= ~VLAN_PCP_MASK & 0xffff;
  } else {
    setDlTciMasked(m, 0, 0);
  }
}

/** match_set_nw_dscp(): the DSCP bits of nw_tos. */
export function setNwDscp(m: FlowMatch, tos: number): void {
  m.nwTosMask |= IP_DSCP_MASK;
  m.nwTos = (m.nwTos & ~IP_DSCP_MASK & 0xff) | (tos & IP_DSCP_MASK);
}

/** ip_count_cidr_bits(): the prefix length of a CIDR mask. */
function cidrBits(mask: number): number {
  return 32 - ctz32(mask >>> 0);
}

/** ofputil_match_to_ofp10_match(). */
export function toOfp10Match(m: FlowMatch): OfpMatch {
  let w = 0;
  if (!m.inPortMask) w |= OFPFW.IN_PORT;
  if (!m.dlTypeMask) w |= OFPFW.DL_TYPE;
  if (!m.nwProtoMask) w |= OFPFW.NW_PROTO;
  w |= (32 - cidrBits(m.nwSrcMask)) << OFPFW.NW_SRC_SHIFT;
  w |= (32 - cidrBits(m.nwDstMask)) << OFPFW.NW_DST_SHIFT;
  if (!(m.nwTosMask & IP_DSCP_MASK)) w |= OFPFW.NW_TOS;
  if (!m.tpSrcMask) w |= OFPFW.TP_SRC;
  if (!m.tpDstMask) w |= OFPFW.TP_DST;
  if (!m.dlSrcMask) w |= OFPFW.DL_SRC;
  if (!m.dlDstMask) w |= OFPFW.DL_DST;
  let dlVlan = 0;
  let dlVlanPcp = 0;
  if (m.vlanTciMask === 0) {
    w |= OFPFW.DL_VLAN | OFPFW.DL_VLAN_PCP;
  } else if (m.vlanTciMask & VLAN_CFI && !(m.vlanTci & VLAN_CFI)) {
    dlVlan = OFP_VLAN_NONE;
  } else {
    if (!(m.vlanTciMask & VLAN_VID_MASK)) w |= OFPFW.DL_VLAN;
    else dlVlan = m.vlanTci & VLAN_VID_MASK;
    if (!(m.vlanTciMask & VLAN_PCP_MASK)) w |= OFPFW.DL_VLAN_PCP;
    else dlVlanPcp = (m.vlanTci >>> 13) & 7;
  }
  return {
    wildcards: w >>> 0,
    in_port: m.inPort,
    dl_src: m.dlSrc,
    dl_dst: m.dlDst,
    dl_vlan: dlVlan,
    dl_vlan_pcp: dlVlanPcp,
    dl_type: m.dlType,
    nw_tos: m.nwTos & IP_DSCP_MASK,
    nw_proto: m.nwProto,
    nw_src: m.nwSrc >>> 0,
    nw_dst: m.nwDst >>> 0,
    tp_src: m.tpSrc,
    tp_dst: m.tpDst,
  };
}

/**
 * ofputil_normalize_match(): the match without fields its dl_type/nw_proto rule out (nw_src on a
 * non-IP flow, tp_dst without tcp/udp/sctp/icmp, …). Returns undefined when nothing changes.
 */
export function normalized(m: FlowMatch): FlowMatch | undefined {
  let mayNwAddr = false;
  let mayTp = false;
  let mayProto = false;
  let mayIp = false;
  const dl = m.dlType;
  if (dl === ETH_TYPE_IP) {
    mayProto = mayIp = mayNwAddr = true;
    mayTp = [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP].includes(m.nwProto);
  } else if (dl === ETH_TYPE_IPV6) {
    mayProto = mayIp = true;
    mayTp = [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMPV6].includes(m.nwProto);
  } else if (dl === ETH_TYPE_ARP || dl === ETH_TYPE_RARP) {
    mayProto = mayNwAddr = true;
  }
  const n = { ...m };
  if (!mayNwAddr) n.nwSrcMask = n.nwDstMask = 0;
  if (!mayTp) n.tpSrcMask = n.tpDstMask = 0;
  if (!mayProto) n.nwProtoMask = 0;
  if (!mayIp) n.nwTosMask = 0;
  if (
    n.nwSrcMask === m.nwSrcMask &&
    n.nwDstMask === m.nwDstMask &&
    n.tpSrcMask === m.tpSrcMask &&
    n.tpDstMask === m.tpDstMask &&
    n.nwProtoMask === m.nwProtoMask &&
    n.nwTosMask === m.nwTosMask
  )
    return undefined;
  // match_zero_wildcarded_fields()
  n.nwSrc = (n.nwSrc & n.nwSrcMask) >>> 0;
  n.nwDst = (n.nwDst & n.nwDstMask) >>> 0;
  n.tpSrc &= n.tpSrcMask;
  n.tpDst &= n.tpDstMask;
  n.nwProto &= n.nwProtoMask;
  n.nwTos &= n.nwTosMask;
  return n;
}

function be16Masked(name: string, v: number, mask: number, out: string[]): void {
  if (!mask) return;
  out.push(mask === 0xffff ? `${name}=${v}` : `${name}=0x${v.toString(16)}/0x${mask.toString(16)}`);
}

/** OVS match_format() (without a port map and at the default priority) for these fields. */
export function formatFlowMatch(m: FlowMatch): string {
  const out: string[] = [];
  let skipType = false;
  let skipProto = false;
  const dl = m.dlType;
  if (m.dlTypeMask) {
    const l4 = m.nwProtoMask ? l4Shorthand(dl, m.nwProto) : undefined;
    const shorthand = l4 ?? dlTypeShorthand(dl);
    skipType = shorthand !== undefined;
    skipProto = l4 !== undefined;
    if (shorthand) out.push(shorthand);
  }
  if (m.inPortMask) out.push(`in_port=${formatPort(m.inPort)}`);
  if (m.vlanTciMask) {
    const vidMask = m.vlanTciMask & VLAN_VID_MASK;
    const pcpMask = m.vlanTciMask & VLAN_PCP_MASK;
    const cfi = m.vlanTciMask & VLAN_CFI;
    if (
      cfi &&
      m.vlanTci & VLAN_CFI &&
      (!vidMask || vidMask === VLAN_VID_MASK) &&
      (!pcpMask || pcpMask === VLAN_PCP_MASK) &&
      (vidMask || pcpMask)
    ) {
      if (vidMask) out.push(`dl_vlan=${m.vlanTci & VLAN_VID_MASK}`);
      if (pcpMask) out.push(`dl_vlan_pcp=${(m.vlanTci >>> 13) & 7}`);
    } else if (m.vlanTciMask === 0xffff) {
      out.push(`vlan_tci=0x${m.vlanTci.toString(16).padStart(4, '0')}`);
    } else {
      out.push(
        `vlan_tci=0x${m.vlanTci.toString(16).padStart(4, '0')}/0x${m.vlanTciMask.toString(16).padStart(4, '0')}`,
      );
    }
  }
  if (m.dlSrcMask) out.push(`dl_src=${macToString(m.dlSrc)}`);
  if (m.dlDstMask) out.push(`dl_dst=${macToString(m.dlDst)}`);
  if (!skipType && m.dlTypeMask) out.push(`dl_type=0x${dl.toString(16).padStart(4, '0')}`);
  const arp = dl === ETH_TYPE_ARP || dl === ETH_TYPE_RARP;
  if (dl !== ETH_TYPE_IPV6) {
    if (m.nwSrcMask) out.push(`${arp ? 'arp_spa' : 'nw_src'}=${ipMasked(m.nwSrc, m.nwSrcMask)}`);
    if (m.nwDstMask) out.push(`${arp ? 'arp_tpa' : 'nw_dst'}=${ipMasked(m.nwDst, m.nwDstMask)}`);
  }
  if (!skipProto && m.nwProtoMask) out.push(`${arp ? 'arp_op' : 'nw_proto'}=${m.nwProto}`);
  if (m.nwTosMask & IP_DSCP_MASK) out.push(`nw_tos=${m.nwTos & IP_DSCP_MASK}`);
  if (
    (dl === ETH_TYPE_IP && m.nwProto === IPPROTO_ICMP) ||
    (dl === ETH_TYPE_IPV6 && m.nwProto === IPPROTO_ICMPV6)
  ) {
    be16Masked('icmp_type', m.tpSrc, m.tpSrcMask, out);
    be16Masked('icmp_code', m.tpDst, m.tpDstMask, out);
  } else {
    be16Masked('tp_src', m.tpSrc, m.tpSrcMask, out);
    be16Masked('tp_dst', m.tpDst, m.tpDstMask, out);
  }
  return out.join(',');
}
