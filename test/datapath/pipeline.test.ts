/*
 * The whole pipeline — frame bytes, parse, flow cache, classifier — against the linear reference,
 * with flow-mods interleaved between frames that repeat, so a cache entry surviving a flow-mod it
 * should not would show as a wrong answer. Each flow's only action is CONTROLLER with max_len set to
 * the flow's id, so every frame's upcall says which flow (or a miss) handled it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OFPAT, OFPFC, OFPP, OFPR } from '../../src/openflow/constants.js';
import type { FlowModParams } from '../../src/datapath/datapath.js';
import { fm, makeBridge } from './bridge.js';
import { buildFrame, arpFrame } from './frames.js';
import { pools, refBest, refIdentity, ruleArb, type RuleSpec, type Tuple } from './reference.js';

interface FrameSpec {
  tuple: Tuple;
  frame: Buffer;
}

/** Frames whose 12-tuples come from the reference pools, with the tuple computed independently. */
const frameArb: fc.Arbitrary<FrameSpec> = fc
  .record({
    in_port: fc.constantFrom(...pools.in_port),
    dl_src: fc.constantFrom(...pools.dl_src),
    dl_dst: fc.constantFrom(...pools.dl_dst),
    vlan: fc.constantFrom(...pools.dl_vlan),
    pcp: fc.constantFrom(...pools.dl_vlan_pcp),
    arp: fc.boolean(),
    tos: fc.constantFrom(...pools.nw_tos),
    proto: fc.constantFrom(...pools.nw_proto),
    nw_src: fc.constantFrom(...pools.nw_src),
    nw_dst: fc.constantFrom(...pools.nw_dst),
    tp_src: fc.constantFrom(...pools.tp_src),
    tp_dst: fc.constantFrom(...pools.tp_dst),
  })
  .map((f) => {
    const tagged = f.vlan !== 0xffff;
    const vlan = tagged ? { vid: f.vlan, pcp: f.pcp } : undefined;
    const tuple: Tuple = {
      in_port: f.in_port,
      dl_src: f.dl_src,
      dl_dst: f.dl_dst,
      dl_vlan: f.vlan,
      dl_vlan_pcp: tagged ? f.pcp : 0,
      dl_type: f.arp ? 0x0806 : 0x0800,
      nw_tos: f.arp ? 0 : f.tos,
      nw_proto: f.arp ? 1 : f.proto,
      nw_src: f.nw_src,
      nw_dst: f.nw_dst,
      tp_src: f.arp ? 0 : f.tp_src,
      tp_dst: f.arp ? 0 : f.tp_dst,
    };
    let frame: Buffer;
    if (f.arp) {
      const plain = arpFrame(1, f.dl_src, f.nw_src, 0, f.nw_dst, f.dl_dst);
      frame = tagged
        ? buildFrame({ src: f.dl_src, dst: f.dl_dst, vlan, type: 0x0806, raw: plain.subarray(14) })
        : plain;
    } else {
      const l4 = { src: f.tp_src, dst: f.tp_dst };
      frame = buildFrame({
        src: f.dl_src,
        dst: f.dl_dst,
        vlan,
        ip: { src: f.nw_src, dst: f.nw_dst, proto: f.proto, tos: f.tos },
        ...(f.proto === 6 ? { tcp: l4 } : { udp: l4 }),
      });
    }
    return { tuple, frame };
  });

type Op =
  | { kind: 'add'; rule: RuleSpec }
  | { kind: 'delete'; pick: number }
  | { kind: 'modify'; pick: number }
  | { kind: 'frames'; picks: number[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: ruleArb.map((rule) => ({ kind: 'add' as const, rule })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'delete' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'modify' as const, pick })) },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.nat(), { minLength: 1, maxLength: 6 })
      .map((picks) => ({ kind: 'frames' as const, picks })),
  },
);

function flowMod(r: RuleSpec, command: number, id: number): FlowModParams {
  return fm(r.match, [{ type: OFPAT.OUTPUT, port: OFPP.CONTROLLER, max_len: id }], {
    command,
    priority: r.priority,
  });
}

describe('pipeline vs linear reference', () => {
  it('answers every frame as the reference does, across interleaved flow-mods', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 10 }),
        fc.array(opArb, { maxLength: 40 }),
        (frames, ops) => {
          const br = makeBridge([1, 2, 3]);
          // identity → [rule, id]
          const live = new Map<string, { rule: RuleSpec; id: number }>();
          let nextId = 1;
          for (const op of ops) {
            if (op.kind === 'add') {
              const id = nextId++;
              br.dp.flowMod(flowMod(op.rule, OFPFC.ADD, id));
              const k = refIdentity(op.rule);
              live.delete(k);
              live.set(k, { rule: op.rule, id });
            } else if (op.kind === 'delete' || op.kind === 'modify') {
              if (live.size === 0) continue;
              const [k, v] = [...live][op.pick % live.size]!;
              if (op.kind === 'delete') {
                br.dp.flowMod(flowMod(v.rule, OFPFC.DELETE_STRICT, 0));
                live.delete(k);
              } else {
                const id = nextId++;
                br.dp.flowMod(flowMod(v.rule, OFPFC.MODIFY_STRICT, id));
                v.id = id;
              }
            } else {
              for (const pick of op.picks) {
                const f = frames[pick % frames.length]!;
                br.upcalls.length = 0;
                br.rx(f.tuple.in_port, Buffer.from(f.frame));
                expect(br.upcalls).toHaveLength(1);
                const u = br.upcalls[0]!;
                const best = refBest(
                  [...live.values()].map((v) => v.rule),
                  f.tuple,
                );
                if (best.length === 0) {
                  expect(u.reason).toBe(OFPR.NO_MATCH);
                } else {
                  expect(u.reason).toBe(OFPR.ACTION);
                  const ids = best.map((r) => live.get(refIdentity(r))!.id);
                  expect(ids).toContain(u.maxLen);
                }
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
