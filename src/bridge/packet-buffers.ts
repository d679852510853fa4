/*
 * Packets buffered for packet-in, so a controller can name them by buffer_id in a flow-mod or
 * packet-out instead of sending the data back. One set per connection, dropped with it.
 *
 * As in Open vSwitch's pktbuf (ofproto/pktbuf.c), a buffer id is a slot index in the low 8 bits and
 * the slot's cookie above it; the cookie moves every time the slot is filled, so a stale id is told
 * apart from a live one. Slots are tried round-robin, one per packet-in: a slot filled less than
 * OVERWRITE_MS ago and not yet taken is not overwritten, and that packet-in goes unbuffered (the
 * cursor still moves on, as in OVS, so a slot taken early is reached again soon). Nothing expires by
 * age: a buffered packet stays until it is taken, overwritten (at least OVERWRITE_MS later) or its
 * connection closes.
 *
 * take(id): a cookie that does not match its slot (never handed out, or the slot was filled again
 * since) is OFPBRC_BUFFER_UNKNOWN; a matching id whose packet was already taken is
 * OFPBRC_BUFFER_EMPTY.
 *
 * Invariants: save() never returns 0xffffffff (OFP_NO_BUFFER) as an id — cookies run 1..0xfffffe and
 * wrap to 1, so slot 255 never pairs with cookie 0xffffff; cookie 0 means "never filled", so ids with
 * cookie 0 are always unknown.
 */
import { OFPBRC, OFPET, OFP_NO_BUFFER } from '../openflow/constants.js';
import { DatapathError } from '../datapath/errors.js';

export const N_BUFFERS = 256;
const SLOT_BITS = 8;
const SLOT_MASK = N_BUFFERS - 1;
/** How long a buffered packet is safe from being overwritten (Open vSwitch's OVERWRITE_MSECS). */
export const OVERWRITE_MS = 5000;
/** The largest cookie handed out: one below 0xffffff, whose ids include OFP_NO_BUFFER. */
export const MAX_COOKIE = 0xfffffe;

interface Slot {
  cookie: number;
  frame: Buffer | undefined;
  inPort: number;
  filledMs: number;
}

export interface BufferedPacket {
  frame: Buffer;
  inPort: number;
}

export class PacketBuffers {
  private readonly slots: Slot[];
  private next = 0;

  /**
   * `startCookie` is the cookie every slot starts from (0, "never filled"); tests start near
   * MAX_COOKIE to reach the wrap without 4 billion saves.
   */
  constructor(
    private readonly now: () => number = Date.now,
    startCookie = 0,
  ) {
    this.slots = Array.from({ length: N_BUFFERS }, () => ({
      cookie: startCookie,
      frame: undefined,
      inPort: 0,
      filledMs: -Infinity,
    }));
  }

  /** Stores a copy-free reference to `frame` (the caller gives up ownership); returns its id or OFP_NO_BUFFER. */
  save(frame: Buffer, inPort: number): number {
    const i = this.next;
    const s = this.slots[i]!;
    this.next = (i + 1) & SLOT_MASK;
    const now = this.now();
    if (s.frame && now - s.filledMs < OVERWRITE_MS) return OFP_NO_BUFFER;
    s.cookie = s.cookie >= MAX_COOKIE ? 1 : s.cookie + 1;
    s.frame = frame;
    s.inPort = inPort;
    s.filledMs = now;
    return ((s.cookie << SLOT_BITS) | i) >>> 0;
  }

  /** Takes the packet named by `id`; throws DatapathError BUFFER_UNKNOWN or BUFFER_EMPTY. */
  take(id: number): BufferedPacket {
    const s = this.slots[id & SLOT_MASK]!;
    const cookie = id >>> SLOT_BITS;
    if (cookie === 0 || s.cookie !== cookie)
      throw new DatapathError(OFPET.BAD_REQUEST, OFPBRC.BUFFER_UNKNOWN, `unknown buffer ${id >>> 0}`);
    const frame = s.frame;
    if (!frame)
      throw new DatapathError(OFPET.BAD_REQUEST, OFPBRC.BUFFER_EMPTY, `buffer ${id >>> 0} is empty`);
    s.frame = undefined;
    return { frame, inPort: s.inPort };
  }

  /** Drops every buffered packet (connection closed). */
  clear(): void {
    for (const s of this.slots) s.frame = undefined;
  }
}
