/*
 * The fixed OpenFlow 1.0 structures shared by several messages, each declared once (field order and
 * sizes as in openflow.h 1.0.0).
 */
import { record, u8, u16, u32, u64, mac, ipv4, pad, str, nested, type Infer } from './layout.js';
import { DESC_STR_LEN, OFP_MAX_PORT_NAME_LEN, OFP_MAX_TABLE_NAME_LEN, SERIAL_NUM_LEN } from './constants.js';

const matchSpec = {
  wildcards: u32,
  in_port: u16,
  dl_src: mac,
  dl_dst: mac,
  dl_vlan: u16,
  dl_vlan_pcp: u8,
  _pad1: pad(1),
  dl_type: u16,
  nw_tos: u8,
  nw_proto: u8,
  _pad2: pad(2),
  nw_src: ipv4,
  nw_dst: ipv4,
  tp_src: u16,
  tp_dst: u16,
};
/** ofp_match (40 bytes). Wildcard semantics live in match.ts. */
export const ofpMatch = record('ofp_match', matchSpec);
export type OfpMatch = Infer<typeof matchSpec>;
export const match = nested(ofpMatch);

const phyPortSpec = {
  port_no: u16,
  hw_addr: mac,
  name: str(OFP_MAX_PORT_NAME_LEN),
  config: u32,
  state: u32,
  curr: u32,
  advertised: u32,
  supported: u32,
  peer: u32,
};
/** ofp_phy_port (48 bytes). */
export const ofpPhyPort = record('ofp_phy_port', phyPortSpec);
export type OfpPhyPort = Infer<typeof phyPortSpec>;
export const phyPort = nested(ofpPhyPort);

const descStatsSpec = {
  mfr_desc: str(DESC_STR_LEN),
  hw_desc: str(DESC_STR_LEN),
  sw_desc: str(DESC_STR_LEN),
  serial_num: str(SERIAL_NUM_LEN),
  dp_desc: str(DESC_STR_LEN),
};
/** ofp_desc_stats (1056 bytes). */
export const ofpDescStats = record('ofp_desc_stats', descStatsSpec);
export type OfpDescStats = Infer<typeof descStatsSpec>;

const tableStatsSpec = {
  table_id: u8,
  _pad: pad(3),
  name: str(OFP_MAX_TABLE_NAME_LEN),
  wildcards: u32,
  max_entries: u32,
  active_count: u32,
  lookup_count: u64,
  matched_count: u64,
};
/** ofp_table_stats (64 bytes). */
export const ofpTableStats = record('ofp_table_stats', tableStatsSpec);
export type OfpTableStats = Infer<typeof tableStatsSpec>;

const portStatsSpec = {
  port_no: u16,
  _pad: pad(6),
  rx_packets: u64,
  tx_packets: u64,
  rx_bytes: u64,
  tx_bytes: u64,
  rx_dropped: u64,
  tx_dropped: u64,
  rx_errors: u64,
  tx_errors: u64,
  rx_frame_err: u64,
  rx_over_err: u64,
  rx_crc_err: u64,
  collisions: u64,
};
/** ofp_port_stats (104 bytes). */
export const ofpPortStats = record('ofp_port_stats', portStatsSpec);
export type OfpPortStats = Infer<typeof portStatsSpec>;

const queueStatsSpec = {
  port_no: u16,
  _pad: pad(2),
  queue_id: u32,
  tx_bytes: u64,
  tx_packets: u64,
  tx_errors: u64,
};
/** ofp_queue_stats (32 bytes). */
export const ofpQueueStats = record('ofp_queue_stats', queueStatsSpec);
export type OfpQueueStats = Infer<typeof queueStatsSpec>;

const aggregateStatsSpec = {
  packet_count: u64,
  byte_count: u64,
  flow_count: u32,
  _pad: pad(4),
};
/** ofp_aggregate_stats_reply (24 bytes). */
export const ofpAggregateStats = record('ofp_aggregate_stats_reply', aggregateStatsSpec);
export type OfpAggregateStats = Infer<typeof aggregateStatsSpec>;

const flowStatsRequestSpec = {
  match,
  table_id: u8,
  _pad: pad(1),
  out_port: u16,
};
/** ofp_flow_stats_request, also the body of an aggregate stats request (44 bytes). */
export const ofpFlowStatsRequest = record('ofp_flow_stats_request', flowStatsRequestSpec);
export type OfpFlowStatsRequest = Infer<typeof flowStatsRequestSpec>;

const portStatsRequestSpec = { port_no: u16, _pad: pad(6) };
/** ofp_port_stats_request (8 bytes). */
export const ofpPortStatsRequest = record('ofp_port_stats_request', portStatsRequestSpec);
export type OfpPortStatsRequest = Infer<typeof portStatsRequestSpec>;

const queueStatsRequestSpec = { port_no: u16, _pad: pad(2), queue_id: u32 };
/** ofp_queue_stats_request (8 bytes). */
export const ofpQueueStatsRequest = record('ofp_queue_stats_request', queueStatsRequestSpec);
export type OfpQueueStatsRequest = Infer<typeof queueStatsRequestSpec>;
