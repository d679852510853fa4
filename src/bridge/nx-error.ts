/*
 * Errors that OpenFlow 1.0 has no code for, sent the way Open vSwitch sends them to an OpenFlow 1.0
 * peer: OFPT_ERROR with type NXET_VENDOR (0xb0c2) and code 0, whose data is a Nicira vendor error
 * header (vendor 0x00002320, then OVS's own type and code for the error) followed by the offending
 * message. `ovs-ofctl` prints such an error by its name (OFPBRC_BAD_PORT); a client that knows nothing
 * of Nicira still sees an OFPT_ERROR carrying the request's xid and bytes.
 */
import { encodeMessage } from '../openflow/codec.js';
import type { OfpMessage } from '../openflow/messages.js';

/** OFPT_ERROR type of a Nicira vendor error (OpenFlow 1.0 has no experimenter error type). */
export const NXET_VENDOR = 0xb0c2;
export const NX_VENDOR_ID = 0x00002320;

export interface NxErrorCode {
  readonly type: number;
  readonly code: number;
}

/**
 * OFPBRC_BAD_PORT (defined from OpenFlow 1.2), numbered (1, 514) as OVS sends it to 1.0 peers: a
 * request names a port it may not (a PACKET_OUT's in_port, for one).
 */
export const NXBRC_BAD_PORT: NxErrorCode = { type: 1, code: 514 };

/** The data of a vendor error refusing `msg`: the Nicira header, then `msg` encoded. */
export function nxErrorData(err: NxErrorCode, msg: OfpMessage): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(NX_VENDOR_ID, 0);
  head.writeUInt16BE(err.type, 4);
  head.writeUInt16BE(err.code, 6);
  return Buffer.concat([head, encodeMessage(msg)]);
}
