/*
 * fast-check arbitraries for OpenFlow 1.0 values: every message type, stats body, action and queue
 * property, with values the codec must round-trip exactly (valid argument ranges, strings without
 * NULs, lengths that fit in one message).
 */
import fc from 'fast-check';
import { USABLE_RESERVED_OUTPUTS } from '../../src/openflow/actions.js';
import { OFPAT, OFPP, OFPST, OFPT, OFPQT } from '../../src/openflow/constants.js';
import type { OfpAction } from '../../src/openflow/actions.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import type { OfpMatch, OfpPhyPort } from '../../src/openflow/structs.js';
import type { OfpQueueProperty } from '../../src/openflow/queues.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
export const mac = fc.integer({ min: 0, max: 2 ** 48 - 1 });
export const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
export const name = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.'), maxLength: n });

export const match: fc.Arbitrary<OfpMatch> = fc.record({
  wildcards: fc.integer({ min: 0, max: (1 << 22) - 1 }),
  in_port: u16,
  dl_src: mac,
  dl_dst: mac,
  dl_vlan: u16,
  dl_vlan_pcp: u8,
  dl_type: u16,
  nw_tos: u8,
  nw_proto: u8,
  nw_src: u32,
  nw_dst: u32,
  tp_src: u16,
  tp_dst: u16,
});

/** Every action but OUTPUT and VENDOR, with valid arguments (shared with the flow-syntax round trip). */
export const rewriteActions: fc.Arbitrary<OfpAction>[] = [
  fc.record({ type: fc.constant(OFPAT.SET_VLAN_VID), vlan_vid: fc.integer({ min: 0, max: 0xfff }) }),
  fc.record({ type: fc.constant(OFPAT.SET_VLAN_PCP), vlan_pcp: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ type: fc.constant(OFPAT.STRIP_VLAN) }),
  fc.record({ type: fc.constantFrom(OFPAT.SET_DL_SRC, OFPAT.SET_DL_DST), dl_addr: mac }),
  fc.record({ type: fc.constantFrom(OFPAT.SET_NW_SRC, OFPAT.SET_NW_DST), nw_addr: u32 }),
  fc.record({
    type: fc.constant(OFPAT.SET_NW_TOS),
    nw_tos: fc.integer({ min: 0, max: 63 }).map((v) => v << 2),
  }),
  fc.record({ type: fc.constantFrom(OFPAT.SET_TP_SRC, OFPAT.SET_TP_DST), tp_port: u16 }),
  fc.record({
    type: fc.constant(OFPAT.ENQUEUE),
    port: fc.oneof(fc.integer({ min: 0, max: OFPP.MAX - 1 }), fc.constantFrom(OFPP.IN_PORT, OFPP.LOCAL)),
    queue_id: u32,
  }),
] as fc.Arbitrary<OfpAction>[];

export const action: fc.Arbitrary<OfpAction> = fc.oneof(
  fc.record({
    type: fc.constant(OFPAT.OUTPUT),
    // Ports an OUTPUT may name (the codec refuses OFPP_NONE and 0xff00–0xfff7, as OVS does).
    port: fc.oneof(fc.integer({ min: 0, max: OFPP.MAX - 1 }), fc.constantFrom(...USABLE_RESERVED_OUTPUTS)),
    max_len: u16,
  }),
  ...rewriteActions,
  fc.record({
    type: fc.constant(OFPAT.VENDOR),
    vendor: u32,
    body: fc
      .integer({ min: 0, max: 3 })
      .chain((n) => fc.uint8Array({ minLength: n * 8, maxLength: n * 8 }).map((a) => Buffer.from(a))),
  }),
) as fc.Arbitrary<OfpAction>;

export const actions = fc.array(action, { maxLength: 6 });

export const phyPort: fc.Arbitrary<OfpPhyPort> = fc.record({
  port_no: u16,
  hw_addr: mac,
  name: name(16),
  config: u32,
  state: u32,
  curr: u32,
  advertised: u32,
  supported: u32,
  peer: u32,
});

const queueProperty: fc.Arbitrary<OfpQueueProperty> = fc.oneof(
  fc.record({ property: fc.constant(OFPQT.MIN_RATE), rate: u16 }),
  fc.record({ property: fc.integer({ min: 2, max: 0xffff }), data: bytes(16) }),
) as fc.Arbitrary<OfpQueueProperty>;

const xid = u32;
const msg = <T extends object>(type: number, body: fc.Arbitrary<T>) =>
  fc.tuple(xid, body).map(([x, b]) => ({ type, xid: x, ...b }) as unknown as OfpMessage);
const empty = fc.constant({});
const flowStatsRequest = fc.record({ match, table_id: u8, out_port: u16 });

const statsRequest = fc.oneof(
  fc.record({
    stats_type: fc.constantFrom(OFPST.DESC, OFPST.TABLE, OFPST.PORT_DESC),
    body: fc.constant(null),
  }),
  fc.record({ stats_type: fc.constantFrom(OFPST.FLOW, OFPST.AGGREGATE), body: flowStatsRequest }),
  fc.record({ stats_type: fc.constant(OFPST.PORT), body: fc.record({ port_no: u16 }) }),
  fc.record({ stats_type: fc.constant(OFPST.QUEUE), body: fc.record({ port_no: u16, queue_id: u32 }) }),
  fc.record({ stats_type: fc.constant(OFPST.VENDOR), body: fc.record({ vendor: u32, data: bytes(32) }) }),
);

const flowStats = fc.record({
  table_id: u8,
  match,
  duration_sec: u32,
  duration_nsec: u32,
  priority: u16,
  idle_timeout: u16,
  hard_timeout: u16,
  cookie: u64,
  packet_count: u64,
  byte_count: u64,
  actions,
});

const statsReply = fc.oneof(
  fc.record({
    stats_type: fc.constant(OFPST.DESC),
    body: fc.record({
      mfr_desc: name(256),
      hw_desc: name(256),
      sw_desc: name(256),
      serial_num: name(32),
      dp_desc: name(256),
    }),
  }),
  fc.record({ stats_type: fc.constant(OFPST.FLOW), body: fc.array(flowStats, { maxLength: 4 }) }),
  fc.record({
    stats_type: fc.constant(OFPST.AGGREGATE),
    body: fc.record({ packet_count: u64, byte_count: u64, flow_count: u32 }),
  }),
  fc.record({
    stats_type: fc.constant(OFPST.TABLE),
    body: fc.array(
      fc.record({
        table_id: u8,
        name: name(32),
        wildcards: u32,
        max_entries: u32,
        active_count: u32,
        lookup_count: u64,
        matched_count: u64,
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    stats_type: fc.constant(OFPST.PORT),
    body: fc.array(
      fc.record({
        port_no: u16,
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
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    stats_type: fc.constant(OFPST.QUEUE),
    body: fc.array(
      fc.record({ port_no: u16, queue_id: u32, tx_bytes: u64, tx_packets: u64, tx_errors: u64 }),
      { maxLength: 3 },
    ),
  }),
  fc.record({ stats_type: fc.constant(OFPST.PORT_DESC), body: fc.array(phyPort, { maxLength: 3 }) }),
  fc.record({ stats_type: fc.constant(OFPST.VENDOR), body: fc.record({ vendor: u32, data: bytes(32) }) }),
);

/** Any OpenFlow 1.0 message the codec can encode. */
export const message: fc.Arbitrary<OfpMessage> = fc.oneof(
  fc
    .tuple(xid, fc.integer({ min: 1, max: 6 }), bytes(24))
    .map(([x, version, body]) => ({ type: OFPT.HELLO, xid: x, version, body }) as OfpMessage),
  fc
    .tuple(xid, u16, u16, bytes(80))
    .map(
      ([x, err_type, code, data]) =>
        ({ type: OFPT.ERROR, xid: x, version: 1, err_type, code, data }) as OfpMessage,
    ),
  msg(OFPT.ECHO_REQUEST, fc.record({ data: bytes(64) })),
  msg(OFPT.ECHO_REPLY, fc.record({ data: bytes(64) })),
  msg(OFPT.VENDOR, fc.record({ vendor: u32, data: bytes(32) })),
  msg(OFPT.FEATURES_REQUEST, empty),
  msg(
    OFPT.FEATURES_REPLY,
    fc.record({
      datapath_id: u64,
      n_buffers: u32,
      n_tables: u8,
      capabilities: u32,
      actions: u32,
      ports: fc.array(phyPort, { maxLength: 4 }),
    }),
  ),
  msg(OFPT.GET_CONFIG_REQUEST, empty),
  msg(OFPT.GET_CONFIG_REPLY, fc.record({ flags: u16, miss_send_len: u16 })),
  msg(OFPT.SET_CONFIG, fc.record({ flags: u16, miss_send_len: u16 })),
  msg(
    OFPT.PACKET_IN,
    fc.record({ buffer_id: u32, total_len: u16, in_port: u16, reason: u8, data: bytes(128) }),
  ),
  msg(
    OFPT.FLOW_REMOVED,
    fc.record({
      match,
      cookie: u64,
      priority: u16,
      reason: u8,
      duration_sec: u32,
      duration_nsec: u32,
      idle_timeout: u16,
      packet_count: u64,
      byte_count: u64,
    }),
  ),
  msg(OFPT.PORT_STATUS, fc.record({ reason: u8, desc: phyPort })),
  msg(OFPT.PACKET_OUT, fc.record({ buffer_id: u32, in_port: u16, actions, data: bytes(128) })),
  msg(
    OFPT.FLOW_MOD,
    fc.record({
      match,
      cookie: u64,
      command: u16,
      idle_timeout: u16,
      hard_timeout: u16,
      priority: u16,
      buffer_id: u32,
      out_port: u16,
      flags: u16,
      actions,
    }),
  ),
  msg(OFPT.PORT_MOD, fc.record({ port_no: u16, hw_addr: mac, config: u32, mask: u32, advertise: u32 })),
  fc
    .tuple(xid, u16, statsRequest)
    .map(([x, flags, s]) => ({ type: OFPT.STATS_REQUEST, xid: x, flags, ...s }) as OfpMessage),
  fc
    .tuple(xid, u16, statsReply)
    .map(([x, flags, s]) => ({ type: OFPT.STATS_REPLY, xid: x, flags, ...s }) as OfpMessage),
  msg(OFPT.BARRIER_REQUEST, empty),
  msg(OFPT.BARRIER_REPLY, empty),
  msg(OFPT.QUEUE_GET_CONFIG_REQUEST, fc.record({ port: u16 })),
  msg(
    OFPT.QUEUE_GET_CONFIG_REPLY,
    fc.record({
      port: u16,
      queues: fc.array(fc.record({ queue_id: u32, properties: fc.array(queueProperty, { maxLength: 3 }) }), {
        maxLength: 3,
      }),
    }),
  ),
);
