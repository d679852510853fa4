/*
 * Bodies of OFPT_STATS_REQUEST and OFPT_STATS_REPLY, by stats type, each declared once.
 *
 * The stats type sits in the fixed part of the message (offset 8), so the body tail reads it from the
 * enclosing record to pick its layout. Unknown stats types are OFPBRC_BAD_STAT, as the spec says.
 */
import { OFPBRC, OFPET, OFPST } from './constants.js';
import { OfpDecodeError, badLen } from './decode-error.js';
import { actionsToEnd } from './actions.js';
import {
  arrayOf,
  cursor,
  listOf,
  pad,
  record,
  rest,
  totalLen,
  u8,
  u16,
  u32,
  u64,
  type Infer,
  type Record_,
  type Tail,
} from './layout.js';
import {
  match,
  ofpAggregateStats,
  ofpDescStats,
  ofpFlowStatsRequest,
  ofpPhyPort,
  ofpPortStats,
  ofpPortStatsRequest,
  ofpQueueStats,
  ofpQueueStatsRequest,
  ofpTableStats,
  type OfpAggregateStats,
  type OfpDescStats,
  type OfpFlowStatsRequest,
  type OfpPhyPort,
  type OfpPortStats,
  type OfpPortStatsRequest,
  type OfpQueueStats,
  type OfpQueueStatsRequest,
  type OfpTableStats,
} from './structs.js';

const flowStatsSpec = {
  length: totalLen(),
  table_id: u8,
  _pad: pad(1),
  match,
  duration_sec: u32,
  duration_nsec: u32,
  priority: u16,
  idle_timeout: u16,
  hard_timeout: u16,
  _pad2: pad(6),
  cookie: u64,
  packet_count: u64,
  byte_count: u64,
  actions: actionsToEnd,
};
/** ofp_flow_stats (88 bytes plus actions). */
export const ofpFlowStats = record('ofp_flow_stats', flowStatsSpec);
export type OfpFlowStats = Infer<typeof flowStatsSpec>;

const vendorStatsSpec = { vendor: u32, data: rest };
export const ofpVendorStats = record('ofp_vendor_stats', vendorStatsSpec);
export type OfpVendorStats = Infer<typeof vendorStatsSpec>;

/** A stats request body, by stats type. `null` for the types whose request body is empty. */
export interface StatsRequestBodies {
  [OFPST.DESC]: null;
  [OFPST.FLOW]: OfpFlowStatsRequest;
  [OFPST.AGGREGATE]: OfpFlowStatsRequest;
  [OFPST.TABLE]: null;
  [OFPST.PORT]: OfpPortStatsRequest;
  [OFPST.QUEUE]: OfpQueueStatsRequest;
  [OFPST.PORT_DESC]: null;
  [OFPST.VENDOR]: OfpVendorStats;
}

/** A stats reply body, by stats type. */
export interface StatsReplyBodies {
  [OFPST.DESC]: OfpDescStats;
  [OFPST.FLOW]: OfpFlowStats[];
  [OFPST.AGGREGATE]: OfpAggregateStats;
  [OFPST.TABLE]: OfpTableStats[];
  [OFPST.PORT]: OfpPortStats[];
  [OFPST.QUEUE]: OfpQueueStats[];
  [OFPST.PORT_DESC]: OfpPhyPort[];
  [OFPST.VENDOR]: OfpVendorStats;
}

const empty: Tail<null> = {
  decode(_b, start, end) {
    if (end !== start) throw badLen(`stats body: ${end - start} bytes where none belong`);
    cursor.pos = end;
    return null;
  },
  size: () => 0,
  encode: () => undefined,
  zero: () => null,
};

function whole<T>(r: Record_<T>): Tail<T> {
  return {
    decode(b, start, end) {
      const v = r.decode(b, start, end);
      cursor.pos = end;
      return v;
    },
    size: (v) => r.size(v),
    encode: (b, o, v) => void r.encode(b, o, v),
    zero: () => r.zero(),
  };
}

const requestBodies: Record<number, Tail<unknown>> = {
  [OFPST.DESC]: empty,
  [OFPST.FLOW]: whole(ofpFlowStatsRequest),
  [OFPST.AGGREGATE]: whole(ofpFlowStatsRequest),
  [OFPST.TABLE]: empty,
  [OFPST.PORT]: whole(ofpPortStatsRequest),
  [OFPST.QUEUE]: whole(ofpQueueStatsRequest),
  [OFPST.PORT_DESC]: empty,
  [OFPST.VENDOR]: whole(ofpVendorStats),
};

const replyBodies: Record<number, Tail<unknown>> = {
  [OFPST.DESC]: whole(ofpDescStats),
  [OFPST.FLOW]: listOf(ofpFlowStats, 0),
  [OFPST.AGGREGATE]: whole(ofpAggregateStats),
  [OFPST.TABLE]: arrayOf(ofpTableStats),
  [OFPST.PORT]: arrayOf(ofpPortStats),
  [OFPST.QUEUE]: arrayOf(ofpQueueStats),
  [OFPST.PORT_DESC]: arrayOf(ofpPhyPort),
  [OFPST.VENDOR]: whole(ofpVendorStats),
};

/** Offset of the stats type within a stats message (after the OpenFlow header). */
const STATS_TYPE_OFFSET = 8;

function bodyTail(table: Record<number, Tail<unknown>>, what: string): Tail<unknown> {
  return {
    decode(b, start, end, recStart) {
      const st = (b[recStart + STATS_TYPE_OFFSET]! << 8) | b[recStart + STATS_TYPE_OFFSET + 1]!;
      const t = table[st];
      if (!t) throw new OfpDecodeError(OFPET.BAD_REQUEST, OFPBRC.BAD_STAT, `unknown ${what} type ${st}`);
      return t.decode(b, start, end, recStart);
    },
    size: (v, rec) => codecFor(table, rec).size(v),
    encode: (b, o, v, rec) => codecFor(table, rec).encode(b, o, v),
    zero: () => null,
  };
}

function codecFor(table: Record<number, Tail<unknown>>, rec: unknown): Tail<unknown> {
  const st = (rec as { stats_type: number }).stats_type;
  const t = table[st];
  if (!t) throw new RangeError(`unknown stats type ${st}`);
  return t;
}

export const statsRequestBody = bodyTail(requestBodies, 'stats request');
export const statsReplyBody = bodyTail(replyBodies, 'stats reply');

/** Whether a stats type is one this codec knows. */
export function isKnownStatsType(statsType: number): statsType is keyof StatsReplyBodies {
  return statsType in replyBodies;
}

export type { OfpFlowStatsRequest };
