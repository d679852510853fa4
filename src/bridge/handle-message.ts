/*
 * The answer to every OpenFlow 1.0 message a controller may send, as the 1.0.0 spec and Open vSwitch
 * (where clients rely on its departures from the spec: clients.md) define it.
 *
 * handleMessage() runs one decoded message to completion: when it returns (or its promise settles)
 * the message is fully in effect, which is what BARRIER relies on — the caller processes a
 * connection's messages strictly one after another. Refusals are DatapathError / OfpDecodeError
 * carrying the OpenFlow error; handleRequest answers them with OFPT_ERROR echoing the whole
 * offending message.
 *
 * A FLOW_MOD is checked once, by the datapath (Datapath.flowMod; flow-table.ts gives the order,
 * Open vSwitch's, and test/bridge/flow-mod-precedence.test.ts measures it against OVS). The bridge
 * adds only what it owns: an unknown command outranks actions the codec refused (below), and
 * buffer_id is looked at after the flow-mod took effect (buffered-flow-mod.ts).
 */
import {
  OFPBRC,
  OFPC,
  OFPC_FRAG,
  OFPET,
  OFPFC,
  OFPFMFC,
  OFPP,
  OFPPC,
  OFPPMFC,
  OFPPR,
  OFPQOFC,
  OFPQT,
  OFPST,
  OFPT,
  OFP_MAX_MSG_LEN,
  OFP_NO_BUFFER,
} from '../openflow/constants.js';
import { decodeMessage } from '../openflow/codec.js';
import { OfpDecodeError } from '../openflow/decode-error.js';
import type { MessageOf, OfpMessage, StatsReply, StatsRequest } from '../openflow/messages.js';
import { ofpFlowStats } from '../openflow/stats.js';
import { DatapathError } from '../datapath/errors.js';
import type { Bridge } from './bridge.js';
import type { BridgeConn } from './ofconn.js';
import { N_BUFFERS } from './packet-buffers.js';
import { splitEntries } from './stats-split.js';
import { applyToBuffered } from './buffered-flow-mod.js';
import { NXBRC_BAD_PORT, NXET_VENDOR, nxErrorData } from './nx-error.js';
import type { OfpQueueProperty } from '../openflow/queues.js';

/** Capabilities ofdp implements (no STP, no IP reassembly). */
export const CAPABILITIES =
  OFPC.FLOW_STATS | OFPC.TABLE_STATS | OFPC.PORT_STATS | OFPC.QUEUE_STATS | OFPC.ARP_MATCH_IP;
/** Every OpenFlow 1.0 action (bit i set for OFPAT value i). */
export const ACTIONS_BITMAP = (1 << 12) - 1;

/** Error data: the whole offending message, capped so the error fits in one message. */
const MAX_ERROR_DATA = OFP_MAX_MSG_LEN - 12;

export function sendError(conn: BridgeConn, xid: number, type: number, code: number, raw: Buffer): void {
  conn.send({
    type: OFPT.ERROR,
    xid,
    version: 1,
    err_type: type,
    code,
    data: raw.subarray(0, MAX_ERROR_DATA),
  });
}

/**
 * Decodes and handles one framed message from `conn`; answers malformed or refused messages with
 * OFPT_ERROR. Never throws for anything the peer sent.
 */
export async function handleRaw(bridge: Bridge, conn: BridgeConn, raw: Buffer): Promise<void> {
  const xid = raw.length >= 8 ? raw.readUInt32BE(4) : 0;
  let msg: OfpMessage;
  try {
    msg = decodeMessage(raw);
  } catch (e) {
    if (e instanceof OfpDecodeError) {
      const [type, code] = decodeRefusal(raw, e.errorType, e.errorCode);
      return sendError(conn, xid, type, code, raw);
    }
    throw e;
  }
  await handleRequest(bridge, conn, msg, raw);
}

/** Offset of ofp_flow_mod.command: header (8), match (40), cookie (8). */
const FLOW_MOD_COMMAND_OFFSET = 56;

/**
 * The error to answer a message the codec refused with (`errType`/`errCode` from its
 * OfpDecodeError). One case differs: a FLOW_MOD whose command is unknown too is BAD_COMMAND, as
 * Open vSwitch checks the command before decoding the actions. Used for messages that reach the
 * bridge undecoded (handleRaw) and for those the channel hands over undecoded (attach.ts).
 */
export function decodeRefusal(raw: Buffer, errType: number, errCode: number): [number, number] {
  return isFlowModWithBadCommand(raw, errType)
    ? [OFPET.FLOW_MOD_FAILED, OFPFMFC.BAD_COMMAND]
    : [errType, errCode];
}

function isFlowModWithBadCommand(raw: Buffer, errType: number): boolean {
  return (
    errType === OFPET.BAD_ACTION &&
    raw[1] === OFPT.FLOW_MOD &&
    raw.length >= FLOW_MOD_COMMAND_OFFSET + 2 &&
    raw.readUInt16BE(FLOW_MOD_COMMAND_OFFSET) > OFPFC.DELETE_STRICT
  );
}

/**
 * Handles one decoded message (`raw` is its bytes, echoed in errors). Returns a promise only when
 * the message needs asynchronous work (a device change); otherwise it is complete on return.
 */
export function handleRequest(
  bridge: Bridge,
  conn: BridgeConn,
  msg: OfpMessage,
  raw: Buffer,
): Promise<void> | void {
  // No closure here: this runs for every message, and a refusal is the rare case.
  try {
    const r = handleMessage(bridge, conn, msg);
    if (r) return r.catch((e: unknown) => refuse(conn, msg, raw, e));
  } catch (e) {
    refuse(conn, msg, raw, e);
  }
}

/** Answers a refusal with OFPT_ERROR; anything else is a bug and propagates. */
function refuse(conn: BridgeConn, msg: OfpMessage, raw: Buffer, e: unknown): void {
  if (e instanceof DatapathError || e instanceof OfpDecodeError)
    return sendError(conn, msg.xid, e.errorType, e.errorCode, raw);
  throw e;
}

function reply(conn: BridgeConn, msg: OfpMessage): void {
  conn.send(msg);
}

export function handleMessage(bridge: Bridge, conn: BridgeConn, m: OfpMessage): Promise<void> | void {
  switch (m.type) {
    case OFPT.HELLO:
      return;
    case OFPT.ECHO_REQUEST:
      return reply(conn, { type: OFPT.ECHO_REPLY, xid: m.xid, data: m.data });
    case OFPT.ECHO_REPLY:
    case OFPT.ERROR:
      return;
    case OFPT.VENDOR:
      throw new DatapathError(OFPET.BAD_REQUEST, OFPBRC.BAD_VENDOR, `vendor 0x${m.vendor.toString(16)}`);
    case OFPT.FEATURES_REQUEST:
      conn.markEstablished?.();
      return reply(conn, {
        type: OFPT.FEATURES_REPLY,
        xid: m.xid,
        datapath_id: bridge.datapathId,
        n_buffers: N_BUFFERS,
        n_tables: 1,
        capabilities: CAPABILITIES,
        actions: ACTIONS_BITMAP,
        ports: bridge.phyPorts(),
      });
    case OFPT.GET_CONFIG_REQUEST:
      return reply(conn, {
        type: OFPT.GET_CONFIG_REPLY,
        xid: m.xid,
        flags: bridge.fragFlags,
        miss_send_len: conn.missSendLen,
      });
    case OFPT.SET_CONFIG:
      return setConfig(bridge, conn, m);
    case OFPT.PACKET_OUT:
      return packetOut(bridge, conn, m);
    case OFPT.FLOW_MOD:
      return flowMod(bridge, conn, m);
    case OFPT.PORT_MOD:
      return portMod(bridge, conn, m);
    case OFPT.STATS_REQUEST:
      return stats(bridge, conn, m);
    case OFPT.BARRIER_REQUEST:
      return reply(conn, { type: OFPT.BARRIER_REPLY, xid: m.xid });
    case OFPT.QUEUE_GET_CONFIG_REQUEST:
      return queueGetConfig(bridge, conn, m);
    default:
      // Messages only a switch sends (replies, async messages) are not requests.
      throw new DatapathError(OFPET.BAD_REQUEST, OFPBRC.BAD_TYPE, `message type ${m.type} from a controller`);
  }
}

function setConfig(bridge: Bridge, conn: BridgeConn, m: MessageOf<typeof OFPT.SET_CONFIG>): void {
  const frag = m.flags & OFPC_FRAG.MASK;
  // Reassembly is not implemented; like Open vSwitch, keep the old mode silently (ovs-ofctl set-frags
  // reads the mode back and reports the failure itself).
  if (frag === OFPC_FRAG.NORMAL || frag === OFPC_FRAG.DROP) {
    bridge.fragFlags = frag;
    bridge.dp.setFragMode(frag === OFPC_FRAG.DROP ? 'drop' : 'normal');
  }
  conn.missSendLen = m.miss_send_len;
  bridge.updateMissPolicy();
}

/**
 * Whether a PACKET_OUT may claim to come from `inPort`: any number below OFPP_MAX (a port or not),
 * LOCAL, CONTROLLER or NONE. Open vSwitch refuses the other reserved numbers (IN_PORT, TABLE, NORMAL,
 * FLOOD, ALL, and 0xff00-0xfff7); test/bridge/packet-out-in-port.test.ts measures it.
 */
function packetOutInPortOk(inPort: number): boolean {
  return inPort < OFPP.MAX || inPort === OFPP.LOCAL || inPort === OFPP.CONTROLLER || inPort === OFPP.NONE;
}

function packetOut(bridge: Bridge, conn: BridgeConn, m: MessageOf<typeof OFPT.PACKET_OUT>): void {
  const inPort = m.in_port;
  // Checked before the buffer is taken, so bad actions leave the buffered packet where it is.
  const program = bridge.dp.checkActions(m.actions);
  // Then in_port, as Open vSwitch orders them (after the actions, before the buffer): it answers a
  // bad one with OFPBRC_BAD_PORT as a Nicira vendor error, OpenFlow 1.0 having no code for it.
  if (!packetOutInPortOk(inPort))
    return sendError(conn, m.xid, NXET_VENDOR, 0, nxErrorData(NXBRC_BAD_PORT, m));
  let frame: Buffer = m.data;
  let from = inPort;
  if (m.buffer_id !== OFP_NO_BUFFER) {
    const b = bridge.buffersOf(conn).take(m.buffer_id);
    frame = b.frame;
    if (inPort === OFPP.NONE) from = b.inPort;
  }
  bridge.dp.execute(frame, from, program);
}

function flowMod(bridge: Bridge, conn: BridgeConn, m: MessageOf<typeof OFPT.FLOW_MOD>): void {
  // The datapath checks the whole flow-mod, once; `program` is its checked actions (none for deletes).
  const program = bridge.dp.flowMod(m);
  // buffer_id means nothing on deletes (os-ken sends 0 there and must get no error: clients.md §5).
  if (program === undefined || m.buffer_id === OFP_NO_BUFFER) return;
  // The buffered packet gets this flow's actions, not a trip through the table (buffered-flow-mod.ts).
  applyToBuffered(bridge, conn, m, program);
}

/** Every OFPPC_* bit OpenFlow 1.0 defines (0x7f; Open vSwitch's OFPPC10_ALL). */
const OFPPC_ALL = Object.values(OFPPC).reduce((all, bit) => all | bit, 0);
/** Every OFPPF_* bit OpenFlow 1.0 defines (bits 0 to 11, 10MB_HD to PAUSE_ASYM). */
const OFPPF_ALL = (1 << 12) - 1;

async function portMod(bridge: Bridge, conn: BridgeConn, m: MessageOf<typeof OFPT.PORT_MOD>): Promise<void> {
  const port = bridge.ports.get(m.port_no);
  if (!port) throw new DatapathError(OFPET.PORT_MOD_FAILED, OFPPMFC.BAD_PORT, `no port ${m.port_no}`);
  if (port.netdev.getEtherAddr() !== m.hw_addr)
    throw new DatapathError(OFPET.PORT_MOD_FAILED, OFPPMFC.BAD_HW_ADDR, `port ${m.port_no} hw_addr mismatch`);
  // Bits OpenFlow 1.0 does not define are dropped from config, mask and advertise, silently, as
  // Open vSwitch decodes a PORT_MOD: config=mask=0x80000000 changes nothing and draws no error
  // (measured in test/bridge/port-mod.test.ts).
  const mask = m.mask & OFPPC_ALL;
  const advertise = m.advertise & OFPPF_ALL;
  port.config = (port.config & ~mask) | (m.config & mask);
  // Report the new config at once, with the link state as it still is; the device's own change
  // (link down or up) follows as a second PORT_STATUS when it shows. Open vSwitch does the same,
  // so `down` gives two messages to a monitor (clients.md §3). The first goes to every connection
  // but the sender (OpenFlow before 1.5; Open vSwitch too, test/bridge/port-mod.test.ts); the second
  // is the device's and goes to all, the sender included.
  const config = (port.last.config & ~mask) | (m.config & mask);
  if (config !== port.last.config) {
    port.last = { ...port.last, config };
    bridge.dp.setPortConfig(m.port_no, config);
    bridge.sendAsync({ type: OFPT.PORT_STATUS, xid: 0, reason: OFPPR.MODIFY, desc: port.last }, conn);
  }
  if (mask & OFPPC.PORT_DOWN) {
    const down = (m.config & OFPPC.PORT_DOWN) !== 0;
    try {
      await port.netdev.setFlags({ up: !down });
    } catch {
      // A device that cannot change its admin state keeps reporting the state it has.
    }
  }
  if (advertise !== 0) {
    try {
      await port.netdev.setAdvertisements(advertise);
    } catch {
      // Open vSwitch ignores devices that cannot change what they advertise, and so do we.
    }
  }
  // The device may have vanished while we waited on it (`ip link del` racing the port-mod): the
  // port is gone, PORT_STATUS DELETE has been sent, and there is nothing left to update.
  if (bridge.ports.get(m.port_no) !== port) return;
  bridge.dp.setPortConfig(m.port_no, bridge.describe(port).config);
  bridge.portChanged(m.port_no);
}

function queueGetConfig(
  bridge: Bridge,
  conn: BridgeConn,
  m: MessageOf<typeof OFPT.QUEUE_GET_CONFIG_REQUEST>,
): void {
  // Only physical ports have queues: LOCAL and the other reserved numbers (>= OFPP_MAX) are refused
  // like unknown ports, as Open vSwitch does for OpenFlow 1.0.
  if (m.port >= OFPP.MAX || !bridge.ports.has(m.port))
    throw new DatapathError(OFPET.QUEUE_OP_FAILED, OFPQOFC.BAD_PORT, `no port ${m.port}`);
  const queues = (bridge.queues.get(m.port) ?? []).map((q) => ({
    queue_id: q.queueId,
    properties: (q.minRate === undefined
      ? []
      : [{ property: OFPQT.MIN_RATE, rate: q.minRate }]) as OfpQueueProperty[],
  }));
  reply(conn, { type: OFPT.QUEUE_GET_CONFIG_REPLY, xid: m.xid, port: m.port, queues });
}

function stats(bridge: Bridge, conn: BridgeConn, m: StatsRequest): void {
  const send = (r: Omit<StatsReply, 'type' | 'xid' | 'flags'> & { flags?: number }) =>
    reply(conn, { type: OFPT.STATS_REPLY, xid: m.xid, flags: 0, ...r } as StatsReply);
  const dp = bridge.dp;
  switch (m.stats_type) {
    case OFPST.DESC:
      return send({
        stats_type: OFPST.DESC,
        body: {
          mfr_desc: 'ofdp',
          hw_desc: 'ofdp OpenFlow 1.0 software switch',
          sw_desc: bridge.swDesc,
          serial_num: 'None',
          dp_desc: bridge.name,
        },
      });
    case OFPST.FLOW: {
      const entries =
        m.body.table_id === 0 || m.body.table_id === 0xff ? dp.flowStats(m.body.match, m.body.out_port) : [];
      for (const part of splitEntries(entries, (e) => ofpFlowStats.size(e)))
        send({ stats_type: OFPST.FLOW, flags: part.flags, body: part.body });
      return;
    }
    case OFPST.AGGREGATE: {
      const agg =
        m.body.table_id === 0 || m.body.table_id === 0xff
          ? dp.aggregateStats(m.body.match, m.body.out_port)
          : { packet_count: 0n, byte_count: 0n, flow_count: 0 };
      return send({ stats_type: OFPST.AGGREGATE, body: agg });
    }
    case OFPST.TABLE:
      return send({ stats_type: OFPST.TABLE, body: dp.tableStats() });
    case OFPST.PORT: {
      for (const part of splitEntries(dp.portStats(m.body.port_no), () => 104))
        send({ stats_type: OFPST.PORT, flags: part.flags, body: part.body });
      return;
    }
    case OFPST.QUEUE: {
      for (const part of splitEntries(dp.queueStats(m.body.port_no, m.body.queue_id), () => 32))
        send({ stats_type: OFPST.QUEUE, flags: part.flags, body: part.body });
      return;
    }
    case OFPST.PORT_DESC: {
      for (const part of splitEntries(bridge.phyPorts(), () => 48))
        send({ stats_type: OFPST.PORT_DESC, flags: part.flags, body: part.body });
      return;
    }
    case OFPST.VENDOR:
      throw new DatapathError(
        OFPET.BAD_REQUEST,
        OFPBRC.BAD_VENDOR,
        `vendor stats 0x${m.body.vendor.toString(16)}`,
      );
  }
}
