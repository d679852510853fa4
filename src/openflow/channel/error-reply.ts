/*
 * OFPT_ERROR replies that echo the offending request.
 *
 * Open vSwitch echoes the *whole* request, and ovs-ofctl decodes that echo to print the request
 * beside the error (a 64-byte echo prints as "***truncated***" and a hex dump, clients.md §2). The
 * only limit is OpenFlow's 65535-byte message length, so the echo is cut to 65535 - 12 bytes.
 */
import { OFPT, OFP_MAX_MSG_LEN, OFP_VERSION } from '../constants.js';

/** ofp_header + type + code. */
export const OFP_ERROR_MSG_LEN = 12;

/** Longest echoed request that still fits in one OFPT_ERROR. */
export const MAX_ERROR_DATA = OFP_MAX_MSG_LEN - OFP_ERROR_MSG_LEN;

/**
 * Encodes OFPT_ERROR (type, code) with `xid` and `data` (cut to MAX_ERROR_DATA). `data` is copied, so
 * it may be a view into a buffer the caller reuses.
 */
export function encodeErrorReply(
  errType: number,
  code: number,
  xid: number,
  data: Buffer,
  version = OFP_VERSION,
): Buffer {
  const n = Math.min(data.length, MAX_ERROR_DATA);
  const len = OFP_ERROR_MSG_LEN + n;
  const b = Buffer.allocUnsafe(len);
  b[0] = version;
  b[1] = OFPT.ERROR;
  b.writeUInt16BE(len, 2);
  b.writeUInt32BE(xid >>> 0, 4);
  b.writeUInt16BE(errType, 8);
  b.writeUInt16BE(code, 10);
  data.copy(b, OFP_ERROR_MSG_LEN, 0, n);
  return b;
}
