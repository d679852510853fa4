/*
 * OFPT_VENDOR and OFPST_VENDOR messages. Open vSwitch decodes its own Nicira extensions (vendor
 * 0x00002320); our codec keeps vendor bodies opaque, so this names every Nicira message OVS can
 * send over OpenFlow 1.0 (NXT_* / NXST_*) and prints the bodies that are plain fields
 * (set_flow_format, flow_mod_table_id, set_packet_in_format, ct_flush_zone, aggregate replies…).
 * Bodies built on NXM matches or properties (NXT_FLOW_MOD, NXT_PACKET_IN2, NXST_FLOW, flow
 * monitors, group and TLV replies) print their header line only.
 */
import { OFPBRC, OFPET } from '../constants.js';
import type { OfpMessage } from '../messages.js';
import type { OfpVendorStats } from '../stats.js';
import { NX_VENDOR_ID } from './action-format.js';
import { decodeActions } from '../actions.js';
import { OfpDecodeError } from '../decode-error.js';
import { checkActionsLikeOvs } from './action-format.js';
import { formatActionBitmap } from './message-format.js';
import { flowModText, formatDuration, OvsDecodeError, packetInText } from './message-format.js';
import { formatOvsMatch } from './match-format.js';
import { decodeNxm, type NxmMatch } from './nxm.js';
import { formatActions } from './action-format.js';
import { formatPort } from './ports.js';

type VendorMsg = Extract<OfpMessage, { type: 4 }>;

/** NXT_* message subtypes OVS knows in OpenFlow 1.0. */
export const NXT_NAMES: Readonly<Record<number, string>> = {
  10: 'NXT_ROLE_REQUEST',
  11: 'NXT_ROLE_REPLY',
  12: 'NXT_SET_FLOW_FORMAT',
  13: 'NXT_FLOW_MOD',
  14: 'NXT_FLOW_REMOVED',
  15: 'NXT_FLOW_MOD_TABLE_ID',
  16: 'NXT_SET_PACKET_IN_FORMAT',
  17: 'NXT_PACKET_IN',
  18: 'NXT_FLOW_AGE',
  19: 'NXT_SET_ASYNC_CONFIG',
  20: 'NXT_SET_CONTROLLER_ID',
  21: 'NXT_FLOW_MONITOR_CANCEL',
  22: 'NXT_FLOW_MONITOR_PAUSED',
  23: 'NXT_FLOW_MONITOR_RESUMED',
  24: 'NXT_TLV_TABLE_MOD',
  25: 'NXT_TLV_TABLE_REQUEST',
  26: 'NXT_TLV_TABLE_REPLY',
  28: 'NXT_RESUME',
  29: 'NXT_CT_FLUSH_ZONE',
  30: 'NXT_PACKET_IN2',
};

/** NXST_* stats subtypes: name stem (request/reply appended). */
export const NXST_NAMES: Readonly<Record<number, string>> = {
  0: 'NXST_FLOW',
  1: 'NXST_AGGREGATE',
  2: 'NXST_FLOW_MONITOR',
  3: 'NXST_IPFIX_BRIDGE',
  4: 'NXST_IPFIX_FLOW',
};

function u32(b: Buffer, o: number): number {
  return b.readUInt32BE(o);
}

/** The name OVS prints for a vendor message or vendor stats body. */
export function vendorHeaderName(
  v: { vendor: number; data: Buffer },
  stats: boolean,
  reply: boolean,
): string | undefined {
  if (v.vendor !== NX_VENDOR_ID || v.data.length < 4) return undefined;
  const sub = u32(v.data, 0);
  if (stats) {
    const n = NXST_NAMES[sub] ?? EXTRA_NXST_NAMES[sub];
    return n && `${n} ${reply ? 'reply' : 'request'}`;
  }
  return NXT_NAMES[sub];
}

/** Group/other statistics OVS carries as Nicira stats in OF1.0 (seen from ovs-ofctl). */
export const EXTRA_NXST_NAMES: Readonly<Record<number, string>> = {
  7: 'NXST_GROUP',
  8: 'NXST_GROUP_DESC',
  9: 'NXST_GROUP_FEATURES',
};

function groupId(id: number): string {
  return id === 0xfffffffc ? 'ALL' : id === 0xffffffff ? 'ANY' : String(id);
}

/** Throws the error OVS's message decoder gives for a vendor message it cannot identify. */
export function checkVendor(v: { vendor: number; data: Buffer }, stats: boolean): void {
  if (v.vendor !== NX_VENDOR_ID) throw new OvsDecodeError(OFPET.BAD_REQUEST, OFPBRC.BAD_VENDOR);
  if (v.data.length < 4) throw new OvsDecodeError(OFPET.BAD_REQUEST, OFPBRC.BAD_LEN);
  const sub = u32(v.data, 0);
  const known = stats ? (NXST_NAMES[sub] ?? EXTRA_NXST_NAMES[sub]) : NXT_NAMES[sub];
  if (!known) throw new OvsDecodeError(OFPET.BAD_REQUEST, OFPBRC.BAD_SUBTYPE);
}

const PACKET_IN_FORMATS = ['standard', 'nxt_packet_in', 'nxt_packet_in2'];

/** Decodes the NXM match of `len` bytes at `o` (padded to 8), or undefined when we cannot. */
function nxmAt(d: Buffer, o: number, len: number): { nxm: NxmMatch; end: number } | undefined {
  const end = o + ((len + 7) & ~7);
  if (end > d.length) return undefined;
  const nxm = decodeNxm(d, o, o + len);
  return nxm && { nxm, end };
}

/** OpenFlow 1.0 actions in [o, end), or undefined when our codec or OVS would reject them. */
function actionsAt(d: Buffer, o: number, end: number): ReturnType<typeof decodeActions> | undefined {
  try {
    const a = decodeActions(d, o, end);
    return checkActionsLikeOvs(a) ? undefined : a;
  } catch (e) {
    if (e instanceof OfpDecodeError) return undefined;
    throw e;
  }
}

/** NXT_FLOW_MOD (nx_flow_mod: 32 bytes, NXM match, actions). */
function nxFlowMod(d: Buffer): string {
  if (d.length < 32) return '';
  const mt = nxmAt(d, 32, d.readUInt16BE(24));
  const actions = mt && actionsAt(d, mt.end, d.length);
  if (!mt || !actions) return '';
  const priority = d.readUInt16BE(14);
  return flowModText({
    command: d.readUInt16BE(8),
    matchText: formatOvsMatch(mt.nxm.match, priority),
    priority,
    cookie: d.readBigUInt64BE(0),
    ...(mt.nxm.cookie ? { cookieMatch: mt.nxm.cookie } : {}),
    idle_timeout: d.readUInt16BE(10),
    hard_timeout: d.readUInt16BE(12),
    buffer_id: u32(d, 16),
    out_port: d.readUInt16BE(20),
    flags: d.readUInt16BE(22),
    actions,
  });
}

/** NXT_PACKET_IN2: a property list (type, length, value padded to 8). */
function nxPacketIn2(d: Buffer, verbosity: number): string {
  let data: Buffer | undefined;
  let totalLen: number | undefined;
  let bufferId = 0xffffffff;
  let tableId = 0;
  let cookie = 0xffffffffffffffffn;
  let reason = 0;
  let metadata = '';
  for (let p = 0; p < d.length;) {
    if (d.length - p < 4) return '';
    const type = d.readUInt16BE(p);
    const len = d.readUInt16BE(p + 2);
    if (len < 4 || p + len > d.length) return '';
    const v = d.subarray(p + 4, p + len);
    switch (type) {
      case 0:
        data = v;
        break;
      case 1:
        totalLen = v.length >= 4 ? u32(v, 0) : undefined;
        break;
      case 2:
        bufferId = v.length >= 4 ? u32(v, 0) : bufferId;
        break;
      case 3:
        tableId = v[0] ?? 0;
        break;
      case 4:
        if (v.length >= 12) cookie = v.readBigUInt64BE(4);
        else if (v.length >= 8) cookie = v.readBigUInt64BE(0);
        break;
      case 5:
        reason = v[0] ?? 0;
        break;
      case 6: {
        const nxm = decodeNxm(v, 0, v.length);
        if (!nxm) return '';
        metadata = formatOvsMatch(nxm.match);
        break;
      }
      default:
        return '';
    }
    p += (len + 7) & ~7;
  }
  if (!data) return '';
  let prefix = tableId ? ` table_id=${tableId}` : '';
  if (cookie !== 0xffffffffffffffffn) prefix += ` cookie=0x${cookie.toString(16)}`;
  return packetInText(
    { prefix, total_len: totalLen ?? data.length, metadata, reason, buffer_id: bufferId, data },
    verbosity,
  );
}

export function formatVendor(m: VendorMsg, verbosity: number): string {
  checkVendor(m, false);
  const sub = u32(m.data, 0);
  const d = m.data.subarray(4);
  switch (sub) {
    case 13:
      return nxFlowMod(d);
    case 30:
      return nxPacketIn2(d, verbosity);
    case 26:
      return nxTlvTableReply(d);
    case 12: {
      const f = d.length >= 4 ? u32(d, 0) : -1;
      return ` format=${f === 0 ? 'openflow10' : f === 2 ? 'nxm' : '(unknown)'}`;
    }
    case 15:
      return ` ${d[0] ? 'enable' : 'disable'}`;
    case 16: {
      const f = d.length >= 4 ? u32(d, 0) : -1;
      const n = PACKET_IN_FORMATS[f];
      if (!n) throw new OvsDecodeError(OFPET.BAD_REQUEST, OFPBRC.EPERM);
      return ` format=${n}`;
    }
    case 20:
      return ` id=${d.length >= 8 ? d.readUInt16BE(6) : 0}`;
    case 21:
      return ` id=${d.length >= 4 ? u32(d, 0) : 0}`;
    case 29:
      // nx_zone_id: 6 bytes of padding, then the zone.
      return ` zone_id=${d.length >= 8 ? d.readUInt16BE(6) : 0}`;
    default:
      return '';
  }
}

export function formatVendorStats(v: OfpVendorStats, reply: boolean, _verbosity: number): string {
  checkVendor(v, true);
  const sub = u32(v.data, 0);
  // Nicira stats bodies start after subtype and 4 bytes of padding.
  const d = v.data.subarray(8);
  if (!reply && (sub === 7 || sub === 8) && d.length >= 4) return ` group_id=${groupId(u32(d, 0))}`;
  if (!reply && (sub === 0 || sub === 1) && d.length >= 8) {
    // nx_flow_stats_request: out_port, match_len, table_id, 3 pad bytes, NXM match.
    const mt = nxmAt(d, 8, d.readUInt16BE(2));
    if (!mt) return '';
    let s = '';
    if (d[4] !== 0xff) s += ` table=${d[4]}`;
    if (d.readUInt16BE(0) !== 0xffff) s += ` out_port=${formatPort(d.readUInt16BE(0))}`;
    return s + ' ' + formatOvsMatch(mt.nxm.match);
  }
  if (reply && sub === 0) return nxFlowStatsReply(d);
  if (sub === 2) return reply ? nxFlowUpdates(d) : nxFlowMonitorRequests(d);
  if (reply && sub === 9) return nxGroupFeatures(d);
  if (reply && sub === 1 && d.length >= 24) {
    return ` packet_count=${d.readBigUInt64BE(0)} byte_count=${d.readBigUInt64BE(8)} flow_count=${u32(d, 16)}`;
  }
  return '';
}

/** NXST_FLOW reply entries (nx_flow_stats: 48 bytes, NXM match, actions), as `dump-flows` prints them. */
function nxFlowStatsReply(d: Buffer): string {
  let s = '';
  for (let p = 0; p < d.length;) {
    if (d.length - p < 48) return '';
    const len = d.readUInt16BE(p);
    if (len < 48 || p + len > d.length) return '';
    const e = d.subarray(p, p + len);
    const mt = nxmAt(e, 48, e.readUInt16BE(18));
    const actions = mt && actionsAt(e, mt.end, e.length);
    if (!mt || !actions) return '';
    const durationSec = u32(e, 4);
    const idle = e.readUInt16BE(14);
    const hard = e.readUInt16BE(16);
    const idleAge = e.readUInt16BE(20) - 1;
    const hardAge = e.readUInt16BE(22) - 1;
    s += `\n cookie=0x${e.readBigUInt64BE(24).toString(16)}, duration=${formatDuration(durationSec, u32(e, 8))}, table=${e[2]}, `;
    const count = (n: string, v: bigint): string => `${n}=${v === 0xffffffffffffffffn ? '?' : v}, `;
    s += count('n_packets', e.readBigUInt64BE(32)) + count('n_bytes', e.readBigUInt64BE(40));
    if (idle) s += `idle_timeout=${idle}, `;
    if (hard) s += `hard_timeout=${hard}, `;
    if (idleAge >= 0) s += `idle_age=${idleAge}, `;
    if (hardAge >= 0 && hardAge !== durationSec) s += `hard_age=${hardAge}, `;
    const m = formatOvsMatch(mt.nxm.match, e.readUInt16BE(12));
    if (m) s += m + ' ';
    s += `actions=${formatActions(actions)}`;
    p += len;
  }
  return s;
}

const MONITOR_FLAGS = ['initial', 'add', 'delete', 'modify', 'actions', 'own'];

/** NXST_FLOW_MONITOR request: nx_flow_monitor_request (16 bytes) plus NXM match, repeated. */
function nxFlowMonitorRequests(d: Buffer): string {
  let s = '';
  for (let p = 0; p < d.length;) {
    if (d.length - p < 16) return '';
    const mt = nxmAt(d, p + 16, d.readUInt16BE(p + 8));
    if (!mt) return '';
    const flags = d.readUInt16BE(p + 4);
    const names = MONITOR_FLAGS.filter((_, i) => flags & (1 << i));
    if (flags & ~0x3f) names.push(`0x${(flags & ~0x3f).toString(16)}`);
    s += `\n id=${u32(d, p)} flags=${names.join(',')}`;
    const outPort = d.readUInt16BE(p + 6);
    if (outPort !== 0xffff) s += ` out_port=${formatPort(outPort)}`;
    if (d[p + 10] !== 0xff) s += ` table=${d[p + 10]}`;
    s += (' ' + formatOvsMatch(mt.nxm.match)).replace(/ $/, '');
    p = mt.end;
  }
  return s;
}

const UPDATE_EVENTS = ['ADDED', 'DELETED', 'MODIFIED'];
const REMOVED_REASONS = ['idle', 'hard', 'delete', 'group_delete', 'meter_delete', 'eviction'];

/** NXST_FLOW_MONITOR reply: flow updates (full: 24 bytes, NXM match, actions; abbreviated: xid). */
function nxFlowUpdates(d: Buffer): string {
  let s = '';
  for (let p = 0; p < d.length;) {
    if (d.length - p < 4) return '';
    const len = d.readUInt16BE(p);
    const event = d.readUInt16BE(p + 2);
    if (len < 4 || p + len > d.length) return '';
    const u = d.subarray(p, p + len);
    if (event === 3) {
      if (len < 8) return '';
      s += `\n event=ABBREV xid=0x${u32(u, 4).toString(16)}`;
    } else {
      const name = UPDATE_EVENTS[event];
      if (!name || len < 24) return '';
      const mt = nxmAt(u, 24, u.readUInt16BE(12));
      const actions = mt && actionsAt(u, mt.end, u.length);
      if (!mt || !actions) return '';
      s += `\n event=${name}`;
      if (event === 1) s += ` reason=${REMOVED_REASONS[u.readUInt16BE(4)] ?? u.readUInt16BE(4)}`;
      s += ` table=${u[14]}`;
      if (u.readUInt16BE(8)) s += ` idle_timeout=${u.readUInt16BE(8)}`;
      if (u.readUInt16BE(10)) s += ` hard_timeout=${u.readUInt16BE(10)}`;
      const cookie = u.readBigUInt64BE(16);
      s += ` cookie=${cookie ? '0x' + cookie.toString(16) : '0'} ` + formatOvsMatch(mt.nxm.match);
      if (actions.length) s += (s.endsWith(' ') ? '' : ' ') + `actions=${formatActions(actions)}`;
    }
    p += len;
  }
  return s;
}

const GROUP_TYPES = ['all', 'select', 'indirect', 'fast failover'];

/** NXST_GROUP_FEATURES reply (OF1.2's ofp12_group_features_stats, actions as OF1.0 bitmaps). */
function nxGroupFeatures(d: Buffer): string {
  if (d.length < 40) return '';
  const types = u32(d, 0);
  let s = `\n Group table:\n    Types:  0x${types.toString(16)}\n    Capabilities:  0x${u32(d, 4).toString(16)}\n`;
  for (let i = 0; i < 4; i++) {
    if (!(types & (1 << i))) continue;
    const max = u32(d, 8 + 4 * i);
    s += `    ${GROUP_TYPES[i]} group:\n       max_groups=${max ? '0x' + max.toString(16) : '0'}\n`;
    s += `       actions: ${formatActionBitmap(u32(d, 24 + 4 * i))}\n`;
  }
  return s;
}

/** NXT_TLV_TABLE_REPLY: option space and the Geneve option to tun_metadata mappings. */
function nxTlvTableReply(d: Buffer): string {
  if (d.length < 16) return '';
  const maps: [number, number, number, number][] = [];
  for (let p = 16; p + 8 <= d.length; p += 8)
    maps.push([d.readUInt16BE(p), d[p + 2]!, d[p + 3]!, d.readUInt16BE(p + 4)]);
  const allocated = maps.reduce((n, m) => n + m[2], 0);
  let s = `\n max option space=${u32(d, 0)} max fields=${d.readUInt16BE(4)}\n allocated option space=${allocated}\n`;
  s += '\n mapping table:\n  class  type  length  match field\n ------  ----  ------  --------------\n';
  for (const [cls, type, len, idx] of maps)
    s += `  0x${cls.toString(16)}  0x${type.toString(16)}  ${String(len).padStart(6)}  tun_metadata${idx}\n`;
  return s;
}
