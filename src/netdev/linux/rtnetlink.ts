/*
 * rtnetlink (NETLINK_ROUTE) for links and addresses: request builders, reply parsers and a small
 * synchronous client.
 *
 * Portable by construction: requests carry zero ifi_type/ifi_flags/ifi_change unless they change
 * flags (FreeBSD's strict header checks reject anything else), and parsers take whatever
 * attributes are present: a missing IFLA_OPERSTATE, IFLA_CARRIER or IFLA_STATS64 leaves the field
 * undefined rather than failing. Sets use RTM_NEWLINK without NLM_F_CREATE, which both kernels
 * treat as "modify". IFLA_STATS64 is read byte-wise: the kernel only 4-byte aligns it.
 */
import { NetlinkSocket } from './netlink-socket.js';
import {
  NlBuilder,
  NLM_F,
  attrBytes,
  attrStr,
  attrU32,
  attrU8,
  parseAttrs,
  type NlMessage,
} from './netlink.js';
import { AF_INET, AF_INET6, AF_UNSPEC } from './ffi.js';
import { NetdevError, type NetdevStats } from '../provider.js';

export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
} as const;

export const IFLA = {
  ADDRESS: 1,
  BROADCAST: 2,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  STATS: 7,
  MASTER: 10,
  TXQLEN: 13,
  OPERSTATE: 16,
  LINKMODE: 17,
  LINKINFO: 18,
  STATS64: 23,
  EXT_MASK: 29,
  PROMISCUITY: 30,
  CARRIER: 33,
  CARRIER_CHANGES: 35,
  /** In the RTM_DELLINK announcing a move to another namespace: that namespace's id here. */
  NEW_NETNSID: 45,
  /** In RTM_GETLINK: read the link in the namespace with this id (Linux 4.20+; not for changes). */
  TARGET_NETNSID: 46,
  /** In the RTM_DELLINK announcing a move: the link's ifindex in its new namespace. */
  NEW_IFINDEX: 49,
} as const;

export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, FLAGS: 8 } as const;

export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  RUNNING: 0x40,
  NOARP: 0x80,
  PROMISC: 0x100,
  LOWER_UP: 0x10000,
} as const;

/** RFC 2863 operational states (IFLA_OPERSTATE). */
export const IF_OPER = {
  UNKNOWN: 0,
  NOTPRESENT: 1,
  DOWN: 2,
  LOWERLAYERDOWN: 3,
  TESTING: 4,
  DORMANT: 5,
  UP: 6,
} as const;

export const RTNLGRP = { LINK: 1, IPV4_IFADDR: 5, IPV6_IFADDR: 9 } as const;

const IFINFOMSG_LEN = 16;
const IFADDRMSG_LEN = 8;

export interface LinkInfo {
  ifindex: number;
  name?: string;
  /** ifi_flags (IFF_*). */
  flags: number;
  mac?: number;
  mtu?: number;
  operstate?: number;
  carrier?: boolean;
  promiscuity?: number;
  stats?: NetdevStats;
  /** Set on an RTM_DELLINK that moves the link to another namespace: its nsid and new ifindex. */
  movedTo?: { nsid: number; ifindex: number };
}

export interface AddrInfo {
  family: number;
  ifindex: number;
  prefixLength: number;
  address: string;
}

function ifinfomsg(ifindex: number, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b[0] = AF_UNSPEC;
  b.writeInt32LE(ifindex, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}

export function getLinkRequest(ifindex: number, name?: string, nsid?: number): NlBuilder {
  const b = new NlBuilder(RTM.GETLINK, NLM_F.REQUEST | NLM_F.ACK).raw(ifinfomsg(ifindex));
  if (ifindex === 0 && name !== undefined) b.str(IFLA.IFNAME, name);
  if (nsid !== undefined) b.u32(IFLA.TARGET_NETNSID, nsid);
  return b;
}

export function dumpLinksRequest(): NlBuilder {
  return new NlBuilder(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP).raw(ifinfomsg(0));
}

export function dumpAddrsRequest(family = AF_UNSPEC): NlBuilder {
  const h = Buffer.alloc(IFADDRMSG_LEN);
  h[0] = family;
  return new NlBuilder(RTM.GETADDR, NLM_F.REQUEST | NLM_F.DUMP).raw(h);
}

export interface LinkChange {
  mac?: number;
  mtu?: number;
  up?: boolean;
  promisc?: boolean;
}

export function setLinkRequest(ifindex: number, c: LinkChange, type: number = RTM.NEWLINK): NlBuilder {
  let flags = 0;
  let change = 0;
  if (c.up !== undefined) {
    change |= IFF.UP;
    if (c.up) flags |= IFF.UP;
  }
  if (c.promisc !== undefined) {
    change |= IFF.PROMISC;
    if (c.promisc) flags |= IFF.PROMISC;
  }
  const b = new NlBuilder(type, NLM_F.REQUEST | NLM_F.ACK).raw(ifinfomsg(ifindex, flags, change));
  if (c.mtu !== undefined) b.u32(IFLA.MTU, c.mtu);
  if (c.mac !== undefined) b.attr(IFLA.ADDRESS, macBytes(c.mac));
  return b;
}

export function macBytes(mac: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(mac, 0, 6);
  return b;
}

// struct rtnl_link_stats64 member order.
const S64 = {
  rx_packets: 0,
  tx_packets: 1,
  rx_bytes: 2,
  tx_bytes: 3,
  rx_errors: 4,
  tx_errors: 5,
  rx_dropped: 6,
  tx_dropped: 7,
  multicast: 8,
  collisions: 9,
  rx_length_errors: 10,
  rx_over_errors: 11,
  rx_crc_errors: 12,
  rx_frame_errors: 13,
} as const;

/** Maps rtnl_link_stats64 (as many members as the kernel sent) to OpenFlow-shaped counters. */
export function parseStats64(buf: Buffer, off: number, len: number): NetdevStats | undefined {
  const n = Math.floor(len / 8);
  if (n < 8) return undefined;
  const at = (i: number): bigint | undefined => (i < n ? buf.readBigUInt64LE(off + i * 8) : undefined);
  return {
    rx_packets: at(S64.rx_packets)!,
    tx_packets: at(S64.tx_packets)!,
    rx_bytes: at(S64.rx_bytes)!,
    tx_bytes: at(S64.tx_bytes)!,
    rx_errors: at(S64.rx_errors)!,
    tx_errors: at(S64.tx_errors)!,
    rx_dropped: at(S64.rx_dropped)!,
    tx_dropped: at(S64.tx_dropped)!,
    collisions: at(S64.collisions),
    rx_over_err: at(S64.rx_over_errors),
    rx_crc_err: at(S64.rx_crc_errors),
    rx_frame_err: at(S64.rx_frame_errors),
  };
}

/** Parses an RTM_NEWLINK/DELLINK message; undefined if it is too short to hold an ifinfomsg. */
export function parseLink(m: NlMessage): LinkInfo | undefined {
  if (m.end - m.off < IFINFOMSG_LEN) return undefined;
  const { buf } = m;
  const a = parseAttrs(buf, m.off + IFINFOMSG_LEN, m.end);
  const info: LinkInfo = { ifindex: buf.readInt32LE(m.off + 4), flags: buf.readUInt32LE(m.off + 8) };
  const name = attrStr(buf, a, IFLA.IFNAME);
  if (name !== undefined) info.name = name;
  const addr = a.get(IFLA.ADDRESS);
  if (addr && addr[1] === 6) info.mac = buf.readUIntBE(addr[0], 6);
  const mtu = attrU32(buf, a, IFLA.MTU);
  if (mtu !== undefined) info.mtu = mtu;
  const oper = attrU8(buf, a, IFLA.OPERSTATE);
  if (oper !== undefined) info.operstate = oper;
  const carrier = attrU8(buf, a, IFLA.CARRIER);
  if (carrier !== undefined) info.carrier = carrier !== 0;
  const promisc = attrU32(buf, a, IFLA.PROMISCUITY);
  if (promisc !== undefined) info.promiscuity = promisc;
  const st = a.get(IFLA.STATS64);
  if (st) {
    const s = parseStats64(buf, st[0], st[1]);
    if (s) info.stats = s;
  }
  const nsid = attrU32(buf, a, IFLA.NEW_NETNSID);
  // NETNSA_NSID_NOT_ASSIGNED (-1) would mean the new namespace cannot be named from here.
  if (nsid !== undefined && nsid !== 0xffffffff)
    info.movedTo = { nsid, ifindex: attrU32(buf, a, IFLA.NEW_IFINDEX) ?? info.ifindex };
  return info;
}

function formatIn6(b: Buffer): string {
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
  // Compress the longest run of zero words (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

/** Parses an RTM_NEWADDR/DELADDR message (IPv4 and IPv6 only). */
export function parseAddr(m: NlMessage): AddrInfo | undefined {
  if (m.end - m.off < IFADDRMSG_LEN) return undefined;
  const { buf } = m;
  const family = buf[m.off]!;
  const a = parseAttrs(buf, m.off + IFADDRMSG_LEN, m.end);
  // IFA_LOCAL is the interface's own address on point-to-point links; IFA_ADDRESS otherwise.
  const raw = attrBytes(buf, a, IFA.LOCAL) ?? attrBytes(buf, a, IFA.ADDRESS);
  if (!raw) return undefined;
  let address: string;
  if (family === AF_INET && raw.length === 4) address = [...raw].join('.');
  else if (family === AF_INET6 && raw.length === 16) address = formatIn6(raw);
  else return undefined;
  return { family, ifindex: buf.readUInt32LE(m.off + 4), prefixLength: buf[m.off + 1]!, address };
}

/** Synchronous rtnetlink requests on one socket. */
export class Rtnetlink {
  constructor(private readonly nl: NetlinkSocket = new NetlinkSocket()) {}

  /**
   * The link with `ifindex` (or `name` when ifindex is 0), in the namespace with id `nsid` if
   * given; throws NetdevError (ENODEV) if absent.
   */
  getLink(ifindex: number, name?: string, nsid?: number): LinkInfo {
    for (const m of this.nl.request(getLinkRequest(ifindex, name, nsid))) {
      if (m.type !== RTM.NEWLINK) continue;
      const l = parseLink(m);
      if (l) return l;
    }
    throw new Error(`rtnetlink: no reply for link ${ifindex || name}`);
  }

  dumpLinks(): LinkInfo[] {
    return this.nl
      .dump(dumpLinksRequest())
      .filter((m) => m.type === RTM.NEWLINK)
      .map(parseLink)
      .filter((l): l is LinkInfo => l !== undefined);
  }

  dumpAddrs(): AddrInfo[] {
    return this.nl
      .dump(dumpAddrsRequest())
      .filter((m) => m.type === RTM.NEWADDR)
      .map(parseAddr)
      .filter((a): a is AddrInfo => a !== undefined);
  }

  /** Changes a link with RTM_NEWLINK (modify), or RTM_SETLINK where a kernel refuses that. */
  setLink(ifindex: number, c: LinkChange): void {
    try {
      this.nl.request(setLinkRequest(ifindex, c));
    } catch (e) {
      if (!(e instanceof NetdevError) || e.errno !== 'EOPNOTSUPP') throw e;
      this.nl.request(setLinkRequest(ifindex, c, RTM.SETLINK));
    }
  }

  close(): void {
    this.nl.close();
  }
}
