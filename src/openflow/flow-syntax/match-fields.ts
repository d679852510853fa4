/*
 * Match fields of the flow syntax that an OpenFlow 1.0 ofp_match can carry, read as OVS reads them
 * (mf_parse + mf_set in lib/meta-flow.c), with OVS's names and error texts.
 *
 * Each field has OVS's canonical name (used in error messages: `tcp_src` for `tp_src`) and its
 * aliases, a value syntax, whether OVS accepts a mask, and how a value, a full wildcard and a
 * partial mask land in the FlowMatch. A partial mask that OF1.0 cannot express (anything but a CIDR
 * mask on an IPv4 address) is reported through `need` (ovs-ofctl would switch to NXM for it); it
 * becomes an error once the whole flow has parsed, so that syntax errors later in the flow win, as
 * they do in ovs-ofctl.
 */
import { prefixMask } from '../match.js';
import { isCidr, parseIntString, scanDecimal, scanIp, scanMac } from './c-numbers.js';
import {
  IP_DSCP_MASK,
  MAC_ALL,
  setAnyPcp,
  setAnyVid,
  setDlTciMasked,
  setDlVlan,
  setDlVlanPcp,
  setNwDscp,
  setVlanVid,
  type FlowMatch,
} from './flow-match.js';
import { parsePort, type PortNameMap } from './ports.js';
import { FlowSyntaxError, type NeedsMore } from './errors.js';

type Syntax = { kind: 'int'; bytes: number } | { kind: 'mac' } | { kind: 'ip' } | { kind: 'port' };

interface MatchField {
  /** OVS's canonical name, used in its error messages. */
  name: string;
  syntax: Syntax;
  maskable: boolean;
  /** Sets an exact value. */
  set(m: FlowMatch, v: number): void;
  /** Wildcards the field (mf_set_wild). */
  wild(m: FlowMatch): void;
  /** Sets a partial mask; absent when OpenFlow 1.0 cannot express any partial mask here. */
  masked?(m: FlowMatch, v: number, mask: number): void;
  /** The ovs-ofctl protocols that could carry a partial mask (for the error message). */
  maskNeeds?: string;
}

const u = (bytes: number): Syntax => ({ kind: 'int', bytes });

function nw(name: string, which: 'src' | 'dst'): MatchField {
  const key = which === 'src' ? 'nwSrc' : 'nwDst';
  const maskKey = which === 'src' ? 'nwSrcMask' : 'nwDstMask';
  return {
    name,
    syntax: { kind: 'ip' },
    maskable: true,
    set: (m, v) => {
      m[key] = v >>> 0;
      m[maskKey] = 0xffffffff;
    },
    wild: (m) => {
      m[key] = m[maskKey] = 0;
    },
    masked: (m, v, mask) => {
      m[key] = (v & mask) >>> 0;
      m[maskKey] = mask >>> 0;
    },
    maskNeeds: 'NXM,OXM,OpenFlow11',
  };
}

function tp(name: string, which: 'src' | 'dst', bytes: number, icmp: boolean): MatchField {
  const key = which === 'src' ? 'tpSrc' : 'tpDst';
  const maskKey = which === 'src' ? 'tpSrcMask' : 'tpDstMask';
  return {
    name,
    syntax: u(bytes),
    maskable: !icmp,
    set: (m, v) => {
      m[key] = v;
      m[maskKey] = 0xffff;
    },
    wild: (m) => {
      m[key] = m[maskKey] = 0;
    },
    maskNeeds: 'NXM,OXM',
  };
}

function nwProto(name: string, bytes: number): MatchField {
  return {
    name,
    syntax: u(bytes),
    maskable: false,
    set: (m, v) => {
      m.nwProto = v & 0xff;
      m.nwProtoMask = 0xff;
    },
    wild: (m) => {
      m.nwProto = m.nwProtoMask = 0;
    },
  };
}

function eth(name: string, which: 'src' | 'dst'): MatchField {
  const key = which === 'src' ? 'dlSrc' : 'dlDst';
  const maskKey = which === 'src' ? 'dlSrcMask' : 'dlDstMask';
  return {
    name,
    syntax: { kind: 'mac' },
    maskable: true,
    set: (m, v) => {
      m[key] = v;
      m[maskKey] = MAC_ALL;
    },
    wild: (m) => {
      m[key] = m[maskKey] = 0;
    },
    maskNeeds: 'NXM,OXM,OpenFlow11',
  };
}

const dscp: MatchField = {
  name: 'nw_tos',
  syntax: u(1),
  maskable: false,
  set: (m, v) => setNwDscp(m, v),
  wild: (m) => {
    m.nwTosMask &= ~IP_DSCP_MASK & 0xff;
    m.nwTos &= ~IP_DSCP_MASK & 0xff;
  },
};

const FIELDS: Array<[string[], MatchField]> = [
  [
    ['in_port'],
    {
      name: 'in_port',
      syntax: { kind: 'port' },
      maskable: false,
      set: (m, v) => {
        m.inPort = v;
        m.inPortMask = 0xffff;
      },
      wild: (m) => {
        m.inPort = m.inPortMask = 0;
      },
    },
  ],
  [['eth_src', 'dl_src'], eth('eth_src', 'src')],
  [['eth_dst', 'dl_dst'], eth('eth_dst', 'dst')],
  [
    ['eth_type', 'dl_type'],
    {
      name: 'eth_type',
      syntax: u(2),
      maskable: false,
      set: (m, v) => {
        m.dlType = v;
        m.dlTypeMask = 0xffff;
      },
      wild: (m) => {
        m.dlType = m.dlTypeMask = 0;
      },
    },
  ],
  [
    ['vlan_tci'],
    {
      name: 'vlan_tci',
      syntax: u(2),
      maskable: true,
      set: (m, v) => setDlTciMasked(m, v, 0xffff),
      wild: (m) => setDlTciMasked(m, 0, 0),
      maskNeeds: 'NXM,OXM',
    },
  ],
  [['dl_vlan'], { name: 'dl_vlan', syntax: u(2), maskable: false, set: setDlVlan, wild: setAnyVid }],
  [
    ['vlan_vid'],
    {
      name: 'vlan_vid',
      syntax: u(2),
      maskable: true,
      set: setVlanVid,
      wild: setAnyVid,
      maskNeeds: 'NXM,OXM',
    },
  ],
  [
    ['dl_vlan_pcp'],
    { name: 'dl_vlan_pcp', syntax: u(1), maskable: false, set: setDlVlanPcp, wild: setAnyPcp },
  ],
  [['vlan_pcp'], { name: 'vlan_pcp', syntax: u(1), maskable: false, set: setDlVlanPcp, wild: setAnyPcp }],
  [['ip_src', 'nw_src'], nw('ip_src', 'src')],
  [['ip_dst', 'nw_dst'], nw('ip_dst', 'dst')],
  [['arp_spa'], nw('arp_spa', 'src')],
  [['arp_tpa'], nw('arp_tpa', 'dst')],
  [['nw_proto', 'ip_proto'], nwProto('nw_proto', 1)],
  [['arp_op'], nwProto('arp_op', 2)],
  [['nw_tos'], dscp],
  [['ip_dscp'], { ...dscp, name: 'ip_dscp', set: (m, v) => setNwDscp(m, (v << 2) & 0xff) }],
  [['tcp_src', 'tp_src'], tp('tcp_src', 'src', 2, false)],
  [['tcp_dst', 'tp_dst'], tp('tcp_dst', 'dst', 2, false)],
  [['udp_src'], tp('udp_src', 'src', 2, false)],
  [['udp_dst'], tp('udp_dst', 'dst', 2, false)],
  [['icmp_type', 'icmpv4_type'], tp('icmp_type', 'src', 1, true)],
  [['icmp_code', 'icmpv4_code'], tp('icmp_code', 'dst', 1, true)],
];

const BY_NAME = new Map<string, MatchField>();
for (const [names, f] of FIELDS) for (const n of names) BY_NAME.set(n, f);

/**
 * Fields ovs-ofctl knows that an OpenFlow 1.0 ofp_match cannot carry (ovs-ofctl switches to NXM or
 * OpenFlow 1.1+ for them). Named so that the error says so instead of "unknown keyword".
 */
const NOT_OF10 = new Set([
  'tun_id', 'tunnel_id', 'tun_src', 'tun_dst', 'tun_ipv6_src', 'tun_ipv6_dst', 'tun_flags', 'tun_tos', 'tun_ttl',
  'tun_gbp_id', 'tun_gbp_flags', 'metadata', 'pkt_mark', 'skb_priority', 'ct_state', 'ct_zone', 'ct_mark',
  'ct_label', 'ct_nw_src', 'ct_nw_dst', 'ct_nw_proto', 'ct_tp_src', 'ct_tp_dst', 'ct_ipv6_src', 'ct_ipv6_dst',
  'dp_hash', 'recirc_id', 'conj_id', 'actset_output', 'in_port_oxm', 'packet_type', 'ipv6_src', 'ipv6_dst',
  'ipv6_label', 'nw_ttl', 'ip_ttl', 'nw_ecn', 'ip_ecn', 'ip_frag', 'nw_frag', 'arp_sha', 'arp_tha', 'nd_target',
  'nd_sll', 'nd_tll', 'tcp_flags', 'sctp_src', 'sctp_dst', 'mpls_label', 'mpls_tc', 'mpls_bos', 'mpls_ttl', 'icmpv6_type', 'icmpv6_code',
  'nsh_flags', 'nsh_ttl', 'nsh_mdtype', 'nsh_np', 'nsh_spi', 'nsh_si', 'nsh_c1', 'nsh_c2', 'nsh_c3', 'nsh_c4',
  ...Array.from({ length: 16 }, (_, i) => `reg${i}`),
  ...Array.from({ length: 8 }, (_, i) => `xreg${i}`),
  ...Array.from({ length: 4 }, (_, i) => `xxreg${i}`),
]); // prettier-ignore

export function isMatchField(name: string): boolean {
  return BY_NAME.has(name);
}

export function isNonOf10Field(name: string): boolean {
  return NOT_OF10.has(name) || name.startsWith('tun_metadata');
}

/** mf_from_ethernet_string(): `MAC` or `MAC/MASK`, the whole string. */
function parseMacMasked(s: string): [number, number] | undefined {
  const a = scanMac(s, 0);
  if (a && a.end === s.length) return [a.value, MAC_ALL];
  if (a && s[a.end] === '/') {
    const b = scanMac(s, a.end + 1);
    if (b && b.end === s.length) return [a.value, b.value];
  }
  return undefined;
}

/** ip_parse_masked(): `IP`, `IP/PREFIX` or `IP/MASK`, the whole string. */
function parseIpMasked(s: string): [number, number] {
  const a = scanIp(s, 0);
  if (a && s[a.end] === '/') {
    const b = scanIp(s, a.end + 1);
    if (b) {
      if (b.end !== s.length) throw new FlowSyntaxError(`${s}: invalid IP address`);
      return [a.value, b.value];
    }
    const p = scanDecimal(s, a.end + 1);
    if (p) {
      if (p.value < 0 || p.value > 32)
        throw new FlowSyntaxError(`${s}: IPv4 network prefix bits not between 0 and 32, inclusive`);
      if (p.end !== s.length) throw new FlowSyntaxError(`${s}: invalid IP address`);
      return [a.value, prefixMask(p.value)];
    }
  }
  if (a && a.end === s.length) return [a.value, 0xffffffff];
  throw new FlowSyntaxError(`${s}: invalid IP address`);
}

/** mf_from_integer_string(). */
function parseIntMasked(f: MatchField, s: string, bytes: number): [number, number] {
  const all = bytes === 1 ? 0xff : 0xffff;
  const fail = (r: { error: string }, what: string): never => {
    throw new FlowSyntaxError(
      r.error === 'ERANGE'
        ? `${s}: ${what} too large for ${bytes}-byte field ${f.name}`
        : `${s}: bad syntax for ${f.name} ${what}`,
    );
  };
  const v = parseIntString(s, bytes);
  if ('error' in v) return fail(v, 'value');
  if (v.end < s.length && s[v.end] !== '/') return fail({ error: 'EINVAL' }, 'value');
  if (s[v.end] !== '/') return [Number(v.value), all];
  const rest = s.slice(v.end + 1);
  const m = parseIntString(rest, bytes);
  if ('error' in m) return fail(m, 'mask');
  if (m.end !== rest.length) return fail({ error: 'EINVAL' }, 'mask');
  return [Number(v.value), Number(m.value)];
}

/**
 * Parses `name=value` into `m` (OVS ofp_parse_field). `name` must satisfy isMatchField().
 * Port warnings go to `warn`.
 */
export function parseMatchField(
  m: FlowMatch,
  name: string,
  value: string,
  names: PortNameMap | undefined,
  warn: (msg: string) => void,
  need: NeedsMore,
): void {
  const f = BY_NAME.get(name)!;
  const s = value === '' ? '0/0' : value;
  let v: number;
  let mask: number;
  let all: number;
  if (s === '*') {
    f.wild(m);
    return;
  }
  switch (f.syntax.kind) {
    case 'port': {
      const p = parsePort(s, names, warn);
      if (p === undefined) throw new FlowSyntaxError(`${s}: invalid or unknown port for ${f.name}`);
      f.set(m, p);
      return;
    }
    case 'mac': {
      const r = parseMacMasked(s);
      if (!r) throw new FlowSyntaxError(`${s}: invalid Ethernet address`);
      [v, mask] = r;
      all = MAC_ALL;
      break;
    }
    case 'ip':
      [v, mask] = parseIpMasked(s);
      all = 0xffffffff;
      break;
    case 'int':
      [v, mask] = parseIntMasked(f, s, f.syntax.bytes);
      all = f.syntax.bytes === 1 ? 0xff : 0xffff;
      break;
  }
  if (mask !== 0 && mask !== all && !f.maskable)
    throw new FlowSyntaxError(`${s}: invalid mask for field ${f.name}`);
  if (mask === all) f.set(m, v);
  else if (mask === 0) f.wild(m);
  else if (f.masked && isCidr(mask)) f.masked(m, v, mask);
  else need(`${name}=${value}`, f.maskNeeds ?? 'NXM,OXM');
}
