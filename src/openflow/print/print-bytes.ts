/*
 * printBytes(): `ovs-ofctl ofp-print` for raw bytes, including what OVS prints for input it cannot
 * decode (OVS lib/ofp-print.c ofp_to_string()):
 * - empty input, input shorter than a header: a notice and a hex dump;
 * - fewer bytes than the header's length: the header line when the type is recognisable, then
 *   `(***truncated to N bytes from M***)` and a hex dump;
 * - more bytes than the header's length: `(***only uses M bytes out of N***)` and a hex dump;
 * - a message whose type or size OVS rejects before decoding its body: `***decode error: NAME***`;
 *   a body it rejects: the header line, ` ***decode error: NAME***`; both followed by a hex dump.
 * printMessage() prints an already decoded message.
 */
import { OFPBAC, OFPBRC, OFPET, OFPQT, OFPST, OFPT, OFP_HEADER_LEN } from '../constants.js';
import { decodeMessage } from '../codec.js';
import { OfpDecodeError } from '../decode-error.js';
import { encodeMessage } from '../codec.js';
import type { OfpMessage } from '../messages.js';
import { hexDump } from './hex-dump.js';
import {
  beforeDecodeError,
  errorNameForPrint,
  formatMessage,
  OvsDecodeError,
  type PrintOptions,
} from './message-format.js';
import { messageTypeName, statsName, versionTag } from './names.js';
import { vendorHeaderName } from './vendor-format.js';
import { checkActionsLikeOvs, NX_VENDOR_ID } from './action-format.js';
import { ofpFlowStats } from '../stats.js';
import { decodeActions } from '../actions.js';
import type { OfpPacketQueue } from '../queues.js';
import { formatQueueConfigReply } from './queue-format.js';
import { formatFlowStats, statsFlags } from './stats-format.js';

export type { PrintOptions };

/** Size rules OVS applies to each OF1.0 message before decoding it: [fixed size, element size]. */
const SIZES: Readonly<Record<number, readonly [number, number]>> = {
  [OFPT.HELLO]: [8, 1],
  [OFPT.ERROR]: [12, 1],
  [OFPT.ECHO_REQUEST]: [8, 1],
  [OFPT.ECHO_REPLY]: [8, 1],
  [OFPT.VENDOR]: [16, 1],
  [OFPT.FEATURES_REQUEST]: [8, 0],
  [OFPT.FEATURES_REPLY]: [32, 48],
  [OFPT.GET_CONFIG_REQUEST]: [8, 0],
  [OFPT.GET_CONFIG_REPLY]: [12, 0],
  [OFPT.SET_CONFIG]: [12, 0],
  [OFPT.PACKET_IN]: [18, 1],
  [OFPT.FLOW_REMOVED]: [88, 0],
  [OFPT.PORT_STATUS]: [64, 0],
  [OFPT.PACKET_OUT]: [16, 1],
  [OFPT.FLOW_MOD]: [72, 8],
  [OFPT.PORT_MOD]: [32, 0],
  [OFPT.STATS_REQUEST]: [12, 1],
  [OFPT.STATS_REPLY]: [12, 1],
  [OFPT.BARRIER_REQUEST]: [8, 0],
  [OFPT.BARRIER_REPLY]: [8, 0],
  [OFPT.QUEUE_GET_CONFIG_REQUEST]: [12, 0],
  [OFPT.QUEUE_GET_CONFIG_REPLY]: [16, 8],
};

/** Stats body sizes by stats type: [request fixed, request element, reply fixed, reply element]. */
const STATS_SIZES: Readonly<Record<number, readonly [number, number, number, number]>> = {
  [OFPST.DESC]: [0, 0, 1056, 0],
  [OFPST.FLOW]: [44, 0, 0, 8],
  [OFPST.AGGREGATE]: [44, 0, 24, 0],
  [OFPST.TABLE]: [0, 0, 0, 64],
  [OFPST.PORT]: [8, 0, 0, 104],
  [OFPST.QUEUE]: [8, 0, 0, 32],
  [OFPST.PORT_DESC]: [0, 0, 0, 48],
  [OFPST.VENDOR]: [12, 1, 12, 1],
};

/** Nicira messages with 8-byte-aligned bodies: [fixed size, element size] by subtype. */
const NX_SIZES: Readonly<Record<number, readonly [number, number]>> = {
  13: [48, 8], // NXT_FLOW_MOD
  30: [16, 8], // NXT_PACKET_IN2
};

class RawError extends Error {
  constructor(readonly code: number) {
    super(String(code));
  }
}

/** OVS's ofpraw decode: the message's name, or RawError(code of OFPET_BAD_REQUEST). */
function rawName(b: Buffer, len: number, partial: boolean): string {
  const version = b[0]!;
  const type = b[1]!;
  const anyVersion = [
    OFPT.HELLO,
    OFPT.ERROR,
    OFPT.ECHO_REQUEST,
    OFPT.ECHO_REPLY,
    OFPT.FEATURES_REQUEST,
    OFPT.GET_CONFIG_REQUEST,
  ] as number[];
  if (version !== 1 && (version < 1 || version > 6 || !anyVersion.includes(type)))
    throw new RawError(OFPBRC.BAD_VERSION);
  const size = SIZES[type];
  const name = messageTypeName(type);
  if (!size || !name) throw new RawError(OFPBRC.BAD_TYPE);
  let full = name;
  let fixed = size[0];
  let elem = size[1];
  if (type === OFPT.VENDOR) {
    if (len < 16) throw new RawError(OFPBRC.BAD_LEN);
    const vendor = b.readUInt32BE(8);
    if (vendor !== NX_VENDOR_ID) throw new RawError(OFPBRC.BAD_VENDOR);
    const n = vendorHeaderName({ vendor, data: b.subarray(12, 16) }, false, false);
    if (!n) throw new RawError(OFPBRC.BAD_SUBTYPE);
    full = n;
    const nx = NX_SIZES[b.readUInt32BE(12)];
    if (nx) [fixed, elem] = nx;
  } else if (type === OFPT.STATS_REQUEST || type === OFPT.STATS_REPLY) {
    if (len < 12) throw new RawError(OFPBRC.BAD_LEN);
    const st = b.readUInt16BE(8);
    const reply = type === OFPT.STATS_REPLY;
    const ss = STATS_SIZES[st];
    if (!ss) throw new RawError(OFPBRC.BAD_STAT);
    if (st === OFPST.VENDOR) {
      if (len < 16) throw new RawError(OFPBRC.BAD_LEN);
      const vendor = b.readUInt32BE(12);
      if (vendor !== NX_VENDOR_ID) throw new RawError(OFPBRC.BAD_VENDOR);
      if (len < 24) throw new RawError(OFPBRC.BAD_LEN);
      const n = vendorHeaderName({ vendor, data: b.subarray(16, 20) }, true, reply);
      if (!n) throw new RawError(OFPBRC.BAD_SUBTYPE);
      full = n;
      const sub = b.readUInt32BE(16);
      // NXST_FLOW / NXST_AGGREGATE requests have an 8-byte fixed part; these bodies are 8-byte units.
      fixed = 24 + (!reply && (sub === 0 || sub === 1) ? 8 : 0);
      elem = sub <= 2 ? 8 : 1;
    } else {
      full = statsName(st, reply)!;
      fixed = 12 + (reply ? ss[2] : ss[0]);
      elem = reply ? ss[3] : ss[1];
    }
  }
  if (!partial) {
    if (len < fixed || (elem === 0 && len !== fixed) || (elem > 1 && (len - fixed) % elem !== 0))
      throw new RawError(OFPBRC.BAD_LEN);
  }
  return `${full}${versionTag(version)} (xid=0x${b.readUInt32BE(4).toString(16)}):`;
}

/** A queue-config reply our codec rejected: the queues OVS prints before its OFPBRC_BAD_LEN. */
function queueReplyError(buf: Buffer): [string, string] {
  const queues: OfpPacketQueue[] = [];
  for (let p = 16; p < buf.length;) {
    const qlen = buf.length - p >= 8 ? buf.readUInt16BE(p + 4) : 0;
    if (qlen < 8 || qlen > buf.length - p) break;
    const properties: OfpPacketQueue['properties'] = [];
    let ok = true;
    for (let q = p + 8; q < p + qlen;) {
      const plen = p + qlen - q >= 4 ? buf.readUInt16BE(q + 2) : 0;
      const type = plen ? buf.readUInt16BE(q) : -1;
      if (plen < 8 || plen > p + qlen - q || (type === OFPQT.MIN_RATE && plen !== 16)) {
        ok = false;
        break;
      }
      if (type === OFPQT.MIN_RATE)
        properties.push({ property: OFPQT.MIN_RATE, rate: buf.readUInt16BE(q + 8) });
      else properties.push({ property: type, data: buf.subarray(q + 8, q + plen) });
      q += plen;
    }
    if (!ok) break;
    queues.push({ queue_id: buf.readUInt32BE(p), properties });
    p += qlen;
  }
  const badLen = errorNameForPrint(OFPET.BAD_REQUEST, OFPBRC.BAD_LEN);
  try {
    return [
      badLen,
      formatQueueConfigReply({
        type: OFPT.QUEUE_GET_CONFIG_REPLY,
        xid: 0,
        port: buf.readUInt16BE(8),
        queues,
      }),
    ];
  } catch (err) {
    if (!(err instanceof OvsDecodeError)) throw err;
    return [badLen, err.partial];
  }
}

/** The first error OVS finds decoding the actions in [start, end) one by one, in order. */
function firstActionError(buf: Buffer, start: number, end: number): string | undefined {
  for (let p = start; p < end;) {
    const len = end - p >= 4 ? buf.readUInt16BE(p + 2) : 0;
    // OVS looks at a vendor action's vendor before its length.
    if (end - p >= 8 && buf.readUInt16BE(p) === 0xffff && buf.readUInt32BE(p + 4) !== NX_VENDOR_ID)
      return errorNameForPrint(OFPET.BAD_ACTION, OFPBAC.BAD_VENDOR);
    try {
      const [a] = decodeActions(buf, p, len >= 8 && len <= end - p ? p + len : end);
      const ovs = a && checkActionsLikeOvs([a]);
      if (ovs) return errorNameForPrint(ovs[0], ovs[1]);
    } catch (err) {
      if (!(err instanceof OfpDecodeError)) throw err;
      return errorNameForPrint(err.errorType, err.errorCode);
    }
    p += len;
  }
  return undefined;
}

/**
 * The error OVS reports for a message whose body our codec rejected, and the text OVS prints before
 * it. OVS checks some things before decoding actions (a flow mod's command), treats an actions length
 * that is not a multiple of 8 as OFPBRC_BAD_LEN, and prints the flow-stats entries that precede a
 * malformed one.
 */
function ovsBodyError(buf: Buffer, e: OfpDecodeError): [string, string] {
  const codecName = (): string => errorNameForPrint(e.errorType, e.errorCode);
  const type = buf[1];
  if (type === OFPT.FLOW_MOD) {
    if ((buf.readUInt16BE(56) & 0xff) > 4) return [errorNameForPrint(OFPET.FLOW_MOD_FAILED, 4), ''];
    return [firstActionError(buf, 72, buf.length) ?? codecName(), ''];
  }
  if (type === OFPT.PACKET_OUT) {
    const alen = buf.readUInt16BE(14);
    if (alen % 8 || 16 + alen > buf.length) return [errorNameForPrint(OFPET.BAD_REQUEST, OFPBRC.BAD_LEN), ''];
    return [firstActionError(buf, 16, 16 + alen) ?? codecName(), ''];
  }
  if (type === OFPT.QUEUE_GET_CONFIG_REPLY) return queueReplyError(buf);
  if (type === OFPT.STATS_REPLY && buf.readUInt16BE(8) === OFPST.FLOW) {
    const flags = statsFlags({ type: OFPT.STATS_REPLY, flags: buf.readUInt16BE(10) } as Parameters<
      typeof statsFlags
    >[0]);
    let partial = flags;
    const badLen = errorNameForPrint(OFPET.BAD_REQUEST, OFPBRC.BAD_LEN);
    for (let p = 12; p < buf.length;) {
      if (buf.length - p < 88) return [badLen, partial];
      const len = buf.readUInt16BE(p);
      if (len < 88 || len > buf.length - p || (len - 88) % 8) return [badLen, partial];
      let entry;
      try {
        entry = ofpFlowStats.decode(buf, p, p + len);
      } catch (err) {
        if (!(err instanceof OfpDecodeError)) throw err;
        return [
          firstActionError(buf, p + 88, p + len) ?? errorNameForPrint(err.errorType, err.errorCode),
          partial,
        ];
      }
      const ovs = checkActionsLikeOvs(entry.actions);
      if (ovs) return [errorNameForPrint(ovs[0], ovs[1]), partial];
      partial += '\n ' + formatFlowStats(entry);
      p += len;
    }
  }
  return [codecName(), ''];
}

/** ovs-ofctl's text for one message given as raw bytes. */
export function printBytes(buf: Buffer, opts: PrintOptions = {}): string {
  const verbosity = opts.verbosity ?? 2;
  const len = buf.length;
  if (!len) return 'OpenFlow message is empty\n';
  if (len < OFP_HEADER_LEN) return `OpenFlow packet too short (only ${len} bytes):\n` + hexDump(buf);
  const declared = buf.readUInt16BE(2);
  if (declared > len) {
    let s = '';
    try {
      s = rawName(buf, len, true) + '\n';
    } catch (e) {
      if (!(e instanceof RawError)) throw e;
    }
    return s + `(***truncated to ${len} bytes from ${declared}***)\n` + hexDump(buf);
  }
  if (declared < len) return `(***only uses ${declared} bytes out of ${len}***)\n` + hexDump(buf);
  let head: string;
  try {
    head = rawName(buf, len, false);
  } catch (e) {
    if (!(e instanceof RawError)) throw e;
    return `***decode error: ${errorNameForPrint(OFPET.BAD_REQUEST, e.code)}***\n` + hexDump(buf);
  }
  if (
    buf[0] !== 1 &&
    (buf[1] === OFPT.FEATURES_REQUEST ||
      buf[1] === OFPT.GET_CONFIG_REQUEST ||
      buf[1] === OFPT.ECHO_REQUEST ||
      buf[1] === OFPT.ECHO_REPLY)
  ) {
    // Messages laid out alike in every OpenFlow version, which OVS prints for any version.
    const payload = buf.subarray(OFP_HEADER_LEN);
    const echo = buf[1] === OFPT.ECHO_REQUEST || buf[1] === OFPT.ECHO_REPLY;
    return (
      head + (echo ? ` ${payload.length} bytes of payload\n` + (verbosity > 1 ? hexDump(payload) : '') : '\n')
    );
  }
  let m: OfpMessage;
  try {
    m = decodeMessage(buf);
  } catch (e) {
    if (!(e instanceof OfpDecodeError)) throw e;
    const [name, partial] = ovsBodyError(buf, e);
    return `${beforeDecodeError(head, partial)}***decode error: ${name}***\n` + hexDump(buf);
  }
  return formatMessage(
    m,
    verbosity,
    (inner) => printBytes(inner, { verbosity: 1 }),
    () => buf,
  );
}

/**
 * ovs-ofctl's text for a decoded message: what `ovs-ofctl ofp-print` prints for its encoding (so
 * the same size and vendor checks apply as for raw bytes).
 */
export function printMessage(msg: OfpMessage, opts: PrintOptions = {}): string {
  return printBytes(encodeMessage(msg), opts);
}
