/*
 * An OpenFlow connection's byte stream straight over its socket descriptor: nonblocking read() and
 * send() through koffi, readiness from libuv's uv_poll — the way the ports already do their I/O
 * (src/netdev/linux/io-loop.ts) — instead of node:net's stream machinery.
 *
 * Why: a request/reply round trip (ovs-ofctl's FLOW_MOD + BARRIER, 100,000 of them) cost a trivial
 * Node server 4.1 µs of user CPU per round trip through net.Socket and 2.6 µs over the bare
 * descriptor; besides the calls themselves, net.Socket allocates a 64 KiB backing store per read
 * (shrunk afterwards), a WriteWrap and callbacks per write and a nextTick per chunk, and that garbage
 * is collected on the same thread that answers the next request.
 *
 * How a socket becomes one (adoptSocket): the descriptor of a net.Socket that has not started
 * reading — accepted with pauseOnConnect, or in its 'connect' event, before Node's first read — is
 * duplicated, the net.Socket destroyed (closing only its own descriptor), and the duplicate wrapped.
 * TLS connections keep node:tls (there the stream is the TLS layer), as does anything without a
 * descriptor; callers fall back to the net.Socket when adoptSocket returns undefined.
 *
 * Semantics follow net.Socket's, as far as the channel uses them: 'data' chunks; 'drain' once queued
 * bytes have gone after a write that could not complete; end() sends what is queued, then FIN, and
 * closes when the peer closes (allowHalfOpen false); the peer's EOF closes; errors emit 'error' then
 * 'close'; 'close' comes once, asynchronously. Chunks are views of a read slab that is never
 * written again, so a receiver may keep them (split messages, echoed errors).
 */
import type { Socket } from 'node:net';
import type { ByteStream } from '../openflow/channel/index.js';
import * as ffi from '../netdev/linux/ffi.js';

const SLAB = 64 * 1024;
/** Start a new slab when less than this is left, so a read is rarely cut short. */
const MIN_READ = 4096;
/** Reads per readiness callback before yielding to the loop (level-triggered: it comes back). */
const READS_PER_WAKEUP = 8;

type Listener<A extends unknown[]> = (...args: A) => void;

export class FdStream implements ByteStream {
  private readonly handle: ffi.PollHandle;
  private slab = Buffer.allocUnsafeSlow(SLAB);
  private used = 0;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private watchingWritable = false;
  private ending = false;
  /** The peer closed its side: no more reading. */
  private eof = false;
  private closed = false;
  private readonly dataFns: Listener<[Buffer]>[] = [];
  private readonly closeFns: Listener<[]>[] = [];
  private readonly errorFns: Listener<[Error]>[] = [];
  private readonly drainFns: Listener<[]>[] = [];
  private readonly finishFns: Listener<[]>[] = [];
  /** end() was called and everything queued has been sent (net.Socket's writableFinished). */
  writableFinished = false;

  /** Takes ownership of `fd`, a connected stream socket. */
  constructor(private readonly fd: number) {
    ffi.setNonBlocking(fd);
    this.handle = ffi.pollEvents(fd, { readable: true }, this.onPoll);
  }

  get writableLength(): number {
    return this.queued;
  }

  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close' | 'drain' | 'finish', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string, listener: (...args: never[]) => void): this {
    const list = this.listeners(event);
    list.push(listener as never);
    return this;
  }

  /** Listeners may come and go while an event is emitted: every emit but 'data' iterates a copy. */
  once(event: 'close' | 'finish', listener: () => void): this {
    const list = this.listeners(event) as Listener<[]>[];
    const wrapped = (): void => {
      const i = list.indexOf(wrapped);
      if (i >= 0) list.splice(i, 1);
      listener();
    };
    list.push(wrapped);
    return this;
  }

  write(buf: Buffer): boolean {
    if (this.closed || this.ending) return false;
    if (this.queue.length === 0) {
      const n = this.sendSome(buf);
      if (n < 0) return false;
      if (n === buf.length) return true;
      buf = buf.subarray(n);
    }
    this.queue.push(buf);
    this.queued += buf.length;
    this.watch(true);
    return false;
  }

  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    if (this.queue.length === 0) this.finish();
  }

  destroy(): void {
    this.close();
  }

  /** After end(): closes once what is queued has gone, without waiting for the peer (a listener closing). */
  destroyAfterFinish(): void {
    if (this.writableFinished || !this.ending) this.close();
    else this.once('finish', () => this.close());
  }

  private listeners(event: string): Listener<never[]>[] {
    switch (event) {
      case 'data':
        return this.dataFns as never;
      case 'close':
        return this.closeFns as never;
      case 'error':
        return this.errorFns as never;
      case 'drain':
        return this.drainFns as never;
      case 'finish':
        return this.finishFns as never;
      default:
        throw new TypeError(`FdStream has no '${event}' event`);
    }
  }

  private readonly onPoll = (status: number, ev: ffi.PollEvents): void => {
    if (this.closed) return;
    if (status < 0) return this.failAfterReading(status);
    if (ev.writable) this.flushQueue();
    if (!ev.readable || this.closed) return;
    for (let i = 0; i < READS_PER_WAKEUP; i++) {
      const n = this.readOnce();
      if (n > 0) {
        if (this.closed || this.lastReadFilled === false) return;
        continue;
      }
      if (n === 0) return this.onEof();
      if (this.lastErrno === ffi.EAGAIN || this.lastErrno === ffi.EINTR) return;
      return this.fail(`read: ${ffi.errnoName(this.lastErrno)}`);
    }
  };

  /**
   * libuv reports a socket's POLLERR as EBADF and stops the handle before anything was read. What
   * the peer sent before the error (its last requests, then a reset because it closed without
   * reading our HELLO) is still in the socket: deliver it first, as net.Socket does, then report
   * the real error (read's, or the socket's pending one).
   */
  private failAfterReading(status: number): void {
    for (;;) {
      const n = this.readOnce();
      if (n > 0) {
        if (this.closed) return;
        continue;
      }
      if (n === 0) return this.onEof();
      if (this.lastErrno === ffi.EINTR) continue;
      if (this.lastErrno !== ffi.EAGAIN) return this.fail(`read: ${ffi.errnoName(this.lastErrno)}`);
      const e = ffi.clearSocketError(this.fd);
      return this.fail(e > 0 ? `socket: ${ffi.errnoName(e)}` : `poll: libuv error ${status}`);
    }
  }

  /** Whether the last readOnce() filled all the space it had (more may be waiting). */
  private lastReadFilled = false;
  private lastErrno = 0;

  /**
   * One read() into the slab: delivers what came and returns its length, 0 at EOF, or -1 with the
   * errno in lastErrno.
   */
  private readOnce(): number {
    if (SLAB - this.used < MIN_READ) {
      this.slab = Buffer.allocUnsafeSlow(SLAB);
      this.used = 0;
    }
    const space = SLAB - this.used;
    const n = ffi.read(this.fd, this.slab.subarray(this.used), space);
    if (n < 0) {
      this.lastErrno = ffi.errno();
      return -1;
    }
    if (n > 0) {
      const chunk = this.slab.subarray(this.used, this.used + n);
      this.used += n;
      this.lastReadFilled = n === space;
      for (const f of this.dataFns) f(chunk);
    }
    return n;
  }

  /**
   * The peer closed its side. As net.Socket without allowHalfOpen: send what is queued, then close
   * (a peer that half-closes after its requests still gets the replies already produced).
   */
  private onEof(): void {
    this.eof = true;
    if (this.writableFinished) return this.close();
    this.ending = true;
    if (this.queue.length === 0) this.finish();
    else this.handle.start({ readable: false, writable: true }, this.onPoll as never);
  }

  /** Bytes sent (maybe fewer than asked), or -1 after a failure (reported asynchronously). */
  private sendSome(buf: Buffer): number {
    const n = ffi.send(this.fd, buf, buf.length, ffi.MSG_NOSIGNAL | ffi.MSG_DONTWAIT);
    if (n >= 0) return n;
    const e = ffi.errno();
    if (e === ffi.EAGAIN || e === ffi.EINTR) return 0;
    // Never call back into the writer from inside its write().
    process.nextTick(() => this.fail(`send: ${ffi.errnoName(e)}`));
    return -1;
  }

  private flushQueue(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = this.sendSome(head);
      if (n < 0) return;
      this.queued -= n;
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return;
      }
      this.queue.shift();
    }
    this.watch(false);
    if (this.ending) this.finish();
    else for (const f of [...this.drainFns]) f();
  }

  private finish(): void {
    ffi.shutdown(this.fd, ffi.SHUT_WR);
    this.writableFinished = true;
    for (const f of [...this.finishFns]) f();
    if (this.eof) this.close();
  }

  private watch(writable: boolean): void {
    if (this.watchingWritable === writable || this.closed || this.eof) return;
    this.watchingWritable = writable;
    this.handle.start({ readable: true, writable }, this.onPoll as never);
  }

  private fail(why: string): void {
    if (this.closed) return;
    const err = new Error(why);
    for (const f of [...this.errorFns]) f(err);
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
    ffi.close(this.fd);
    this.queue.length = 0;
    this.queued = 0;
    process.nextTick(() => {
      for (const f of [...this.closeFns]) f();
    });
  }
}

/**
 * Moves a connected net.Socket that has not started reading onto an FdStream; undefined (the socket
 * untouched) when it has no descriptor of its own (TLS, a pipe wrapper, another platform).
 */
export function adoptSocket(socket: Socket): FdStream | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const copy = ffi.dupCloexec(fd);
  if (copy < 0) return undefined;
  socket.destroy();
  return new FdStream(copy);
}
