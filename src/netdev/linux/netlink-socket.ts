/*
 * Netlink sockets: a synchronous request socket and an event subscription.
 *
 * Requests are synchronous on purpose. The kernel answers a NETLINK_ROUTE request while processing
 * our send() (and produces each dump chunk inside our recv()), so a blocking recv returns at once;
 * a receive timeout guards against a peer that never answers. Synchronous requests let getters such
 * as getStats() answer without making the whole provider interface asynchronous.
 *
 * Dumps marked NLM_F_DUMP_INTR (the table changed while the kernel walked it) are repeated, a few
 * times at most. Replies carry our sequence number; anything else (a late reply to a request that
 * timed out) is skipped.
 *
 * The subscription socket is non-blocking and read from the event loop via readiness; ENOBUFS from
 * it means the kernel dropped events, and the owner must resynchronise by dumping (link-monitor.ts).
 */
import * as ffi from './ffi.js';
import { NlBuilder, NLM_F, NLMSG, errorCode, parseMessages, type NlMessage } from './netlink.js';
import { NetdevError } from '../provider.js';

export const NETLINK_ROUTE = 0;
const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1;
const RECV_SIZE = 1 << 16;
const DUMP_RETRIES = 5;

function sockaddrNl(): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(ffi.AF_NETLINK, 0);
  return b;
}

/** A message copied out of the receive buffer, so it outlives the next recv. */
function copyMessage(m: NlMessage): NlMessage {
  const buf = Buffer.from(m.buf.subarray(m.off, m.end));
  return { ...m, buf, off: 0, end: buf.length };
}

/** How a NetlinkSocket moves bytes; the default is a kernel socket, tests substitute a script. */
export interface NetlinkIo {
  readonly fd: number;
  /** Sends one message; returns -1 with errno set on failure. */
  send(msg: Buffer): number;
  /** Receives one datagram into `buf` (non-blocking if `dontWait`); -1 with errno on failure. */
  recv(buf: Buffer, dontWait: boolean): number;
  /** errno of the last failure. */
  errno(): number;
  close(): void;
}

function kernelIo(protocol: number, groups: readonly number[]): NetlinkIo {
  const nonblock = groups.length > 0 ? ffi.SOCK_NONBLOCK : 0;
  const fd = ffi.check(
    ffi.socket(ffi.AF_NETLINK, ffi.SOCK_RAW | ffi.SOCK_CLOEXEC | nonblock, protocol),
    'socket(AF_NETLINK)',
  );
  try {
    ffi.check(ffi.bind(fd, sockaddrNl()), 'bind(netlink)');
    if (groups.length === 0) {
      const tv = Buffer.alloc(16);
      tv.writeBigInt64LE(2n, 0); // 2 s: a kernel answers in microseconds
      ffi.check(ffi.setsockopt(fd, ffi.SOL_SOCKET, ffi.SO_RCVTIMEO, tv), 'SO_RCVTIMEO');
    } else {
      // A large buffer makes event loss (ENOBUFS) rare; RCVBUFFORCE needs CAP_NET_ADMIN.
      if (ffi.setsockoptInt(fd, ffi.SOL_SOCKET, ffi.SO_RCVBUFFORCE, 4 << 20) < 0)
        ffi.setsockoptInt(fd, ffi.SOL_SOCKET, ffi.SO_RCVBUF, 4 << 20);
      for (const g of groups)
        ffi.check(ffi.setsockoptInt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g), `join group ${g}`);
    }
  } catch (e) {
    ffi.close(fd);
    throw e;
  }
  return {
    fd,
    send: (msg) => ffi.send(fd, msg, msg.length, 0),
    recv: (buf, dontWait) => ffi.recv(fd, buf, buf.length, dontWait ? ffi.MSG_DONTWAIT : 0),
    errno: ffi.errno,
    close: () => ffi.close(fd),
  };
}

export class NetlinkSocket {
  private readonly io: NetlinkIo;
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly rbuf = Buffer.alloc(RECV_SIZE);
  private closed = false;
  /** Dumps repeated because the kernel marked them NLM_F_DUMP_INTR. */
  dumpRetries = 0;

  /**
   * `groups`: multicast groups to join (RTNLGRP_* numbers); a socket with groups is non-blocking.
   * `io` replaces the kernel socket (tests).
   */
  constructor(
    protocol = NETLINK_ROUTE,
    readonly groups: readonly number[] = [],
    io?: NetlinkIo,
  ) {
    this.io = io ?? kernelIo(protocol, groups);
  }

  get fd(): number {
    return this.io.fd;
  }

  private sendMsg(b: NlBuilder): number {
    const seq = (this.seq = (this.seq + 1) >>> 0);
    const msg = b.finish(seq);
    if (this.io.send(msg) < 0) throw ffi.errorFor(this.io.errno(), 'send(netlink)');
    return seq;
  }

  private recvChunk(): NlMessage[] {
    const n = this.io.recv(this.rbuf, false);
    if (n < 0) {
      const e = this.io.errno();
      if (e === ffi.EINTR) return [];
      throw ffi.errorFor(e === ffi.EAGAIN ? 110 /* ETIMEDOUT */ : e, 'recv(netlink)');
    }
    return parseMessages(this.rbuf, n);
  }

  /**
   * Sends a request with NLM_F_ACK and returns the replies before the acknowledgement. A negative
   * acknowledgement throws NetdevError with its errno.
   */
  request(b: NlBuilder): NlMessage[] {
    const seq = this.sendMsg(b);
    const out: NlMessage[] = [];
    for (;;) {
      for (const m of this.recvChunk()) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG.ERROR) {
          const e = errorCode(m);
          if (e !== 0) throw ffi.errorFor(e, 'netlink request');
          return out;
        }
        if (m.type === NLMSG.DONE) return out;
        if (m.type !== NLMSG.NOOP) out.push(copyMessage(m));
      }
    }
  }

  /** Runs a dump (the builder must carry NLM_F_DUMP) to completion, repeating it if interrupted. */
  dump(b: NlBuilder): NlMessage[] {
    for (let attempt = 0; ; attempt++) {
      const seq = this.sendMsg(b);
      const out: NlMessage[] = [];
      let intr = false;
      let done = false;
      while (!done) {
        for (const m of this.recvChunk()) {
          if (m.seq !== seq) continue;
          if (m.flags & NLM_F.DUMP_INTR) intr = true;
          if (m.type === NLMSG.DONE) {
            done = true;
            break;
          }
          if (m.type === NLMSG.ERROR) {
            const e = errorCode(m);
            if (e !== 0) throw ffi.errorFor(e, 'netlink dump');
            done = true;
            break;
          }
          if (m.type !== NLMSG.NOOP) out.push(copyMessage(m));
        }
      }
      if (!intr || attempt >= DUMP_RETRIES) return out;
      this.dumpRetries++;
    }
  }

  /**
   * Reads every pending event without blocking (subscription sockets). Returns the messages, or
   * 'overrun' when the kernel reports ENOBUFS (events were lost).
   */
  readEvents(onMessage: (m: NlMessage) => void): 'ok' | 'overrun' {
    let overrun = false;
    for (;;) {
      const n = this.io.recv(this.rbuf, true);
      if (n < 0) {
        const e = this.io.errno();
        if (e === ffi.EAGAIN) break;
        if (e === ffi.EINTR) continue;
        if (e === ffi.ENOBUFS) {
          overrun = true;
          continue;
        }
        throw new NetdevError(ffi.errnoName(e), 'recv(netlink events)');
      }
      for (const m of parseMessages(this.rbuf, n)) {
        if (m.type === NLMSG.OVERRUN) overrun = true;
        else if (m.type !== NLMSG.NOOP && m.type !== NLMSG.DONE && m.type !== NLMSG.ERROR) onMessage(m);
      }
    }
    return overrun ? 'overrun' : 'ok';
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.io.close();
  }
}
