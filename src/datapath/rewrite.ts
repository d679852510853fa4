/*
 * Header rewrites for the set-field actions, with incremental checksum updates (RFC 1624).
 *
 * Operands arrive as small integers (see program.ts), never as 32-bit values, so calls never box.
 * Every function edits a frame in place at buf[off …] using the offsets parseFrame() recorded in a
 * ParsedFrame, and keeps the packed key in step, so a later NORMAL, upcall or output sees the frame
 * as modified so far. VLAN push and pop change the frame's length; they live in the executor
 * (execute.ts), which owns the headroom they need.
 *
 * Checksums: the IPv4 header checksum follows any IPv4 header change; TCP and UDP checksums follow
 * address changes (pseudo-header) and port changes; a UDP checksum of 0 ("none") stays 0, and a
 * computed 0 is sent as 0xffff; ICMP has no pseudo-header so address changes leave it alone. A
 * non-first fragment carries no L4 header, so only its IPv4 header changes.
 */
import {
  L4_TCP,
  L4_UDP,
  W_DST_LO,
  W_NW_DST,
  W_NW_SRC,
  W_SRC_DST,
  W_SRC_HI,
  W_TP,
  W_TYPE,
  type ParsedFrame,
} from './frame-key.js';

/** RFC 1624 eqn. 3: the checksum after one 16-bit word of the covered data changes from `old` to `neu`. */
export function csumReplace16(csum: number, old: number, neu: number): number {
  let s = (~csum & 0xffff) + (~old & 0xffff) + (neu & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function rd16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
/** Updates the L4 checksum for a change in covered 16-bit words (UDP 0 stays 0). */
function l4Fix(
  b: Uint8Array,
  p: ParsedFrame,
  off: number,
  oldHi: number,
  oldLo: number,
  newHi: number,
  newLo: number,
): void {
  if (p.l4Off < 0) return;
  if (p.l4Kind === L4_TCP) {
    const c = off + p.l4Off + 16;
    wr16(b, c, csumReplace16(csumReplace16(rd16(b, c), oldHi, newHi), oldLo, newLo));
  } else if (p.l4Kind === L4_UDP) {
    const c = off + p.l4Off + 6;
    const cs = rd16(b, c);
    if (cs === 0) return;
    wr16(b, c, csumReplace16(csumReplace16(cs, oldHi, newHi), oldLo, newLo) || 0xffff);
  }
}

/** Stores the MAC given as its top and bottom 24 bits at b[o, o+6). */
function writeMac(b: Uint8Array, o: number, hi24: number, lo24: number): void {
  b[o] = hi24 >>> 16;
  b[o + 1] = hi24 >>> 8;
  b[o + 2] = hi24;
  b[o + 3] = lo24 >>> 16;
  b[o + 4] = lo24 >>> 8;
  b[o + 5] = lo24;
}

/** set_dl_src: the MAC as its top and bottom 24 bits. */
export function setDlSrc(
  b: Uint8Array,
  off: number,
  len: number,
  p: ParsedFrame,
  hi24: number,
  lo24: number,
): void {
  if (len < 12) return;
  writeMac(b, off + 6, hi24, lo24);
  p.key[W_SRC_HI] = (hi24 << 8) | (lo24 >>> 16);
  p.key[W_SRC_DST] = (lo24 << 16) | (p.key[W_SRC_DST]! & 0xffff);
}

/** set_dl_dst: the MAC as its top and bottom 24 bits. */
export function setDlDst(
  b: Uint8Array,
  off: number,
  len: number,
  p: ParsedFrame,
  hi24: number,
  lo24: number,
): void {
  if (len < 6) return;
  writeMac(b, off, hi24, lo24);
  p.key[W_SRC_DST] = (p.key[W_SRC_DST]! & 0xffff0000) | (hi24 >>> 8);
  p.key[W_DST_LO] = (hi24 << 24) | lo24;
}

/** set_nw_src (`isSrc`) or set_nw_dst on an IPv4 frame, the address as 16-bit halves. */
export function setNwAddr(
  b: Uint8Array,
  off: number,
  p: ParsedFrame,
  isSrc: boolean,
  hi: number,
  lo: number,
): void {
  if (p.ipOff < 0) return;
  const ip = off + p.ipOff;
  const at = ip + (isSrc ? 12 : 16);
  const oldHi = rd16(b, at);
  const oldLo = rd16(b, at + 2);
  if (oldHi === hi && oldLo === lo) return;
  wr16(b, at, hi);
  wr16(b, at + 2, lo);
  wr16(b, ip + 10, csumReplace16(csumReplace16(rd16(b, ip + 10), oldHi, hi), oldLo, lo));
  l4Fix(b, p, off, oldHi, oldLo, hi, lo);
  p.key[isSrc ? W_NW_SRC : W_NW_DST] = (hi << 16) | lo;
}

export function setNwTos(b: Uint8Array, off: number, p: ParsedFrame, tos: number): void {
  if (p.ipOff < 0) return;
  const ip = off + p.ipOff;
  const oldWord = rd16(b, ip);
  const newWord = (oldWord & 0xff03) | (tos & 0xfc);
  if (oldWord === newWord) return;
  wr16(b, ip, newWord);
  wr16(b, ip + 10, csumReplace16(rd16(b, ip + 10), oldWord, newWord));
  p.key[W_TYPE] = (p.key[W_TYPE]! & ~0xff) | (tos & 0xfc);
}

/** set_tp_src (`isSrc`) or set_tp_dst on a TCP or UDP header; anything else is left alone. */
export function setTpPort(b: Uint8Array, off: number, p: ParsedFrame, isSrc: boolean, port: number): void {
  if (p.l4Off < 0 || (p.l4Kind !== L4_TCP && p.l4Kind !== L4_UDP)) return;
  const at = off + p.l4Off + (isSrc ? 0 : 2);
  const old = rd16(b, at);
  const neu = port & 0xffff;
  if (old === neu) return;
  wr16(b, at, neu);
  if (p.l4Kind === L4_TCP) {
    const c = off + p.l4Off + 16;
    wr16(b, c, csumReplace16(rd16(b, c), old, neu));
  } else {
    const c = off + p.l4Off + 6;
    const cs = rd16(b, c);
    if (cs !== 0) wr16(b, c, csumReplace16(cs, old, neu) || 0xffff);
  }
  const w = p.key[W_TP]!;
  p.key[W_TP] = isSrc ? (neu << 16) | (w & 0xffff) : (w & 0xffff0000) | neu;
}
