/*
 * Every OpenFlow 1.0 message, declared once: the body layout after the 8-byte ofp_header.
 *
 * `OfpMessage` is the union of all of them, tagged by `type` (an OFPT value). Every decoded message
 * carries its `xid`; HELLO and ERROR also carry the header's `version`, because they are the two
 * messages exchanged before (or instead of) agreeing on OpenFlow 1.0.
 */
import { OFPT } from './constants.js';
import { actionsSize, actionsToEnd, decodeActions, encodeActions, type OfpAction } from './actions.js';
import { badLen } from './decode-error.js';
import {
  arrayOf,
  cursor,
  derived,
  mac,
  pad,
  record,
  rest,
  u8,
  u16,
  u32,
  u64,
  type Infer,
  type Record_,
  type Spec,
  type Tail,
} from './layout.js';
import { packetQueues, type OfpPacketQueue } from './queues.js';
import { statsReplyBody, statsRequestBody, type StatsReplyBodies, type StatsRequestBodies } from './stats.js';
import { match, ofpPhyPort, phyPort } from './structs.js';

/** PACKET_OUT's actions: `actions_len` bytes right after its fixed part. */
const packetOutActions: Tail<OfpAction[]> = {
  decode(b, start, end, recStart) {
    const len = (b[recStart + 14]! << 8) | b[recStart + 15]!;
    if (start + len > end) throw badLen(`packet_out: actions_len ${len} exceeds the message`);
    const actions = decodeActions(b, start, start + len);
    cursor.pos = start + len;
    return actions;
  },
  size: actionsSize,
  encode: (b, o, v) => void encodeActions(b, o, v),
  zero: () => [],
};

const switchConfig = { flags: u16, miss_send_len: u16 };

export const messageSpecs = {
  [OFPT.HELLO]: { body: rest },
  [OFPT.ERROR]: { err_type: u16, code: u16, data: rest },
  [OFPT.ECHO_REQUEST]: { data: rest },
  [OFPT.ECHO_REPLY]: { data: rest },
  [OFPT.VENDOR]: { vendor: u32, data: rest },
  [OFPT.FEATURES_REQUEST]: {},
  [OFPT.FEATURES_REPLY]: {
    datapath_id: u64,
    n_buffers: u32,
    n_tables: u8,
    _pad: pad(3),
    capabilities: u32,
    actions: u32,
    ports: arrayOf(ofpPhyPort),
  },
  [OFPT.GET_CONFIG_REQUEST]: {},
  [OFPT.GET_CONFIG_REPLY]: switchConfig,
  [OFPT.SET_CONFIG]: switchConfig,
  [OFPT.PACKET_IN]: { buffer_id: u32, total_len: u16, in_port: u16, reason: u8, _pad: pad(1), data: rest },
  [OFPT.FLOW_REMOVED]: {
    match,
    cookie: u64,
    priority: u16,
    reason: u8,
    _pad: pad(1),
    duration_sec: u32,
    duration_nsec: u32,
    idle_timeout: u16,
    _pad2: pad(2),
    packet_count: u64,
    byte_count: u64,
  },
  [OFPT.PORT_STATUS]: { reason: u8, _pad: pad(7), desc: phyPort },
  [OFPT.PACKET_OUT]: {
    buffer_id: u32,
    in_port: u16,
    actions_len: derived(u16, (m: { actions: OfpAction[] }) => actionsSize(m.actions)),
    actions: packetOutActions,
    data: rest,
  },
  [OFPT.FLOW_MOD]: {
    match,
    cookie: u64,
    command: u16,
    idle_timeout: u16,
    hard_timeout: u16,
    priority: u16,
    buffer_id: u32,
    out_port: u16,
    flags: u16,
    actions: actionsToEnd,
  },
  [OFPT.PORT_MOD]: { port_no: u16, hw_addr: mac, config: u32, mask: u32, advertise: u32, _pad: pad(4) },
  [OFPT.STATS_REQUEST]: { stats_type: u16, flags: u16, body: statsRequestBody },
  [OFPT.STATS_REPLY]: { stats_type: u16, flags: u16, body: statsReplyBody },
  [OFPT.BARRIER_REQUEST]: {},
  [OFPT.BARRIER_REPLY]: {},
  [OFPT.QUEUE_GET_CONFIG_REQUEST]: { port: u16, _pad: pad(2) },
  [OFPT.QUEUE_GET_CONFIG_REPLY]: { port: u16, _pad: pad(6), queues: packetQueues },
} as const satisfies Record<number, Spec>;

type Specs = typeof messageSpecs;
type Versioned = typeof OFPT.HELLO | typeof OFPT.ERROR;
type Plain<K extends keyof Specs> = { type: K; xid: number } & Infer<Specs[K]> &
  (K extends Versioned ? { version: number } : unknown);

type StatsOf<K extends number, Bodies> = {
  [S in keyof Bodies]: { type: K; xid: number; stats_type: S; flags: number; body: Bodies[S] };
}[keyof Bodies];

export type StatsRequest = StatsOf<typeof OFPT.STATS_REQUEST, StatsRequestBodies>;
export type StatsReply = StatsOf<typeof OFPT.STATS_REPLY, StatsReplyBodies>;
export type QueueGetConfigReply = {
  type: typeof OFPT.QUEUE_GET_CONFIG_REPLY;
  xid: number;
  port: number;
  queues: OfpPacketQueue[];
};

type Special = typeof OFPT.STATS_REQUEST | typeof OFPT.STATS_REPLY | typeof OFPT.QUEUE_GET_CONFIG_REPLY;

/** Any OpenFlow 1.0 message, tagged by `type`. */
export type OfpMessage =
  | { [K in Exclude<keyof Specs, Special>]: Plain<K> }[Exclude<keyof Specs, Special>]
  | StatsRequest
  | StatsReply
  | QueueGetConfigReply;

/** The message whose `type` is K. */
export type MessageOf<K extends OfpMessage['type']> = Extract<OfpMessage, { type: K }>;

export interface MessageCodec {
  decode(b: Buffer, o: number, end: number, xid: number, version: number): OfpMessage;
  size(m: OfpMessage): number;
  encode(b: Buffer, o: number, m: OfpMessage, total?: number): number;
}

/** Compiled codecs indexed by OFPT value. */
export const messageCodecs: (MessageCodec | undefined)[] = [];
for (const [t, spec] of Object.entries(messageSpecs)) {
  const type = Number(t);
  const versioned = type === OFPT.HELLO || type === OFPT.ERROR;
  messageCodecs[type] = record(`ofpt_${type}`, spec as Spec, {
    lead: 8,
    prefix: { type },
    withXid: true,
    withVersion: versioned,
  }) as unknown as MessageCodec;
}

export type { Record_ };
