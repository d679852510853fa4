/*
 * The tap provider (`tap:NAME`); internal.ts reuses it for the bridge's LOCAL port.
 *
 * Lifetime: ofdp creates the tap through /dev/net/tun (TUNSETIFF, IFF_TAP|IFF_NO_PI) and owns it.
 * A created tap is *not* persistent, so the kernel deletes it when its fd closes: on close(), and
 * equally when the process dies however it dies (SIGKILL included) — nothing is left to clean up.
 * With `keep`, the tap is made persistent (TUNSETPERSIST) and survives us. A tap that already exists
 * (a persistent one somebody made) is attached instead, and left in place on close.
 *
 * I/O: the tun driver has no batch API, so a frame costs one read() or write(); wakeups still come
 * per burst (readiness, see io-loop.ts) and a drain takes up to RX_BATCH_MAX frames per batch and
 * `budget` batches per wakeup. Frames land in native slots the batch points into; send() copies
 * into native slots and flush() writes them out.
 */
import * as ffi from './ffi.js';
import { IoLoop } from './io-loop.js';
import { LinuxDevice } from './linux-device.js';
import { Rtnetlink } from './rtnetlink.js';
import {
  NetdevError,
  RX_BATCH_MAX,
  newRxBatch,
  type NetdevOpenOptions,
  type NetdevProvider,
  type RxBatch,
} from '../provider.js';

export const TUNSETIFF = 0x400454ca;
export const TUNSETPERSIST = 0x400454cb;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;

const SLOT = 65536;
const TX_QUEUE = 64;

export interface TapOptions extends NetdevOpenOptions {
  /** Leave the tap up when opened (default true). */
  up?: boolean;
}

export class TapDevice extends LinuxDevice {
  private readonly rxMem: ffi.NativeMemory;
  private readonly txMem: ffi.NativeMemory;
  private readonly txLens = new Int32Array(TX_QUEUE);
  private txCount = 0;
  private readonly batch: RxBatch = newRxBatch();
  private onBatch: ((b: RxBatch) => void) | undefined;
  private readonly loop: IoLoop;
  private fdOpen = true;

  constructor(
    name: string,
    type: string,
    ifindex: number,
    private readonly fd: number,
    /** Whether ofdp created the tap (and so whether closing deletes it, unless kept). */
    readonly created: boolean,
    readonly kept: boolean,
  ) {
    super(name, type, ifindex, true);
    this.rxMem = ffi.allocNative(RX_BATCH_MAX * SLOT);
    this.txMem = ffi.allocNative(TX_QUEUE * SLOT);
    for (let i = 0; i < RX_BATCH_MAX; i++) {
      this.batch.bufs[i] = this.rxMem.buf;
      this.batch.offs[i] = i * SLOT;
    }
    this.loop = new IoLoop(fd, (budget) => this.drain(budget));
  }

  /** A tap's fd keeps working when its device is moved to another network namespace. */
  protected override followsNetnsMoves(): boolean {
    return true;
  }

  startReceive(onBatch: (batch: RxBatch) => void): void {
    if (this.onBatch) throw new NetdevError('EBUSY', `tap:${this.name}: already receiving`);
    this.onBatch = onBatch;
    this.loop.start();
  }

  private drain(budget: number): boolean {
    const cb = this.onBatch;
    if (!cb) return false;
    const base = this.rxMem.addr;
    const b = this.batch;
    for (let k = 0; k < budget; k++) {
      let n = 0;
      let more = true;
      while (n < RX_BATCH_MAX) {
        const r = ffi.readAt(this.fd, base + n * SLOT, SLOT);
        if (r > 0) {
          b.lens[n++] = r;
          continue;
        }
        const e = r < 0 ? ffi.errno() : 0;
        if (e === ffi.EINTR) continue;
        if (e !== ffi.EAGAIN && r < 0) this.localRxDropped++;
        more = false;
        break;
      }
      if (n > 0) {
        b.count = n;
        try {
          cb(b);
        } finally {
          b.count = 0;
        }
      }
      if (!more) return false;
    }
    return true;
  }

  send(buf: Buffer, off: number, len: number): void {
    if (!this.fdOpen || len <= 0 || len > SLOT) {
      this.localTxDropped++;
      return;
    }
    if (this.txCount === TX_QUEUE) this.flush();
    const i = this.txCount++;
    buf.copy(this.txMem.buf, i * SLOT, off, off + len);
    this.txLens[i] = len;
  }

  flush(): void {
    const n = this.txCount;
    this.txCount = 0;
    const base = this.txMem.addr;
    for (let i = 0; i < n; i++) {
      let r: number;
      do r = ffi.writeAt(this.fd, base + i * SLOT, this.txLens[i]!);
      while (r < 0 && ffi.errno() === ffi.EINTR);
      if (r < 0) this.localTxDropped++;
    }
  }

  protected closeIo(): void {
    // Poll handle first, then memory, then the fd (which deletes a non-persistent tap).
    this.loop.close();
    this.onBatch = undefined;
    this.rxMem.unmap();
    this.txMem.unmap();
    if (this.fdOpen) {
      this.fdOpen = false;
      ffi.close(this.fd);
    }
  }
}

/** Creates (or attaches to) the tap `name` and returns its fd, whether it was created, and its name. */
export function openTap(name: string, keep: boolean): { fd: number; created: boolean; name: string } {
  if (Buffer.byteLength(name) > 15)
    throw new NetdevError('EINVAL', `tap name "${name}" is longer than 15 bytes`);
  const existed = ffi.ifNameToIndex(name) !== 0;
  const fd = ffi.check(
    ffi.open('/dev/net/tun', ffi.O_RDWR | ffi.O_NONBLOCK | ffi.O_CLOEXEC),
    'open /dev/net/tun',
  );
  try {
    const ifr = Buffer.alloc(40);
    ifr.write(name, 0, 15, 'utf8');
    ifr.writeUInt16LE(IFF_TAP | IFF_NO_PI, 16);
    if (ffi.ioctl(fd, TUNSETIFF, ifr) < 0) {
      const e = ffi.errno();
      throw ffi.errorFor(e, existed ? `${name} exists and cannot be attached as a tap` : `TUNSETIFF ${name}`);
    }
    const actual = ifr.subarray(0, 16).toString('utf8').replace(/\0.*$/s, '');
    if (!existed && keep) {
      // TUNSETPERSIST takes its argument by value, not through a pointer.
      ffi.check(ffi.ioctlValue(fd, TUNSETPERSIST, 1), `TUNSETPERSIST ${name}`);
    }
    return { fd, created: !existed, name: actual };
  } catch (e) {
    ffi.close(fd);
    throw e;
  }
}

export async function openTapDevice(type: string, name: string, options: TapOptions): Promise<TapDevice> {
  const keep = options.keep === true;
  const t = openTap(name, keep);
  let dev: TapDevice | undefined;
  try {
    const ifindex = ffi.ifNameToIndex(t.name);
    if (!ifindex) throw new NetdevError('ENODEV', `tap ${t.name} vanished`);
    if (options.up !== false) {
      const rt = new Rtnetlink();
      try {
        rt.setLink(ifindex, { up: true });
      } finally {
        rt.close();
      }
    }
    dev = new TapDevice(t.name, type, ifindex, t.fd, t.created, keep);
    return dev;
  } catch (e) {
    if (!dev) ffi.close(t.fd);
    throw e;
  }
}

export class TapProvider implements NetdevProvider {
  readonly type = 'tap';
  open(name: string, options: TapOptions = {}): Promise<TapDevice> {
    return openTapDevice(this.type, name, options);
  }
}
