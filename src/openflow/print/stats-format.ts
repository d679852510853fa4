/*
 * OFPT_STATS_REQUEST / OFPT_STATS_REPLY bodies as ovs-ofctl prints them: one function per stats
 * type, following OVS's lib/ofp-print.c, ofp-flow.c, ofp-port.c, ofp-queue.c and ofp-table.c.
 * Counters equal to UINT64_MAX (unknown) print as `?` where OVS does so.
 */
import { OFPQ_ALL, OFPSF_REPLY_MORE, OFPST, OFPT, OFPP } from '../constants.js';
import type { StatsReply, StatsRequest } from '../messages.js';
import type { OfpFlowStats } from '../stats.js';
import type { OfpPortStats, OfpQueueStats, OfpTableStats } from '../structs.js';
import { checkActionsLikeOvs, formatActions } from './action-format.js';
import { formatMatch } from './match-format.js';
import { formatPort } from './ports.js';
import { formatPhyPorts, formatDuration, OvsDecodeError } from './message-format.js';
import { formatVendorStats } from './vendor-format.js';

const U64_MAX = 0xffffffffffffffffn;

/** ` flags=[more]` etc. (OVS's ofp_print_stats()). */
export function statsFlags(m: StatsRequest | StatsReply): string {
  let flags = m.flags;
  if (!flags) return '';
  let s = ' flags=';
  if (m.type === OFPT.STATS_REPLY && flags & OFPSF_REPLY_MORE) {
    s += '[more]';
    flags &= ~OFPSF_REPLY_MORE;
  }
  if (flags) s += `[***unknown flags 0x${flags.toString(16).padStart(4, '0')}***]`;
  return s;
}

function flowStatsRequest(b: {
  match: Parameters<typeof formatMatch>[0];
  table_id: number;
  out_port: number;
}): string {
  let s = '';
  if (b.table_id !== 0xff) s += ` table=${b.table_id}`;
  if (b.out_port !== OFPP.NONE) s += ` out_port=${formatPort(b.out_port)}`;
  return s + ' ' + formatMatch(b.match);
}

function stat(name: string, v: bigint): string {
  return `${name}=${v === U64_MAX ? '?' : v.toString()}, `;
}

/** One flow-stats entry, as in `ovs-ofctl dump-flows` (without the leading space). */
export function formatFlowStats(f: OfpFlowStats): string {
  let s = `cookie=0x${f.cookie.toString(16)}, duration=${formatDuration(f.duration_sec, f.duration_nsec)}, table=${f.table_id}, `;
  s += stat('n_packets', f.packet_count) + stat('n_bytes', f.byte_count);
  if (f.idle_timeout) s += `idle_timeout=${f.idle_timeout}, `;
  if (f.hard_timeout) s += `hard_timeout=${f.hard_timeout}, `;
  const m = formatMatch(f.match, f.priority);
  if (m) s += m + ' ';
  return s + `actions=${formatActions(f.actions)}`;
}

function portStat(leader: string, v: bigint, more: boolean): string {
  return leader + (v === U64_MAX ? '?' : v.toString()) + (more ? ', ' : '\n');
}

function portStats(p: OfpPortStats): string {
  let s = '  port ' + (p.port_no < 10 ? ' ' : '') + formatPort(p.port_no) + ': rx ';
  s +=
    portStat('pkts=', p.rx_packets, true) +
    portStat('bytes=', p.rx_bytes, true) +
    portStat('drop=', p.rx_dropped, true);
  s +=
    portStat('errs=', p.rx_errors, true) +
    portStat('frame=', p.rx_frame_err, true) +
    portStat('over=', p.rx_over_err, true);
  s += portStat('crc=', p.rx_crc_err, false);
  s += '           tx ';
  s +=
    portStat('pkts=', p.tx_packets, true) +
    portStat('bytes=', p.tx_bytes, true) +
    portStat('drop=', p.tx_dropped, true);
  s += portStat('errs=', p.tx_errors, true) + portStat('coll=', p.collisions, false);
  return s;
}

function queueStats(q: OfpQueueStats): string {
  let s = `  port ${formatPort(q.port_no)} queue ${q.queue_id === OFPQ_ALL ? 'ALL' : q.queue_id}: `;
  s +=
    portStat('bytes=', q.tx_bytes, true) +
    portStat('pkts=', q.tx_packets, true) +
    portStat('errors=', q.tx_errors, true);
  return s + 'duration=?\n';
}

/** OF1.0 wildcard bits in OVS's field order, with the field names its table printout uses. */
const TABLE_FIELDS: readonly [number, string][] = [
  [1 << 0, 'in_port'],
  [1 << 2, 'eth_src'],
  [1 << 3, 'eth_dst'],
  [1 << 4, 'eth_type'],
  [1 << 1, 'vlan_vid'],
  [1 << 20, 'vlan_pcp'],
  [0x3f << 8, 'ip_src'],
  [0x3f << 14, 'ip_dst'],
  [1 << 5, 'nw_proto'],
  [1 << 21, 'nw_tos'],
  [1 << 6, 'tcp_src'],
  [1 << 7, 'tcp_dst'],
];

/** `in_port eth_{src,dst,type} …`: consecutive fields sharing a prefix are grouped. */
function fieldList(wildcards: number): string {
  const names = TABLE_FIELDS.filter(([bits]) => wildcards & bits).map(([, n]) => n);
  const out: string[] = [];
  for (let i = 0; i < names.length;) {
    const [prefix] = names[i]!.split('_');
    let j = i + 1;
    while (j < names.length && names[j]!.split('_')[0] === prefix && names[i]!.includes('_')) j++;
    if (j - i === 1) out.push(names[i]!);
    else
      out.push(
        `${prefix}_{${names
          .slice(i, j)
          .map((n) => n.slice(prefix!.length + 1))
          .join(',')}}`,
      );
    i = j;
  }
  return out.join(' ');
}

function tableStatsReply(tables: readonly OfpTableStats[]): string {
  let s = '';
  let firstDitto = -1;
  let lastDitto = -1;
  const finish = (): void => {
    if (firstDitto < 0) return;
    s +=
      firstDitto === lastDitto
        ? `\n  table ${firstDitto}: ditto\n`
        : `\n  tables ${firstDitto}...${lastDitto}: ditto\n`;
  };
  let prev: OfpTableStats | undefined;
  for (const t of tables) {
    const fields = (t.wildcards & 0x3fffff) >>> 0;
    const sameStats =
      prev !== undefined &&
      t.active_count === prev.active_count &&
      t.lookup_count === prev.lookup_count &&
      t.matched_count === prev.matched_count;
    const sameFeatures =
      prev !== undefined && t.max_entries === prev.max_entries && sameFieldSet(fields, prev.wildcards);
    if (sameStats && sameFeatures && !t.name) {
      if (firstDitto < 0) firstDitto = t.table_id;
      lastDitto = t.table_id;
      prev = t;
      continue;
    }
    finish();
    firstDitto = -1;
    s += `\n  table ${t.table_id}`;
    if (t.name) s += ` ("${t.name}")`;
    s += ':';
    if (sameStats && sameFeatures) {
      s += ' ditto';
      prev = t;
      continue;
    }
    s += '\n';
    s += `    active=${t.active_count}, lookup=${t.lookup_count}, matched=${t.matched_count}\n`;
    if (sameFeatures) {
      if (t.max_entries || fieldList(fields)) s += '    (same features)\n';
      prev = t;
      continue;
    }
    if (t.max_entries) s += `    max_entries=${t.max_entries}\n`;
    const list = fieldList(fields);
    if (list) {
      if (prev && fieldList(prev.wildcards) === list) s += '    (same matching)\n';
      else s += `    matching:\n      exact match or wildcard: ${list}\n`;
    }
    prev = t;
  }
  finish();
  return s;
}

function sameFieldSet(a: number, b: number): boolean {
  return fieldList(a) === fieldList(b);
}

export function formatStatsBody(m: StatsRequest | StatsReply, verbosity: number): string {
  if (m.type === OFPT.STATS_REQUEST) {
    switch (m.stats_type) {
      case OFPST.DESC:
      case OFPST.TABLE:
        return '';
      case OFPST.FLOW:
      case OFPST.AGGREGATE:
        return flowStatsRequest(m.body);
      case OFPST.PORT:
        return ` port_no=${formatPort(m.body.port_no)}`;
      case OFPST.QUEUE:
        // OVS reads OFPP_ALL in an OF1.0 queue stats request as OFPP_ANY.
        return ` port=${formatPort(m.body.port_no === OFPP.ALL ? OFPP.NONE : m.body.port_no)} queue=${m.body.queue_id === OFPQ_ALL ? 'ALL' : m.body.queue_id}`;
      case OFPST.PORT_DESC:
        return ' port=ANY';
      case OFPST.VENDOR:
        return formatVendorStats(m.body, false, verbosity);
    }
  }
  switch (m.stats_type) {
    case OFPST.DESC: {
      const d = m.body;
      return `\nManufacturer: ${d.mfr_desc}\nHardware: ${d.hw_desc}\nSoftware: ${d.sw_desc}\nSerial Num: ${d.serial_num}\nDP Description: ${d.dp_desc}\n`;
    }
    case OFPST.FLOW: {
      let s = '';
      for (const f of m.body) {
        const e = checkActionsLikeOvs(f.actions);
        if (e) throw new OvsDecodeError(e[0], e[1], undefined, s);
        s += '\n ' + formatFlowStats(f);
      }
      return s;
    }
    case OFPST.AGGREGATE:
      return ` packet_count=${m.body.packet_count} byte_count=${m.body.byte_count} flow_count=${m.body.flow_count}`;
    case OFPST.TABLE:
      return tableStatsReply(m.body);
    case OFPST.PORT:
      return ` ${m.body.length} ports\n` + (verbosity < 1 ? '' : m.body.map(portStats).join(''));
    case OFPST.QUEUE:
      return ` ${m.body.length} queues\n` + (verbosity < 1 ? '' : m.body.map(queueStats).join(''));
    case OFPST.PORT_DESC:
      return '\n' + formatPhyPorts(m.body);
    case OFPST.VENDOR:
      return formatVendorStats(m.body, true, verbosity);
  }
  return '';
}
