/*
 * How Linux ports move frames without blocking Node: readiness on the main thread.
 *
 * Decision: every port fd is O_NONBLOCK and watched by libuv (uv_poll, via koffi.node.poll); when
 * it becomes readable the port drains it in batches, with a budget per wakeup so one busy port
 * cannot starve the others or the OpenFlow channel, and delivers each batch straight into the
 * datapath on the same thread. No worker threads.
 *
 * Why (measured here, 2 shared cores, 64-byte frames from a generator in another namespace; run
 * `node dist/bench/run.js netdev` for the figures of bench/netdev.bench.ts):
 * - Main thread, TPACKET_V3 ring: ~0.10 µs of CPU per received frame, generator-limited rate
 *   (0.56-0.89 Mframes/s across runs). One ~2 µs uv_poll wakeup serves a whole ring block, so the
 *   wakeup cost vanishes per frame; an idle port costs nothing and the event loop stays free.
 * - Worker thread owning the port and posting each batch to the main thread (where the datapath
 *   and the OpenFlow channel live): the same generator-limited rate, but ~0.34 µs/frame, 3× the
 *   CPU, for copying frames across threads and waking the main thread anyway. A SharedArrayBuffer
 *   ring instead of postMessage (prototype: 680 kpps) still needs a wakeup per batch, and moving
 *   the whole datapath into the worker would split flow tables, counters and packet-ins across
 *   threads. libuv thread-pool reads (fs.read, koffi async) managed ~60 kpps at 15 µs/frame.
 * - The port I/O alone is far above Open vSwitch's userspace datapath forwarding (~230 kpps at
 *   ~4.2 µs/frame): system-port receive ~0.1 µs/frame, send ~0.9 µs/frame (including the
 *   kernel's delivery into the peer namespace), tap receive ~0.7-1.4 and send ~0.65 µs/frame (one
 *   syscall per frame there: the tun driver has no batch API). So the main thread is not the
 *   bottleneck; a bridge that needs more cores can run as another ofdp process.
 *
 * Latency: after a wakeup's own drain, ports that transmitted during it get one nonblocking receive
 * (the answer from a veth peer is usually there already: measured on ping through the switch, every
 * echo reply was caught so, none needed a loop round of its own). Port activity does not kick the
 * busy poller (src/runtime/busy-poll.ts): forwarding at full rate on a machine whose cores are all
 * busy lost ~7 % of its frames/s to spinning, and ping round trips did not get shorter with it.
 *
 * Invariants: the poll handle is owned by a long-lived IoLoop (an unreferenced handle is garbage
 * collected and polling silently stops); close() stops polling before the caller unmaps rings and
 * closes the fd, in that order.
 */
import * as ffi from './ffi.js';

/** Wakeups handle at most this many drain() rounds before yielding to the event loop. */
export const DEFAULT_BUDGET = 16;

/**
 * Ports that transmitted during the current wakeup. A frame sent into a veth is processed by the
 * peer namespace's stack inside the send call, so its answer (an ICMP echo reply, an ARP reply, a
 * TCP ACK) is often already waiting on the port it went out of when the call returns; one
 * nonblocking receive there saves a whole event-loop round (and, when the loop would otherwise
 * sleep, a wakeup) on every request/response exchange. Bounded per wakeup.
 */
const transmitted = new Set<IoLoop>();
const MAX_PEEKS = 4;
/** Inside some port's wakeup: only then is a transmitting port noted (PACKET_OUT elsewhere is not). */
let inWakeup = false;

export class IoLoop {
  private handle: ffi.PollHandle | undefined;
  private closed = false;
  private errors = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Wakeups so far (diagnostics and benchmarks). */
  wakeups = 0;

  /**
   * `drain(budget)` reads what it can within `budget` rounds and returns true if work may remain
   * (level-triggered polling calls it again on the next loop iteration).
   */
  constructor(
    private readonly fd: number,
    private readonly drain: (budget: number) => boolean,
    private readonly budget = DEFAULT_BUDGET,
  ) {}

  start(): void {
    if (this.handle || this.closed) return;
    this.handle = ffi.pollReadable(this.fd, this.onEvent);
  }

  private readonly onEvent = (status: number): void => {
    if (this.closed) return;
    if (status < 0) {
      this.recover();
      return;
    }
    this.errors = 0;
    this.wakeups++;
    inWakeup = true;
    try {
      this.drain(this.budget);
      let peeks = 0;
      for (const l of transmitted) {
        transmitted.delete(l);
        if (l !== this && !l.closed && peeks++ < MAX_PEEKS) l.drain(1);
      }
    } finally {
      inWakeup = false;
      transmitted.clear();
    }
  };

  /** The port sent frames: look for an immediate answer at the end of this wakeup. */
  sent(): void {
    if (inWakeup && this.handle) transmitted.add(this);
  }

  /**
   * libuv stops a poll handle on POLLERR (an AF_PACKET socket reports ENETDOWN when its device goes
   * down, for instance); the socket itself keeps working once the error is read. So: clear the
   * pending socket error and watch again — at once the first times, then after a pause so a
   * persistent error cannot spin the loop.
   */
  private recover(): void {
    ffi.clearSocketError(this.fd);
    const restart = (): void => {
      this.timer = undefined;
      if (!this.closed) this.handle?.start({ readable: true }, this.onEvent);
    };
    if (++this.errors <= 3) restart();
    else this.timer = setTimeout(restart, 100);
  }

  /** Keeps (or stops keeping) the process alive while this port waits for frames. */
  ref(on: boolean): void {
    if (on) this.handle?.ref();
    else this.handle?.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.handle?.stop();
    this.handle?.close();
    this.handle = undefined;
  }
}
