/*
 * OFPT_HELLO and version negotiation, as clients.md §1 records it and Open vSwitch's vconn.c does.
 *
 * We speak only OpenFlow 1.0 (wire version 0x01). Our HELLO is the 8-byte v1 header with no
 * elements, byte for byte what Open vSwitch sends when only 1.0 is enabled; every client measured
 * (ovs-ofctl, ovs-testcontroller, os-ken) accepts it.
 *
 * The peer's HELLO decides:
 *  - with a version-bitmap element (type 1): 1.0 is agreed iff bit 1 of the first bitmap word is set
 *    (the header version is then irrelevant);
 *  - without one: 1.0 is agreed iff the header version is >= 1 (ovs-testcontroller sends v6, os-ken
 *    v4/v6, with no bitmap).
 * A malformed or empty bitmap is ignored in favour of the header version, as Open vSwitch does.
 *
 * On failure we answer OFPT_ERROR HELLO_FAILED/INCOMPATIBLE in the *peer's* (highest) version with
 * xid 0 and an ASCII reason, then close: exactly the 82-byte v4 error Open vSwitch sends to
 * `ovs-ofctl -O OpenFlow13`.
 *
 * Works on raw bytes, not through decodeMessage, because the peer's HELLO may be any version.
 */
import { OFPET, OFPHFC, OFPT, OFP_HEADER_LEN, OFP_VERSION } from '../constants.js';
import { encodeErrorReply } from './error-reply.js';

/** Hello element type carrying the version bitmap (OFPHET_VERSIONBITMAP). */
const OFPHET_VERSIONBITMAP = 1;

let helloXid = 0;

/** Our HELLO: version 1, 8 bytes, a fresh xid from a process-wide counter (as OVS). */
export function encodeOurHello(): Buffer {
  helloXid = (helloXid + 1) >>> 0;
  const b = Buffer.alloc(OFP_HEADER_LEN);
  b[0] = OFP_VERSION;
  b[1] = OFPT.HELLO;
  b.writeUInt16BE(OFP_HEADER_LEN, 2);
  b.writeUInt32BE(helloXid, 4);
  return b;
}

/** What the peer's HELLO says it supports. */
export interface PeerVersions {
  /** Header version of the peer's HELLO. */
  version: number;
  /** First word of a well-formed, non-empty version bitmap, or undefined when there is none. */
  bitmap: number | undefined;
}

/** Reads the peer's HELLO (whole message, any version). Never throws. */
export function parsePeerHello(msg: Buffer): PeerVersions {
  const version = msg[0]!;
  const end = Math.min(msg.length, msg.readUInt16BE(2));
  let o = OFP_HEADER_LEN;
  while (end - o >= 4) {
    const type = msg.readUInt16BE(o);
    const len = msg.readUInt16BE(o + 2);
    if (len < 4 || o + len > end) break;
    if (type === OFPHET_VERSIONBITMAP) {
      const words = (len - 4) >>> 2;
      if (words === 0 || (len - 4) % 4 !== 0) break;
      // Version 0 does not exist; a peer claiming it is ignored on that point.
      const bitmap = msg.readUInt32BE(o + 4) & ~1;
      return { version, bitmap: bitmap === 0 ? undefined : bitmap >>> 0 };
    }
    o += (len + 7) & ~7;
  }
  return { version, bitmap: undefined };
}

/** True when the peer can speak OpenFlow 1.0 with us. */
export function peerAccepts10(peer: PeerVersions): boolean {
  return peer.bitmap !== undefined ? (peer.bitmap & (1 << OFP_VERSION)) !== 0 : peer.version >= OFP_VERSION;
}

/** The peer's highest version: the one our HELLO_FAILED error is written in. */
export function peerHighestVersion(peer: PeerVersions): number {
  return peer.bitmap !== undefined ? 31 - Math.clz32(peer.bitmap) : peer.version;
}

function formatVersions(peer: PeerVersions): string {
  const vs: number[] = [];
  if (peer.bitmap !== undefined) {
    for (let v = 1; v < 32; v++) if (peer.bitmap & (1 << v)) vs.push(v);
  } else {
    vs.push(peer.version);
  }
  const hex = vs.map((v) => `0x${v.toString(16).padStart(2, '0')}`);
  return `${hex.length === 1 ? 'version' : 'versions'} ${hex.join(', ')}`;
}

/** The HELLO_FAILED/INCOMPATIBLE error for a peer we cannot talk to, in the peer's version. */
export function encodeHelloFailed(peer: PeerVersions): Buffer {
  const reason = Buffer.from(
    `We support version 0x01, you support ${formatVersions(peer)}, no common versions.`,
  );
  return encodeErrorReply(OFPET.HELLO_FAILED, OFPHFC.INCOMPATIBLE, 0, reason, peerHighestVersion(peer));
}
