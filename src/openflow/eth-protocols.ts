/*
 * Ethernet types and IP protocol numbers, with Open vSwitch's names (ETH_TYPE_*, IPPROTO_*), and
 * the shorthands ovs-ofctl uses for them (`ip`, `tcp6`, `arp`, …). The flow-syntax parser, the
 * match printer and the packet printer share these so the three cannot drift apart.
 */

export const ETH_TYPE_IP = 0x0800;
export const ETH_TYPE_ARP = 0x0806;
export const ETH_TYPE_RARP = 0x8035;
export const ETH_TYPE_IPV6 = 0x86dd;
export const ETH_TYPE_MPLS = 0x8847;
export const ETH_TYPE_MPLS_MCAST = 0x8848;

export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;

const L4_V4: Readonly<Record<number, string>> = {
  [IPPROTO_ICMP]: 'icmp',
  [IPPROTO_TCP]: 'tcp',
  [IPPROTO_UDP]: 'udp',
  [IPPROTO_SCTP]: 'sctp',
};
const L4_V6: Readonly<Record<number, string>> = {
  [IPPROTO_ICMPV6]: 'icmp6',
  [IPPROTO_TCP]: 'tcp6',
  [IPPROTO_UDP]: 'udp6',
  [IPPROTO_SCTP]: 'sctp6',
};

/** `ip`, `ipv6`, `arp`, `rarp`, `mpls`, `mplsm`, or undefined for a type without a shorthand. */
export function dlTypeShorthand(dlType: number): string | undefined {
  switch (dlType) {
    case ETH_TYPE_IP:
      return 'ip';
    case ETH_TYPE_IPV6:
      return 'ipv6';
    case ETH_TYPE_ARP:
      return 'arp';
    case ETH_TYPE_RARP:
      return 'rarp';
    case ETH_TYPE_MPLS:
      return 'mpls';
    case ETH_TYPE_MPLS_MCAST:
      return 'mplsm';
    default:
      return undefined;
  }
}

/**
 * `tcp`, `udp6`, … for an IPv4/IPv6 dl_type and nw_proto, or undefined. OVS's flow_format() also
 * names IGMP; its match_format() (3.1) does not, hence `igmp`.
 */
export function l4Shorthand(dlType: number, proto: number, igmp = false): string | undefined {
  if (dlType === ETH_TYPE_IP) return igmp && proto === IPPROTO_IGMP ? 'igmp' : L4_V4[proto];
  if (dlType === ETH_TYPE_IPV6) return L4_V6[proto];
  return undefined;
}
