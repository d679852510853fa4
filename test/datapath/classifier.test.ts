/*
 * The flow table's classifier (tuple space search + ranks) against a trivially correct linear
 * reference written here from the OpenFlow 1.0 spec, on random rule sets and random frames.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OFPFC, OFPFW } from '../../src/openflow/constants.js';
import { FlowTable, type FlowModParams, type FlowRule } from '../../src/datapath/flow-table.js';
import { KEY_WORDS } from '../../src/datapath/frame-key.js';
import { matchToWords } from '../../src/datapath/match.js';
import { FlowCache } from '../../src/datapath/flow-cache.js';
import { hashWords } from '../../src/datapath/hash.js';
import {
  fieldBits,
  fields,
  refBest,
  refIdentity,
  ruleArb,
  tupleArb,
  wildcardsArb,
  type RuleSpec,
  type Tuple,
} from './reference.js';
import { fm } from './bridge.js';

// ---- the system under test ------------------------------------------------------------------------

function flowMod(r: RuleSpec, command: number = OFPFC.ADD): FlowModParams {
  return fm(r.match, [], { cookie: BigInt(r.priority), command, priority: r.priority });
}

function keyOf(t: Tuple): Int32Array {
  const mask = new Int32Array(KEY_WORDS);
  const key = new Int32Array(KEY_WORDS);
  matchToWords({ ...t, wildcards: 0, dl_vlan_pcp: t.dl_vlan === 0xffff ? 0 : t.dl_vlan_pcp }, mask, key);
  return key;
}

/** Checks the table's answer for every tuple against the reference over `live` rules. */
function check(table: FlowTable, live: Map<string, RuleSpec>, tuples: Tuple[]): void {
  const rules = [...live.values()];
  const byRule = new Map<FlowRule, string>();
  for (const r of table.cls.rules()) byRule.set(r, refIdentity({ match: r.match, priority: r.priority }));
  expect(table.size).toBe(rules.length);
  for (const t of tuples) {
    const got = table.cls.lookup(keyOf({ ...t, dl_vlan_pcp: t.dl_vlan === 0xffff ? 0 : t.dl_vlan_pcp }));
    const want = refBest(rules, { ...t, dl_vlan_pcp: t.dl_vlan === 0xffff ? 0 : t.dl_vlan_pcp });
    if (want.length === 0) {
      expect(got, `tuple ${JSON.stringify(t)}`).toBeNull();
    } else {
      expect(got, `tuple ${JSON.stringify(t)}`).not.toBeNull();
      const ids = new Set(want.map(refIdentity));
      expect(ids.has(byRule.get(got!)!), `tuple ${JSON.stringify(t)} got ${byRule.get(got!)}`).toBe(true);
    }
  }
}

/** Tuples that hit rules: a rule's values with its wildcarded fields randomised. */
function hittingTuples(rules: RuleSpec[], seeds: Tuple[]): Tuple[] {
  return rules.map((r, i) => {
    const s = seeds[i % seeds.length]!;
    const m = r.match;
    const w = m.wildcards;
    const t: Tuple = { ...s };
    for (const f of fields) {
      if (fieldBits[f] !== undefined && !(w & fieldBits[f]!))
        (t as unknown as Record<string, number>)[f] = m[f];
    }
    if (((w >> OFPFW.NW_SRC_SHIFT) & 0x3f) === 0) t.nw_src = m.nw_src;
    if (((w >> OFPFW.NW_DST_SHIFT) & 0x3f) === 0) t.nw_dst = m.nw_dst;
    if (t.dl_vlan !== 0xffff) t.dl_vlan &= 0xfff;
    t.nw_tos &= 0xfc;
    t.dl_vlan_pcp &= 7;
    return t;
  });
}

describe('classifier vs linear reference', () => {
  it('random rule sets, random frames, then random deletions', () => {
    fc.assert(
      fc.property(
        // Few distinct masks per run, so rules share subtables and overlap often.
        fc.array(wildcardsArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(ruleArb, fc.nat()), { maxLength: 60 }),
        fc.array(tupleArb, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (masks, specs, tuples, dels) => {
          const rules = specs.map(([r, i]) => ({
            ...r,
            match: { ...r.match, wildcards: masks[i % masks.length]! },
          }));
          const table = new FlowTable(1e6, false, () => undefined);
          const live = new Map<string, RuleSpec>();
          for (const r of rules) {
            table.apply(flowMod(r), 0);
            live.delete(refIdentity(r)); // ADD of an identical flow replaces it
            live.set(refIdentity(r), r);
          }
          const all = [...tuples, ...hittingTuples(rules, tuples)];
          check(table, live, all);
          const liveList = [...live.values()];
          for (const d of dels) {
            if (liveList.length === 0) break;
            const [r] = liveList.splice(d % liveList.length, 1);
            table.apply(flowMod(r!, OFPFC.DELETE_STRICT), 0);
            live.delete(refIdentity(r!));
          }
          check(table, live, all);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a larger table: 3,000 rules over many masks, 3,000 frames', () => {
    const rules = fc.sample(ruleArb, { numRuns: 3000, seed: 42 });
    const tuples = fc.sample(tupleArb, { numRuns: 1500, seed: 7 });
    const table = new FlowTable(1e6, false, () => undefined);
    const live = new Map<string, RuleSpec>();
    for (const r of rules) {
      table.apply(flowMod(r), 0);
      live.delete(refIdentity(r));
      live.set(refIdentity(r), r);
    }
    check(table, live, [...tuples, ...hittingTuples(rules.slice(0, 1500), tuples)]);
    expect(table.cls.maskCount).toBeGreaterThan(50);
  });

  it('an exact-match flow beats any wildcarded flow, whatever the priorities', () => {
    const table = new FlowTable(1e6, false, () => undefined);
    const t: Tuple = {
      in_port: 1,
      dl_src: 1,
      dl_dst: 2,
      dl_vlan: 0xffff,
      dl_vlan_pcp: 0,
      dl_type: 0x800,
      nw_tos: 0,
      nw_proto: 6,
      nw_src: 5,
      nw_dst: 6,
      tp_src: 7,
      tp_dst: 8,
    };
    table.apply(flowMod({ match: { ...t, wildcards: OFPFW.TP_DST }, priority: 0xffff }), 0);
    table.apply(flowMod({ match: { ...t, wildcards: 0 }, priority: 0 }), 0);
    const got = table.cls.lookup(keyOf(t));
    expect(got?.priority).toBe(0);
    expect(got?.match.wildcards).toBe(0);
  });
});

describe('flow cache', () => {
  it('returns nothing stale after invalidate()', () => {
    const c = new FlowCache<string>();
    const k = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const h = hashWords(k, KEY_WORDS);
    expect(c.lookup(k, h)).toBeUndefined();
    c.insert(k, h, 'a');
    expect(c.lookup(k, h)).toBe('a');
    c.insert(k, h, null);
    expect(c.lookup(k, h)).toBeNull();
    c.invalidate();
    expect(c.lookup(k, h)).toBeUndefined();
  });

  it('keeps colliding keys apart', () => {
    const c = new FlowCache<number>();
    const keys: Int32Array[] = [];
    for (let i = 0; i < 50_000; i++) keys.push(Int32Array.from([i, 0, 0, 0, 0, 0, 0, 0, i * 7]));
    for (let i = 0; i < keys.length; i++) c.insert(keys[i]!, hashWords(keys[i]!, KEY_WORDS), i);
    for (let i = 0; i < keys.length; i++) {
      const v = c.lookup(keys[i]!, hashWords(keys[i]!, KEY_WORDS));
      if (v !== undefined) expect(v).toBe(i);
    }
  });
});
