/*
 * An AF_PACKET socket on one interface, and its batched transmit path.
 *
 * Setup order matters and follows what the kernel allows: the socket is created with protocol 0 so
 * it captures nothing yet; options that must precede a ring (PACKET_VNET_HDR, PACKET_VERSION) are
 * set; the ring (if any) is configured and mapped; only then is the socket bound to ETH_P_ALL on the
 * ifindex. PACKET_IGNORE_OUTGOING hides our own transmissions (and everything the host sends out
 * of the port, which a switch port must not see either). Promiscuity is taken with
 * PACKET_MR_PROMISC, a reference the kernel drops when the socket closes, rather than the sticky
 * IFF_PROMISC flag an administrator may own.
 *
 * PACKET_VNET_HDR makes the kernel prefix every received frame with a virtio_net_hdr describing
 * partial checksums and GSO (see offload.ts); it also makes every *sent* frame start with one, so the
 * transmit path prepends a zero header (no offload requested) through a second iovec.
 *
 * Transmit: send() copies the frame into one of BATCH native slots; flush() hands them all to the
 * kernel with one sendmmsg(). A frame the kernel refuses (too big, device down) is dropped and
 * counted; EAGAIN drops the rest of the batch (the kernel queue is full), also counted.
 */
import * as ffi from './ffi.js';
import { VIRTIO_NET_HDR_LEN } from './offload.js';

export const SOL_PACKET = 263;
export const PACKET_ADD_MEMBERSHIP = 1;
export const PACKET_RX_RING = 5;
export const PACKET_STATISTICS = 6;
export const PACKET_AUXDATA = 8;
export const PACKET_VERSION = 10;
export const PACKET_VNET_HDR = 15;
export const PACKET_IGNORE_OUTGOING = 23;
export const PACKET_MR_PROMISC = 1;
export const TPACKET_V3 = 2;
export const ETH_P_ALL = 3;

const MMSGHDR = 64; // struct mmsghdr on LP64: msghdr (56) + msg_len + padding
const IOVEC = 16;
export const TX_BATCH = 64;
export const TX_SLOT = 65536;
const RCVBUF = 8 << 20;

export interface PacketSocketOptions {
  /** Ask for virtio_net_hdr on received frames (checksum and GSO metadata). */
  vnetHdr: boolean;
  /** Called after options and before bind: the place to set up a receive ring. */
  beforeBind?: (fd: number) => void;
}

export function sockaddrLl(ifindex: number, protocol = ETH_P_ALL): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16LE(ffi.AF_PACKET, 0);
  b.writeUInt16BE(protocol, 2);
  b.writeInt32LE(ifindex, 4);
  return b;
}

/** Opens, configures and binds an AF_PACKET socket on `ifindex`. Returns the fd (non-blocking). */
export function openPacketSocket(ifindex: number, opts: PacketSocketOptions): number {
  const fd = ffi.check(
    ffi.socket(ffi.AF_PACKET, ffi.SOCK_RAW | ffi.SOCK_NONBLOCK | ffi.SOCK_CLOEXEC, 0),
    'socket(AF_PACKET)',
  );
  try {
    // Old kernels (< 4.20) lack PACKET_IGNORE_OUTGOING; the datapath then sees its own output too,
    // which a switch tolerates (the frame's in_port is this port) but counts. Not fatal.
    ffi.setsockoptInt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
    ffi.check(ffi.setsockoptInt(fd, SOL_PACKET, PACKET_AUXDATA, 1), 'PACKET_AUXDATA');
    // Without a ring, bursts queue as skbs in the receive buffer; the default (~200 KiB) overflows
    // within one burst. RCVBUFFORCE needs CAP_NET_ADMIN; fall back to what rmem_max allows.
    if (ffi.setsockoptInt(fd, ffi.SOL_SOCKET, ffi.SO_RCVBUFFORCE, RCVBUF) < 0)
      ffi.setsockoptInt(fd, ffi.SOL_SOCKET, ffi.SO_RCVBUF, RCVBUF);
    if (opts.vnetHdr) ffi.check(ffi.setsockoptInt(fd, SOL_PACKET, PACKET_VNET_HDR, 1), 'PACKET_VNET_HDR');
    opts.beforeBind?.(fd);
    ffi.check(ffi.bind(fd, sockaddrLl(ifindex)), `bind(AF_PACKET, ifindex ${ifindex})`);
    const mreq = Buffer.alloc(16);
    mreq.writeInt32LE(ifindex, 0);
    mreq.writeUInt16LE(PACKET_MR_PROMISC, 4);
    ffi.check(ffi.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq), 'PACKET_MR_PROMISC');
  } catch (e) {
    ffi.close(fd);
    throw e;
  }
  return fd;
}

/** Kernel-side drops of this socket since the last call (PACKET_STATISTICS resets on read). */
export function socketDrops(fd: number): number {
  const b = Buffer.alloc(12);
  return ffi.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, b) >= 8 ? b.readUInt32LE(4) : 0;
}

/** Batched transmit with sendmmsg over preallocated native slots. */
export class MmsgSender {
  private readonly mem: ffi.NativeMemory;
  private readonly hdrs: number;
  private readonly slots: number;
  private n = 0;
  private readonly iovPerMsg: number;
  /** Frames the kernel refused or had no room for. */
  dropped = 0;
  sent = 0;

  constructor(
    private readonly fd: number,
    vnetHdr: boolean,
  ) {
    this.iovPerMsg = vnetHdr ? 2 : 1;
    const hdrBytes = TX_BATCH * MMSGHDR;
    const iovBytes = TX_BATCH * 2 * IOVEC;
    const zeroHdr = hdrBytes + iovBytes;
    this.mem = ffi.allocNative(zeroHdr + 64 + TX_BATCH * TX_SLOT);
    this.hdrs = this.mem.addr;
    this.slots = zeroHdr + 64;
    const b = this.mem.buf;
    for (let i = 0; i < TX_BATCH; i++) {
      const h = i * MMSGHDR;
      const iov = hdrBytes + i * 2 * IOVEC;
      b.writeBigUInt64LE(BigInt(this.mem.addr + iov), h + 16); // msg_iov
      b.writeBigUInt64LE(BigInt(this.iovPerMsg), h + 24); // msg_iovlen
      let k = iov;
      if (vnetHdr) {
        b.writeBigUInt64LE(BigInt(this.mem.addr + zeroHdr), k);
        b.writeBigUInt64LE(BigInt(VIRTIO_NET_HDR_LEN), k + 8);
        k += IOVEC;
      }
      b.writeBigUInt64LE(BigInt(this.mem.addr + this.slots + i * TX_SLOT), k);
    }
  }

  private lenOffset(i: number): number {
    return TX_BATCH * MMSGHDR + i * 2 * IOVEC + (this.iovPerMsg - 1) * IOVEC + 8;
  }

  send(buf: Buffer, off: number, len: number): void {
    if (len > TX_SLOT || len <= 0) {
      this.dropped++;
      return;
    }
    if (this.n === TX_BATCH) this.flush();
    const i = this.n++;
    buf.copy(this.mem.buf, this.slots + i * TX_SLOT, off, off + len);
    this.mem.buf.writeUInt32LE(len, this.lenOffset(i));
  }

  /** Frames waiting for flush(). */
  get pending(): number {
    return this.n;
  }

  flush(): void {
    const n = this.n;
    if (n === 0) return;
    this.n = 0;
    let i = 0;
    let retried = -1;
    while (i < n) {
      const r = ffi.sendmmsgAt(this.fd, this.hdrs + i * MMSGHDR, n - i, 0);
      if (r > 0) {
        i += r;
        this.sent += r;
        continue;
      }
      const e = ffi.errno();
      if (r < 0 && e === ffi.EINTR) continue;
      if (r < 0 && e === ffi.EAGAIN) {
        this.dropped += n - i;
        return;
      }
      // A socket error left pending by an earlier event (ENETDOWN while the link was down) is
      // reported, and cleared, by the next send: try that message once more before dropping it.
      if (retried !== i) {
        retried = i;
        continue;
      }
      // The message at i was refused (EMSGSIZE, ENETDOWN, ...): drop it, go on with the rest.
      this.dropped++;
      i++;
    }
  }

  close(): void {
    this.mem.unmap();
  }
}
