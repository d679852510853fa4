/*
 * What os-ken's OpenFlow 1.0 parser should report for a message ofdp encoded: ofdp's decoded value
 * rendered the way osken-helper.py renders os-ken's objects (os-ken's class and attribute names, MACs
 * and match IPs as text, bytes as hex, 64-bit counters as numbers or, beyond 2^53, decimal strings).
 *
 * The rendering follows os-ken's documented data model, including its interpretations that differ
 * from ofdp's (each noted where it is applied); it never looks at the wire bytes, so a field encoded
 * at the wrong offset or with the wrong width shows up as a difference.
 */
import { OFPAT, OFPQT, OFPST, OFPT } from '../../../src/openflow/constants.js';
import type { OfpAction } from '../../../src/openflow/actions.js';
import { nwDstPrefixLen, nwSrcPrefixLen } from '../../../src/openflow/match.js';
import type { MessageOf, OfpMessage } from '../../../src/openflow/messages.js';
import type { OfpPacketQueue, OfpQueueProperty } from '../../../src/openflow/queues.js';
import type { OfpMatch, OfpPhyPort } from '../../../src/openflow/structs.js';
import type { OfpFlowStats } from '../../../src/openflow/stats.js';
import type { OskenView } from './osken.js';

/** A 64-bit value as osken-helper.py writes it. */
export function u64View(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

export function macText(mac: number): string {
  return mac
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}

export function ipText(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function u32Bytes(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

/**
 * The wildcards and the twelve match fields under os-ken's attribute names, MACs as text, as its
 * OFPMatch both takes them (constructor keywords) and shows them; IPv4 addresses in the form `ip` gives.
 */
export function matchFields<I>(m: OfpMatch, ip: (v: number) => I) {
  return {
    wildcards: m.wildcards,
    in_port: m.in_port,
    dl_src: macText(m.dl_src),
    dl_dst: macText(m.dl_dst),
    dl_vlan: m.dl_vlan,
    dl_vlan_pcp: m.dl_vlan_pcp,
    dl_type: m.dl_type,
    nw_tos: m.nw_tos,
    nw_proto: m.nw_proto,
    nw_src: ip(m.nw_src),
    nw_dst: ip(m.nw_dst),
    tp_src: m.tp_src,
    tp_dst: m.tp_dst,
  };
}

/** A FLOW_MOD's 16- and 32-bit fields, named alike as OFPFlowMod's keywords and its attributes. */
export function flowModFields(m: MessageOf<typeof OFPT.FLOW_MOD>) {
  return {
    command: m.command,
    idle_timeout: m.idle_timeout,
    hard_timeout: m.hard_timeout,
    priority: m.priority,
    buffer_id: m.buffer_id,
    out_port: m.out_port,
    flags: m.flags,
  };
}

export function matchView(m: OfpMatch): OskenView {
  return {
    cls: 'OFPMatch',
    ...matchFields(m, ipText),
    // os-ken's match['nw_src_mask'] against ofdp's reading of the same wildcard counts (any count >= 32 is /0).
    nw_src_mask: nwSrcPrefixLen(m.wildcards),
    nw_dst_mask: nwDstPrefixLen(m.wildcards),
  };
}

export function actionView(a: OfpAction): OskenView {
  switch (a.type) {
    case OFPAT.OUTPUT:
      return { cls: 'OFPActionOutput', port: a.port, max_len: a.max_len };
    case OFPAT.SET_VLAN_VID:
      return { cls: 'OFPActionVlanVid', vlan_vid: a.vlan_vid };
    case OFPAT.SET_VLAN_PCP:
      return { cls: 'OFPActionVlanPcp', vlan_pcp: a.vlan_pcp };
    case OFPAT.STRIP_VLAN:
      return { cls: 'OFPActionStripVlan' };
    case OFPAT.SET_DL_SRC:
      return { cls: 'OFPActionSetDlSrc', dl_addr: macText(a.dl_addr) };
    case OFPAT.SET_DL_DST:
      return { cls: 'OFPActionSetDlDst', dl_addr: macText(a.dl_addr) };
    case OFPAT.SET_NW_SRC:
      return { cls: 'OFPActionSetNwSrc', nw_addr: ipText(a.nw_addr) };
    case OFPAT.SET_NW_DST:
      return { cls: 'OFPActionSetNwDst', nw_addr: ipText(a.nw_addr) };
    case OFPAT.SET_NW_TOS:
      return { cls: 'OFPActionSetNwTos', tos: a.nw_tos };
    case OFPAT.SET_TP_SRC:
      return { cls: 'OFPActionSetTpSrc', tp: a.tp_port };
    case OFPAT.SET_TP_DST:
      return { cls: 'OFPActionSetTpDst', tp: a.tp_port };
    case OFPAT.ENQUEUE:
      return { cls: 'OFPActionEnqueue', port: a.port, queue_id: a.queue_id };
    case OFPAT.VENDOR:
      return { cls: 'OFPActionVendorUnknown', vendor: a.vendor, data: hex(a.body) };
  }
}

function phyPortView(p: OfpPhyPort): OskenView {
  return {
    cls: 'OFPPhyPort',
    port_no: p.port_no,
    hw_addr: macText(p.hw_addr),
    name: p.name,
    config: p.config,
    state: p.state,
    curr: p.curr,
    advertised: p.advertised,
    supported: p.supported,
    peer: p.peer,
  };
}

/** An action's length on the wire, from the OpenFlow 1.0 spec's struct sizes. */
function actionLen(a: OfpAction): number {
  if (a.type === OFPAT.VENDOR) return 8 + Math.ceil(a.body.length / 8) * 8;
  return a.type === OFPAT.ENQUEUE || a.type === OFPAT.SET_DL_SRC || a.type === OFPAT.SET_DL_DST ? 16 : 8;
}

/** ofp_flow_stats is 88 bytes before its actions. */
const FLOW_STATS_LEN = 88;

function flowStatsView(f: OfpFlowStats): OskenView {
  return {
    cls: 'OFPFlowStats',
    length: f.actions.reduce((n, a) => n + actionLen(a), FLOW_STATS_LEN),
    table_id: f.table_id,
    match: matchView(f.match),
    duration_sec: f.duration_sec,
    duration_nsec: f.duration_nsec,
    priority: f.priority,
    idle_timeout: f.idle_timeout,
    hard_timeout: f.hard_timeout,
    cookie: u64View(f.cookie),
    packet_count: u64View(f.packet_count),
    byte_count: u64View(f.byte_count),
    actions: f.actions.map(actionView),
  };
}

function queuePropertyView(p: OfpQueueProperty): OskenView {
  if ('rate' in p) return { cls: 'OFPQueuePropMinRate', property: OFPQT.MIN_RATE, len: 16, rate: p.rate };
  // os-ken knows one other property, OFPQT_NONE, which carries nothing (its length is the 8-byte header).
  if (p.property === OFPQT.NONE && p.data.length === 0)
    return { cls: 'OFPQueuePropNone', property: OFPQT.NONE, len: 8 };
  throw new Error(`os-ken has no class for queue property ${p.property}`);
}

function queueView(q: OfpPacketQueue): OskenView {
  const properties = q.properties.map(queuePropertyView);
  const len = 8 + properties.reduce((n, p) => n + (p.len as number), 0);
  return { cls: 'OFPPacketQueue', queue_id: q.queue_id, len, properties };
}

function statsReplyView(m: Extract<OfpMessage, { type: typeof OFPT.STATS_REPLY }>): OskenView {
  const head = { type: m.stats_type, flags: m.flags };
  switch (m.stats_type) {
    case OFPST.DESC:
      return { cls: 'OFPDescStatsReply', ...head, body: { cls: 'OFPDescStats', ...m.body } };
    case OFPST.FLOW:
      return { cls: 'OFPFlowStatsReply', ...head, body: m.body.map(flowStatsView) };
    case OFPST.AGGREGATE:
      // os-ken registers the aggregate reply as a list body, so its one struct comes in a list.
      return {
        cls: 'OFPAggregateStatsReply',
        ...head,
        body: [
          {
            cls: 'OFPAggregateStats',
            packet_count: u64View(m.body.packet_count),
            byte_count: u64View(m.body.byte_count),
            flow_count: m.body.flow_count,
          },
        ],
      };
    case OFPST.TABLE:
      return {
        cls: 'OFPTableStatsReply',
        ...head,
        body: m.body.map((t) => ({
          cls: 'OFPTableStats',
          table_id: t.table_id,
          name: t.name,
          wildcards: t.wildcards,
          max_entries: t.max_entries,
          active_count: t.active_count,
          lookup_count: u64View(t.lookup_count),
          matched_count: u64View(t.matched_count),
        })),
      };
    case OFPST.PORT:
      return {
        cls: 'OFPPortStatsReply',
        ...head,
        body: m.body.map((p) => {
          const v: OskenView = { cls: 'OFPPortStats', port_no: p.port_no };
          for (const [k, x] of Object.entries(p)) if (typeof x === 'bigint') v[k] = u64View(x);
          return v;
        }),
      };
    case OFPST.QUEUE:
      return {
        cls: 'OFPQueueStatsReply',
        ...head,
        body: m.body.map((q) => ({
          cls: 'OFPQueueStats',
          port_no: q.port_no,
          queue_id: q.queue_id,
          tx_bytes: u64View(q.tx_bytes),
          tx_packets: u64View(q.tx_packets),
          tx_errors: u64View(q.tx_errors),
        })),
      };
    case OFPST.VENDOR:
      // os-ken keeps the vendor id inside specific_data (everything after the stats header).
      return {
        cls: 'OFPVendorStatsReply',
        ...head,
        body: {
          cls: 'OFPVendorStats',
          specific_data: hex(Buffer.concat([u32Bytes(m.body.vendor), m.body.data])),
        },
      };
    case OFPST.PORT_DESC:
      throw new Error('os-ken has no OF1.0 class for stats type 13 (OFPST_PORT_DESC)');
  }
}

/** The body attributes os-ken's parser reports for `m`, or throws for a message it cannot parse. */
function bodyView(m: OfpMessage): OskenView {
  switch (m.type) {
    case OFPT.HELLO:
      return { cls: 'OFPHello' };
    case OFPT.ERROR:
      return { cls: 'OFPErrorMsg', type: m.err_type, code: m.code, data: hex(m.data) };
    case OFPT.ECHO_REQUEST:
      return { cls: 'OFPEchoRequest', data: hex(m.data) };
    case OFPT.ECHO_REPLY:
      return { cls: 'OFPEchoReply', data: hex(m.data) };
    case OFPT.VENDOR:
      return { cls: 'OFPVendor', vendor: m.vendor, data: hex(m.data) };
    case OFPT.FEATURES_REPLY: {
      // os-ken keys ports by port_no, so a later port with the same number replaces an earlier one.
      const ports: OskenView = {};
      for (const p of m.ports) ports[String(p.port_no)] = phyPortView(p);
      return {
        cls: 'OFPSwitchFeatures',
        datapath_id: u64View(m.datapath_id),
        n_buffers: m.n_buffers,
        n_tables: m.n_tables,
        capabilities: m.capabilities,
        actions: m.actions,
        ports,
      };
    }
    case OFPT.GET_CONFIG_REPLY:
      return { cls: 'OFPGetConfigReply', flags: m.flags, miss_send_len: m.miss_send_len };
    case OFPT.PACKET_IN:
      // os-ken drops data beyond total_len (it takes the excess for alignment padding).
      return {
        cls: 'OFPPacketIn',
        buffer_id: m.buffer_id,
        total_len: m.total_len,
        in_port: m.in_port,
        reason: m.reason,
        data: hex(m.data.subarray(0, Math.min(m.total_len, m.data.length))),
      };
    case OFPT.FLOW_REMOVED:
      return {
        cls: 'OFPFlowRemoved',
        match: matchView(m.match),
        cookie: u64View(m.cookie),
        priority: m.priority,
        reason: m.reason,
        duration_sec: m.duration_sec,
        duration_nsec: m.duration_nsec,
        idle_timeout: m.idle_timeout,
        packet_count: u64View(m.packet_count),
        byte_count: u64View(m.byte_count),
      };
    case OFPT.PORT_STATUS:
      return { cls: 'OFPPortStatus', reason: m.reason, desc: phyPortView(m.desc) };
    case OFPT.FLOW_MOD:
      return {
        cls: 'OFPFlowMod',
        match: matchView(m.match),
        cookie: u64View(m.cookie),
        ...flowModFields(m),
        actions: m.actions.map(actionView),
      };
    case OFPT.BARRIER_REPLY:
      return { cls: 'OFPBarrierReply' };
    case OFPT.QUEUE_GET_CONFIG_REPLY:
      return { cls: 'OFPQueueGetConfigReply', port: m.port, queues: m.queues.map(queueView) };
    case OFPT.STATS_REPLY:
      return statsReplyView(m);
    default:
      throw new Error(`os-ken's OF1.0 parser has no class for message type ${m.type}`);
  }
}

/** os-ken's view of `m` after parsing its `length` encoded bytes. */
export function oskenViewOf(m: OfpMessage, length: number): OskenView {
  const { cls, ...body } = bodyView(m);
  return {
    cls,
    version: 'version' in m ? m.version : 1,
    msg_type: m.type,
    msg_len: length,
    xid: m.xid,
    ...body,
  };
}
