/*
 * OpenFlow 1.0 actions as ovs-ofctl prints them (OVS ofpacts_format() of the actions decoded from
 * OF1.0): `output:2`, `IN_PORT`, `CONTROLLER:128`, `mod_vlan_vid:10`, `enqueue:2:0`, … joined by
 * commas, and `drop` for an empty list.
 *
 * `checkActionsLikeOvs()` gives the decode error OVS reports for actions our codec accepts but OVS
 * rejects while decoding (a non-Nicira vendor action; an output to a port that is neither physical
 * nor a usable reserved port after a vendor action, where the codec stops checking), so the
 * printer can say `***decode error: …***` where ovs-ofctl does.
 */
import { OFPAT, OFPBAC, OFPET, OFPP } from '../constants.js';
import { USABLE_RESERVED_OUTPUTS, type OfpAction } from '../actions.js';
import { ipToString, macToString } from '../match.js';
import { formatPort } from './ports.js';

/** One action in ovs-ofctl syntax. */
export function formatAction(a: OfpAction): string {
  switch (a.type) {
    case OFPAT.OUTPUT:
      if (a.port === OFPP.CONTROLLER) return `CONTROLLER:${a.max_len}`;
      return a.port < OFPP.MAX ? `output:${a.port}` : formatPort(a.port);
    case OFPAT.SET_VLAN_VID:
      return `mod_vlan_vid:${a.vlan_vid}`;
    case OFPAT.SET_VLAN_PCP:
      return `mod_vlan_pcp:${a.vlan_pcp}`;
    case OFPAT.STRIP_VLAN:
      return 'strip_vlan';
    case OFPAT.SET_DL_SRC:
      return `mod_dl_src:${macToString(a.dl_addr)}`;
    case OFPAT.SET_DL_DST:
      return `mod_dl_dst:${macToString(a.dl_addr)}`;
    case OFPAT.SET_NW_SRC:
      return `mod_nw_src:${ipToString(a.nw_addr)}`;
    case OFPAT.SET_NW_DST:
      return `mod_nw_dst:${ipToString(a.nw_addr)}`;
    case OFPAT.SET_NW_TOS:
      return `mod_nw_tos:${a.nw_tos}`;
    case OFPAT.SET_TP_SRC:
      return `mod_tp_src:${a.tp_port}`;
    case OFPAT.SET_TP_DST:
      return `mod_tp_dst:${a.tp_port}`;
    case OFPAT.ENQUEUE:
      return `enqueue:${formatPort(a.port)}:${a.queue_id}`;
    case OFPAT.VENDOR:
      // OVS decodes Nicira vendor actions into their own syntax (`resubmit:3`, …); the OpenFlow 1.0
      // codec keeps them opaque, so they print as vendor id and body in hex.
      return `vendor:0x${a.vendor.toString(16)}` + (a.body.length ? `:${a.body.toString('hex')}` : '');
  }
}

/** Actions in ovs-ofctl syntax: comma-separated, `drop` when there are none. */
export function formatActions(actions: readonly OfpAction[]): string {
  if (actions.length === 0) return 'drop';
  return actions.map(formatAction).join(',');
}

/** OVS's Nicira vendor id: its actions decode in OVS, other vendors are OFPBAC_BAD_VENDOR there. */
export const NX_VENDOR_ID = 0x00002320;

/**
 * The [type, code] of the error OVS's action decoder reports for `actions`, or undefined when OVS
 * accepts them. Only covers what our codec accepts and OVS does not.
 */
export function checkActionsLikeOvs(actions: readonly OfpAction[]): [number, number] | undefined {
  for (const a of actions) {
    if (a.type === OFPAT.OUTPUT && a.port >= OFPP.MAX && !USABLE_RESERVED_OUTPUTS.has(a.port))
      return [OFPET.BAD_ACTION, OFPBAC.BAD_OUT_PORT];
    if (a.type === OFPAT.VENDOR && a.vendor !== NX_VENDOR_ID) return [OFPET.BAD_ACTION, OFPBAC.BAD_VENDOR];
  }
  return undefined;
}
