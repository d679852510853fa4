/*
 * Every libc call the Linux providers make, through koffi (no native addon to compile).
 *
 * Conventions, chosen for the hot path:
 * - Calls return the raw C result (-1 on failure); the caller reads `errno()` at once, before any
 *   other FFI call can overwrite it. `check()` turns -1 into a thrown NetdevError.
 * - Pointers into native memory are passed as Numbers through `intptr_t` parameters (the `*At`
 *   variants): no BigInt and no wrapper object per call. Small control structures built in JS
 *   (sockaddr, ifreq, socket options) are passed as Buffers through `void *` parameters.
 * - Native memory (rings, mmsghdr arrays, frame slots) comes from anonymous mmap: page aligned,
 *   zeroed, never moved by the GC, and freed only by munmap. `NativeMemory` pairs the address
 *   with a Buffer view over it; the Buffer does not own the memory.
 */
import koffi from 'koffi';
import { NetdevError } from '../provider.js';

const libc = koffi.load('libc.so.6');

// ssize_t is not a koffi type; intptr_t has the same size and signedness on Linux.
const fn = {
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  bind: libc.func('int bind(int fd, const void *addr, uint32_t len)'),
  setsockopt: libc.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)'),
  getsockopt: libc.func('int getsockopt(int fd, int level, int name, void *val, _Inout_ uint32_t *len)'),
  ioctl: libc.func('int ioctl(int fd, unsigned long req, void *arg)'),
  ioctlValue: libc.func('int ioctl(int fd, unsigned long req, intptr_t arg)'),
  open: libc.func('int open(const char *path, int flags, int mode)'),
  close: libc.func('int close(int fd)'),
  fcntl: libc.func('int fcntl(int fd, int cmd, int arg)'),
  read: libc.func('intptr_t read(int fd, void *buf, size_t len)'),
  readAt: libc.func('intptr_t read(int fd, intptr_t buf, size_t len)'),
  writeAt: libc.func('intptr_t write(int fd, intptr_t buf, size_t len)'),
  send: libc.func('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
  recv: libc.func('intptr_t recv(int fd, void *buf, size_t len, int flags)'),
  recvmmsgAt: libc.func('int recvmmsg(int fd, intptr_t vec, unsigned int n, int flags, intptr_t timeout)'),
  sendmmsgAt: libc.func('int sendmmsg(int fd, intptr_t vec, unsigned int n, int flags)'),
  mmap: libc.func('void *mmap(intptr_t addr, size_t len, int prot, int flags, int fd, intptr_t off)'),
  munmap: libc.func('int munmap(void *addr, size_t len)'),
  socketpair: libc.func('int socketpair(int domain, int type, int protocol, void *sv)'),
  shutdown: libc.func('int shutdown(int fd, int how)'),
  setns: libc.func('int setns(int fd, int nstype)'),
  if_nametoindex: libc.func('unsigned int if_nametoindex(const char *name)'),
};

// ---- constants (Linux x86-64/arm64 values, spec names) ----
export const AF_NETLINK = 16;
export const AF_PACKET = 17;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_UNSPEC = 0;
export const SOCK_RAW = 3;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_SNDBUF = 7;
export const SO_RCVBUFFORCE = 33;
export const SO_RCVTIMEO = 20;
export const SO_ERROR = 4;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
export const MAP_LOCKED = 0x2000;
export const MAP_POPULATE = 0x8000;

export const EAGAIN = 11;
export const EINTR = 4;
export const ENOBUFS = 105;
export const EBUSY = 16;
export const ENOENT = 2;
export const ENODEV = 19;
export const EOPNOTSUPP = 95;

// ---- errno ----
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(koffi.os.errno))
  if (!errnoNames.has(value)) errnoNames.set(value, name);

export function errno(): number {
  return koffi.errno();
}
export function errnoName(e: number): string {
  return errnoNames.get(e) ?? `E${e}`;
}
/** Throws NetdevError for a -1 result, naming the current errno. Call it directly after the FFI call. */
export function check(ret: number, what: string): number {
  if (ret < 0) throw new NetdevError(errnoName(koffi.errno()), what);
  return ret;
}
export function errorFor(e: number, what: string): NetdevError {
  return new NetdevError(errnoName(e), what);
}

// ---- thin wrappers ----
export const socket = (domain: number, type: number, protocol: number): number =>
  fn.socket(domain, type, protocol) as number;
export const bind = (fd: number, addr: Buffer): number => fn.bind(fd, addr, addr.length) as number;
export const setsockopt = (fd: number, level: number, name: number, val: Buffer): number =>
  fn.setsockopt(fd, level, name, val, val.length) as number;
export function setsockoptInt(fd: number, level: number, name: number, v: number): number {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return setsockopt(fd, level, name, b);
}
/** getsockopt into `val`; returns the length the kernel wrote or -1. */
export function getsockopt(fd: number, level: number, name: number, val: Buffer): number {
  const len = [val.length];
  const r = fn.getsockopt(fd, level, name, val, len) as number;
  return r < 0 ? r : len[0]!;
}
export const ioctl = (fd: number, req: number, arg: Buffer): number => fn.ioctl(fd, req, arg) as number;
/** ioctl whose argument is an integer passed by value (TUNSETPERSIST). */
export const ioctlValue = (fd: number, req: number, arg: number): number =>
  fn.ioctlValue(fd, req, arg) as number;
export const open = (path: string, flags: number, mode = 0): number => fn.open(path, flags, mode) as number;
export const close = (fd: number): number => fn.close(fd) as number;
export const read = (fd: number, buf: Buffer, len: number): number => fn.read(fd, buf, len) as number;
export const readAt = (fd: number, addr: number, len: number): number => fn.readAt(fd, addr, len) as number;
export const writeAt = (fd: number, addr: number, len: number): number => fn.writeAt(fd, addr, len) as number;
export const send = (fd: number, buf: Buffer, len: number, flags: number): number =>
  fn.send(fd, buf, len, flags) as number;
export const recv = (fd: number, buf: Buffer, len: number, flags: number): number =>
  fn.recv(fd, buf, len, flags) as number;
export const recvmmsgAt = (fd: number, vec: number, n: number, flags: number): number =>
  fn.recvmmsgAt(fd, vec, n, flags, 0) as number;
export const sendmmsgAt = (fd: number, vec: number, n: number, flags: number): number =>
  fn.sendmmsgAt(fd, vec, n, flags) as number;
export const F_DUPFD_CLOEXEC = 1030;
/** dup() with close-on-exec set, so children spawned later do not inherit the descriptor. */
export const dupCloexec = (fd: number): number => fn.fcntl(fd, F_DUPFD_CLOEXEC, 0) as number;
export const AF_UNIX = 1;
/** A connected pair of sockets, [-1, -1] on failure (errno set). */
export function socketpair(domain: number, type: number): [number, number] {
  const sv = new Int32Array(2);
  return (fn.socketpair(domain, type, 0, sv) as number) < 0 ? [-1, -1] : [sv[0]!, sv[1]!];
}
export const shutdown = (fd: number, how: number): number => fn.shutdown(fd, how) as number;
export const SHUT_WR = 1;
export const MSG_NOSIGNAL = 0x4000;
export const EPIPE = 32;
/** The ifindex of `name` in this network namespace, or 0. */
export const ifNameToIndex = (name: string): number => fn.if_nametoindex(name) as number;

export const CLONE_NEWNET = 0x40000000;

/**
 * Runs `fn` on the main thread inside the network namespace at `nsPath` (e.g. /run/netns/NAME) and
 * switches back. Sockets created inside stay in that namespace for their whole life. setns()
 * affects only the calling thread; libuv's threads keep their namespace.
 */
export function withNetns<T>(nsPath: string, fn: () => T): T {
  const self = check(open('/proc/thread-self/ns/net', O_CLOEXEC), 'open own netns');
  try {
    const target = check(open(nsPath, O_CLOEXEC), `open ${nsPath}`);
    try {
      check(setnsNet(target), `setns ${nsPath}`);
    } finally {
      close(target);
    }
    try {
      return fn();
    } finally {
      check(setnsNet(self), 'setns back');
    }
  } finally {
    close(self);
  }
}
const setnsNet = (fd: number): number => fn.setns(fd, CLONE_NEWNET) as number;

/** Reads (and so clears) a socket's pending error; returns it (0 for none or not a socket). */
export function clearSocketError(fd: number): number {
  const b = Buffer.alloc(4);
  return getsockopt(fd, SOL_SOCKET, SO_ERROR, b) >= 4 ? b.readInt32LE(0) : 0;
}

export function setNonBlocking(fd: number): void {
  const fl = check(fn.fcntl(fd, F_GETFL, 0) as number, 'fcntl(F_GETFL)');
  check(fn.fcntl(fd, F_SETFL, fl | O_NONBLOCK) as number, 'fcntl(F_SETFL)');
}

// ---- native memory ----
export interface NativeMemory {
  /** Address as a Number (safe: user-space addresses are below 2^53). */
  readonly addr: number;
  readonly size: number;
  /** A view over the memory; does not own it. Invalid after unmap(). */
  readonly buf: Buffer;
  unmap(): void;
}

function mapped(ptr: unknown, size: number): NativeMemory {
  const addr = Number(koffi.address(ptr));
  const buf = Buffer.from(koffi.view(ptr, size));
  let live = true;
  return {
    addr,
    size,
    buf,
    unmap() {
      if (!live) return;
      live = false;
      fn.munmap(ptr, size);
    },
  };
}

const MAP_FAILED = -1;

/** Zeroed, page-aligned anonymous memory. */
export function allocNative(size: number): NativeMemory {
  const ptr: unknown = fn.mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ptr === null || Number(koffi.address(ptr)) === MAP_FAILED) check(-1, `mmap(${size})`);
  return mapped(ptr, size);
}

/** Maps a kernel ring (PACKET_RX_RING/TX_RING) of a socket. */
export function mapShared(fd: number, size: number): NativeMemory {
  const ptr: unknown = fn.mmap(0, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (ptr === null || Number(koffi.address(ptr)) === MAP_FAILED) check(-1, `mmap(ring ${size})`);
  return mapped(ptr, size);
}

// ---- readiness ----
export interface PollHandle {
  start(opts: { readable?: boolean; writable?: boolean }, cb: (status: number) => void): void;
  stop(): void;
  close(): void;
  unref(): void;
  ref(): void;
}

/**
 * Watches `fd` for readability through libuv (uv_poll). Level-triggered: `cb` runs on every loop
 * iteration while the fd stays readable, so drain it or stop(). The caller must keep the handle
 * referenced from a long-lived object: an unreferenced handle is collected and polling stops.
 */
export function pollReadable(fd: number, cb: (status: number) => void): PollHandle {
  // koffi's typings declare one callback argument; at run time it passes (status, events).
  const h = koffi.node.poll(fd, { readable: true }, ((status: number) => cb(status)) as never);
  return h as unknown as PollHandle;
}

export interface PollEvents {
  readable: boolean;
  writable: boolean;
}

/**
 * Watches `fd` through libuv (uv_poll) for the given events, level-triggered; `cb` receives libuv's
 * status (negative on error) and which events fired. `start()` on the handle changes the events.
 * Keep the handle referenced from a long-lived object, as with pollReadable().
 */
export function pollEvents(
  fd: number,
  events: { readable?: boolean; writable?: boolean },
  cb: (status: number, ev: PollEvents) => void,
): PollHandle {
  // koffi's typings declare one callback argument; at run time it passes (status, events).
  const h = koffi.node.poll(fd, events, cb as never);
  return h as unknown as PollHandle;
}
