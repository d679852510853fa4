/*
 * Whole-message encode and decode: the ofp_header plus the body declared in messages.ts.
 *
 * decodeMessage() throws only OfpDecodeError. Version rules: HELLO and ERROR are decoded in any
 * version (negotiation needs them); every other message must be OpenFlow 1.0 (OFPBRC_BAD_VERSION).
 */
import { OFPBRC, OFPET, OFP_HEADER_LEN, OFP_MAX_MSG_LEN, OFP_VERSION, OFPT } from './constants.js';
import { OfpDecodeError, badLen } from './decode-error.js';
import { messageCodecs, type OfpMessage } from './messages.js';

export interface OfpHeader {
  version: number;
  type: number;
  length: number;
  xid: number;
}

/** Reads the 8-byte header at `o` without checking it. */
export function readHeader(b: Buffer, o = 0): OfpHeader {
  return {
    version: b[o]!,
    type: b[o + 1]!,
    length: (b[o + 2]! << 8) | b[o + 3]!,
    xid: b.readUInt32BE(o + 4),
  };
}

/** Decodes the one message that starts at `o` and whose header length must fit before `end`. */
export function decodeMessage(b: Buffer, o = 0, end = b.length): OfpMessage {
  if (end - o < OFP_HEADER_LEN) throw badLen(`message of ${end - o} bytes is shorter than a header`);
  const version = b[o]!;
  const type = b[o + 1]!;
  const length = (b[o + 2]! << 8) | b[o + 3]!;
  const xid = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  if (length < OFP_HEADER_LEN || length > end - o)
    throw badLen(`header length ${length} with ${end - o} bytes`);
  if (version !== OFP_VERSION && type !== OFPT.HELLO && type !== OFPT.ERROR)
    throw new OfpDecodeError(OFPET.BAD_REQUEST, OFPBRC.BAD_VERSION, `version ${version}`);
  const codec = messageCodecs[type];
  if (!codec) throw new OfpDecodeError(OFPET.BAD_REQUEST, OFPBRC.BAD_TYPE, `unknown message type ${type}`);
  return codec.decode(b, o, o + length, xid, version);
}

/** Encoded size of `m` in bytes. */
export function messageSize(m: OfpMessage): number {
  return messageCodecs[m.type]!.size(m);
}

/**
 * Writes `m` at `o` in `b` (which must have room: see messageSize) and returns the offset after it.
 * `len`, when the caller already has messageSize(m), spares computing it again. Throws RangeError
 * when the message would exceed OpenFlow's 64 KiB limit.
 */
export function encodeMessageInto(m: OfpMessage, b: Buffer, o: number, len?: number): number {
  const codec = messageCodecs[m.type];
  if (!codec) throw new RangeError(`unknown message type ${m.type}`);
  len ??= codec.size(m);
  if (len > OFP_MAX_MSG_LEN) throw new RangeError(`message type ${m.type} of ${len} bytes exceeds 65535`);
  b[o] = 'version' in m ? m.version : OFP_VERSION;
  b[o + 1] = m.type;
  b[o + 2] = len >>> 8;
  b[o + 3] = len;
  const xid = m.xid;
  b[o + 4] = xid >>> 24;
  b[o + 5] = xid >>> 16;
  b[o + 6] = xid >>> 8;
  b[o + 7] = xid;
  return codec.encode(b, o, m, len);
}

/** Encodes `m` into a new Buffer. */
export function encodeMessage(m: OfpMessage): Buffer {
  const len = messageSize(m);
  const b = Buffer.allocUnsafe(len);
  encodeMessageInto(m, b, 0, len);
  return b;
}
