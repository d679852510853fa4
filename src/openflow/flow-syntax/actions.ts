/*
 * The action list of the flow syntax (`actions=…`), read as ovs-ofctl reads it for OpenFlow 1.0:
 * OVS's ofpacts_parse__() followed by ofpacts_check() and the OF1.0 action encoders.
 *
 * Three passes, as in OVS, so that errors come in the same order: parse every item (syntax errors),
 * refuse `drop` mixed with other actions, then check the list against the match (bad output ports
 * are errors; an action whose prerequisites the match does not guarantee, such as mod_tp_src
 * without tcp/udp, is accepted but narrows the usable protocols to "OpenFlow10,NXM", which is what
 * ovs-ofctl prints then). Actions that exist only as Nicira extensions or in OpenFlow 1.1+ are
 * reported through `need` and become an error naming the action once the whole flow has parsed.
 */
import { OFPAT, OFPP } from '../constants.js';
import type { OfpAction } from '../actions.js';
import { inetPton4, scanMac, strToU32, strToUnsigned } from './c-numbers.js';
import { FlowSyntaxError, type NeedsMore } from './errors.js';
import { ETH_TYPE_IP, ETH_TYPE_IPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../eth-protocols.js';
import { IP_DSCP_MASK, VLAN_CFI, type FlowMatch } from './flow-match.js';
import { parseKeyValues } from './key-value.js';
import { parsePort, type PortNameMap } from './ports.js';

/** An action as parsed, before checking (OVS's ofpact). */
type Ofpact =
  | { kind: 'output'; port: number; maxLen: number }
  | { kind: 'enqueue'; port: number; queue: number }
  | { kind: 'vlan_vid'; vid: number; push: boolean }
  | { kind: 'vlan_pcp'; pcp: number; push: boolean }
  | { kind: 'strip_vlan' }
  | { kind: 'dl'; dst: boolean; mac: number }
  | { kind: 'nw'; dst: boolean; ip: number }
  | { kind: 'tos'; tos: number }
  | { kind: 'tp'; dst: boolean; port: number }
  /** An action ovs-ofctl would encode as a Nicira extension or in OpenFlow 1.1+. */
  | { kind: 'extension' };

export interface ParsedActions {
  actions: OfpAction[];
  /** True when the actions are consistent with the match only for OpenFlow 1.0 (and NXM). */
  of10Only: boolean;
}

/** OVS action names ovs-ofctl accepts that have no OpenFlow 1.0 encoding without extensions. */
const EXTENSION_ACTIONS = new Set([
  'output_reg', 'output_trunc', 'group', 'bundle', 'bundle_load', 'set_field', 'load', 'move', 'push', 'pop',
  'push_vlan', 'push_mpls', 'pop_mpls', 'mod_nw_ecn', 'mod_nw_ttl', 'set_nw_ttl', 'dec_ttl', 'set_mpls_label',
  'set_mpls_tc', 'set_mpls_ttl', 'dec_mpls_ttl', 'set_tunnel', 'set_tunnel64', 'set_queue', 'pop_queue',
  'fin_timeout', 'resubmit', 'learn', 'conjunction', 'multipath', 'note', 'exit', 'sample', 'ct', 'ct_clear',
  'nat', 'clone', 'check_pkt_larger', 'encap', 'decap', 'dec_nsh_ttl', 'delete_field', 'debug_recirc',
  'debug_slow', 'meter', 'clear_actions', 'write_actions', 'write_metadata', 'goto_table', 'unroll_xlate',
]); // prettier-ignore

/** ofputil_packet_in_reason_from_string() names. */
const PACKET_IN_REASONS = ['no_match', 'action', 'invalid_ttl', 'action_set', 'group', 'packet_out'];

function parseController(arg: string, need: NeedsMore): Ofpact {
  let maxLen = 0xffff;
  let plain = true;
  if (arg === '') {
    // Defaults.
  } else if (/^[0-9]+$/.test(arg)) {
    const v = strToUnsigned(arg, 'max_len', 0xffff);
    if (typeof v === 'string') throw new FlowSyntaxError(v);
    maxLen = v;
  } else {
    for (const { key, value } of parseKeyValues(arg)) {
      if (key === 'max_len') {
        const v = strToUnsigned(value, 'max_len', 0xffff);
        if (typeof v === 'string') throw new FlowSyntaxError(v);
        maxLen = v;
      } else if (key === 'id') {
        const v = strToUnsigned(value, 'id', 0xffff);
        if (typeof v === 'string') throw new FlowSyntaxError(v);
        if (v !== 0) {
          plain = false;
          need(`controller(id=${value})`, EXTENSION);
        }
      } else if (key === 'reason') {
        if (!PACKET_IN_REASONS.includes(value)) throw new FlowSyntaxError(`unknown reason "${value}"`);
        if (value !== 'action') {
          plain = false;
          need(`controller(reason=${value})`, EXTENSION);
        }
      } else if (key === 'userdata' || key === 'pause') {
        plain = false;
        need(`controller(${key})`, EXTENSION);
      } else {
        throw new FlowSyntaxError(`unknown key "${key}" parsing controller action`);
      }
    }
  }
  return plain ? { kind: 'output', port: OFPP.CONTROLLER, maxLen } : { kind: 'extension' };
}

const EXTENSION = 'a Nicira extension action or OpenFlow 1.1+; it has no OpenFlow 1.0 encoding';

/** strtok_r(arg, ":q,") twice, as OVS's parse_ENQUEUE(). */
function splitEnqueue(arg: string): [string, string] | undefined {
  const delims = ':q,';
  let i = 0;
  while (i < arg.length && delims.includes(arg[i]!)) i++;
  if (i >= arg.length) return undefined;
  let j = i;
  while (j < arg.length && !delims.includes(arg[j]!)) j++;
  const port = arg.slice(i, j);
  const rest = arg.slice(j + 1);
  if (j >= arg.length || rest === '') return undefined;
  return [port, rest];
}

function u16Arg(value: string, name: string, max = 0xffff): number {
  const v = strToUnsigned(value, name, max);
  if (typeof v === 'string') throw new FlowSyntaxError(v);
  return v;
}

function parseOne(
  key: string,
  value: string,
  names: PortNameMap | undefined,
  warn: (m: string) => void,
  need: NeedsMore,
): Ofpact | 'drop' {
  switch (key.toLowerCase()) {
    case 'output': {
      const port = parsePort(value, names, warn);
      if (port === undefined) {
        if (value.includes('port') && value.includes('max_len')) {
          need(`output(${value})`, EXTENSION);
          return { kind: 'extension' };
        }
        throw new FlowSyntaxError(`${value}: output to unknown port`);
      }
      return { kind: 'output', port, maxLen: port === OFPP.CONTROLLER ? 0xffff : 0 };
    }
    case 'controller':
      return parseController(value, need);
    case 'enqueue': {
      const parts = splitEnqueue(value);
      if (!parts)
        throw new FlowSyntaxError('"enqueue" syntax is "enqueue:PORT:QUEUE" or "enqueue(PORT,QUEUE)"');
      const port = parsePort(parts[0], names, warn);
      if (port === undefined) throw new FlowSyntaxError(`${parts[0]}: enqueue to unknown port`);
      const queue = strToU32(parts[1]);
      if (typeof queue === 'string') throw new FlowSyntaxError(queue);
      return { kind: 'enqueue', port, queue };
    }
    case 'mod_vlan_vid':
    case 'set_vlan_vid': {
      const vid = u16Arg(value, 'VLAN VID');
      if (vid & ~0xfff) throw new FlowSyntaxError(`${value}: not a valid VLAN VID`);
      return { kind: 'vlan_vid', vid, push: key.toLowerCase() === 'mod_vlan_vid' };
    }
    case 'mod_vlan_pcp':
    case 'set_vlan_pcp': {
      const pcp = u16Arg(value, 'VLAN PCP', 0xff);
      if (pcp & ~7) throw new FlowSyntaxError(`${value}: not a valid VLAN PCP`);
      return { kind: 'vlan_pcp', pcp, push: key.toLowerCase() === 'mod_vlan_pcp' };
    }
    case 'strip_vlan':
    case 'pop_vlan':
      return { kind: 'strip_vlan' };
    case 'mod_dl_src':
    case 'mod_dl_dst': {
      const mac = scanMac(value, 0);
      if (!mac) throw new FlowSyntaxError(`invalid mac address ${value}`);
      return { kind: 'dl', dst: key.toLowerCase() === 'mod_dl_dst', mac: mac.value };
    }
    case 'mod_nw_src':
    case 'mod_nw_dst': {
      const ip = inetPton4(value);
      if (ip === undefined) throw new FlowSyntaxError(`${value}: could not convert to IP address`);
      return { kind: 'nw', dst: key.toLowerCase() === 'mod_nw_dst', ip };
    }
    case 'mod_nw_tos': {
      const tos = u16Arg(value, 'TOS', 0xff);
      if (tos & ~IP_DSCP_MASK) throw new FlowSyntaxError(`${value}: not a valid TOS`);
      return { kind: 'tos', tos };
    }
    case 'mod_tp_src':
      return { kind: 'tp', dst: false, port: u16Arg(value, 'source port') };
    case 'mod_tp_dst':
      return { kind: 'tp', dst: true, port: u16Arg(value, 'destination port') };
    case 'drop':
      return 'drop';
    case 'apply_actions':
      throw new FlowSyntaxError('apply_actions is the default instruction');
  }
  if (EXTENSION_ACTIONS.has(key.toLowerCase())) {
    need(key, EXTENSION);
    return { kind: 'extension' };
  }
  const port = parsePort(key, names, warn);
  if (port !== undefined) return { kind: 'output', port, maxLen: 0 };
  throw new FlowSyntaxError(`unknown action ${key}`);
}

/** ofpact_check_output_port() with max_ports = OFPP_MAX. */
function outputPortOk(port: number): boolean {
  switch (port) {
    case OFPP.IN_PORT:
    case OFPP.TABLE:
    case OFPP.NORMAL:
    case OFPP.FLOOD:
    case OFPP.ALL:
    case OFPP.CONTROLLER:
    case OFPP.LOCAL:
      return true;
    default:
      return port < OFPP.MAX;
  }
}

function badOutPort(): FlowSyntaxError {
  return new FlowSyntaxError('actions are invalid with specified match (OFPBAC_BAD_OUT_PORT)');
}

/** OVS ofpacts_check() for these actions. Returns whether the match makes any action inconsistent. */
function check(list: readonly Ofpact[], m: FlowMatch): boolean {
  let inconsistent = false;
  let tci = m.vlanTci;
  const isIp = m.dlType === ETH_TYPE_IP;
  const isIpAny = isIp || m.dlType === ETH_TYPE_IPV6;
  for (const a of list) {
    switch (a.kind) {
      case 'output':
        if (!outputPortOk(a.port)) throw badOutPort();
        break;
      case 'enqueue':
        if (a.port >= OFPP.MAX && a.port !== OFPP.IN_PORT && a.port !== OFPP.LOCAL) throw badOutPort();
        break;
      case 'vlan_vid':
      case 'vlan_pcp':
        if (!(tci & VLAN_CFI) && !a.push) inconsistent = true;
        tci |= VLAN_CFI;
        break;
      case 'strip_vlan':
        if (!(tci & VLAN_CFI)) inconsistent = true;
        tci = 0;
        break;
      case 'nw':
        if (!isIp) inconsistent = true;
        break;
      case 'tos':
        if (!isIpAny) inconsistent = true;
        break;
      case 'tp':
        if (!isIpAny || ![IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP].includes(m.nwProto)) inconsistent = true;
        break;
      case 'dl':
      case 'extension':
        break;
    }
  }
  return inconsistent;
}

function encode(a: Exclude<Ofpact, { kind: 'extension' }>): OfpAction {
  switch (a.kind) {
    case 'output':
      return { type: OFPAT.OUTPUT, port: a.port, max_len: a.maxLen };
    case 'enqueue':
      return { type: OFPAT.ENQUEUE, port: a.port, queue_id: a.queue };
    case 'vlan_vid':
      return { type: OFPAT.SET_VLAN_VID, vlan_vid: a.vid };
    case 'vlan_pcp':
      return { type: OFPAT.SET_VLAN_PCP, vlan_pcp: a.pcp };
    case 'strip_vlan':
      return { type: OFPAT.STRIP_VLAN };
    case 'dl':
      return { type: a.dst ? OFPAT.SET_DL_DST : OFPAT.SET_DL_SRC, dl_addr: a.mac };
    case 'nw':
      return { type: a.dst ? OFPAT.SET_NW_DST : OFPAT.SET_NW_SRC, nw_addr: a.ip };
    case 'tos':
      return { type: OFPAT.SET_NW_TOS, nw_tos: a.tos };
    case 'tp':
      return { type: a.dst ? OFPAT.SET_TP_DST : OFPAT.SET_TP_SRC, tp_port: a.port };
  }
}

/** Parses and checks an action list against the match it will be installed with. */
export function parseActions(
  text: string,
  m: FlowMatch,
  names: PortNameMap | undefined,
  warn: (msg: string) => void,
  need: NeedsMore,
): ParsedActions {
  const list: Ofpact[] = [];
  let drop = false;
  for (const { key, value } of parseKeyValues(text)) {
    const a = parseOne(key, value, names, warn, need);
    if (a === 'drop') drop = true;
    else list.push(a);
  }
  if (drop && list.length)
    throw new FlowSyntaxError('"drop" must not be accompanied by any other action or instruction');
  const of10Only = check(list, m);
  const actions: OfpAction[] = [];
  for (const a of list) if (a.kind !== 'extension') actions.push(encode(a));
  return { actions, of10Only };
}
