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
 */
import { OFPFF, OFPP, type OFPT } from '../openflow/constants.js';
import type { MessageOf } from '../openflow/messages.js';
import type { Bridge } from './bridge.js';
import type { BridgeConn } from './ofconn.js';

type FlowMod = MessageOf<typeof OFPT.FLOW_MOD>;

/** Takes the buffer `m` names (throws BUFFER_UNKNOWN/BUFFER_EMPTY) and applies `m`'s actions to it. */
export function applyToBuffered(bridge: Bridge, conn: BridgeConn, m: FlowMod): void {
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
  dp.execute(b.frame, b.inPort, m.actions);
}
