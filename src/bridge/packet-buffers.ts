/*
 * Packets buffered for packet-in, so a controller can name them by buffer_id in a flow-mod or
 * packet-out instead of sending the data back.
 *
 * As in Open vSwitch's pktbuf, a buffer id is a slot index in the low 8 bits and the slot's cookie
 * above it: the cookie moves every time a slot is reused, so a stale id is told apart from a live one.
 * A slot is reused round-robin, but never within OVERWRITE_MS of being filled (then the packet-in goes
 * unbuffered). Taking a packet empties its slot. An id whose cookie does not match the slot is
 * OFPBRC_BUFFER_UNKNOWN; a matching id whose packet was already taken or expired is
 * OFPBRC_BUFFER_EMPTY.
 */
import { OFPBRC, OFPET, OFP_NO_BUFFER } from '../openflow/constants.js';
import { DatapathError } from '../datapath/errors.js';

export const N_BUFFERS = 256;
const SLOT_BITS = 8;
const SLOT_MASK = N_BUFFERS - 1;
/** How long a buffered packet is guaranteed to stay (Open vSwitch uses 5 s too). */
export const OVERWRITE_MS = 5000;
const MAX_COOKIE = 0xffffff;

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
  private readonly slots: Slot[] = Array.from({ length: N_BUFFERS }, () => ({
    cookie: 0,
    frame: undefined,
    inPort: 0,
    filledMs: -Infinity,
  }));
  private next = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Stores a copy-free reference to `frame` (the caller gives up ownership); returns its id or OFP_NO_BUFFER. */
  save(frame: Buffer, inPort: number): number {
    const i = this.next;
    const s = this.slots[i]!;
    const now = this.now();
    if (s.frame && now - s.filledMs < OVERWRITE_MS) return OFP_NO_BUFFER;
    this.next = (i + 1) & SLOT_MASK;
    s.cookie = s.cookie >= MAX_COOKIE ? 1 : s.cookie + 1;
    s.frame = frame;
    s.inPort = inPort;
    s.filledMs = now;
    return ((s.cookie << SLOT_BITS) | i) >>> 0;
  }

  /** Takes the packet named by `id`; throws DatapathError BUFFER_UNKNOWN or BUFFER_EMPTY. */
  take(id: number): BufferedPacket {
    const s = this.slots[id & SLOT_MASK]!;
    if (id === OFP_NO_BUFFER || s.cookie !== id >>> SLOT_BITS)
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
