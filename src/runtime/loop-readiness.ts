/*
 * "Has the event loop got something to do right now?" without running it: a zero-timeout poll() of
 * libuv's own backend descriptor (the epoll fd on Linux, the kqueue fd on the BSDs). That fd is
 * readable exactly when one of the descriptors the loop watches is ready — OpenFlow sockets, port
 * fds watched with uv_poll, libuv's async/signal wakeups — so one syscall covers all of them, and
 * nothing has to register its descriptors anywhere. Level-triggered: asking does not consume the
 * readiness, libuv still sees it on its next poll.
 *
 * The loop is uv_default_loop(), which is the main thread's loop in Node. koffi.load(null) opens the
 * running executable's own symbols (Node exports libuv's API for addons).
 */
import koffi from 'koffi';
import { endianness } from 'node:os';
import { isMainThread } from 'node:worker_threads';

const POLLIN = 0x1;

export interface LoopReadiness {
  /** True when a descriptor of the main event loop is ready. */
  ready(): boolean;
  /**
   * Lets any other task runnable on this CPU go first (sched_yield); returns at once when there is
   * none. A spinning loop calls it so that on a busy machine it never delays the very peer whose
   * answer it is waiting for.
   */
  relax(): void;
}

/**
 * The main thread's loop readiness probe, or a reason why there is none (not on the main thread,
 * a platform whose loop has no pollable backend fd, symbols not found).
 */
export function openLoopReadiness(): LoopReadiness | string {
  if (!isMainThread) return 'not on the main thread';
  let backendFd: number;
  let poll: (fds: Buffer, n: number, timeout: number) => number;
  let schedYield: () => number;
  try {
    const self = koffi.load(null as unknown as string);
    const uvDefaultLoop = self.func('void *uv_default_loop()') as () => unknown;
    const uvBackendFd = self.func('int uv_backend_fd(void *loop)') as (loop: unknown) => number;
    backendFd = uvBackendFd(uvDefaultLoop());
    const libc = koffi.load(process.platform === 'linux' ? 'libc.so.6' : 'libc.so');
    poll = libc.func('int poll(void *fds, unsigned long nfds, int timeout)') as typeof poll;
    schedYield = libc.func('int sched_yield()') as typeof schedYield;
  } catch (e) {
    return `libuv symbols not reachable: ${(e as Error).message}`;
  }
  if (backendFd < 0) return 'the event loop has no pollable descriptor on this platform';
  // struct pollfd { int fd; short events; short revents; }
  const pfd = Buffer.alloc(8);
  if (endianness() === 'LE') {
    pfd.writeInt32LE(backendFd, 0);
    pfd.writeInt16LE(POLLIN, 4);
  } else {
    pfd.writeInt32BE(backendFd, 0);
    pfd.writeInt16BE(POLLIN, 4);
  }
  return { ready: () => poll(pfd, 1, 0) > 0, relax: () => void schedYield() };
}
