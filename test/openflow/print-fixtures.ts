/*
 * Building blocks for the printer's crafted vectors (print-vectors.ts): matches of every shape,
 * action lists, ports and Ethernet frames.
 */
import { encodeMessage } from '../../src/openflow/codec.js';
import { OFPAT, OFPP, OFPFW } from '../../src/openflow/constants.js';
import type { OfpAction } from '../../src/openflow/actions.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import type { OfpMatch, OfpPhyPort } from '../../src/openflow/structs.js';
import { matchAll } from '../../src/openflow/match.js';

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export function m(x: OfpMessage): Buffer {
  return encodeMessage(x);
}

export const exact: OfpMatch = {
  wildcards: 0,
  in_port: 2,
  dl_src: 0x020000000002,
  dl_dst: 0x020000000001,
  dl_vlan: 0xffff,
  dl_vlan_pcp: 0,
  dl_type: 0x0800,
  nw_tos: 0x10,
  nw_proto: 17,
  nw_src: 0x0a000002,
  nw_dst: 0x0a000001,
  tp_src: 53,
  tp_dst: 1000,
};

export const matches: [string, OfpMatch][] = [
  ['all', matchAll()],
  ['exact', exact],
  ['in_port', { ...matchAll(), wildcards: OFPFW.ALL & ~OFPFW.IN_PORT, in_port: 5 }],
  ['in_port LOCAL', { ...matchAll(), wildcards: OFPFW.ALL & ~OFPFW.IN_PORT, in_port: OFPP.LOCAL }],
  [
    'tcp cidr',
    {
      ...matchAll(),
      wildcards:
        (OFPFW.ALL & ~(OFPFW.DL_TYPE | OFPFW.NW_PROTO | OFPFW.NW_SRC_MASK | OFPFW.TP_DST)) |
        (8 << OFPFW.NW_SRC_SHIFT),
      dl_type: 0x800,
      nw_proto: 6,
      nw_src: 0x0a000105,
      tp_dst: 80,
    },
  ],
  [
    'ip dst /16',
    {
      ...matchAll(),
      wildcards: (OFPFW.ALL & ~(OFPFW.DL_TYPE | OFPFW.NW_DST_MASK)) | (16 << OFPFW.NW_DST_SHIFT),
      dl_type: 0x800,
      nw_dst: 0xc0a80000,
    },
  ],
  [
    'icmp',
    {
      ...matchAll(),
      wildcards: OFPFW.ALL & ~(OFPFW.DL_TYPE | OFPFW.NW_PROTO | OFPFW.TP_SRC | OFPFW.TP_DST),
      dl_type: 0x800,
      nw_proto: 1,
      tp_src: 8,
      tp_dst: 0,
    },
  ],
  [
    'arp',
    {
      ...matchAll(),
      wildcards: OFPFW.ALL & ~(OFPFW.DL_TYPE | OFPFW.NW_PROTO | OFPFW.NW_SRC_MASK),
      dl_type: 0x806,
      nw_proto: 1,
      nw_src: 0x0a000001,
    },
  ],
  [
    'vlan',
    {
      ...matchAll(),
      wildcards: OFPFW.ALL & ~(OFPFW.DL_VLAN | OFPFW.DL_VLAN_PCP),
      dl_vlan: 10,
      dl_vlan_pcp: 3,
    },
  ],
  ['vlan only', { ...matchAll(), wildcards: OFPFW.ALL & ~OFPFW.DL_VLAN, dl_vlan: 4095 }],
  ['pcp only', { ...matchAll(), wildcards: OFPFW.ALL & ~OFPFW.DL_VLAN_PCP, dl_vlan_pcp: 7 }],
  ['no vlan', { ...matchAll(), wildcards: OFPFW.ALL & ~OFPFW.DL_VLAN, dl_vlan: 0xffff }],
  [
    'macs',
    {
      ...matchAll(),
      wildcards: OFPFW.ALL & ~(OFPFW.DL_SRC | OFPFW.DL_DST),
      dl_src: 0x0123456789ab,
      dl_dst: 0xffffffffffff,
    },
  ],
  ['dl_type other', { ...matchAll(), wildcards: OFPFW.ALL & ~OFPFW.DL_TYPE, dl_type: 0x88cc }],
  [
    'ipv6',
    {
      ...matchAll(),
      wildcards: OFPFW.ALL & ~(OFPFW.DL_TYPE | OFPFW.NW_PROTO),
      dl_type: 0x86dd,
      nw_proto: 58,
    },
  ],
  [
    'nw_tos',
    { ...matchAll(), wildcards: OFPFW.ALL & ~(OFPFW.DL_TYPE | OFPFW.NW_TOS), dl_type: 0x800, nw_tos: 0xff },
  ],
  [
    'proto no type',
    { ...matchAll(), wildcards: OFPFW.ALL & ~(OFPFW.NW_PROTO | OFPFW.TP_SRC), nw_proto: 6, tp_src: 22 },
  ],
  [
    'udp ports',
    {
      ...matchAll(),
      wildcards: OFPFW.ALL & ~(OFPFW.DL_TYPE | OFPFW.NW_PROTO | OFPFW.TP_SRC | OFPFW.TP_DST),
      dl_type: 0x800,
      nw_proto: 17,
      tp_src: 67,
      tp_dst: 68,
    },
  ],
  ['rarp', { ...matchAll(), wildcards: OFPFW.ALL & ~OFPFW.DL_TYPE, dl_type: 0x8035 }],
  ['mpls', { ...matchAll(), wildcards: OFPFW.ALL & ~OFPFW.DL_TYPE, dl_type: 0x8847 }],
  ['os-ken all 63', { ...matchAll(), wildcards: 0x3fffff | (63 << 8) | (63 << 14) }],
];

export const actions: [string, OfpAction[]][] = [
  ['none', []],
  ['output', [{ type: OFPAT.OUTPUT, port: 2, max_len: 0 }]],
  [
    'reserved outputs',
    [OFPP.IN_PORT, OFPP.TABLE, OFPP.NORMAL, OFPP.FLOOD, OFPP.ALL, OFPP.LOCAL].map(
      (port) => ({ type: OFPAT.OUTPUT, port, max_len: 0 }) as OfpAction,
    ),
  ],
  ['controller', [{ type: OFPAT.OUTPUT, port: OFPP.CONTROLLER, max_len: 128 }]],
  [
    'every set',
    [
      { type: OFPAT.SET_VLAN_VID, vlan_vid: 100 },
      { type: OFPAT.SET_VLAN_PCP, vlan_pcp: 5 },
      { type: OFPAT.STRIP_VLAN },
      { type: OFPAT.SET_DL_SRC, dl_addr: 0x02aaaaaaaaaa },
      { type: OFPAT.SET_DL_DST, dl_addr: 0x02bbbbbbbbbb },
      { type: OFPAT.SET_NW_SRC, nw_addr: 0x0a010101 },
      { type: OFPAT.SET_NW_DST, nw_addr: 0x0a020202 },
      { type: OFPAT.SET_NW_TOS, nw_tos: 32 },
      { type: OFPAT.SET_TP_SRC, tp_port: 1 },
      { type: OFPAT.SET_TP_DST, tp_port: 2 },
      { type: OFPAT.ENQUEUE, port: 2, queue_id: 7 },
      { type: OFPAT.ENQUEUE, port: OFPP.IN_PORT, queue_id: 0 },
    ],
  ],
  ['output NONE', [{ type: OFPAT.OUTPUT, port: OFPP.NONE, max_len: 0 }]],
  ['output 0xff00', [{ type: OFPAT.OUTPUT, port: 0xff00, max_len: 0 }]],
  ['vendor other', [{ type: OFPAT.VENDOR, vendor: 0x1234, body: Buffer.alloc(0) }]],
];

export const port = (no: number, nm: string, extra: Partial<OfpPhyPort> = {}): OfpPhyPort => ({
  port_no: no,
  hw_addr: 0x7e265090a1ac + no,
  name: nm,
  config: 0,
  state: 0,
  curr: 0xc0,
  advertised: 0,
  supported: 0,
  peer: 0,
  ...extra,
});

export const udpFrame = hex(
  '020000000002 020000000001 0800 4500002e00004000401100000a0000010a000002 03e80035001a32e2 000000000000000000000000000000000000',
);
export const arpFrame = hex(
  'ffffffffffff 020000000001 0806 0001080006040001 020000000001 0a000001 000000000000 0a000002',
);
export const vlanTcpFrame = hex(
  '020000000002 020000000001 8100 6065 0800 45000028000040004006abcd0a0000010a000002 03e8005000000001000000025012ffff12340000',
);
export const icmp6Frame = hex(
  '333300000002 9ac968e548f2 86dd 6000000000103aff fe8000000000000098c968fffee548f2 ff020000000000000000000000000002 8500e5eb00000000 0101 9ac968e548f2',
);
export const ndFrame = hex(
  '333300000001 9ac968e548f2 86dd 6000000000203aff fe8000000000000098c968fffee548f2 ff020000000000000000000000000001 87001234 00000000 fe800000000000000000000000000001 0101 9ac968e548f2',
);
export const fragFrame = hex(
  '020000000002 020000000001 0800 4500001c000020b94011abcd0a0000010a000002 03e80035000800ff',
);
export const icmpFrame = hex(
  '020000000002 020000000001 0800 45000024000000004001abcd0a0000010a000002 0800abcd00010001 0000000000000000',
);
