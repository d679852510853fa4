/*
 * Datapath benchmarks: frames per second through parse → cache/classifier → actions, in memory.
 *
 * Frames are 64-byte UDP/IPv4 frames packed back to back in one buffer, handed over in batches of 64
 * as a ring-based netdev would. Output ports are null sinks that only count, so the figures measure
 * the datapath rather than a device's per-frame copies.
 *
 * Cases:
 * - 1-flow: one catch-all flow, every frame the same microflow (the cached path);
 * - 1000-microflows: 1,000 exact-match flows, frames cycling through them (cached);
 * - wildcard-<R>-rules-<M>-masks: R wildcard rules spread evenly over M masks (nw_dst prefixes of
 *   17 to 32 bits, with tp_src and nw_proto exact or not), one priority per mask; every frame a new
 *   microflow (131,072 distinct frames cycling through a 16,384-entry cache), so every lookup goes to
 *   the classifier; each frame matches several masks;
 * - wildcard-100000-rules-16-masks-random-priorities: the same with a random priority per rule, the
 *   worst case for tuple space search (no mask can be skipped, every frame probes all 16);
 * - normal-1000-macs: one flow to NORMAL, 1,000 learnt hosts on 4 ports;
 * - flow-mod-add-into-100k / flow-mod-delete-strict-from-200k: applying flow-mods to a big table.
 */
import { rate, type Report } from './harness.js';
import { Datapath, type FlowModParams } from '../src/datapath/datapath.js';
import { matchAll } from '../src/openflow/match.js';
import { OFPAT, OFPFC, OFPFW, OFPP } from '../src/openflow/constants.js';
import type { OfpAction } from '../src/openflow/actions.js';
import type { OfpMatch } from '../src/openflow/structs.js';
import { newRxBatch, type RxBatch } from '../src/netdev/provider.js';

const FRAME = 64;
const BATCH = 64;

class NullSink {
  frames = 0;
  send(): void {
    this.frames++;
  }
  flush(): void {}
}

interface FrameFields {
  src: number;
  dst: number;
  nwSrc: number;
  nwDst: number;
  sport: number;
  dport: number;
}

function writeFrame(b: Buffer, o: number, f: FrameFields): void {
  b.fill(0, o, o + FRAME);
  b.writeUIntBE(f.dst, o, 6);
  b.writeUIntBE(f.src, o + 6, 6);
  b.writeUInt16BE(0x0800, o + 12);
  const ip = o + 14;
  b[ip] = 0x45;
  b.writeUInt16BE(FRAME - 14, ip + 2);
  b[ip + 8] = 64;
  b[ip + 9] = 17;
  b.writeUInt32BE(f.nwSrc >>> 0, ip + 12);
  b.writeUInt32BE(f.nwDst >>> 0, ip + 16);
  b.writeUInt16BE(f.sport, ip + 20);
  b.writeUInt16BE(f.dport, ip + 22);
  b.writeUInt16BE(FRAME - 34, ip + 24);
}

/** Packs `n` frames into one buffer and slices them into batches. */
function batches(n: number, fields: (i: number) => FrameFields): RxBatch[] {
  const buf = Buffer.alloc(n * FRAME);
  for (let i = 0; i < n; i++) writeFrame(buf, i * FRAME, fields(i));
  const out: RxBatch[] = [];
  for (let i = 0; i < n; i += BATCH) {
    const b = newRxBatch(BATCH);
    b.count = Math.min(BATCH, n - i);
    for (let j = 0; j < b.count; j++) {
      b.bufs[j] = buf;
      b.offs[j] = (i + j) * FRAME;
      b.lens[j] = FRAME;
    }
    out.push(b);
  }
  return out;
}

const output = (port: number): OfpAction => ({ type: OFPAT.OUTPUT, port, max_len: 0 });

function flowMod(
  match: OfpMatch,
  priority: number,
  actions: OfpAction[],
  command: number = OFPFC.ADD,
): FlowModParams {
  return {
    match,
    cookie: 0n,
    command,
    idle_timeout: 0,
    hard_timeout: 0,
    priority,
    out_port: OFPP.NONE,
    flags: 0,
    actions,
  };
}

function newDatapath(nPorts = 4): Datapath {
  const dp = new Datapath({ maxFlows: 1 << 22 });
  for (let p = 1; p <= nPorts; p++) dp.addPort(p, new NullSink());
  return dp;
}

/** Frames per second for cycling through `bs` into port 1. */
function fps(dp: Datapath, bs: RxBatch[]): number {
  let i = 0;
  return rate(() => {
    dp.receiveBatch(1, bs[i]!);
    i = i + 1 === bs.length ? 0 : i + 1;
  }, BATCH);
}

let seed = 12345;
function rnd(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed;
}

/** Wildcard rule j of a table spread over `masks` masks (mask i: nw_dst /32-(i%16), tp_src and nw_proto exact per bits 4 and 5). */
function wildRule(j: number, masks: number): { match: OfpMatch; sport: number; nwDst: number; bits: number } {
  const i = j % masks;
  const k = Math.floor(j / masks);
  const bits = 32 - (i & 15);
  const tpExact = (i >> 4) & 1;
  const protoExact = (i >> 5) & 1;
  const nwDst = (0x0a000000 + k * 0x8000) >>> 0;
  const sport = 1000 + (k % 50000);
  let w = OFPFW.ALL & ~OFPFW.DL_TYPE & ~OFPFW.NW_DST_MASK;
  w |= (32 - bits) << OFPFW.NW_DST_SHIFT;
  if (tpExact) w &= ~OFPFW.TP_SRC & ~OFPFW.NW_PROTO;
  if (protoExact) w &= ~OFPFW.NW_PROTO;
  return {
    match: { ...matchAll(), wildcards: w, dl_type: 0x0800, nw_proto: 17, nw_dst: nwDst, tp_src: sport },
    sport,
    nwDst,
    bits,
  };
}

export async function run(report: Report): Promise<void> {
  {
    const dp = newDatapath();
    dp.flowMod(flowMod(matchAll(), 1, [output(2)]));
    const bs = batches(BATCH, () => ({
      src: 1,
      dst: 2,
      nwSrc: 0x0a000001,
      nwDst: 0x0a000002,
      sport: 1,
      dport: 2,
    }));
    report('datapath.1-flow', fps(dp, bs), 'frames/s');
  }
  {
    const dp = newDatapath();
    const n = 1000;
    for (let i = 0; i < n; i++) {
      const m: OfpMatch = {
        wildcards: 0,
        in_port: 1,
        dl_src: 1,
        dl_dst: 2,
        dl_vlan: 0xffff,
        dl_vlan_pcp: 0,
        dl_type: 0x0800,
        nw_tos: 0,
        nw_proto: 17,
        nw_src: 0x0a000001,
        nw_dst: 0x0a100000 + i,
        tp_src: 1000 + i,
        tp_dst: 80,
      };
      dp.flowMod(flowMod(m, 100, [output(2 + (i % 3))]));
    }
    const bs = batches(1024, (i) => ({
      src: 1,
      dst: 2,
      nwSrc: 0x0a000001,
      nwDst: 0x0a100000 + (i % n),
      sport: 1000 + (i % n),
      dport: 80,
    }));
    report('datapath.1000-microflows', fps(dp, bs), 'frames/s');
  }
  const wildcard = (rules: number, masks: number, randomPriorities: boolean): number => {
    const dp = newDatapath();
    // Rules of one mask share a priority, masks in shuffled priority order (an ACL- or route-like
    // table); or, the worst case, every rule a random priority, so no probe can be skipped.
    const maskPriority = Array.from({ length: masks }, (_, i) => 100 + i);
    for (let i = masks - 1; i > 0; i--) {
      const j = rnd() % (i + 1);
      [maskPriority[i], maskPriority[j]] = [maskPriority[j]!, maskPriority[i]!];
    }
    const specs: ReturnType<typeof wildRule>[] = [];
    for (let j = 0; j < rules; j++) {
      const r = wildRule(j, masks);
      dp.flowMod(
        flowMod(r.match, randomPriorities ? rnd() & 0xffff : maskPriority[j % masks]!, [output(2 + (j % 3))]),
      );
      specs.push(r);
    }
    const bs = batches(1 << 17, (f) => {
      const r = specs[rnd() % rules]!;
      const low = r.bits === 32 ? 0 : rnd() & ((1 << (32 - r.bits)) - 1);
      return { src: 1, dst: 2, nwSrc: f, nwDst: (r.nwDst | low) >>> 0, sport: r.sport, dport: f & 0xffff };
    });
    return fps(dp, bs);
  };
  for (const rules of [1000, 10_000, 100_000])
    for (const masks of [1, 16, 64])
      report(`datapath.wildcard-${rules}-rules-${masks}-masks`, wildcard(rules, masks, false), 'frames/s');
  report(
    'datapath.wildcard-100000-rules-16-masks-random-priorities',
    wildcard(100_000, 16, true),
    'frames/s',
  );
  {
    const dp = newDatapath(4);
    dp.flowMod(flowMod(matchAll(), 1, [output(OFPP.NORMAL)]));
    const hosts = 1000;
    const mac = (h: number) => 0x020000000000 + h;
    // Teach the table where every host lives (host h on port 1 + h % 4).
    for (let p = 1; p <= 4; p++) {
      const learn = batches(hosts / 4, (i) => ({
        src: mac(i * 4 + p - 1),
        dst: 0xffffffffffff,
        nwSrc: 1,
        nwDst: 2,
        sport: 1,
        dport: 2,
      }));
      for (const b of learn) dp.receiveBatch(p, b);
    }
    // Frames from hosts on port 1 to random hosts elsewhere.
    const bs = batches(4096, () => {
      const from = (rnd() % (hosts / 4)) * 4;
      let to = rnd() % hosts;
      if (to % 4 === 0) to++;
      return { src: mac(from), dst: mac(to), nwSrc: 1, nwDst: 2, sport: 1, dport: 2 };
    });
    report('datapath.normal-1000-macs', fps(dp, bs), 'frames/s');
  }
  {
    // One flow-mod object rewritten in place for each message, as a decoder's output would be
    // consumed and dropped: the datapath keeps a flow-mod's actions array, never its match.
    const n = 100_000;
    const actions = [output(2)];
    const fm = flowMod(matchAll(), 0, actions);
    const apply = (dp: Datapath, base: number, command: number, priorities: Uint16Array): number => {
      const t = performance.now();
      fm.command = command;
      for (let j = 0; j < n; j++) {
        const r = wildRule(base + j, 16);
        fm.match = r.match;
        fm.priority = priorities[j]!;
        dp.flowMod(fm);
      }
      return n / ((performance.now() - t) / 1000);
    };
    let bestAdd = 0;
    let bestDel = 0;
    for (let round = 0; round < 3; round++) {
      const dp = newDatapath();
      const p0 = Uint16Array.from({ length: n }, () => rnd() & 0xffff);
      const p1 = Uint16Array.from({ length: n }, () => rnd() & 0xffff);
      apply(dp, 0, OFPFC.ADD, p0);
      bestAdd = Math.max(bestAdd, apply(dp, n, OFPFC.ADD, p1));
      bestDel = Math.max(bestDel, apply(dp, n, OFPFC.DELETE_STRICT, p1));
    }
    report('datapath.flow-mod-add-into-100k', bestAdd, 'flow-mods/s');
    report('datapath.flow-mod-delete-strict-from-200k', bestDel, 'flow-mods/s');
  }
}
