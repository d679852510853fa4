/*
 * The os-ken constructor call that builds a given ofdp message: class names and keyword arguments of
 * os-ken 2.5's ofproto_v1_0_parser, with values in the forms os-ken's API takes (MACs as text, IPv4
 * addresses as text or integers, bytes as hex). osken-helper.py runs the call and serializes it, so
 * the bytes that come back are os-ken's encoding of the message this module was given.
 *
 * Only messages os-ken can serialize have a spec; oskenSpecOf() throws for the rest.
 */
import { OFPAT, OFPST, OFPT } from '../../../src/openflow/constants.js';
import type { OfpAction } from '../../../src/openflow/actions.js';
import type { OfpMessage } from '../../../src/openflow/messages.js';
import type { OfpMatch } from '../../../src/openflow/structs.js';
import type { OskenArg, OskenSpec } from './osken.js';
import { flowModFields, ipText, macText, matchFields } from './osken-view.js';

/** How to hand IPv4 addresses to os-ken, which accepts both (it converts text with ip.ipv4_to_int). */
export type IpForm = 'text' | 'int';

const bytes = (b: Uint8Array): { hex: string } => ({ hex: Buffer.from(b).toString('hex') });
const ip = (v: number, form: IpForm): OskenArg => (form === 'text' ? ipText(v) : v);

/** OFPMatch with every field and the wildcards given explicitly. */
export function matchSpec(m: OfpMatch, form: IpForm): OskenSpec {
  return { cls: 'OFPMatch', args: matchFields(m, (v) => ip(v, form)) };
}

export function actionSpec(a: OfpAction, form: IpForm): OskenSpec {
  switch (a.type) {
    case OFPAT.OUTPUT:
      return { cls: 'OFPActionOutput', args: { port: a.port, max_len: a.max_len } };
    case OFPAT.SET_VLAN_VID:
      return { cls: 'OFPActionVlanVid', args: { vlan_vid: a.vlan_vid } };
    case OFPAT.SET_VLAN_PCP:
      return { cls: 'OFPActionVlanPcp', args: { vlan_pcp: a.vlan_pcp } };
    case OFPAT.STRIP_VLAN:
      return { cls: 'OFPActionStripVlan' };
    case OFPAT.SET_DL_SRC:
      return { cls: 'OFPActionSetDlSrc', args: { dl_addr: macText(a.dl_addr) } };
    case OFPAT.SET_DL_DST:
      return { cls: 'OFPActionSetDlDst', args: { dl_addr: macText(a.dl_addr) } };
    case OFPAT.SET_NW_SRC:
      return { cls: 'OFPActionSetNwSrc', args: { nw_addr: ip(a.nw_addr, form) } };
    case OFPAT.SET_NW_DST:
      return { cls: 'OFPActionSetNwDst', args: { nw_addr: ip(a.nw_addr, form) } };
    case OFPAT.SET_NW_TOS:
      return { cls: 'OFPActionSetNwTos', args: { tos: a.nw_tos } };
    case OFPAT.SET_TP_SRC:
      return { cls: 'OFPActionSetTpSrc', args: { tp: a.tp_port } };
    case OFPAT.SET_TP_DST:
      return { cls: 'OFPActionSetTpDst', args: { tp: a.tp_port } };
    case OFPAT.ENQUEUE:
      return { cls: 'OFPActionEnqueue', args: { port: a.port, queue_id: a.queue_id } };
    case OFPAT.VENDOR:
      return { cls: 'OFPActionVendorUnknown', args: { vendor: a.vendor, data: bytes(a.body) } };
  }
}

function statsRequestSpec(
  m: Extract<OfpMessage, { type: typeof OFPT.STATS_REQUEST }>,
  form: IpForm,
): OskenSpec {
  const flags = m.flags;
  switch (m.stats_type) {
    case OFPST.DESC:
      return { cls: 'OFPDescStatsRequest', args: { flags } };
    case OFPST.FLOW:
    case OFPST.AGGREGATE:
      return {
        cls: m.stats_type === OFPST.FLOW ? 'OFPFlowStatsRequest' : 'OFPAggregateStatsRequest',
        args: {
          flags,
          match: matchSpec(m.body.match, form),
          table_id: m.body.table_id,
          out_port: m.body.out_port,
        },
      };
    case OFPST.TABLE:
      return { cls: 'OFPTableStatsRequest', args: { flags } };
    case OFPST.PORT:
      return { cls: 'OFPPortStatsRequest', args: { flags, port_no: m.body.port_no } };
    case OFPST.QUEUE:
      return {
        cls: 'OFPQueueStatsRequest',
        args: { flags, port_no: m.body.port_no, queue_id: m.body.queue_id },
      };
    case OFPST.VENDOR:
      return {
        cls: 'OFPVendorStatsRequest',
        args: { flags, vendor: m.body.vendor, specific_data: bytes(m.body.data) },
      };
    case OFPST.PORT_DESC:
      throw new Error('os-ken has no OF1.0 port-description stats request');
  }
}

function bodySpec(m: OfpMessage, form: IpForm): OskenSpec {
  switch (m.type) {
    case OFPT.HELLO:
      return { cls: 'OFPHello' };
    case OFPT.ERROR:
      return { cls: 'OFPErrorMsg', args: { type_: m.err_type, code: m.code, data: bytes(m.data) } };
    case OFPT.ECHO_REQUEST:
      return { cls: 'OFPEchoRequest', args: { data: bytes(m.data) } };
    case OFPT.ECHO_REPLY:
      return { cls: 'OFPEchoReply', args: { data: bytes(m.data) } };
    case OFPT.VENDOR:
      // OFPVendor's constructor takes only the datapath; vendor and data are attributes.
      return { cls: 'OFPVendor', attrs: { vendor: m.vendor, data: bytes(m.data) } };
    case OFPT.FEATURES_REQUEST:
      return { cls: 'OFPFeaturesRequest' };
    case OFPT.GET_CONFIG_REQUEST:
      return { cls: 'OFPGetConfigRequest' };
    case OFPT.SET_CONFIG:
      return { cls: 'OFPSetConfig', args: { flags: m.flags, miss_send_len: m.miss_send_len } };
    case OFPT.PACKET_OUT:
      return {
        cls: 'OFPPacketOut',
        args: {
          buffer_id: m.buffer_id,
          in_port: m.in_port,
          actions: m.actions.map((a) => actionSpec(a, form)),
          data: m.data.length ? bytes(m.data) : null,
        },
      };
    case OFPT.FLOW_MOD:
      return {
        cls: 'OFPFlowMod',
        args: {
          match: matchSpec(m.match, form),
          cookie: m.cookie,
          ...flowModFields(m),
          actions: m.actions.map((a) => actionSpec(a, form)),
        },
      };
    case OFPT.PORT_MOD:
      return {
        cls: 'OFPPortMod',
        args: {
          port_no: m.port_no,
          hw_addr: macText(m.hw_addr),
          config: m.config,
          mask: m.mask,
          advertise: m.advertise,
        },
      };
    case OFPT.STATS_REQUEST:
      return statsRequestSpec(m, form);
    case OFPT.BARRIER_REQUEST:
      return { cls: 'OFPBarrierRequest' };
    case OFPT.BARRIER_REPLY:
      return { cls: 'OFPBarrierReply' };
    case OFPT.QUEUE_GET_CONFIG_REQUEST:
      return { cls: 'OFPQueueGetConfigRequest', args: { port: m.port } };
    default:
      throw new Error(`os-ken cannot serialize message type ${m.type}`);
  }
}

/** The os-ken call that builds `m` (with its xid). */
export function oskenSpecOf(m: OfpMessage, form: IpForm = 'int'): OskenSpec {
  return { ...bodySpec(m, form), xid: m.xid };
}
