/*
 * formatMessage(): the text `ovs-ofctl ofp-print` prints for a decoded OpenFlow 1.0 message (the
 * entry points, printBytes() and printMessage(), are in print-bytes.ts).
 *
 * The structure follows OVS's ofp_to_string(): a header line `NAME (xid=0x…):`, then a body that
 * either continues the line or starts new ones; trailing spaces are chomped and the text always
 * ends in a newline. `verbosity` is ovs-ofctl's: 2 for `ofp-print`, 1 inside `ofp-parse-pcap` and
 * for messages embedded in OFPT_ERROR (it decides echo payload dumps and packet decoding).
 */
import { OFPAT, OFPBRC, OFPET, OFPFW, OFPP, OFPT, OFP_NO_BUFFER, OFPC_FRAG } from '../constants.js';
import type { OfpAction } from '../actions.js';
import type { OfpMessage } from '../messages.js';
import { macToString } from '../match.js';
import { checkActionsLikeOvs, formatActions } from './action-format.js';
import { hexDump, printable } from './hex-dump.js';
import { formatMatch, formatOfp10MatchRaw, normalizeMatch } from './match-format.js';
import { messageTypeName, ovsErrorName, statsName, versionTag } from './names.js';
import { formatPacket } from './packet-flow.js';
import { bitNames, formatPhyPort, formatPort, formatPortConfig, formatPortFeatures } from './ports.js';
import { formatStatsBody, statsFlags } from './stats-format.js';
import { formatVendor, vendorHeaderName } from './vendor-format.js';
import { formatQueueConfigReply } from './queue-format.js';

export interface PrintOptions {
  /** ovs-ofctl verbosity: 2 for `ofp-print` (the default), 1 under `ofp-parse-pcap`. */
  verbosity?: number;
}

/** Thrown by body formatters for input OVS rejects while decoding: printed as `***decode error***`. */
export class OvsDecodeError extends Error {
  constructor(
    readonly errorType: number,
    readonly errorCode: number,
    /** OVS's name when it is not an OpenFlow 1.0 one (`NXBRC_BAD_REASON`, `OFPSCFC_BAD_FLAGS`). */
    readonly ovsName?: string,
    /** Text OVS had already printed after the header when it hit the error (flow stats entries). */
    public partial = '',
  ) {
    super(ovsName ?? ovsErrorName(errorType, errorCode) ?? `error ${errorType}/${errorCode}`);
  }
}

function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}

/** `NAME (xid=0x…):` for a message, as ofp_header_to_string__() prints it. */
export function headerLine(m: OfpMessage): string {
  let name: string | undefined;
  if (m.type === OFPT.STATS_REQUEST || m.type === OFPT.STATS_REPLY) {
    const reply = m.type === OFPT.STATS_REPLY;
    name =
      m.stats_type === 0xffff
        ? vendorHeaderName(m.body as { vendor: number; data: Buffer }, true, reply)
        : statsName(m.stats_type, reply);
  } else if (m.type === OFPT.VENDOR) {
    name = vendorHeaderName(m, false, false);
  } else name = messageTypeName(m.type);
  const version = 'version' in m ? m.version : 1;
  return `${name ?? `type ${m.type}`}${versionTag(version)} (xid=${hex(m.xid)}):`;
}

/** OVS's ofp_print_duration(): `2.003s`, `0.65200138s`, `5s`. */
export function formatDuration(sec: number, nsec: number): string {
  let s = String(sec);
  if (nsec > 0) {
    if (nsec % 1000000 === 0) s += '.' + String(nsec / 1000000).padStart(3, '0');
    else s += ('.' + String(nsec).padStart(9, '0')).replace(/0+$/, '');
  }
  return s + 's';
}

function helloBody(m: Extract<OfpMessage, { type: 0 }>): string {
  // Versions announced: the bitmap element if it parses, else every version up to the header's.
  let allowed = ((m.version < 32 ? 2 ** m.version : 0) - 1) * 2;
  let ok = true;
  const b = m.body;
  let p = 0;
  while (p < b.length) {
    if (b.length - p < 4) {
      ok = false;
      break;
    }
    const type = (b[p]! << 8) | b[p + 1]!;
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    const padded = (len + 7) & ~7;
    if (len < 4 || padded > b.length - p) {
      ok = false;
      break;
    }
    const bitmapLen = len - 4;
    if (type !== 1 || !bitmapLen || bitmapLen % 4) ok = false;
    else {
      const v = b.readUInt32BE(p + 4) & ~1;
      if (!v) ok = false;
      else allowed = v >>> 0;
    }
    p += padded;
  }
  const versions: string[] = [];
  for (let i = 0; i < 32; i++)
    if (allowed / 2 ** i >= 1 && Math.floor(allowed / 2 ** i) % 2)
      versions.push('0x' + i.toString(16).padStart(2, '0'));
  let s = '\n version bitmap: ' + versions.join(', ');
  if (!ok) {
    s += '\n unknown data in hello:\n' + hexDump(helloBytes(m));
  }
  return s;
}

function helloBytes(m: Extract<OfpMessage, { type: 0 }>): Buffer {
  const h = Buffer.alloc(8);
  h[0] = m.version;
  h[1] = 0;
  h.writeUInt16BE(8 + m.body.length, 2);
  h.writeUInt32BE(m.xid >>> 0, 4);
  return Buffer.concat([h, m.body]);
}

/** OVS's vendor-extended error type: the body carries vendor, type and code, then the data. */
const NXET_VENDOR = 0xb0c2;

/** Nicira error names by "type,code" (only those Open vSwitch sends to OpenFlow 1.0 clients). */
const NX_ERROR_NAMES: Readonly<Record<string, string>> = {
  '1,514': 'OFPBRC_BAD_PORT',
  '1,535': 'NXST_NOT_CONFIGURED',
};

function errorBody(m: Extract<OfpMessage, { type: 1 }>, printInner: (b: Buffer) => string): string {
  if (m.err_type === NXET_VENDOR && m.data.length >= 8 && m.data.readUInt32BE(0) === 0x2320) {
    const nx = NX_ERROR_NAMES[`${m.data.readUInt16BE(4)},${m.data.readUInt16BE(6)}`];
    if (nx) return ` ${nx}\n${printInner(m.data.subarray(8))}`;
  }
  const name = ovsErrorName(m.err_type, m.code);
  if (!name) throw new OvsDecodeError(OFPET.BAD_REQUEST, OFPBRC.BAD_LEN);
  if (m.err_type === OFPET.HELLO_FAILED) return ` ${name}\n${printable(m.data)}`;
  return ` ${name}\n${printInner(m.data)}`;
}

const CAPABILITY_NAMES: Readonly<Record<number, string>> = {
  [1 << 0]: 'FLOW_STATS',
  [1 << 1]: 'TABLE_STATS',
  [1 << 2]: 'PORT_STATS',
  [1 << 3]: 'STP',
  [1 << 5]: 'IP_REASM',
  [1 << 6]: 'QUEUE_STATS',
  [1 << 7]: 'ARP_MATCH_IP',
};

/** OF1.0 `actions` bits in the order OVS lists them (its ofpact enum order). */
const ACTION_BITS: readonly [number, string][] = [
  [OFPAT.OUTPUT, 'output'],
  [OFPAT.ENQUEUE, 'enqueue'],
  [OFPAT.SET_VLAN_VID, 'set_vlan_vid'],
  [OFPAT.SET_VLAN_PCP, 'set_vlan_pcp'],
  [OFPAT.STRIP_VLAN, 'strip_vlan'],
  [OFPAT.SET_DL_SRC, 'mod_dl_src'],
  [OFPAT.SET_DL_DST, 'mod_dl_dst'],
  [OFPAT.SET_NW_SRC, 'mod_nw_src'],
  [OFPAT.SET_NW_DST, 'mod_nw_dst'],
  [OFPAT.SET_NW_TOS, 'mod_nw_tos'],
  [OFPAT.SET_TP_SRC, 'mod_tp_src'],
  [OFPAT.SET_TP_DST, 'mod_tp_dst'],
];

/** An OF1.0 `actions` capability bitmap as OVS lists it (`output enqueue set_vlan_vid …`). */
export function formatActionBitmap(bits: number): string {
  return ACTION_BITS.filter(([bit]) => bits & (1 << bit))
    .map(([, n]) => n)
    .join(' ');
}

function featuresBody(m: Extract<OfpMessage, { type: 6 }>): string {
  let s = ` dpid:${m.datapath_id.toString(16).padStart(16, '0')}\n`;
  s += `n_tables:${m.n_tables}, n_buffers:${m.n_buffers}\n`;
  s += `capabilities: ${bitNames(m.capabilities & 0xef, (b) => CAPABILITY_NAMES[b])}\n`;
  const acts = formatActionBitmap(m.actions);
  if (acts) s += `actions: ${acts}\n`;
  s += formatPhyPorts(m.ports);
  return s;
}

/** Ports sorted by number, as OVS prints port lists. */
export function formatPhyPorts(ports: readonly Parameters<typeof formatPhyPort>[0][]): string {
  return [...ports]
    .sort((a, b) => a.port_no - b.port_no)
    .map(formatPhyPort)
    .join('');
}

/** OFPC_INVALID_TTL_TO_CONTROLLER, an OpenFlow 1.1 bit OVS accepts in 1.0 too. */
const OFPC_INVALID_TTL_TO_CONTROLLER = 1 << 2;

function configBody(m: { flags: number; miss_send_len: number }, set: boolean): string {
  if (set && m.flags & ~(OFPC_FRAG.MASK | OFPC_INVALID_TTL_TO_CONTROLLER))
    throw new OvsDecodeError(OFPET.BAD_REQUEST, OFPBRC.EPERM, 'OFPSCFC_BAD_FLAGS');
  const frag = ['normal', 'drop', 'reassemble', 'nx-match'][m.flags & OFPC_FRAG.MASK]!;
  const ttl = m.flags & OFPC_INVALID_TTL_TO_CONTROLLER ? ' invalid_ttl_to_controller' : '';
  return ` frags=${frag}${ttl} miss_send_len=${m.miss_send_len}`;
}

/** Reasons by number; OVS prints its internal miss reasons 6 and 7 as empty strings, others as numbers. */
const PACKET_IN_REASONS = ['no_match', 'action', 'invalid_ttl', 'action_set', 'group', 'packet_out', '', ''];

function packetInBody(m: Extract<OfpMessage, { type: 10 }>, verbosity: number): string {
  return packetInText({ ...m, prefix: '', metadata: `in_port=${formatPort(m.in_port)}` }, verbosity);
}

interface PacketInFields {
  /** Text before total_len (`table_id=…`, `cookie=…`). */
  prefix: string;
  total_len: number;
  /** The formatted metadata match (`in_port=1`). */
  metadata: string;
  reason: number;
  buffer_id: number;
  data: Buffer;
}

/** ofputil_packet_in_private_format(): shared by OFPT_PACKET_IN and NXT_PACKET_IN2. */
export function packetInText(m: PacketInFields, verbosity: number): string {
  let s = `${m.prefix} total_len=${m.total_len} ${m.metadata}`;
  s += ` (via ${PACKET_IN_REASONS[m.reason] ?? String(m.reason)}) data_len=${m.data.length}`;
  if (m.buffer_id === OFP_NO_BUFFER) {
    s += ' (unbuffered)';
    if (m.total_len !== m.data.length) s += ' (***total_len != data_len***)';
  } else {
    s += ` buffer=0x${m.buffer_id.toString(16).padStart(8, '0')}`;
    if (m.total_len < m.data.length) s += ' (***total_len < data_len***)';
  }
  s += '\n';
  if (verbosity > 0) s += formatPacket(m.data) + '\n';
  if (verbosity > 2) s += hexDump(m.data, 0, false);
  return s;
}

const REMOVED_REASONS = ['idle', 'hard', 'delete', 'group_delete', 'meter_delete', 'eviction'];

function flowRemovedBody(m: Extract<OfpMessage, { type: 11 }>): string {
  let s = ' ' + formatMatch(m.match, m.priority);
  s += ` reason=${REMOVED_REASONS[m.reason] ?? String(m.reason)}`;
  if (m.cookie !== 0n) s += ` cookie:${hex(m.cookie)}`;
  s += ` duration${formatDuration(m.duration_sec, m.duration_nsec)}`;
  s += ` idle${m.idle_timeout}`;
  s += ` pkts${m.packet_count} bytes${m.byte_count}\n`;
  return s;
}

const PORT_REASONS = ['ADD', 'DEL', 'MOD'];

function portStatusBody(m: Extract<OfpMessage, { type: 12 }>): string {
  const r = PORT_REASONS[m.reason];
  if (!r) throw new OvsDecodeError(OFPET.BAD_REQUEST, OFPBRC.BAD_LEN, 'NXBRC_BAD_REASON');
  return ` ${r}:` + formatPhyPort(m.desc);
}

function checkActions(actions: Parameters<typeof checkActionsLikeOvs>[0]): void {
  const e = checkActionsLikeOvs(actions);
  if (e) throw new OvsDecodeError(e[0], e[1]);
}

function packetOutBody(m: Extract<OfpMessage, { type: 13 }>, verbosity: number): string {
  checkActions(m.actions);
  if (
    m.in_port >= OFPP.MAX &&
    m.in_port !== OFPP.LOCAL &&
    m.in_port !== OFPP.NONE &&
    m.in_port !== OFPP.CONTROLLER
  )
    throw new OvsDecodeError(OFPET.BAD_REQUEST, 0x7fff);
  let s = ` in_port=${formatPort(m.in_port)} actions=${formatActions(m.actions)}`;
  if (m.buffer_id === OFP_NO_BUFFER) {
    s += ` data_len=${m.data.length}`;
    if (verbosity > 0 && m.data.length > 0) s += '\n' + formatPacket(m.data) + '\n';
    if (verbosity > 2) s += hexDump(m.data, 0, false);
  } else s += ` buffer=0x${m.buffer_id.toString(16).padStart(8, '0')}`;
  return s;
}

const FLOW_MOD_COMMANDS = ['ADD', 'MOD', 'MOD_STRICT', 'DEL', 'DEL_STRICT'];

/** ofputil_flow_mod_flags_format() for OF1.0 flags. */
export function flowModFlags(flags: number): string {
  const names: Record<number, string> = { 1: 'send_flow_rem', 2: 'check_overlap', 4: 'emerg' };
  return bitNames(flags, (b) => names[b]);
}

function flowModBody(m: Extract<OfpMessage, { type: 14 }>, verbosity: number): string {
  const cmd = m.command & 0xff;
  // The order of OVS's checks: command, actions, flags, emergency.
  if (cmd > 4) throw new OvsDecodeError(OFPET.FLOW_MOD_FAILED, 4);
  checkActions(m.actions);
  if (m.flags & ~7) throw new OvsDecodeError(OFPET.FLOW_MOD_FAILED, 0x7fff, 'OFPFMFC_BAD_FLAGS');
  // OVS has no emergency flow cache: it refuses emergency flows while decoding.
  if (m.flags & 4) throw new OvsDecodeError(OFPET.FLOW_MOD_FAILED, m.idle_timeout || m.hard_timeout ? 3 : 0);
  // OVS gives an exact-match OF1.0 flow the highest priority, whatever the message says.
  const priority = m.match.wildcards & OFPFW.ALL ? m.priority : 0xffff;
  // From verbosity 3 on, OVS shows the raw OF1.0 match (without the priority, given as `pri:`).
  if (verbosity >= 3)
    return flowModText({
      ...m,
      priority,
      matchText: formatOfp10MatchRaw(m.match, verbosity),
      needPriority: true,
    });
  return flowModText({ ...m, priority, matchText: formatMatch(normalizeMatch(m.match), priority) });
}

export interface FlowModFields {
  command: number;
  matchText: string;
  priority: number;
  cookie: bigint;
  /** Whether `pri:` must show a non-default priority (the match text does not include it). */
  needPriority?: boolean;
  /** NXM cookie match [value, mask], for Nicira flow mods. */
  cookieMatch?: [bigint, bigint];
  idle_timeout: number;
  hard_timeout: number;
  buffer_id: number;
  out_port: number;
  flags: number;
  actions: readonly OfpAction[];
}

/** ofputil_flow_mod_format() once decoded: shared by OFPT_FLOW_MOD and NXT_FLOW_MOD. */
export function flowModText(m: FlowModFields): string {
  const cmd = m.command & 0xff;
  const table = m.command >>> 8;
  let s = ' ' + (FLOW_MOD_COMMANDS[cmd] ?? `cmd:${cmd}`);
  if (table !== 0) s += ` table:${table}`;
  s += ' ' + m.matchText;
  if (!s.endsWith(' ')) s += ' ';
  if (m.cookie !== 0n && m.cookie !== 0xffffffffffffffffn) s += `cookie:${hex(m.cookie)} `;
  if (m.cookieMatch && m.cookieMatch[1] !== 0n)
    s += `cookie:${hex(m.cookieMatch[0])}/${hex(m.cookieMatch[1])} `;
  if (m.idle_timeout) s += `idle:${m.idle_timeout} `;
  if (m.hard_timeout) s += `hard:${m.hard_timeout} `;
  if (m.priority !== 0x8000 && m.needPriority) s += `pri:${m.priority} `;
  if (m.buffer_id !== OFP_NO_BUFFER) s += `buf:${hex(m.buffer_id)} `;
  if (m.out_port !== OFPP.NONE) s += `out_port:${formatPort(m.out_port)} `;
  if (m.flags) s += `${flowModFlags(m.flags)} `;
  s += `actions=${formatActions(m.actions)}`;
  return s;
}

function portModBody(m: Extract<OfpMessage, { type: 15 }>): string {
  let s = ` port: ${formatPort(m.port_no)}: addr:${macToString(m.hw_addr)}\n`;
  // OVS keeps only the config bits the mask selects.
  s += `     config: ${formatPortConfig(m.config & m.mask)}\n`;
  s += `     mask:   ${formatPortConfig(m.mask)}\n`;
  s += `     advertise: ${m.advertise & 0xfff ? formatPortFeatures(m.advertise) : 'UNCHANGED'}\n`;
  return s;
}

/** The body text after the header line (before OVS's chomp/newline clean-up). */
function body(m: OfpMessage, verbosity: number, printInner: (b: Buffer) => string): string {
  switch (m.type) {
    case OFPT.HELLO:
      return helloBody(m);
    case OFPT.ERROR:
      return errorBody(m, printInner);
    case OFPT.ECHO_REQUEST:
    case OFPT.ECHO_REPLY:
      return ` ${m.data.length} bytes of payload\n` + (verbosity > 1 ? hexDump(m.data) : '');
    case OFPT.VENDOR:
      return formatVendor(m, verbosity);
    case OFPT.FEATURES_REQUEST:
    case OFPT.GET_CONFIG_REQUEST:
    case OFPT.BARRIER_REQUEST:
    case OFPT.BARRIER_REPLY:
      return '';
    case OFPT.FEATURES_REPLY:
      return featuresBody(m);
    case OFPT.GET_CONFIG_REPLY:
      return configBody(m, false);
    case OFPT.SET_CONFIG:
      return configBody(m, true);
    case OFPT.PACKET_IN:
      return packetInBody(m, verbosity);
    case OFPT.FLOW_REMOVED:
      return flowRemovedBody(m);
    case OFPT.PORT_STATUS:
      return portStatusBody(m);
    case OFPT.PACKET_OUT:
      return packetOutBody(m, verbosity);
    case OFPT.FLOW_MOD:
      return flowModBody(m, verbosity);
    case OFPT.PORT_MOD:
      return portModBody(m);
    case OFPT.STATS_REQUEST:
    case OFPT.STATS_REPLY: {
      const flags = statsFlags(m);
      try {
        return flags + formatStatsBody(m, verbosity);
      } catch (e) {
        if (e instanceof OvsDecodeError) e.partial = flags + e.partial;
        throw e;
      }
    }
    case OFPT.QUEUE_GET_CONFIG_REQUEST:
      if (m.port >= OFPP.MAX) throw new OvsDecodeError(OFPET.QUEUE_OP_FAILED, 0);
      return ` port=${formatPort(m.port)}`;
    case OFPT.QUEUE_GET_CONFIG_REPLY:
      return formatQueueConfigReply(m);
  }
}

/**
 * The full text for `m` (header line, body, final newline), or, when OVS would reject the decoded
 * message, the header followed by `***decode error: NAME***` and a hex dump of `raw` (the
 * message's bytes; re-encoded from `m` when not given).
 */
export function formatMessage(
  m: OfpMessage,
  verbosity: number,
  printInner: (b: Buffer) => string,
  raw: () => Buffer,
): string {
  const head = headerLine(m);
  let s: string;
  try {
    s = head + body(m, verbosity, printInner);
  } catch (e) {
    if (!(e instanceof OvsDecodeError)) throw e;
    const name = e.ovsName ?? errorNameForPrint(e.errorType, e.errorCode);
    // Like ofp_to_string(): after partial output the error goes on a line of its own.
    return `${beforeDecodeError(head, e.partial)}***decode error: ${name}***\n${hexDump(raw())}`;
  }
  s = s.replace(/ +$/, '');
  if (!s.endsWith('\n')) s += '\n';
  // At verbosity 5 and above ovs-ofctl appends a hex dump of every message.
  if (verbosity >= 5) s += hexDump(raw());
  return s;
}

/**
 * The text before `***decode error…***`, as ofp_to_string() arranges it: after partial output, its
 * trailing spaces are chomped and a newline added if missing; otherwise one space after the header.
 */
export function beforeDecodeError(head: string, partial: string): string {
  if (!partial) return head + ' ';
  const s = (head + partial).replace(/ +$/, '');
  return s.endsWith('\n') ? s : s + '\n';
}

/** Error names OVS prints for decode errors, including the OVS-only ones our constants lack. */
export function errorNameForPrint(type: number, code: number): string {
  if (type === OFPET.BAD_REQUEST && code === 0x7fff) return 'OFPBRC_BAD_PORT';
  return ovsErrorName(type, code) ?? `OFPET_${type}_${code}`;
}
