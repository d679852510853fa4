/*
 * Warms the per-frame code of the datapath before the first real frame.
 *
 * Why: V8 runs a function in its interpreter until it has been called often enough to be worth
 * optimising. A freshly started switch forwarding a ping every few milliseconds took ~2,000 round
 * trips before receiveBatch/processFrame/parseFrame/normal/sendTo were optimised (`--trace-opt`);
 * until then each hop cost several µs more (ping p50 77–93 µs fresh vs 63–68 µs warmed on the same
 * rig), and round-trip benchmarks of a few hundred pings measured mostly the interpreter.
 *
 * What: once per process, a private Datapath with two stub ports forwards a few thousand small
 * frames both ways through a NORMAL flow (MAC learning, learnt-port lookup, flood) and an output
 * flow, one frame per batch like sparse traffic, and a few larger batches. Type feedback and
 * optimised code are per function, not per instance, so every later Datapath benefits. Nothing is
 * shared with real datapaths but that code; the stub ports drop what they are sent. ~10–30 ms.
 */
import { OFPAT, OFPFC, OFPFW, OFPP } from '../openflow/constants.js';
import type { OfpAction } from '../openflow/actions.js';
import type { OfpMatch } from '../openflow/structs.js';
import { matchAll } from '../openflow/match.js';
import type { RxBatch } from '../netdev/provider.js';
import type { Datapath } from './datapath.js';
import type { FlowModParams } from './flow-table.js';

const ROUNDS = 3000;

let warmed = false;

/** A port device that accepts and discards frames. */
class SinkDevice {
  frames = 0;
  send(_buf: Buffer, _off: number, len: number): void {
    this.frames += len > 0 ? 1 : 0;
  }
  flush(): void {}
}

function anyMatch(inPort: number): OfpMatch {
  return { ...matchAll(), wildcards: inPort ? OFPFW.ALL & ~OFPFW.IN_PORT : OFPFW.ALL, in_port: inPort };
}

function flow(m: OfpMatch, port: number, priority: number): FlowModParams {
  const out: OfpAction = { type: OFPAT.OUTPUT, port, max_len: 0 };
  return {
    match: m,
    cookie: 0n,
    command: OFPFC.ADD,
    idle_timeout: 0,
    hard_timeout: 0,
    priority,
    out_port: OFPP.NONE,
    flags: 0,
    actions: [out],
  };
}

/** An Ethernet + IPv4 + ICMP echo frame of 98 bytes from MAC `src` to MAC `dst`. */
function icmpFrame(src: number, dst: number, seq: number): Buffer {
  const f = Buffer.alloc(98);
  f.writeUIntBE(dst, 0, 6);
  f.writeUIntBE(src, 6, 6);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(84, 16);
  f[22] = 64;
  f[23] = 1; // ICMP
  f.writeUInt32BE(0x0a000001 + (src & 0xff), 26);
  f.writeUInt32BE(0x0a000001 + (dst & 0xff), 30);
  f[34] = 8; // echo request
  f.writeUInt16BE(seq & 0xffff, 40);
  return f;
}

/**
 * Runs the warm-up once per process (later calls return at once). `make` builds the private
 * datapath; it is passed in so this module need not import the Datapath class at load time.
 */
export function warmUpFastPath(make: () => Datapath): void {
  if (warmed) return;
  warmed = true;
  try {
    exerciseFastPath(make());
  } catch {
    // Only speed depends on the warm-up; a datapath must never fail to start because of it.
  }
}

/**
 * Forwards the warm-up traffic through `dp` (a datapath with no ports and no flows; it gets ports
 * 1–3 and two flows). Returns how many frames its ports were sent, for tests.
 */
export function exerciseFastPath(dp: Datapath): number {
  const devs = [new SinkDevice(), new SinkDevice(), new SinkDevice()];
  devs.forEach((d, i) => dp.addPort(i + 1, d));
  const a = 0x020000000001;
  const b = 0x020000000002;
  const ab = icmpFrame(a, b, 0);
  const ba = icmpFrame(b, a, 0);
  const bcast = icmpFrame(a, 0xffffffffffff, 0);
  const batch: RxBatch = { count: 1, bufs: [ab], offs: new Int32Array(32), lens: new Int32Array(32) };
  const one = (port: number, f: Buffer): void => {
    batch.count = 1;
    batch.bufs[0] = f;
    batch.offs[0] = 0;
    batch.lens[0] = f.length;
    dp.receiveBatch(port, batch);
  };
  const many = (port: number, f: Buffer, n: number): void => {
    batch.count = n;
    for (let i = 0; i < n; i++) {
      batch.bufs[i] = f;
      batch.offs[i] = 0;
      batch.lens[i] = f.length;
    }
    dp.receiveBatch(port, batch);
  };
  // NORMAL, the common learning-switch setup: flood first, then learnt unicast both ways.
  dp.flowMod(flow(anyMatch(0), OFPP.NORMAL, 0x8000));
  one(1, bcast);
  for (let i = 0; i < ROUNDS; i++) {
    one(1, ab);
    one(2, ba);
  }
  many(1, ab, 32);
  // Plain outputs (`in_port=1,actions=output:2`), the single-output shortcut.
  dp.flowMod(flow(anyMatch(1), 2, 0x9000));
  for (let i = 0; i < ROUNDS / 4; i++) one(1, ab);
  many(1, ab, 32);
  return devs.reduce((n, d) => n + d.frames, 0);
}
