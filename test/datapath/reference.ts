/*
 * A trivially correct model of OpenFlow 1.0 matching, written from the spec for tests: value pools
 * small enough that random rules and frames collide often, and the linear reference lookup.
 */
import fc from 'fast-check';
import { OFPFW } from '../../src/openflow/constants.js';
import type { OfpMatch } from '../../src/openflow/structs.js';

export type Tuple = Omit<OfpMatch, 'wildcards'>;

export const pools = {
  in_port: [1, 2, 3],
  dl_src: [0x001122334455, 0x0000000000aa, 0xfeedfacecafe],
  dl_dst: [0x001122334455, 0x0000000000bb, 0xffffffffffff],
  dl_vlan: [0xffff, 10, 20],
  dl_vlan_pcp: [0, 5],
  dl_type: [0x0800, 0x0806],
  nw_tos: [0, 0x20],
  nw_proto: [6, 17],
  nw_src: [0x0a000001, 0x0a000101, 0x0a010000, 0xc0a80101],
  nw_dst: [0x0a000001, 0x0a000102, 0x0a010000, 0xc0a80101],
  tp_src: [80, 443, 0],
  tp_dst: [80, 443, 0],
};
export const fields = Object.keys(pools) as (keyof typeof pools)[];

/** The OFPFW bit that wildcards each field (nw_src/nw_dst have prefix counts instead). */
export const FIELD_BITS = {
  in_port: OFPFW.IN_PORT,
  dl_src: OFPFW.DL_SRC,
  dl_dst: OFPFW.DL_DST,
  dl_vlan: OFPFW.DL_VLAN,
  dl_vlan_pcp: OFPFW.DL_VLAN_PCP,
  dl_type: OFPFW.DL_TYPE,
  nw_tos: OFPFW.NW_TOS,
  nw_proto: OFPFW.NW_PROTO,
  tp_src: OFPFW.TP_SRC,
  tp_dst: OFPFW.TP_DST,
} as const;
/** FIELD_BITS looked up by any field name: undefined for nw_src and nw_dst. */
export const fieldBits: Readonly<Record<string, number>> = FIELD_BITS;

export const tupleArb: fc.Arbitrary<Tuple> = fc.record(
  Object.fromEntries(fields.map((f) => [f, fc.constantFrom(...pools[f])])) as {
    [K in keyof Tuple]: fc.Arbitrary<number>;
  },
);

export const singleBits = [
  OFPFW.IN_PORT,
  OFPFW.DL_VLAN,
  OFPFW.DL_SRC,
  OFPFW.DL_DST,
  OFPFW.DL_TYPE,
  OFPFW.NW_PROTO,
  OFPFW.TP_SRC,
  OFPFW.TP_DST,
  OFPFW.DL_VLAN_PCP,
  OFPFW.NW_TOS,
];
export const nwCounts = [0, 8, 15, 16, 24, 31, 32, 40, 63];

export const wildcardsArb = fc
  .tuple(fc.subarray(singleBits), fc.constantFrom(...nwCounts), fc.constantFrom(...nwCounts), fc.boolean())
  .map(([bits, s, d, exact]) =>
    exact ? 0 : bits.reduce((a, b) => a | b, 0) | (s << OFPFW.NW_SRC_SHIFT) | (d << OFPFW.NW_DST_SHIFT),
  );

export interface RuleSpec {
  match: OfpMatch;
  priority: number;
}
export const ruleArb: fc.Arbitrary<RuleSpec> = fc.record({
  match: fc.tuple(tupleArb, wildcardsArb).map(([t, w]) => ({ ...t, wildcards: w })),
  priority: fc.constantFrom(0, 1, 100, 0x8000, 0xffff),
});

// ---- the reference: straight from the spec ------------------------------------------------------

export function prefixEq(a: number, b: number, wildBits: number): boolean {
  if (wildBits >= 32) return true;
  const mask = wildBits === 0 ? 0xffffffff : (0xffffffff << wildBits) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

export function refMatches(m: OfpMatch, t: Tuple): boolean {
  const w = m.wildcards;
  const vlanNone = !(w & OFPFW.DL_VLAN) && m.dl_vlan === 0xffff;
  return ((w & OFPFW.IN_PORT || m.in_port === t.in_port) &&
    (w & OFPFW.DL_SRC || m.dl_src === t.dl_src) &&
    (w & OFPFW.DL_DST || m.dl_dst === t.dl_dst) &&
    (w & OFPFW.DL_VLAN || (vlanNone ? t.dl_vlan === 0xffff : (m.dl_vlan & 0xfff) === t.dl_vlan)) &&
    (w & OFPFW.DL_VLAN_PCP || vlanNone || (m.dl_vlan_pcp & 7) === t.dl_vlan_pcp) &&
    (w & OFPFW.DL_TYPE || m.dl_type === t.dl_type) &&
    (w & OFPFW.NW_TOS || (m.nw_tos & 0xfc) === t.nw_tos) &&
    (w & OFPFW.NW_PROTO || m.nw_proto === t.nw_proto) &&
    prefixEq(m.nw_src, t.nw_src, (w >> OFPFW.NW_SRC_SHIFT) & 0x3f) &&
    prefixEq(m.nw_dst, t.nw_dst, (w >> OFPFW.NW_DST_SHIFT) & 0x3f) &&
    (w & OFPFW.TP_SRC || m.tp_src === t.tp_src) &&
    (w & OFPFW.TP_DST || m.tp_dst === t.tp_dst)) as boolean;
}

export const isExact = (m: OfpMatch): boolean => (m.wildcards & OFPFW.ALL) === 0;
export const refRank = (r: RuleSpec): number => (isExact(r.match) ? 0x10000 : 0) + r.priority;

/** Every matching rule of the highest rank (OpenFlow leaves ties among them undefined). */
export function refBest(rules: RuleSpec[], t: Tuple): RuleSpec[] {
  let best: RuleSpec[] = [];
  let bestRank = -1;
  for (const r of rules) {
    if (!refMatches(r.match, t)) continue;
    const k = refRank(r);
    if (k > bestRank) {
      bestRank = k;
      best = [r];
    } else if (k === bestRank) best.push(r);
  }
  return best;
}

/** Identity of a rule as the spec sees it: the fields it constrains, their values, its priority. */
export function refIdentity(r: RuleSpec): string {
  const m = r.match;
  const w = m.wildcards;
  const vlanNone = !(w & OFPFW.DL_VLAN) && m.dl_vlan === 0xffff;
  const parts: unknown[] = [r.priority];
  parts.push(
    w & OFPFW.IN_PORT ? '*' : m.in_port,
    w & OFPFW.DL_SRC ? '*' : m.dl_src,
    w & OFPFW.DL_DST ? '*' : m.dl_dst,
  );
  parts.push(w & OFPFW.DL_VLAN ? '*' : vlanNone ? 'none' : m.dl_vlan & 0xfff);
  parts.push(w & OFPFW.DL_VLAN_PCP ? '*' : vlanNone ? 0 : m.dl_vlan_pcp & 7);
  parts.push(
    w & OFPFW.DL_TYPE ? '*' : m.dl_type,
    w & OFPFW.NW_TOS ? '*' : m.nw_tos & 0xfc,
    w & OFPFW.NW_PROTO ? '*' : m.nw_proto,
  );
  for (const [v, bits] of [
    [m.nw_src, (w >> OFPFW.NW_SRC_SHIFT) & 0x3f],
    [m.nw_dst, (w >> OFPFW.NW_DST_SHIFT) & 0x3f],
  ] as const) {
    const b = Math.min(32, bits);
    parts.push(
      b === 32 ? '*' : `${((v & (b === 0 ? 0xffffffff : (0xffffffff << b) >>> 0)) >>> 0).toString(16)}/${b}`,
    );
  }
  parts.push(w & OFPFW.TP_SRC ? '*' : m.tp_src, w & OFPFW.TP_DST ? '*' : m.tp_dst);
  return JSON.stringify(parts);
}
