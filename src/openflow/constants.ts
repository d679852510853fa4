/*
 * OpenFlow 1.0.0 constants, under their spec names.
 *
 * Each group is an `as const` object so that code reads `OFPT.FLOW_MOD` as in the spec, and the
 * printer and flow-syntax parser can look names up in both directions with `nameOf`.
 */

export const OFP_VERSION = 0x01;
export const OFP_HEADER_LEN = 8;
export const OFP_MAX_MSG_LEN = 0xffff;
export const OFP_TCP_PORT = 6653;
export const OFP_NO_BUFFER = 0xffffffff;
export const OFP_DEFAULT_PRIORITY = 0x8000;
export const OFP_DEFAULT_MISS_SEND_LEN = 128;
export const OFP_VLAN_NONE = 0xffff;
export const OFP_DL_TYPE_ETH2_CUTOFF = 0x0600;
export const OFP_DL_TYPE_NOT_ETH_TYPE = 0x05ff;
export const OFP_FLOW_PERMANENT = 0;
export const OFP_MAX_PORT_NAME_LEN = 16;
export const OFP_MAX_TABLE_NAME_LEN = 32;
export const DESC_STR_LEN = 256;
export const SERIAL_NUM_LEN = 32;
export const OFPQ_ALL = 0xffffffff;
export const OFPSF_REPLY_MORE = 0x0001;

/** Message types (ofp_type). */
export const OFPT = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  VENDOR: 4,
  FEATURES_REQUEST: 5,
  FEATURES_REPLY: 6,
  GET_CONFIG_REQUEST: 7,
  GET_CONFIG_REPLY: 8,
  SET_CONFIG: 9,
  PACKET_IN: 10,
  FLOW_REMOVED: 11,
  PORT_STATUS: 12,
  PACKET_OUT: 13,
  FLOW_MOD: 14,
  PORT_MOD: 15,
  STATS_REQUEST: 16,
  STATS_REPLY: 17,
  BARRIER_REQUEST: 18,
  BARRIER_REPLY: 19,
  QUEUE_GET_CONFIG_REQUEST: 20,
  QUEUE_GET_CONFIG_REPLY: 21,
} as const;
export type OfpType = (typeof OFPT)[keyof typeof OFPT];

/** Reserved port numbers (ofp_port). */
export const OFPP = {
  MAX: 0xff00,
  IN_PORT: 0xfff8,
  TABLE: 0xfff9,
  NORMAL: 0xfffa,
  FLOOD: 0xfffb,
  ALL: 0xfffc,
  CONTROLLER: 0xfffd,
  LOCAL: 0xfffe,
  NONE: 0xffff,
} as const;

/** Switch capabilities (ofp_capabilities). */
export const OFPC = {
  FLOW_STATS: 1 << 0,
  TABLE_STATS: 1 << 1,
  PORT_STATS: 1 << 2,
  STP: 1 << 3,
  RESERVED: 1 << 4,
  IP_REASM: 1 << 5,
  QUEUE_STATS: 1 << 6,
  ARP_MATCH_IP: 1 << 7,
} as const;

/** Fragment handling in ofp_switch_config.flags. */
export const OFPC_FRAG = {
  NORMAL: 0,
  DROP: 1,
  REASM: 2,
  MASK: 3,
} as const;

/** Port config bits (ofp_port_config). */
export const OFPPC = {
  PORT_DOWN: 1 << 0,
  NO_STP: 1 << 1,
  NO_RECV: 1 << 2,
  NO_RECV_STP: 1 << 3,
  NO_FLOOD: 1 << 4,
  NO_FWD: 1 << 5,
  NO_PACKET_IN: 1 << 6,
} as const;

/** Port state bits (ofp_port_state). */
export const OFPPS = {
  LINK_DOWN: 1 << 0,
  STP_LISTEN: 0 << 8,
  STP_LEARN: 1 << 8,
  STP_FORWARD: 2 << 8,
  STP_BLOCK: 3 << 8,
  STP_MASK: 3 << 8,
} as const;

/** Port feature bits (ofp_port_features). */
export const OFPPF = {
  '10MB_HD': 1 << 0,
  '10MB_FD': 1 << 1,
  '100MB_HD': 1 << 2,
  '100MB_FD': 1 << 3,
  '1GB_HD': 1 << 4,
  '1GB_FD': 1 << 5,
  '10GB_FD': 1 << 6,
  COPPER: 1 << 7,
  FIBER: 1 << 8,
  AUTONEG: 1 << 9,
  PAUSE: 1 << 10,
  PAUSE_ASYM: 1 << 11,
} as const;

/** Flow wildcards (ofp_flow_wildcards). */
export const OFPFW = {
  IN_PORT: 1 << 0,
  DL_VLAN: 1 << 1,
  DL_SRC: 1 << 2,
  DL_DST: 1 << 3,
  DL_TYPE: 1 << 4,
  NW_PROTO: 1 << 5,
  TP_SRC: 1 << 6,
  TP_DST: 1 << 7,
  NW_SRC_SHIFT: 8,
  NW_SRC_BITS: 6,
  NW_SRC_MASK: 0x3f << 8,
  NW_SRC_ALL: 32 << 8,
  NW_DST_SHIFT: 14,
  NW_DST_BITS: 6,
  NW_DST_MASK: 0x3f << 14,
  NW_DST_ALL: 32 << 14,
  DL_VLAN_PCP: 1 << 20,
  NW_TOS: 1 << 21,
  ALL: (1 << 22) - 1,
} as const;

/** Action types (ofp_action_type). */
export const OFPAT = {
  OUTPUT: 0,
  SET_VLAN_VID: 1,
  SET_VLAN_PCP: 2,
  STRIP_VLAN: 3,
  SET_DL_SRC: 4,
  SET_DL_DST: 5,
  SET_NW_SRC: 6,
  SET_NW_DST: 7,
  SET_NW_TOS: 8,
  SET_TP_SRC: 9,
  SET_TP_DST: 10,
  ENQUEUE: 11,
  VENDOR: 0xffff,
} as const;
export type OfpActionType = (typeof OFPAT)[keyof typeof OFPAT];

/** Flow-mod commands (ofp_flow_mod_command). */
export const OFPFC = {
  ADD: 0,
  MODIFY: 1,
  MODIFY_STRICT: 2,
  DELETE: 3,
  DELETE_STRICT: 4,
} as const;

/** Flow-mod flags (ofp_flow_mod_flags). */
export const OFPFF = {
  SEND_FLOW_REM: 1 << 0,
  CHECK_OVERLAP: 1 << 1,
  EMERG: 1 << 2,
} as const;

/** Packet-in reasons (ofp_packet_in_reason). */
export const OFPR = {
  NO_MATCH: 0,
  ACTION: 1,
} as const;

/** Flow-removed reasons (ofp_flow_removed_reason). */
export const OFPRR = {
  IDLE_TIMEOUT: 0,
  HARD_TIMEOUT: 1,
  DELETE: 2,
} as const;

/** Port-status reasons (ofp_port_reason). */
export const OFPPR = {
  ADD: 0,
  DELETE: 1,
  MODIFY: 2,
} as const;

/** Stats types (ofp_stats_types), plus Open vSwitch's OF1.0 port-description extension. */
export const OFPST = {
  DESC: 0,
  FLOW: 1,
  AGGREGATE: 2,
  TABLE: 3,
  PORT: 4,
  QUEUE: 5,
  PORT_DESC: 13,
  VENDOR: 0xffff,
} as const;
export type OfpStatsType = (typeof OFPST)[keyof typeof OFPST];

/** Queue property types (ofp_queue_properties). */
export const OFPQT = {
  NONE: 0,
  MIN_RATE: 1,
} as const;

/** Error types (ofp_error_type). */
export const OFPET = {
  HELLO_FAILED: 0,
  BAD_REQUEST: 1,
  BAD_ACTION: 2,
  FLOW_MOD_FAILED: 3,
  PORT_MOD_FAILED: 4,
  QUEUE_OP_FAILED: 5,
} as const;
export type OfpErrorType = (typeof OFPET)[keyof typeof OFPET];

export const OFPHFC = { INCOMPATIBLE: 0, EPERM: 1 } as const;
export const OFPBRC = {
  BAD_VERSION: 0,
  BAD_TYPE: 1,
  BAD_STAT: 2,
  BAD_VENDOR: 3,
  BAD_SUBTYPE: 4,
  EPERM: 5,
  BAD_LEN: 6,
  BUFFER_EMPTY: 7,
  BUFFER_UNKNOWN: 8,
} as const;
export const OFPBAC = {
  BAD_TYPE: 0,
  BAD_LEN: 1,
  BAD_VENDOR: 2,
  BAD_VENDOR_TYPE: 3,
  BAD_OUT_PORT: 4,
  BAD_ARGUMENT: 5,
  EPERM: 6,
  TOO_MANY: 7,
  BAD_QUEUE: 8,
} as const;
export const OFPFMFC = {
  ALL_TABLES_FULL: 0,
  OVERLAP: 1,
  EPERM: 2,
  BAD_EMERG_TIMEOUT: 3,
  BAD_COMMAND: 4,
  UNSUPPORTED: 5,
} as const;
export const OFPPMFC = { BAD_PORT: 0, BAD_HW_ADDR: 1 } as const;
export const OFPQOFC = { BAD_PORT: 0, BAD_QUEUE: 1, EPERM: 2 } as const;

/** Error codes per error type, with the spec's prefix for each (used to print and parse names). */
export const ERROR_CODES: Readonly<
  Record<number, { prefix: string; codes: Readonly<Record<string, number>> }>
> = {
  [OFPET.HELLO_FAILED]: { prefix: 'OFPHFC', codes: OFPHFC },
  [OFPET.BAD_REQUEST]: { prefix: 'OFPBRC', codes: OFPBRC },
  [OFPET.BAD_ACTION]: { prefix: 'OFPBAC', codes: OFPBAC },
  [OFPET.FLOW_MOD_FAILED]: { prefix: 'OFPFMFC', codes: OFPFMFC },
  [OFPET.PORT_MOD_FAILED]: { prefix: 'OFPPMFC', codes: OFPPMFC },
  [OFPET.QUEUE_OP_FAILED]: { prefix: 'OFPQOFC', codes: OFPQOFC },
};

/** The name of `value` in a constant group, or undefined. */
export function nameOf(group: Readonly<Record<string, number>>, value: number): string | undefined {
  for (const k in group) if (group[k] === value) return k;
  return undefined;
}
