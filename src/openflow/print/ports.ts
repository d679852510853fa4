/*
 * Port numbers, port bit sets and ofp_phy_port descriptions as ovs-ofctl prints them
 * (ofputil_format_port, ofputil_phy_port format in OVS lib/ofp-port.c).
 */
import { OFPP, OFPPC, OFPPF, OFPPS } from '../constants.js';
import { macToString } from '../match.js';
import type { OfpPhyPort } from '../structs.js';

const RESERVED_PORT_NAMES: Readonly<Record<number, string>> = {
  /** OFPP_UNSET: an Open vSwitch-internal value it names when printing. */
  0xfff7: 'UNSET',
  [OFPP.IN_PORT]: 'IN_PORT',
  [OFPP.TABLE]: 'TABLE',
  [OFPP.NORMAL]: 'NORMAL',
  [OFPP.FLOOD]: 'FLOOD',
  [OFPP.ALL]: 'ALL',
  [OFPP.CONTROLLER]: 'CONTROLLER',
  [OFPP.LOCAL]: 'LOCAL',
  [OFPP.NONE]: 'ANY',
};

/** A 16-bit OpenFlow 1.0 port number: a reserved name (`LOCAL`, `ANY` for OFPP_NONE…) or decimal. */
export function formatPort(port: number): string {
  return RESERVED_PORT_NAMES[port] ?? String(port);
}

/**
 * Names of set bits, lowest first, joined by `sep`; leftover unnamed bits as `0x…`; `0` when none
 * is set (OVS's ofp_print_bit_names).
 */
export function bitNames(bits: number, nameOf: (bit: number) => string | undefined, sep = ' '): string {
  if (!bits) return '0';
  const names: string[] = [];
  let rest = bits >>> 0;
  for (let i = 0; i < 32; i++) {
    const bit = (1 << i) >>> 0;
    if (rest & bit) {
      const n = nameOf(bit);
      if (n) {
        names.push(n);
        rest = (rest & ~bit) >>> 0;
      }
    }
  }
  if (rest) names.push('0x' + rest.toString(16));
  return names.join(sep);
}

const CONFIG_NAMES: Readonly<Record<number, string>> = {
  [OFPPC.PORT_DOWN]: 'PORT_DOWN',
  [OFPPC.NO_STP]: 'NO_STP',
  [OFPPC.NO_RECV]: 'NO_RECV',
  [OFPPC.NO_RECV_STP]: 'NO_RECV_STP',
  [OFPPC.NO_FLOOD]: 'NO_FLOOD',
  [OFPPC.NO_FWD]: 'NO_FWD',
  [OFPPC.NO_PACKET_IN]: 'NO_PACKET_IN',
};

/** ofp_port_config bits, e.g. `PORT_DOWN NO_FLOOD`. */
export function formatPortConfig(config: number): string {
  // OVS keeps only the OpenFlow 1.0 bits.
  return bitNames(config & 0x7f, (b) => CONFIG_NAMES[b]);
}

const STATE_NAMES: Readonly<Record<number, string>> = { [OFPPS.LINK_DOWN]: 'LINK_DOWN' };

/**
 * ofp_port_state: the 2-bit STP state prints as a name when it is not LISTEN (0), immediately
 * followed by the other bits' names (OVS's ofputil_port_state_format() puts no space between them,
 * e.g. `STP_BLOCKLINK_DOWN`).
 */
export function formatPortState(state: number): string {
  const stp = state & OFPPS.STP_MASK;
  const rest = state & OFPPS.LINK_DOWN;
  if (!stp) return bitNames(rest, (b) => STATE_NAMES[b]);
  const name =
    stp === OFPPS.STP_LEARN ? 'STP_LEARN' : stp === OFPPS.STP_FORWARD ? 'STP_FORWARD' : 'STP_BLOCK';
  return name + (rest ? bitNames(rest, (b) => STATE_NAMES[b]) : '');
}

const FEATURE_NAMES: Readonly<Record<number, string>> = {
  [OFPPF['10MB_HD']]: '10MB-HD',
  [OFPPF['10MB_FD']]: '10MB-FD',
  [OFPPF['100MB_HD']]: '100MB-HD',
  [OFPPF['100MB_FD']]: '100MB-FD',
  [OFPPF['1GB_HD']]: '1GB-HD',
  [OFPPF['1GB_FD']]: '1GB-FD',
  [OFPPF['10GB_FD']]: '10GB-FD',
  [OFPPF.COPPER]: 'COPPER',
  [OFPPF.FIBER]: 'FIBER',
  [OFPPF.AUTONEG]: 'AUTO_NEG',
  [OFPPF.PAUSE]: 'AUTO_PAUSE',
  [OFPPF.PAUSE_ASYM]: 'AUTO_PAUSE_ASYM',
};

/** ofp_port_features bits as OVS names them (`10GB-FD COPPER`). */
export function formatPortFeatures(features: number): string {
  return bitNames(features & 0xfff, (b) => FEATURE_NAMES[b]);
}

/** The fastest speed in `features`, in Mbps (OVS's netdev_features_to_bps for OF1.0 bits). */
export function featuresSpeedMbps(features: number): number {
  if (features & OFPPF['10GB_FD']) return 10000;
  if (features & (OFPPF['1GB_FD'] | OFPPF['1GB_HD'])) return 1000;
  if (features & (OFPPF['100MB_FD'] | OFPPF['100MB_HD'])) return 100;
  if (features & (OFPPF['10MB_FD'] | OFPPF['10MB_HD'])) return 10;
  return 0;
}

/** An ofp_phy_port as OVS prints it inside FEATURES_REPLY, PORT_STATUS and port-description replies. */
export function formatPhyPort(p: OfpPhyPort): string {
  // OVS shows at most 15 characters of the name, up to the first unprintable one.
  const name = /^[\x20-\x7e]{0,15}/.exec(p.name)![0];
  let s = ` ${formatPort(p.port_no)}(${name}): addr:${macToString(p.hw_addr)}\n`;
  s += `     config:     ${formatPortConfig(p.config)}\n`;
  s += `     state:      ${formatPortState(p.state)}\n`;
  // OVS keeps only the OpenFlow 1.0 feature bits; a line with none left is not shown.
  if (p.curr & 0xfff) s += `     current:    ${formatPortFeatures(p.curr)}\n`;
  if (p.advertised & 0xfff) s += `     advertised: ${formatPortFeatures(p.advertised)}\n`;
  if (p.supported & 0xfff) s += `     supported:  ${formatPortFeatures(p.supported)}\n`;
  if (p.peer & 0xfff) s += `     peer:       ${formatPortFeatures(p.peer)}\n`;
  s += `     speed: ${featuresSpeedMbps(p.curr)} Mbps now, ${featuresSpeedMbps(p.supported)} Mbps max\n`;
  return s;
}
