/*
 * Splitting stats replies that do not fit in one OpenFlow message.
 *
 * Entries are packed into replies of at most 65535 bytes, never splitting an entry; every reply but
 * the last carries OFPSF_REPLY_MORE. An empty list still gives one (empty) reply.
 */
import { OFP_MAX_MSG_LEN, OFPSF_REPLY_MORE } from '../openflow/constants.js';

/** ofp_header (8) + ofp_stats_reply type and flags (4). */
const STATS_HEADER = 12;

export function splitEntries<T>(
  entries: readonly T[],
  sizeOf: (e: T) => number,
): { body: T[]; flags: number }[] {
  const out: { body: T[]; flags: number }[] = [];
  let cur: T[] = [];
  let size = STATS_HEADER;
  for (const e of entries) {
    const n = sizeOf(e);
    if (cur.length > 0 && size + n > OFP_MAX_MSG_LEN) {
      out.push({ body: cur, flags: OFPSF_REPLY_MORE });
      cur = [];
      size = STATS_HEADER;
    }
    cur.push(e);
    size += n;
  }
  out.push({ body: cur, flags: 0 });
  return out;
}
