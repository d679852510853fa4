/*
 * Collects received frames into the device's RxBatch and hands full batches to the receiver.
 *
 * Frames normally stay where the kernel put them (a ring block, a receive slot); the batch only
 * points at them. Frames that must be rebuilt (a GSO super-frame cut into segments) are written into
 * a preallocated arena that is reused after every delivery, so nothing is allocated per frame.
 * Ownership: the batch and arena contents are valid only during the `deliver` callback; the reader
 * must not hand the memory back to the kernel (release a ring block, reuse a slot) before flush().
 */
import { newRxBatch, type RxBatch } from '../provider.js';
import {
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO,
  completeChecksum,
  insertVlan,
  segmentTcp,
  segmentUdp,
} from './offload.js';

const ARENA_SIZE = 512 * 1024;

export class RxSink {
  readonly batch: RxBatch = newRxBatch();
  private readonly arena = Buffer.alloc(ARENA_SIZE);
  private used = 0;
  private readonly slot = { buf: this.arena, off: 0 };
  /** Frames dropped because they could not be made wire-ready (GSO of a kind we cannot segment, UFO). */
  dropped = 0;
  /** Super-frames segmented, and partial checksums completed (diagnostics and tests). */
  segmented = 0;
  checksummed = 0;
  private readonly pushFn = (b: Buffer, o: number, l: number): void => this.push(b, o, l);
  private readonly allocFn = (n: number): { buf: Buffer; off: number } => this.alloc(n);

  constructor(private readonly deliver: (b: RxBatch) => void) {}

  push(buf: Buffer, off: number, len: number): void {
    const b = this.batch;
    const i = b.count;
    b.bufs[i] = buf;
    b.offs[i] = off;
    b.lens[i] = len;
    b.count = i + 1;
    if (b.count === b.bufs.length) this.flush();
  }

  private alloc(n: number): { buf: Buffer; off: number } {
    if (this.used + n > this.arena.length) this.flush();
    this.slot.off = this.used;
    this.used += n;
    return this.slot;
  }

  /** Delivers what is collected. */
  flush(): void {
    try {
      if (this.batch.count > 0) this.deliver(this.batch);
    } finally {
      this.batch.count = 0;
      this.used = 0;
    }
  }

  /**
   * Adds one frame buf[off, off+len) after undoing offloads: `vnet` is the offset of its
   * virtio_net_hdr (or -1), `tci` the stripped VLAN TCI (or -1) with its `tpid`. Needs 4 bytes of
   * headroom before `off` when a tag is to be re-inserted; the virtio header may be that headroom.
   */
  frame(buf: Buffer, off: number, len: number, vnet: number, tpid: number, tci: number): void {
    let flags = 0;
    let gso = 0;
    let gsoSize = 0;
    let csumStart = 0;
    let csumOffset = 0;
    if (vnet >= 0) {
      flags = buf[vnet]!;
      gso = buf[vnet + 1]! & ~VIRTIO_NET_HDR_GSO.ECN;
      gsoSize = buf.readUInt16LE(vnet + 4);
      csumStart = buf.readUInt16LE(vnet + 6);
      csumOffset = buf.readUInt16LE(vnet + 8);
    }
    if (tci >= 0) {
      off = insertVlan(buf, off, tpid, tci);
      len += 4;
      csumStart += 4;
    }
    if (gso !== VIRTIO_NET_HDR_GSO.NONE) {
      const segment =
        gso === VIRTIO_NET_HDR_GSO.TCPV4 || gso === VIRTIO_NET_HDR_GSO.TCPV6
          ? segmentTcp
          : gso === VIRTIO_NET_HDR_GSO.UDP_L4
            ? segmentUdp
            : undefined; // UFO (IP fragmentation offload) is obsolete; such frames are dropped
      if (segment && segment(buf, off, len, gsoSize, this.allocFn, this.pushFn) > 0) this.segmented++;
      else this.dropped++;
      return;
    }
    if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
      completeChecksum(buf, off, len, csumStart, csumOffset);
      this.checksummed++;
    }
    this.push(buf, off, len);
  }
}
