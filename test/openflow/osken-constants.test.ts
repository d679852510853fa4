/*
 * ofdp's OpenFlow 1.0 constants (spec names and values) against os-ken's ofproto_v1_0, both ways:
 * every name ofdp defines has os-ken's value, and every name os-ken defines in those groups exists in
 * ofdp, apart from the extensions listed below. The printer and flow-syntax parser look names up in
 * these tables, so a wrong or missing name is a wrong printed message.
 */
import { describe, expect, it } from 'vitest';
import * as C from '../../src/openflow/constants.js';
import { oskenConstants, oskenSkipReason } from '../support/osken/osken.js';

const skip = oskenSkipReason();

/** ofdp's constant groups, by the spec prefix os-ken spells them with. */
const GROUPS: Record<string, Readonly<Record<string, number>>> = {
  OFPT: C.OFPT,
  OFPP: C.OFPP,
  OFPC: C.OFPC,
  OFPC_FRAG: C.OFPC_FRAG,
  OFPPC: C.OFPPC,
  OFPPS: C.OFPPS,
  OFPPF: C.OFPPF,
  OFPFW: C.OFPFW,
  OFPAT: C.OFPAT,
  OFPFC: C.OFPFC,
  OFPFF: C.OFPFF,
  OFPR: C.OFPR,
  OFPRR: C.OFPRR,
  OFPPR: C.OFPPR,
  OFPST: C.OFPST,
  OFPQT: C.OFPQT,
  OFPET: C.OFPET,
  OFPHFC: C.OFPHFC,
  OFPBRC: C.OFPBRC,
  OFPBAC: C.OFPBAC,
  OFPFMFC: C.OFPFMFC,
  OFPPMFC: C.OFPPMFC,
  OFPQOFC: C.OFPQOFC,
};

/** Names only ofdp has: Open vSwitch's OF1.0 port-description stats type. */
const ONLY_OFDP = new Set(['OFPST_PORT_DESC']);
/**
 * Names only os-ken has: a Nicira fragment mode, and os-ken's aliases (OFPFW_NW_SRC/NW_DST for the
 * prefix-count masks, OFPFW_ICMP_TYPE/ICMP_CODE for TP_SRC/TP_DST). None is an OpenFlow 1.0 name.
 */
const ONLY_OSKEN = new Set([
  'OFPC_FRAG_NX_MATCH',
  'OFPFW_NW_SRC',
  'OFPFW_NW_DST',
  'OFPFW_ICMP_TYPE',
  'OFPFW_ICMP_CODE',
]);

/** The group an os-ken name belongs to: the longest matching prefix (OFPC_FRAG_DROP is OFPC_FRAG's). */
function groupOf(name: string): string | undefined {
  let best: string | undefined;
  for (const g of Object.keys(GROUPS))
    if (name.startsWith(`${g}_`) && (!best || g.length > best.length)) best = g;
  return best;
}

describe.skipIf(!!skip)("OpenFlow 1.0 constants against os-ken's ofproto_v1_0", () => {
  const osken = skip ? {} : oskenConstants();

  it('every ofdp constant has os-ken value under the same spec name', () => {
    let compared = 0;
    for (const [g, group] of Object.entries(GROUPS))
      for (const [k, v] of Object.entries(group)) {
        const name = `${g}_${k}`;
        if (ONLY_OFDP.has(name)) continue;
        expect(osken[name], name).toBe(v);
        compared++;
      }
    expect(compared).toBeGreaterThan(150);
  });

  it('every os-ken constant in those groups exists in ofdp', () => {
    // This includes the error types: os-ken's OF1.0 module, like the spec, has no OFPET_EXPERIMENTER
    // (os-ken's own error_msg_handler reads it and crashes on any OF1.0 error; that is a controller
    // bug, not a codec one, and it is why ofdp's OFPET has exactly the six OF1.0 types).
    for (const [name, v] of Object.entries(osken)) {
      const g = groupOf(name);
      if (!g || ONLY_OSKEN.has(name)) continue;
      expect(GROUPS[g]![name.slice(g.length + 1)], name).toBe(v);
    }
  });

  it('the scalar constants', () => {
    const scalars: [string, number][] = [
      ['OFP_VERSION', C.OFP_VERSION],
      ['OFP_HEADER_SIZE', C.OFP_HEADER_LEN],
      ['OFP_NO_BUFFER', C.OFP_NO_BUFFER],
      ['OFP_DEFAULT_PRIORITY', C.OFP_DEFAULT_PRIORITY],
      ['OFP_DEFAULT_MISS_SEND_LEN', C.OFP_DEFAULT_MISS_SEND_LEN],
      ['OFP_VLAN_NONE', C.OFP_VLAN_NONE],
      ['OFP_DL_TYPE_ETH2_CUTOFF', C.OFP_DL_TYPE_ETH2_CUTOFF],
      ['OFP_DL_TYPE_NOT_ETH_TYPE', C.OFP_DL_TYPE_NOT_ETH_TYPE],
      ['OFP_FLOW_PERMANENT', C.OFP_FLOW_PERMANENT],
      ['OFP_MAX_PORT_NAME_LEN', C.OFP_MAX_PORT_NAME_LEN],
      ['OFP_MAX_TABLE_NAME_LEN', C.OFP_MAX_TABLE_NAME_LEN],
      ['DESC_STR_LEN', C.DESC_STR_LEN],
      ['SERIAL_NUM_LEN', C.SERIAL_NUM_LEN],
      ['OFPQ_ALL', C.OFPQ_ALL],
      ['OFPSF_REPLY_MORE', C.OFPSF_REPLY_MORE],
    ];
    for (const [name, v] of scalars) expect(osken[name], name).toBe(v);
    // Not compared: OFP_TCP_PORT, which os-ken keeps at the pre-IANA 6633 and ofdp sets to IANA's 6653.
  });
});
