/*
 * A flow-mod naming a buffered packet (buffer_id from a PACKET_IN): the packet gets *that flow's*
 * actions, as Open vSwitch does (its send_buffered_packet executes the new rule's actions on the
 * buffer), and the flow counts it.
 *
 * Why not run it through the table (OFPP_TABLE): the flow a controller installs need not match
 * the packet it names. ovs-testcontroller builds its exact-match flow from the packet-in's data,
 * which miss_send_len (128) truncates; Open vSwitch's parser then sees an IP packet shorter than
 * its header's total length, leaves nw_src/nw_dst/nw_proto zero, and the flow-mod says so. Through
 * the table such a packet would miss again, go back to the controller, draw the same flow-mod, and
 * loop for ever — a packet-in storm for every frame longer than 128 bytes. A higher-priority flow
 * covering the packet would likewise steal it from the flow the controller meant.
 *
 * Order: the flow-mod takes effect first, and only then is the buffer looked at, so a bad buffer_id
 * (BUFFER_UNKNOWN / BUFFER_EMPTY) leaves the flow installed and never outranks the flow-mod's own
 * errors (OVERLAP, ALL_TABLES_FULL). OpenFlow 1.0 defines such a flow-mod as the flow-mod followed
 * by a packet-out, and Open vSwitch did this while it still buffered packets. OVS 3.1 differs only
 * because it buffers nothing (n_buffers 0): it refuses every buffer_id with BUFFER_UNKNOWN before
 * touching the table, which no client can rely on since it never hands out a buffer_id.
 */
import { OFPFF, OFPP, type OFPT } from '../openflow/constants.js';
import type { MessageOf } from '../openflow/messages.js';
import type { Bridge } from './bridge.js';
import type { BridgeConn } from './ofconn.js';
import type { CheckedProgram } from '../datapath/program.js';

type FlowMod = MessageOf<typeof OFPT.FLOW_MOD>;

/**
 * Takes the buffer `m` names (throws BUFFER_UNKNOWN/BUFFER_EMPTY) and runs `program` (m's actions as
 * Datapath.flowMod checked and installed them) on it.
 */
export function applyToBuffered(bridge: Bridge, conn: BridgeConn, m: FlowMod, program: CheckedProgram): void {
  const b = bridge.buffersOf(conn).take(m.buffer_id);
  const dp = bridge.dp;
  const table = m.flags & OFPFF.EMERG ? dp.emergencyTable : dp.table;
  // The flow just added or modified with exactly this match and priority (a non-strict MODIFY
  // may have changed several; those without this exact match and priority are not credited).
  const [rule] = table.select(m.match, m.priority, OFPP.NONE);
  if (rule) {
    rule.packets++;
    rule.bytes += b.frame.length;
    rule.lastUsedMs = bridge.clock();
  }
  dp.execute(b.frame, b.inPort, program);
}
