/*
 * Stats replies from the datapath's counters, shaped as the OFPST_* reply structs of src/openflow.
 *
 * The fast path keeps counters as Numbers; they become the bigint fields of the wire structs here.
 * A port counter the datapath does not keep comes from the device when it reports one, else reads
 * all ones, which OpenFlow 1.0 defines as "unavailable".
 */
import type { OfpAggregateStats, OfpPortStats, OfpQueueStats } from '../openflow/structs.js';
import type { OfpFlowStats } from '../openflow/stats.js';
import { OFPQ_ALL } from '../openflow/constants.js';
import { durationOf, type FlowRule } from './flow-table.js';
import type { Port } from './port.js';

const ALL_ONES = 0xffffffffffffffffn;

export function flowStatsOf(rules: readonly FlowRule[], now: number): OfpFlowStats[] {
  return rules.map((r) => ({
    table_id: 0,
    match: r.match,
    ...durationOf(r.createdMs, now),
    priority: r.priority,
    idle_timeout: r.idleTimeout,
    hard_timeout: r.hardTimeout,
    cookie: r.cookie,
    packet_count: BigInt(r.packets),
    byte_count: BigInt(r.bytes),
    actions: r.actions.slice(),
  }));
}

export function aggregateOf(rules: readonly FlowRule[]): OfpAggregateStats {
  let packets = 0;
  let bytes = 0;
  for (const r of rules) {
    packets += r.packets;
    bytes += r.bytes;
  }
  return { packet_count: BigInt(packets), byte_count: BigInt(bytes), flow_count: rules.length };
}

export function portStatsOf(ports: readonly Port[]): OfpPortStats[] {
  return ports.map((p) => {
    const d = p.dev.getStats?.();
    return {
      port_no: p.portNo,
      rx_packets: BigInt(p.rxPackets),
      tx_packets: BigInt(p.txPackets),
      rx_bytes: BigInt(p.rxBytes),
      tx_bytes: BigInt(p.txBytes),
      rx_dropped: BigInt(p.rxDropped) + (d?.rx_dropped ?? 0n),
      tx_dropped: BigInt(p.txDropped) + (d?.tx_dropped ?? 0n),
      rx_errors: d?.rx_errors ?? ALL_ONES,
      tx_errors: d?.tx_errors ?? ALL_ONES,
      rx_frame_err: d?.rx_frame_err ?? ALL_ONES,
      rx_over_err: d?.rx_over_err ?? ALL_ONES,
      rx_crc_err: d?.rx_crc_err ?? ALL_ONES,
      collisions: d?.collisions ?? ALL_ONES,
    };
  });
}

/** Counters of `queueId` (or every queue for OFPQ_ALL) on each of `ports`, by port then queue id. */
export function queueStatsOf(ports: readonly Port[], queueId: number): OfpQueueStats[] {
  const out: OfpQueueStats[] = [];
  for (const p of ports) {
    for (const [id, q] of [...p.queues].sort((a, b) => a[0] - b[0])) {
      if (queueId !== OFPQ_ALL && id !== queueId) continue;
      out.push({
        port_no: p.portNo,
        queue_id: id,
        tx_bytes: BigInt(q.txBytes),
        tx_packets: BigInt(q.txPackets),
        tx_errors: BigInt(q.txErrors),
      });
    }
  }
  return out;
}
