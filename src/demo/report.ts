/*
 * What `ofdp demo` prints: the lab, the controller's decisions, the flows it installed (as
 * `ovs-ofctl dump-flows` prints them, through the printer's formatter), port counters and ping
 * results. Pure formatting: every function returns lines and prints nothing itself.
 */
import { OFPP } from '../openflow/constants.js';
import { ipToString, macToString } from '../openflow/match.js';
import { formatFlowStats } from '../openflow/print/stats-format.js';
import type { OfpFlowStats } from '../openflow/stats.js';
import type { OfpMatch, OfpPortStats } from '../openflow/structs.js';
import type { ControllerEvent } from './learning-controller.js';
import type { PingResult } from './sim-host.js';

const ETH_NAMES: Record<number, string> = { 0x0800: 'ip', 0x0806: 'arp', 0x86dd: 'ipv6' };

function portName(no: number, names: Map<number, string>): string {
  const label = no === OFPP.LOCAL ? 'LOCAL' : no === OFPP.FLOOD ? 'FLOOD' : String(no);
  const n = names.get(no);
  return n ? `${label}(${n})` : label;
}

function what(m: OfpMatch): string {
  const eth = ETH_NAMES[m.dl_type] ?? `dl_type=0x${m.dl_type.toString(16).padStart(4, '0')}`;
  if (m.dl_type === 0x0806)
    return `arp ${m.nw_proto === 1 ? 'request' : 'reply'} ${ipToString(m.nw_src)} > ${ipToString(m.nw_dst)}`;
  if (m.dl_type === 0x0800 && m.nw_proto === 1)
    return `icmp ${m.tp_src === 8 ? 'echo request' : m.tp_src === 0 ? 'echo reply' : `type ${m.tp_src}`} ${ipToString(m.nw_src)} > ${ipToString(m.nw_dst)}`;
  if (m.dl_type === 0x0800) return `ip proto ${m.nw_proto} ${ipToString(m.nw_src)} > ${ipToString(m.nw_dst)}`;
  return eth;
}

/** One line per controller decision; `names` maps port numbers to interface names. */
export function formatEvent(e: ControllerEvent, names: Map<number, string>): string | undefined {
  const buf = (id: number) => (id === 0xffffffff ? 'unbuffered' : `buffer ${id}`);
  switch (e.kind) {
    case 'learned':
      return `learn  ${macToString(e.mac)} is on port ${portName(e.port, names)}${e.movedFrom === undefined ? '' : ` (moved from ${e.movedFrom})`}`;
    case 'flood':
      return `flood  packet-in on port ${portName(e.inPort, names)}: ${macToString(e.src)} > ${macToString(e.dst)}, destination unknown: PACKET_OUT FLOOD (${buf(e.bufferId)})`;
    case 'flow':
      return `flow   packet-in on port ${portName(e.match.in_port, names)}: ${macToString(e.match.dl_src)} > ${macToString(e.match.dl_dst)} ${what(e.match)}: FLOW_MOD exact match, output:${e.outPort}, idle_timeout=60 (${buf(e.bufferId)})`;
    case 'drop':
      return `drop   packet-in on port ${portName(e.inPort, names)}: ${macToString(e.src)} > ${macToString(e.dst)} is for the port it came from`;
    case 'error':
      return `error  the switch answered xid ${e.xid} with OFPT_ERROR type ${e.errType} code ${e.code}`;
    case 'closed':
      return `closed ${e.reason}`;
    case 'features':
      return undefined;
  }
}

/** Flow entries as `ovs-ofctl dump-flows` prints them (one leading space, as it does). */
export function formatFlows(flows: OfpFlowStats[]): string[] {
  return flows.map((f) => ` ${formatFlowStats(f)}`);
}

export function formatPortStats(stats: OfpPortStats[], names: Map<number, string>): string[] {
  return [...stats]
    .sort((a, b) => a.port_no - b.port_no)
    .map(
      (p) =>
        `  port ${portName(p.port_no, names).padEnd(20)} rx pkts=${p.rx_packets} bytes=${p.rx_bytes}  tx pkts=${p.tx_packets} bytes=${p.tx_bytes}`,
    );
}

export function formatPing(r: PingResult, toName: string): string {
  const head = `  ${r.from} -> ${toName} (${r.to}): `;
  if (r.error && r.sent === 0) return `${head}FAILED: ${r.error}`;
  let s = `${head}${r.received}/${r.sent} replies`;
  if (r.rttsMs.length) {
    const min = Math.min(...r.rttsMs);
    const max = Math.max(...r.rttsMs);
    const avg = r.rttsMs.reduce((a, b) => a + b, 0) / r.rttsMs.length;
    s += `, rtt min/avg/max ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)} ms (${r.rttsMs.map((t) => t.toFixed(3)).join(' ')})`;
  }
  if (r.received < r.sent) s += '  LOST';
  return s;
}
