/*
 * The few frames the simulated hosts of `ofdp demo` need: Ethernet + ARP request/reply and
 * Ethernet + IPv4 + ICMP echo request/reply, built and recognised by hand (RFC 826, RFC 791,
 * RFC 792). MACs are 48-bit Numbers and IPv4 addresses uint32 Numbers, as in src/openflow.
 */
import { readMac, writeMac } from '../openflow/layout.js';

export { readMac };
export const ETH_TYPE_IP = 0x0800;
export const ETH_TYPE_ARP = 0x0806;
export const BROADCAST_MAC = 0xffffffffffff;
const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const IPPROTO_ICMP = 1;
const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;

function ethernet(dst: number, src: number, type: number, payloadLen: number): Buffer {
  // Padded to the 60-byte minimum, as a NIC would.
  const b = Buffer.alloc(Math.max(60, 14 + payloadLen));
  writeMac(b, 0, dst);
  writeMac(b, 6, src);
  b.writeUInt16BE(type, 12);
  return b;
}

/** Internet checksum (RFC 1071) of b[o, o + len). */
export function inetChecksum(b: Buffer, o: number, len: number): number {
  let sum = 0;
  for (let i = 0; i + 1 < len; i += 2) sum += b.readUInt16BE(o + i);
  if (len & 1) sum += b[o + len - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Arp {
  op: number;
  sha: number;
  spa: number;
  tha: number;
  tpa: number;
}

export function arpFrame(ethDst: number, a: Arp): Buffer {
  const b = ethernet(ethDst, a.sha, ETH_TYPE_ARP, 28);
  b.writeUInt16BE(1, 14); // Ethernet
  b.writeUInt16BE(ETH_TYPE_IP, 16);
  b[18] = 6;
  b[19] = 4;
  b.writeUInt16BE(a.op, 20);
  writeMac(b, 22, a.sha);
  b.writeUInt32BE(a.spa, 28);
  writeMac(b, 32, a.tha);
  b.writeUInt32BE(a.tpa, 38);
  return b;
}

export const arpRequest = (sha: number, spa: number, tpa: number): Buffer =>
  arpFrame(BROADCAST_MAC, { op: ARP_REQUEST, sha, spa, tha: 0, tpa });
export const arpReply = (sha: number, spa: number, tha: number, tpa: number): Buffer =>
  arpFrame(tha, { op: ARP_REPLY, sha, spa, tha, tpa });

export function parseArp(f: Buffer): (Arp & { isRequest: boolean; isReply: boolean }) | undefined {
  if (f.length < 42 || f.readUInt16BE(12) !== ETH_TYPE_ARP) return undefined;
  if (f.readUInt16BE(14) !== 1 || f.readUInt16BE(16) !== ETH_TYPE_IP || f[18] !== 6 || f[19] !== 4)
    return undefined;
  const op = f.readUInt16BE(20);
  return {
    op,
    sha: readMac(f, 22),
    spa: f.readUInt32BE(28),
    tha: readMac(f, 32),
    tpa: f.readUInt32BE(38),
    isRequest: op === ARP_REQUEST,
    isReply: op === ARP_REPLY,
  };
}

export interface Echo {
  ethSrc: number;
  ethDst: number;
  src: number;
  dst: number;
  id: number;
  seq: number;
  payload: Buffer;
}

function icmpEcho(type: number, e: Echo): Buffer {
  const icmpLen = 8 + e.payload.length;
  const b = ethernet(e.ethDst, e.ethSrc, ETH_TYPE_IP, 20 + icmpLen);
  const ip = 14;
  b[ip] = 0x45;
  b.writeUInt16BE(20 + icmpLen, ip + 2);
  b.writeUInt16BE(e.seq & 0xffff, ip + 4);
  b.writeUInt16BE(0x4000, ip + 6); // DF
  b[ip + 8] = 64;
  b[ip + 9] = IPPROTO_ICMP;
  b.writeUInt32BE(e.src, ip + 12);
  b.writeUInt32BE(e.dst, ip + 16);
  b.writeUInt16BE(inetChecksum(b, ip, 20), ip + 10);
  const ic = ip + 20;
  b[ic] = type;
  b.writeUInt16BE(e.id, ic + 4);
  b.writeUInt16BE(e.seq, ic + 6);
  e.payload.copy(b, ic + 8);
  b.writeUInt16BE(inetChecksum(b, ic, icmpLen), ic + 2);
  return b;
}

export const echoRequest = (e: Echo): Buffer => icmpEcho(ICMP_ECHO_REQUEST, e);
export const echoReply = (e: Echo): Buffer => icmpEcho(ICMP_ECHO_REPLY, e);

/** An ICMP echo request or reply with valid IPv4 and ICMP checksums, else undefined. */
export function parseEcho(f: Buffer): (Echo & { isRequest: boolean }) | undefined {
  if (f.length < 42 || f.readUInt16BE(12) !== ETH_TYPE_IP) return undefined;
  const ip = 14;
  if (f[ip]! >> 4 !== 4 || f[ip + 9] !== IPPROTO_ICMP) return undefined;
  const ihl = (f[ip]! & 15) * 4;
  const total = f.readUInt16BE(ip + 2);
  if (ihl < 20 || total < ihl + 8 || ip + total > f.length) return undefined;
  if (inetChecksum(f, ip, ihl) !== 0) return undefined;
  const ic = ip + ihl;
  const icmpLen = total - ihl;
  if (inetChecksum(f, ic, icmpLen) !== 0) return undefined;
  const type = f[ic]!;
  if (type !== ICMP_ECHO_REQUEST && type !== ICMP_ECHO_REPLY) return undefined;
  return {
    ethDst: readMac(f, 0),
    ethSrc: readMac(f, 6),
    src: f.readUInt32BE(ip + 12),
    dst: f.readUInt32BE(ip + 16),
    id: f.readUInt16BE(ic + 4),
    seq: f.readUInt16BE(ic + 6),
    payload: Buffer.from(f.subarray(ic + 8, ip + total)),
    isRequest: type === ICMP_ECHO_REQUEST,
  };
}
