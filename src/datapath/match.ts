/*
 * OpenFlow 1.0 matches as (mask, value) word pairs in the frame-key layout (frame-key.ts).
 *
 * What: matchToWords() turns an OfpMatch into a mask and a masked value; wordsToMatch() turns them
 * back into the canonical OfpMatch reported in stats and flow-removed. The relations flow-mods need
 * (strict equality, "covers" for non-strict commands, overlap) are word-wise bit tests.
 *
 * Canonical form (what a stored flow reports), following Open vSwitch's OF1.0 decoding:
 * - wildcarded fields read 0; nw_src/nw_dst wildcard counts above 32 read 32; unknown wildcard
 *   bits are dropped;
 * - dl_vlan other than OFP_VLAN_NONE keeps its low 12 bits; dl_vlan_pcp keeps 3 bits; nw_tos loses
 *   its ECN bits;
 * - with dl_vlan = OFP_VLAN_NONE, dl_vlan_pcp reads 0 (an untagged frame has no PCP, so Open vSwitch
 *   ignores it; the 12-tuple of an untagged frame has PCP 0, so a PCP constraint of 0 is the same).
 * Otherwise fields compare as the spec says, with no further normalisation (a rule on nw_src with
 * dl_type wildcarded compares against nw_src 0 in non-IP frames).
 */
import { OFPFW, OFP_VLAN_NONE } from '../openflow/constants.js';
import type { OfpMatch } from '../openflow/structs.js';
import {
  KEY_WORDS,
  W_DST_LO,
  W_NW_DST,
  W_NW_SRC,
  W_PORT_VLAN,
  W_PROTO,
  W_SRC_DST,
  W_SRC_HI,
  W_TP,
  W_TYPE,
} from './frame-key.js';

/** The mask of a match with no wildcards. */
export const FULL_MASK: Readonly<Int32Array> = Int32Array.from([-1, -1, -1, -1, -1, 0xff, -1, -1, -1]);

function prefixMask(wildBits: number): number {
  return wildBits >= 32 ? 0 : -1 << wildBits;
}

/** Fills `mask` and `value` (each KEY_WORDS long) from `m`. */
export function matchToWords(m: OfpMatch, mask: Int32Array, value: Int32Array): void {
  const w = m.wildcards;
  const vlanExact = (w & OFPFW.DL_VLAN) === 0;
  const vlan = vlanExact ? (m.dl_vlan === OFP_VLAN_NONE ? OFP_VLAN_NONE : m.dl_vlan & 0xfff) : 0;
  // An untagged frame's PCP reads 0, so a rule for untagged frames keeps its PCP constraint but as 0.
  const pcp = vlan === OFP_VLAN_NONE ? 0 : m.dl_vlan_pcp & 7;
  const srcHi = Math.floor(m.dl_src / 0x10000);
  const srcLo = m.dl_src % 0x10000;
  const dstHi = Math.floor(m.dl_dst / 0x100000000);
  const dstLo = m.dl_dst % 0x100000000;
  mask[W_PORT_VLAN] = (w & OFPFW.IN_PORT ? 0 : 0xffff0000) | (w & OFPFW.DL_VLAN ? 0 : 0xffff);
  mask[W_SRC_HI] = w & OFPFW.DL_SRC ? 0 : -1;
  mask[W_SRC_DST] = (w & OFPFW.DL_SRC ? 0 : 0xffff0000) | (w & OFPFW.DL_DST ? 0 : 0xffff);
  mask[W_DST_LO] = w & OFPFW.DL_DST ? 0 : -1;
  mask[W_TYPE] =
    (w & OFPFW.DL_TYPE ? 0 : 0xffff0000) |
    (w & OFPFW.DL_VLAN_PCP ? 0 : 0xff00) |
    (w & OFPFW.NW_TOS ? 0 : 0xff);
  mask[W_PROTO] = w & OFPFW.NW_PROTO ? 0 : 0xff;
  mask[W_NW_SRC] = prefixMask((w & OFPFW.NW_SRC_MASK) >>> OFPFW.NW_SRC_SHIFT);
  mask[W_NW_DST] = prefixMask((w & OFPFW.NW_DST_MASK) >>> OFPFW.NW_DST_SHIFT);
  mask[W_TP] = (w & OFPFW.TP_SRC ? 0 : 0xffff0000) | (w & OFPFW.TP_DST ? 0 : 0xffff);
  value[W_PORT_VLAN] = ((m.in_port << 16) | vlan) & mask[W_PORT_VLAN]!;
  value[W_SRC_HI] = srcHi & mask[W_SRC_HI]!;
  value[W_SRC_DST] = ((srcLo << 16) | dstHi) & mask[W_SRC_DST]!;
  value[W_DST_LO] = dstLo & mask[W_DST_LO]!;
  value[W_TYPE] = ((m.dl_type << 16) | (pcp << 8) | (m.nw_tos & 0xfc)) & mask[W_TYPE]!;
  value[W_PROTO] = m.nw_proto & mask[W_PROTO]!;
  value[W_NW_SRC] = m.nw_src & mask[W_NW_SRC]!;
  value[W_NW_DST] = m.nw_dst & mask[W_NW_DST]!;
  value[W_TP] = ((m.tp_src << 16) | (m.tp_dst & 0xffff)) & mask[W_TP]!;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** The canonical OfpMatch of a (mask, value) pair made by matchToWords. */
export function wordsToMatch(mask: Int32Array, value: Int32Array): OfpMatch {
  const m0 = mask[W_PORT_VLAN]!;
  const m4 = mask[W_TYPE]!;
  const m8 = mask[W_TP]!;
  let w = 0;
  if ((m0 & 0xffff0000) === 0) w |= OFPFW.IN_PORT;
  if ((m0 & 0xffff) === 0) w |= OFPFW.DL_VLAN;
  if (mask[W_SRC_HI] === 0) w |= OFPFW.DL_SRC;
  if (mask[W_DST_LO] === 0) w |= OFPFW.DL_DST;
  if ((m4 & 0xffff0000) === 0) w |= OFPFW.DL_TYPE;
  if ((m4 & 0xff00) === 0) w |= OFPFW.DL_VLAN_PCP;
  if ((m4 & 0xff) === 0) w |= OFPFW.NW_TOS;
  if (mask[W_PROTO] === 0) w |= OFPFW.NW_PROTO;
  if ((m8 & 0xffff0000) === 0) w |= OFPFW.TP_SRC;
  if ((m8 & 0xffff) === 0) w |= OFPFW.TP_DST;
  w |= (32 - popcount(mask[W_NW_SRC]!)) << OFPFW.NW_SRC_SHIFT;
  w |= (32 - popcount(mask[W_NW_DST]!)) << OFPFW.NW_DST_SHIFT;
  const v0 = value[W_PORT_VLAN]!;
  const v2 = value[W_SRC_DST]!;
  const v4 = value[W_TYPE]!;
  const v8 = value[W_TP]!;
  return {
    wildcards: w,
    in_port: v0 >>> 16,
    dl_src: (value[W_SRC_HI]! >>> 0) * 0x10000 + (v2 >>> 16),
    dl_dst: (v2 & 0xffff) * 0x100000000 + (value[W_DST_LO]! >>> 0),
    dl_vlan: v0 & 0xffff,
    dl_vlan_pcp: (v4 >>> 8) & 0xff,
    dl_type: v4 >>> 16,
    nw_tos: v4 & 0xff,
    nw_proto: value[W_PROTO]! & 0xff,
    nw_src: value[W_NW_SRC]! >>> 0,
    nw_dst: value[W_NW_DST]! >>> 0,
    tp_src: v8 >>> 16,
    tp_dst: v8 & 0xffff,
  };
}

/** Whether the canonical form of `m` wildcards nothing (an exact-match flow). */
export function isExactMask(mask: Int32Array): boolean {
  for (let i = 0; i < KEY_WORDS; i++) if (mask[i] !== FULL_MASK[i]) return false;
  return true;
}

/**
 * Whether the rule (rMask, rValue) is selected by a non-strict request (qMask, qValue): every field
 * the request constrains, the rule constrains at least as tightly and to the same value.
 */
export function covers(
  qMask: Int32Array,
  qValue: Int32Array,
  rMask: Int32Array,
  rValue: Int32Array,
): boolean {
  for (let i = 0; i < KEY_WORDS; i++) {
    const qm = qMask[i]!;
    if ((qm & ~rMask[i]!) !== 0 || (rValue[i]! & qm) !== qValue[i]) return false;
  }
  return true;
}

/** Whether some frame could match both (aMask, aValue) and (bMask, bValue). */
export function overlaps(
  aMask: Int32Array,
  aValue: Int32Array,
  bMask: Int32Array,
  bValue: Int32Array,
): boolean {
  for (let i = 0; i < KEY_WORDS; i++) {
    const c = aMask[i]! & bMask[i]!;
    if ((aValue[i]! & c) !== (bValue[i]! & c)) return false;
  }
  return true;
}
