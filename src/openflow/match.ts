/*
 * ofp_match wildcard semantics.
 *
 * nw_src and nw_dst carry a 6-bit count of wildcarded low-order bits; any count of 32 or more means
 * the whole address is wildcarded (ovs-ofctl sends 32, os-ken sends 63 inside OFPFW_ALL). The helpers
 * here turn counts into prefix lengths and masks so no caller repeats that rule.
 */
import { OFPFW } from './constants.js';
import type { OfpMatch } from './structs.js';

/** Prefix length (0..32) of nw_src that must match. */
export function nwSrcPrefixLen(wildcards: number): number {
  const bits = (wildcards & OFPFW.NW_SRC_MASK) >>> OFPFW.NW_SRC_SHIFT;
  return bits >= 32 ? 0 : 32 - bits;
}

/** Prefix length (0..32) of nw_dst that must match. */
export function nwDstPrefixLen(wildcards: number): number {
  const bits = (wildcards & OFPFW.NW_DST_MASK) >>> OFPFW.NW_DST_SHIFT;
  return bits >= 32 ? 0 : 32 - bits;
}

/** The uint32 netmask for a prefix length. */
export function prefixMask(len: number): number {
  return len <= 0 ? 0 : len >= 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
}

/** `wildcards` with the nw_src prefix length set to `len` (0..32). */
export function withNwSrcPrefixLen(wildcards: number, len: number): number {
  return ((wildcards & ~OFPFW.NW_SRC_MASK) | ((32 - len) << OFPFW.NW_SRC_SHIFT)) >>> 0;
}

/** `wildcards` with the nw_dst prefix length set to `len` (0..32). */
export function withNwDstPrefixLen(wildcards: number, len: number): number {
  return ((wildcards & ~OFPFW.NW_DST_MASK) | ((32 - len) << OFPFW.NW_DST_SHIFT)) >>> 0;
}

/** A match with every field wildcarded (OFPFW_ALL) and every value zero. */
export function matchAll(): OfpMatch {
  return {
    wildcards: OFPFW.ALL,
    in_port: 0,
    dl_src: 0,
    dl_dst: 0,
    dl_vlan: 0,
    dl_vlan_pcp: 0,
    dl_type: 0,
    nw_tos: 0,
    nw_proto: 0,
    nw_src: 0,
    nw_dst: 0,
    tp_src: 0,
    tp_dst: 0,
  };
}

/** True when no field is wildcarded: such a flow outranks every wildcarded flow. */
export function isExactMatch(m: OfpMatch): boolean {
  return (m.wildcards & OFPFW.ALL) === 0;
}

/** MAC helpers: "aa:bb:cc:dd:ee:ff" <-> 48-bit number. */
export function macToString(mac: number): string {
  let s = '';
  for (let shift = 40; shift >= 0; shift -= 8) {
    const byte = Math.floor(mac / 2 ** shift) % 256;
    s += (shift === 40 ? '' : ':') + byte.toString(16).padStart(2, '0');
  }
  return s;
}

export function parseMac(s: string): number | undefined {
  const m = /^([0-9a-fA-F]{1,2})(?::([0-9a-fA-F]{1,2})){5}$/.exec(s) ? s.split(':') : undefined;
  if (!m) return undefined;
  let v = 0;
  for (const part of m) v = v * 256 + parseInt(part, 16);
  return v;
}

/** IPv4 helpers: dotted quad <-> uint32. */
export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

export function parseIp(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v;
}
