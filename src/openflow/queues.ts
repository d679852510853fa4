/*
 * Queue descriptions for OFPT_QUEUE_GET_CONFIG_REPLY: ofp_packet_queue with its properties.
 * OpenFlow 1.0 defines one property, OFPQT_MIN_RATE (rate in 1/10 of a percent); others are kept raw.
 */
import { OFPQT } from './constants.js';
import { badLen } from './decode-error.js';
import { cursor, listOf, pad, record, totalLen, u32, type Tail } from './layout.js';

export type OfpQueueProperty =
  { property: typeof OFPQT.MIN_RATE; rate: number } | { property: number; data: Buffer };

const PROP_HEADER = 8;
const MIN_RATE_LEN = 16;

/** A list of queue properties running to the end of the queue. */
const properties: Tail<OfpQueueProperty[]> = {
  decode(b, start, end) {
    const out: OfpQueueProperty[] = [];
    let p = start;
    while (p < end) {
      if (end - p < PROP_HEADER) throw badLen(`queue property: ${end - p} bytes left`);
      const property = (b[p]! << 8) | b[p + 1]!;
      const len = (b[p + 2]! << 8) | b[p + 3]!;
      if (len < PROP_HEADER || p + len > end) throw badLen(`queue property ${property}: length ${len}`);
      if (property === OFPQT.MIN_RATE) {
        if (len !== MIN_RATE_LEN) throw badLen(`min_rate property length ${len}`);
        out.push({ property, rate: (b[p + 8]! << 8) | b[p + 9]! });
      } else {
        out.push({ property, data: b.subarray(p + PROP_HEADER, p + len) });
      }
      p += len;
    }
    cursor.pos = end;
    return out;
  },
  size(v) {
    let n = 0;
    for (const prop of v) n += 'rate' in prop ? MIN_RATE_LEN : PROP_HEADER + prop.data.length;
    return n;
  },
  encode(b, o, v) {
    for (const prop of v) {
      const len = 'rate' in prop ? MIN_RATE_LEN : PROP_HEADER + prop.data.length;
      b.writeUInt16BE(prop.property, o);
      b.writeUInt16BE(len, o + 2);
      b.fill(0, o + 4, o + len);
      if ('rate' in prop) b.writeUInt16BE(prop.rate, o + 8);
      else prop.data.copy(b, o + PROP_HEADER);
      o += len;
    }
  },
  zero: () => [],
};

const packetQueueSpec = { queue_id: u32, len: totalLen(), _pad: pad(2), properties };
/** ofp_packet_queue (8 bytes plus properties). */
export const ofpPacketQueue = record('ofp_packet_queue', packetQueueSpec);
export type OfpPacketQueue = { queue_id: number; properties: OfpQueueProperty[] };

export const packetQueues = listOf(ofpPacketQueue, 4) as Tail<OfpPacketQueue[]>;
