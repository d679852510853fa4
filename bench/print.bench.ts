/*
 * Printer and capture-reader throughput: printing a FLOW_MOD, a 1500-byte PACKET_IN (with its
 * packet decoded to flow text) and a 1000-entry flow-stats reply, and ofp-parse-pcap over the
 * largest test capture.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMessage } from '../src/openflow/codec.js';
import { OFPAT, OFPP, OFPST, OFPT, OFPFW } from '../src/openflow/constants.js';
import { matchAll } from '../src/openflow/match.js';
import type { OfpMessage } from '../src/openflow/messages.js';
import type { OfpFlowStats } from '../src/openflow/stats.js';
import { printBytes } from '../src/openflow/print/index.js';
import { parsePcapText } from '../src/capture/parse-pcap.js';
import { rate, type Report } from './harness.js';

export function run(report: Report): void {
  const match = {
    ...matchAll(),
    wildcards: OFPFW.ALL & ~(OFPFW.IN_PORT | OFPFW.DL_TYPE | OFPFW.NW_PROTO | OFPFW.TP_DST),
    in_port: 1,
    dl_type: 0x800,
    nw_proto: 6,
    tp_dst: 80,
  };
  const actions = [
    { type: OFPAT.SET_NW_DST, nw_addr: 0x0a090909 },
    { type: OFPAT.OUTPUT, port: 2, max_len: 0 },
  ] as const;
  const flowMod = encodeMessage({
    type: OFPT.FLOW_MOD,
    xid: 5,
    match,
    cookie: 0x1234n,
    command: 0,
    idle_timeout: 60,
    hard_timeout: 0,
    priority: 300,
    buffer_id: 0xffffffff,
    out_port: OFPP.NONE,
    flags: 1,
    actions: [...actions],
  });
  report(
    'print flow_mod',
    rate(() => printBytes(flowMod)),
    'msg/s',
  );

  const frame = Buffer.alloc(1500);
  Buffer.from(
    '0200000000020200000000010800450005dc00004000401100000a0000010a00000203e8003505c80000',
    'hex',
  ).copy(frame);
  const packetIn = encodeMessage({
    type: OFPT.PACKET_IN,
    xid: 0,
    buffer_id: 0xffffffff,
    total_len: 1500,
    in_port: 1,
    reason: 0,
    data: frame,
  });
  report(
    'print packet_in_1500',
    rate(() => printBytes(packetIn)),
    'msg/s',
  );

  const entries: OfpFlowStats[] = [];
  for (let i = 0; i < 1000; i++) {
    entries.push({
      table_id: 0,
      match: { ...match, tp_dst: i },
      duration_sec: i,
      duration_nsec: 469000000,
      priority: 100 + i,
      idle_timeout: 0,
      hard_timeout: 0,
      cookie: 0n,
      packet_count: BigInt(i),
      byte_count: BigInt(i * 60),
      actions: [...actions],
    });
  }
  // 1000 entries of 104 bytes exceed one message; the text per entry is what is measured.
  const chunk = (from: number): Buffer =>
    encodeMessage({
      type: OFPT.STATS_REPLY,
      xid: 2,
      stats_type: OFPST.FLOW,
      flags: 0,
      body: entries.slice(from, from + 500),
    } as OfpMessage);
  const replies = [chunk(0), chunk(500)];
  report(
    'print flow_stats_1000',
    rate(() => replies.forEach((r) => printBytes(r)), 1000, 0.5, 3),
    'entries/s',
  );

  const pcap = readFileSync(
    join(import.meta.dirname, '../../test/data/captures/ofctl-of10-misc-vs-ovs.pcap'),
  );
  const mb = pcap.length / 1e6;
  report(
    'parse_pcap ofctl-of10-misc',
    rate(() => parsePcapText(pcap, [26653]), mb, 1, 2),
    'MB/s',
  );
}
