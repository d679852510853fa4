/*
 * Stream framing: turns a byte stream (TCP, Unix socket) into whole OpenFlow messages.
 *
 * Messages are handed out as raw Buffers, not decoded, so that the channel can decode each one itself
 * and, when decoding fails, echo the offending bytes in OFPT_ERROR. A message that lies entirely inside
 * one chunk is a view into that chunk (no copy); only a message split across chunks is copied, into a
 * fresh buffer the receiver may keep. Chunks from Node sockets are never reused, so views stay valid.
 *
 * The one unrecoverable input is a header whose length is below 8: the stream can no longer be split
 * into messages, so push() throws OfpFramingError and the connection must be closed (as Open vSwitch
 * does).
 */
import { OFP_HEADER_LEN } from './constants.js';

export class OfpFramingError extends Error {
  override name = 'OfpFramingError';
}

export class OfpFramer {
  /** Header bytes of a message whose header is split across chunks. */
  private readonly head = Buffer.alloc(OFP_HEADER_LEN);
  private headLen = 0;
  /** The message being completed from several chunks (allocated once its length is known). */
  private partial: Buffer | undefined;
  private partialLen = 0;

  /** Feeds a chunk; calls `onMessage` for every message it completes, in order. */
  push(chunk: Buffer, onMessage: (msg: Buffer) => void): void {
    let o = 0;
    const n = chunk.length;
    if (this.headLen > 0) {
      const take = Math.min(n, OFP_HEADER_LEN - this.headLen);
      chunk.copy(this.head, this.headLen, 0, take);
      this.headLen += take;
      o = take;
      if (this.headLen < OFP_HEADER_LEN) return;
      this.headLen = 0;
      this.partial = Buffer.allocUnsafe(lengthOf(this.head, 0));
      this.head.copy(this.partial, 0);
      this.partialLen = OFP_HEADER_LEN;
    }
    if (this.partial) {
      const p = this.partial;
      const take = Math.min(n - o, p.length - this.partialLen);
      chunk.copy(p, this.partialLen, o, o + take);
      this.partialLen += take;
      o += take;
      if (this.partialLen < p.length) return;
      this.partial = undefined;
      this.partialLen = 0;
      onMessage(p);
    }
    while (n - o >= OFP_HEADER_LEN) {
      const len = lengthOf(chunk, o);
      if (n - o < len) break;
      onMessage(chunk.subarray(o, o + len));
      o += len;
    }
    if (o === n) return;
    if (n - o < OFP_HEADER_LEN) {
      chunk.copy(this.head, 0, o, n);
      this.headLen = n - o;
    } else {
      const p = Buffer.allocUnsafe(lengthOf(chunk, o));
      chunk.copy(p, 0, o, n);
      this.partial = p;
      this.partialLen = n - o;
    }
  }

  /** Bytes buffered but not yet a whole message. */
  get pendingBytes(): number {
    return this.headLen + this.partialLen;
  }
}

function lengthOf(b: Buffer, o: number): number {
  const len = (b[o + 2]! << 8) | b[o + 3]!;
  if (len < OFP_HEADER_LEN) throw new OfpFramingError(`OpenFlow header length ${len} is below 8`);
  return len;
}
