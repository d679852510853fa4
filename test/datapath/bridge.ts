/*
 * A datapath with dummy ports and a fake clock, for tests.
 */
import { OFPFC, OFPFW, OFPP } from '../../src/openflow/constants.js';
import type { OfpAction } from '../../src/openflow/actions.js';
import type { OfpMatch } from '../../src/openflow/structs.js';
import {
  Datapath,
  type DatapathOptions,
  type FlowModParams,
  type FlowRemovedEvent,
  type Upcall,
} from '../../src/datapath/datapath.js';
import { matchAll } from '../../src/openflow/match.js';
import { DummyDevice } from '../../src/netdev/dummy.js';
import { fieldBits } from './reference.js';

let counter = 0;

export interface TestBridge {
  dp: Datapath;
  /** Devices by port number. */
  dev: Map<number, DummyDevice>;
  clock: { t: number };
  upcalls: Upcall[];
  removed: FlowRemovedEvent[];
  /** Injects frames on `port` and processes them synchronously. */
  rx(port: number, ...frames: Buffer[]): void;
  /** Frames sent on each port since the last call, by port number (ports with none left out). */
  sent(): Map<number, Buffer[]>;
}

export function makeBridge(ports: number[] = [1, 2, 3, 4], opts: DatapathOptions = {}): TestBridge {
  const clock = { t: 1_000_000 };
  const dp = new Datapath({ now: () => clock.t, ...opts });
  const dev = new Map<number, DummyDevice>();
  const upcalls: Upcall[] = [];
  const removed: FlowRemovedEvent[] = [];
  dp.onUpcall = (u) => upcalls.push(u);
  dp.onFlowRemoved = (ev) => removed.push(ev);
  for (const n of ports) {
    const d = new DummyDevice(`dp${process.pid}-${++counter}-${n}`);
    dp.addPort(n, d);
    d.startReceive((b) => dp.receiveBatch(n, b));
    dev.set(n, d);
  }
  return {
    dp,
    dev,
    clock,
    upcalls,
    removed,
    rx(port, ...frames) {
      const d = dev.get(port)!;
      d.receive(...frames);
      d.drainReceived();
    },
    sent() {
      const out = new Map<number, Buffer[]>();
      for (const [n, d] of dev) {
        const s = d.takeSent();
        if (s.length > 0) out.set(n, s);
      }
      return out;
    },
  };
}

/** A match on exactly the given fields (nw_src/nw_dst as /32 unless `nw_src_bits`/`nw_dst_bits` say). */
export function match(
  fields: Partial<OfpMatch> & { nw_src_bits?: number; nw_dst_bits?: number } = {},
): OfpMatch {
  const m = matchAll();
  let w = m.wildcards;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || k === 'nw_src_bits' || k === 'nw_dst_bits' || k === 'wildcards') continue;
    (m as unknown as Record<string, number>)[k] = v;
    if (fieldBits[k] !== undefined) w &= ~fieldBits[k]!;
  }
  if (fields.nw_src !== undefined)
    w = (w & ~OFPFW.NW_SRC_MASK) | ((32 - (fields.nw_src_bits ?? 32)) << OFPFW.NW_SRC_SHIFT);
  if (fields.nw_dst !== undefined)
    w = (w & ~OFPFW.NW_DST_MASK) | ((32 - (fields.nw_dst_bits ?? 32)) << OFPFW.NW_DST_SHIFT);
  m.wildcards = fields.wildcards ?? w;
  return m;
}

export function fm(m: OfpMatch, actions: OfpAction[], extra: Partial<FlowModParams> = {}): FlowModParams {
  return {
    match: m,
    cookie: 0n,
    command: OFPFC.ADD,
    idle_timeout: 0,
    hard_timeout: 0,
    priority: 0x8000,
    out_port: OFPP.NONE,
    flags: 0,
    actions,
    ...extra,
  };
}

/** `m` as the datapath reports it: wildcard counts for nw_src/nw_dst above 32 read 32. */
export function canon(m: OfpMatch): OfpMatch {
  let w = m.wildcards;
  for (const [mask, shift] of [
    [OFPFW.NW_SRC_MASK, OFPFW.NW_SRC_SHIFT],
    [OFPFW.NW_DST_MASK, OFPFW.NW_DST_SHIFT],
  ] as const)
    if ((w & mask) >>> shift > 32) w = (w & ~mask) | (32 << shift);
  return { ...m, wildcards: w };
}
