/*
 * Codec benchmarks: decode and encode rates for a FLOW_MOD, a 1500-byte PACKET_IN and a 1000-entry
 * flow-stats reply. Encodes go into one reused buffer (encodeMessageInto), as the channel does.
 */
import { decodeMessage, encodeMessage, encodeMessageInto } from '../src/openflow/codec.js';
import { OFPAT, OFPST, OFPT } from '../src/openflow/constants.js';
import { matchAll } from '../src/openflow/match.js';
import type { OfpMessage, StatsReply } from '../src/openflow/messages.js';
import type { OfpFlowStats } from '../src/openflow/stats.js';
import { rate, type Report } from './harness.js';

const flowMod: OfpMessage = {
  type: OFPT.FLOW_MOD,
  xid: 7,
  match: {
    ...matchAll(),
    wildcards: 0x3820e0,
    in_port: 1,
    dl_type: 0x0800,
    nw_proto: 6,
    tp_src: 80,
    tp_dst: 1234,
  },
  cookie: 0x1234n,
  command: 0,
  idle_timeout: 60,
  hard_timeout: 0,
  priority: 100,
  buffer_id: 0xffffffff,
  out_port: 0xffff,
  flags: 1,
  actions: [
    { type: OFPAT.SET_DL_DST, dl_addr: 0x0a0000000001 },
    { type: OFPAT.OUTPUT, port: 2, max_len: 0 },
  ],
};

const packetIn: OfpMessage = {
  type: OFPT.PACKET_IN,
  xid: 0,
  buffer_id: 0xffffffff,
  total_len: 1500,
  in_port: 1,
  reason: 0,
  data: Buffer.alloc(1500, 0x5a),
};

const entries: OfpFlowStats[] = Array.from({ length: 1000 }, (_, i) => ({
  table_id: 0,
  match: { ...matchAll(), wildcards: 0x3820ff & ~1, in_port: i },
  duration_sec: i,
  duration_nsec: 0,
  priority: 0x8000,
  idle_timeout: 0,
  hard_timeout: 0,
  cookie: BigInt(i),
  packet_count: 10n,
  byte_count: 1000n,
  actions: [{ type: OFPAT.OUTPUT, port: 2, max_len: 0 }],
}));

/** 1000 entries of 96 bytes exceed one 64 KiB message: the reply is two messages, as the switch sends it. */
const flowStatsReply: StatsReply[] = [entries.slice(0, 600), entries.slice(600)].map((body, i) => ({
  type: OFPT.STATS_REPLY,
  xid: 9,
  stats_type: OFPST.FLOW,
  flags: i === 0 ? 1 : 0,
  body,
}));

export function run(report: Report): void {
  const out = Buffer.alloc(1 << 20);
  for (const [name, m] of [
    ['flow_mod', flowMod],
    ['packet_in_1500', packetIn],
  ] as const) {
    const bytes = encodeMessage(m);
    report(
      `codec.${name}.decode`,
      rate(() => void decodeMessage(bytes), 1, 0.5),
      'msgs/s',
    );
    report(
      `codec.${name}.encode`,
      rate(() => void encodeMessageInto(m, out, 0), 1, 0.5),
      'msgs/s',
    );
  }
  const replyBytes = flowStatsReply.map((m) => encodeMessage(m));
  report(
    'codec.flow_stats_1000.decode',
    rate(() => {
      for (const b of replyBytes) decodeMessage(b);
    }),
    'replies/s',
  );
  report(
    'codec.flow_stats_1000.encode',
    rate(() => {
      for (const m of flowStatsReply) encodeMessageInto(m, out, 0);
    }),
    'replies/s',
  );
}
