/*
 * ovs-ofctl's flow syntax to an OpenFlow 1.0 FLOW_MOD: OVS's parse_ofp_str__() and
 * ofputil_encode_flow_mod() for the OpenFlow10 protocol, so that the message is byte for byte the
 * one `ovs-ofctl -O OpenFlow10 add-flow/mod-flows/del-flows` sends to a plain OpenFlow 1.0 switch.
 *
 * Which keywords are allowed depends on the command, exactly as in OVS: `actions` and the flags
 * for add/modify, `out_port` for deletes (and for matches of stats requests), `priority` for all
 * but a non-strict delete. Anything ovs-ofctl would send as NXM or as OpenFlow 1.1+ (masked MACs,
 * `table=0`, registers, cookie masks…) is an error here that says so, since a plain OpenFlow 1.0
 * message cannot carry it; like ovs-ofctl, which picks the protocol last, that check comes after
 * every syntax check of the flow.
 *
 * The match ovs-ofctl sends is not normalised: `nw_src=10.0.0.1` without `ip` goes on the wire
 * (the switch drops it). ovs-ofctl only logs what normalisation would change; that log text is
 * returned in `warnings` (one entry per log line), with the other warnings ovs-ofctl logs while
 * parsing (deprecated port numbers, …).
 */
import { OFPFC, OFPFF, OFPP, OFPT, OFP_DEFAULT_PRIORITY, OFP_NO_BUFFER } from '../constants.js';
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_RARP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from '../eth-protocols.js';
import type { MessageOf } from '../messages.js';
import type { OfpMatch } from '../structs.js';
import { parseActions } from './actions.js';
import { strToU64, strToUnsigned, strToInt } from './c-numbers.js';
import { FlowSyntaxError, Of10Check, type NeedsMore } from './errors.js';
import { catchAll, formatFlowMatch, normalized, toOfp10Match, type FlowMatch } from './flow-match.js';
import { parseKeyValues, splitActions } from './key-value.js';
import { isMatchField, isNonOf10Field, parseMatchField } from './match-fields.js';
import { parsePort, type PortNameMap } from './ports.js';

export type FlowMod = MessageOf<typeof OFPT.FLOW_MOD>;

/** Flow-mod commands by their flow-syntax names. */
export const FLOW_COMMANDS = {
  add: OFPFC.ADD,
  modify: OFPFC.MODIFY,
  modify_strict: OFPFC.MODIFY_STRICT,
  delete: OFPFC.DELETE,
  delete_strict: OFPFC.DELETE_STRICT,
} as const;
export type FlowCommandName = keyof typeof FLOW_COMMANDS;

/** The protocols ovs-ofctl reports as usable for a flow ofdp accepts. */
export type UsableProtocols = 'any' | 'OpenFlow10,NXM';

export interface FlowParseOptions {
  /**
   * The flow-mod command (default `add`). `from-text` lets the text begin with `add`, `modify`,
   * `modify_strict`, `delete` or `delete_strict` (or a prefix of one), defaulting to `add`, as
   * lines of an `add-flows` file may.
   */
  command?: FlowCommandName | 'from-text';
  /** Port names the switch reported (ovs-ofctl fetches them unless --no-names). */
  portNames?: PortNameMap;
  /** xid of the FLOW_MOD (default 1). */
  xid?: number;
}

export interface ParsedFlow {
  flowMod: FlowMod;
  /** What ovs-ofctl would log while parsing (normalisation, deprecated port numbers, …). */
  warnings: string[];
  usableProtocols: UsableProtocols;
}

const F_OUT_PORT = 1;
const F_ACTIONS = 2;
const F_IMPORTANCE = 4;
const F_TIMEOUT = 8;
const F_PRIORITY = 16;
const F_FLAGS = 32;

const PROTOCOLS: Readonly<Record<string, [number, number]>> = {
  ip: [ETH_TYPE_IP, 0],
  ipv4: [ETH_TYPE_IP, 0],
  ip4: [ETH_TYPE_IP, 0],
  arp: [ETH_TYPE_ARP, 0],
  icmp: [ETH_TYPE_IP, IPPROTO_ICMP],
  tcp: [ETH_TYPE_IP, IPPROTO_TCP],
  udp: [ETH_TYPE_IP, IPPROTO_UDP],
  sctp: [ETH_TYPE_IP, IPPROTO_SCTP],
  ipv6: [ETH_TYPE_IPV6, 0],
  ip6: [ETH_TYPE_IPV6, 0],
  icmp6: [ETH_TYPE_IPV6, IPPROTO_ICMPV6],
  tcp6: [ETH_TYPE_IPV6, IPPROTO_TCP],
  udp6: [ETH_TYPE_IPV6, IPPROTO_UDP],
  sctp6: [ETH_TYPE_IPV6, IPPROTO_SCTP],
  rarp: [ETH_TYPE_RARP, 0],
  mpls: [ETH_TYPE_MPLS, 0],
  mplsm: [ETH_TYPE_MPLS_MCAST, 0],
};

const COMMAND_ORDER: FlowCommandName[] = ['add', 'delete', 'delete_strict', 'modify', 'modify_strict'];

/** The leading command keyword of an add-flows line (OVS compares the token as a prefix). */
function takeCommand(text: string): { command: number; rest: string } {
  let i = 0;
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  let len = 0;
  while (i + len < text.length && !', \t\r\n'.includes(text[i + len]!)) len++;
  const token = text.slice(i, i + len);
  for (const name of COMMAND_ORDER) {
    if (len <= name.length && name.startsWith(token))
      return { command: FLOW_COMMANDS[name], rest: text.slice(i + len) };
  }
  return { command: OFPFC.ADD, rest: text.slice(i) };
}

interface Parsed {
  command: number;
  match: FlowMatch;
  ofpMatch: OfpMatch;
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  priority: number;
  outPort: number;
  flags: number;
  actionsText: string | undefined;
}

/** parse_ofp_str__() up to (not including) the actions. `command` -1 parses a stats match. */
function parseCore(
  text: string,
  command: number,
  names: PortNameMap | undefined,
  warn: (m: string) => void,
  need: NeedsMore,
): Parsed {
  let fields: number;
  switch (command) {
    case -1:
    case OFPFC.DELETE:
      fields = F_OUT_PORT;
      break;
    case OFPFC.DELETE_STRICT:
      fields = F_OUT_PORT | F_PRIORITY;
      break;
    case OFPFC.ADD:
      fields = F_ACTIONS | F_TIMEOUT | F_PRIORITY | F_FLAGS | F_IMPORTANCE;
      break;
    default:
      fields = F_ACTIONS | F_TIMEOUT | F_PRIORITY | F_FLAGS;
  }
  const m = catchAll();
  let priority = OFP_DEFAULT_PRIORITY;
  let idleTimeout = 0;
  let hardTimeout = 0;
  let outPort: number = OFPP.NONE;
  let flags = 0;
  let newCookie: bigint | undefined =
    command === OFPFC.MODIFY || command === OFPFC.MODIFY_STRICT ? undefined : 0n;
  let cookieMask = 0n;

  let matchText = text;
  let actionsText: string | undefined;
  if (fields & F_ACTIONS) {
    const split = splitActions(text);
    if (split.actions === undefined) throw new FlowSyntaxError('must specify an action');
    matchText = split.match;
    actionsText = split.actions;
  }

  for (const { key: name, value } of parseKeyValues(matchText)) {
    const proto = Object.hasOwn(PROTOCOLS, name) ? PROTOCOLS[name] : undefined;
    if (proto) {
      m.dlType = proto[0];
      m.dlTypeMask = 0xffff;
      if (proto[1]) {
        m.nwProto = proto[1];
        m.nwProtoMask = 0xff;
      }
    } else if (name === 'eth') {
      // packet_type=Ethernet: the only kind of packet OpenFlow 1.0 knows.
    } else if (fields & F_FLAGS && name === 'send_flow_rem') {
      flags |= OFPFF.SEND_FLOW_REM;
    } else if (fields & F_FLAGS && name === 'check_overlap') {
      flags |= OFPFF.CHECK_OVERLAP;
    } else if (fields & F_FLAGS && name === 'reset_counts') {
      need(name, 'OpenFlow 1.2 or later');
    } else if (fields & F_FLAGS && (name === 'no_packet_counts' || name === 'no_byte_counts')) {
      need(name, 'OpenFlow 1.3 or later');
    } else if (name === 'no_readonly_table' || name === 'allow_hidden_fields') {
      // Ignored by ovs-ofctl too.
    } else if (isMatchField(name)) {
      parseMatchField(m, name, value, names, warn, need);
    } else if (isNonOf10Field(name)) {
      need(`${name}=${value}`, 'NXM');
    } else if (name.includes('[')) {
      need(`${name}=${value}`, 'NXM');
    } else {
      if (!value) throw new FlowSyntaxError(`field ${name} missing value`);
      if (name === 'table') {
        const t = strToInt(value, 10, 0n, 0xffffffffn);
        if (t === undefined || t > 255n) throw new FlowSyntaxError(`unknown table "${value}"`);
        if (t !== 255n) need(`table=${value}`, 'the flow_mod_table_id extension or OpenFlow 1.1+');
      } else if (fields & F_OUT_PORT && name === 'out_port') {
        const p = parsePort(value, names, warn);
        if (p === undefined) throw new FlowSyntaxError(`${value} is not a valid OpenFlow port`);
        outPort = p;
      } else if (fields & F_OUT_PORT && name === 'out_group') {
        need(`${name}=${value}`, 'OpenFlow 1.1 or later');
      } else if (fields & F_PRIORITY && name === 'priority') {
        priority = u16(value, name);
      } else if (fields & F_TIMEOUT && name === 'idle_timeout') {
        idleTimeout = u16(value, name);
      } else if (fields & F_TIMEOUT && name === 'hard_timeout') {
        hardTimeout = u16(value, name);
      } else if (fields & F_IMPORTANCE && name === 'importance') {
        u16(value, name); // OpenFlow 1.4+: checked, then not encoded in OpenFlow 1.0.
      } else if (name === 'cookie') {
        const slash = value.indexOf('/');
        if (slash >= 0) {
          if (command === OFPFC.ADD) throw new FlowSyntaxError('flow additions cannot use a cookie mask');
          u64(value.slice(0, slash));
          cookieMask = u64(value.slice(slash + 1));
          if (cookieMask !== 0n) need(`cookie=${value}`, 'NXM or OpenFlow 1.1+');
        } else {
          if (command !== OFPFC.ADD && command !== OFPFC.MODIFY && command !== OFPFC.MODIFY_STRICT)
            throw new FlowSyntaxError(
              'cannot set cookie (to match on a cookie, specify a mask, e.g. cookie=1/-1)',
            );
          newCookie = u64(value);
        }
      } else if (['duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age'].includes(name)) {
        // Ignored, so that dump-flows output can be fed back in.
      } else {
        throw new FlowSyntaxError(`unknown keyword ${name}`);
      }
    }
  }
  if (m.dlType === ETH_TYPE_IPV6 && (m.nwProtoMask || m.nwTosMask || m.tpSrcMask || m.tpDstMask))
    need('matching L3/L4 fields of IPv6', 'NXM or OXM');
  if (cookieMask === 0n && newCookie === undefined) newCookie = 0n;

  return {
    command,
    match: m,
    ofpMatch: toOfp10Match(m),
    cookie: newCookie ?? 0n,
    idleTimeout,
    hardTimeout,
    priority,
    outPort,
    flags,
    actionsText,
  };
}

function u16(value: string, name: string): number {
  const v = strToUnsigned(value, name, 0xffff);
  if (typeof v === 'string') throw new FlowSyntaxError(v);
  return v;
}

function u64(value: string): bigint {
  const v = strToU64(value);
  if (typeof v === 'string') throw new FlowSyntaxError(v);
  return v;
}

/**
 * Parses one flow in ovs-ofctl's syntax into the FLOW_MOD ovs-ofctl sends for it with OpenFlow 1.0.
 * Throws FlowSyntaxError for anything ovs-ofctl rejects or that OpenFlow 1.0 cannot carry.
 */
export function parseFlow(text: string, options: FlowParseOptions = {}): ParsedFlow {
  const warnings: string[] = [];
  const warn = (msg: string) => void warnings.push(msg);
  let command: number;
  let body = text;
  if (options.command === 'from-text') {
    const t = takeCommand(text);
    command = t.command;
    body = t.rest;
  } else {
    command = FLOW_COMMANDS[options.command ?? 'add'];
  }
  const of10 = new Of10Check();
  const p = parseCore(body, command, options.portNames, warn, of10.need);
  let usable: UsableProtocols = 'any';
  let actions: FlowMod['actions'] = [];
  if (p.actionsText !== undefined) {
    const a = parseActions(p.actionsText, p.match, options.portNames, warn, of10.need);
    actions = a.actions;
    if (a.of10Only) usable = 'OpenFlow10,NXM';
  }
  of10.done();
  // ovs-ofctl normalises a copy of the match after parsing the actions, only to log the difference.
  const post = normalized(p.match);
  if (post) {
    warn('normalization changed ofp_match, details:');
    warn(` pre: ${formatFlowMatch(p.match)}`);
    warn(`post: ${formatFlowMatch(post)}`);
  }
  const flowMod: FlowMod = {
    type: OFPT.FLOW_MOD,
    xid: options.xid ?? 1,
    match: p.ofpMatch,
    cookie: p.cookie,
    command,
    idle_timeout: p.idleTimeout,
    hard_timeout: p.hardTimeout,
    priority: p.priority,
    buffer_id: OFP_NO_BUFFER,
    out_port: p.outPort,
    flags: p.flags,
    actions,
  };
  return { flowMod, warnings, usableProtocols: usable };
}

export interface ParsedMatch {
  match: OfpMatch;
  /** OFPP_NONE unless `out_port=` was given. */
  outPort: number;
  warnings: string[];
}

/**
 * Parses the match of a flow-stats or aggregate request (`dump-flows MATCH`): match fields and
 * `out_port`, no actions or flow-mod keywords.
 */
export function parseFlowMatch(text: string, options: Pick<FlowParseOptions, 'portNames'> = {}): ParsedMatch {
  const warnings: string[] = [];
  const of10 = new Of10Check();
  const p = parseCore(text, -1, options.portNames, (msg) => void warnings.push(msg), of10.need);
  of10.done();
  return { match: p.ofpMatch, outPort: p.outPort, warnings };
}
