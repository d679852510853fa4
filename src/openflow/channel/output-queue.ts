/*
 * Outgoing bytes of one channel, coalesced into few stream writes.
 *
 * Messages are encoded straight into a large chunk (no per-message Buffer), and everything sent
 * during one synchronous run — the replies to a segment of pipelined requests, the packet-ins of one
 * receive batch — goes to the stream in a single write() at the next microtask. A flushed region of
 * the chunk is never written again (the stream may still hold it), so filling simply moves on; a
 * full chunk is abandoned to the stream and a fresh one allocated.
 *
 * While the channel is inside a receive (hold() … release()), nothing is scheduled: release()
 * writes what the segment's replies produced at once. That saves a microtask per received segment
 * (Node's queueMicrotask allocates an AsyncResource and a bound function per call), which matters
 * for request/reply traffic such as FLOW_MOD + BARRIER round trips.
 *
 * Order is preserved: a large raw buffer written directly first flushes what is pending.
 */
import { encodeMessageInto, messageSize } from '../codec.js';
import type { OfpMessage } from '../messages.js';
import type { ByteStream } from './byte-stream.js';

const CHUNK = 64 * 1024;
/** Raw buffers at least this large are written as they are instead of being copied. */
const DIRECT = 4096;

export class OutputQueue {
  private chunk = Buffer.allocUnsafe(CHUNK);
  private start = 0;
  private end = 0;
  private scheduled = false;
  private holding = false;
  private closed = false;
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly stream: ByteStream) {}

  /** Encodes `m` for sending. Throws RangeError (before queueing anything) if it exceeds 64 KiB. */
  pushMessage(m: OfpMessage): void {
    if (this.closed) return;
    const len = messageSize(m);
    this.reserve(len);
    this.end = encodeMessageInto(m, this.chunk, this.end, len);
    this.schedule();
  }

  /** Queues already-encoded bytes; `buf` is copied or handed to the stream, so never reuse it. */
  pushRaw(buf: Buffer): void {
    if (this.closed) return;
    if (buf.length >= DIRECT) {
      this.flush();
      this.stream.write(buf);
      return;
    }
    this.reserve(buf.length);
    buf.copy(this.chunk, this.end);
    this.end += buf.length;
    this.schedule();
  }

  /** Bytes accepted but not yet handed to the stream. */
  get pending(): number {
    return this.end - this.start;
  }

  /** Hands pending bytes to the stream now. */
  flush(): void {
    if (this.end === this.start || this.closed) return;
    this.stream.write(this.chunk.subarray(this.start, this.end));
    this.start = this.end;
  }

  /** Defers output until release(), which writes it synchronously (no microtask). */
  hold(): void {
    this.holding = true;
  }

  /** Ends hold() and hands what is pending to the stream now. */
  release(): void {
    this.holding = false;
    this.flush();
  }

  /** Drops anything pending and refuses further output. */
  close(): void {
    this.closed = true;
    this.start = this.end;
  }

  private reserve(len: number): void {
    if (this.chunk.length - this.end >= len) return;
    this.flush();
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK, len));
    this.start = this.end = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.holding) return;
    this.scheduled = true;
    queueMicrotask(this.flushNow);
  }
}
