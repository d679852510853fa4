/*
 * The system provider (`system:IFNAME`): an existing interface (veth, NIC, VXLAN/GRE device)
 * driven through an AF_PACKET socket bound to its ifindex.
 *
 * The port is promiscuous while open (PACKET_MR_PROMISC, released by the kernel when the socket
 * closes, even on a crash), never sees its own transmissions (PACKET_IGNORE_OUTGOING), and hands
 * the datapath wire-ready frames: VLAN tags the kernel stripped are re-inserted, partial checksums
 * completed and GSO super-frames (TSO, UDP_SEGMENT) segmented (offload.ts), so frames larger
 * than the MTU from a local stack become MTU-sized segments. Frames that are genuinely larger (a jumbo sender)
 * pass through up to the ring's block size.
 *
 * Receive uses a TPACKET_V3 ring by default (`rx: 'ring'`), or recvmmsg (`rx: 'mmsg'`) where the
 * ring's block-retire latency (1 ms by default) matters. Transmit is sendmmsg, one call per flush.
 * close(): poll handle, then ring/slot memory, then the fd.
 */
import * as ffi from './ffi.js';
import { DEFAULT_BUDGET, IoLoop } from './io-loop.js';
import { LinuxDevice } from './linux-device.js';
import { MmsgSender, openPacketSocket, socketDrops } from './packet-socket.js';
import { DEFAULT_RING, MmsgReader, RingReader, type RingOptions } from './packet-rx.js';
import { RxSink } from './rx-sink.js';
import { NetdevError, type NetdevOpenOptions, type NetdevProvider, type RxBatch } from '../provider.js';

export interface SystemOptions extends NetdevOpenOptions {
  /** 'ring' (TPACKET_V3, fewest syscalls) or 'mmsg' (recvmmsg, lowest latency). */
  rx?: 'ring' | 'mmsg';
  ring?: Partial<RingOptions>;
  /** Ask the kernel for checksum/GSO metadata (default true); without it offloaded frames pass as is. */
  vnetHdr?: boolean;
}

export class SystemDevice extends LinuxDevice {
  private readonly fd: number;
  private readonly ring: RingReader | undefined;
  private readonly mmsg: MmsgReader | undefined;
  private readonly tx: MmsgSender;
  private sink: RxSink | undefined;
  private loop: IoLoop | undefined;
  private fdOpen = false;
  private socketDropped = 0;

  constructor(name: string, ifindex: number, opts: SystemOptions) {
    super(name, 'system', ifindex, false);
    const vnet = opts.vnetHdr !== false;
    try {
      if (opts.rx === 'mmsg') {
        this.fd = openPacketSocket(ifindex, { vnetHdr: vnet });
        this.fdOpen = true;
        this.mmsg = new MmsgReader(this.fd, vnet);
      } else {
        const ring = (this.ring = new RingReader({ ...DEFAULT_RING, ...opts.ring }, vnet));
        this.fd = openPacketSocket(ifindex, { vnetHdr: vnet, beforeBind: (fd) => ring.setup(fd) });
        this.fdOpen = true;
      }
      this.tx = new MmsgSender(this.fd, vnet);
    } catch (e) {
      void super.close();
      throw e;
    }
  }

  startReceive(onBatch: (batch: RxBatch) => void): void {
    if (this.sink) throw new NetdevError('EBUSY', `system:${this.name}: already receiving`);
    const sink = (this.sink = new RxSink(onBatch));
    const drain = this.ring
      ? (budget: number) => this.ring!.drain(sink, budget)
      : (budget: number) => this.mmsg!.drain(sink, budget);
    // A ring block holds up to ~1,600 small frames: two per wakeup keep other ports and the
    // OpenFlow channel served; recvmmsg rounds are 64 frames each.
    this.loop = new IoLoop(this.fd, drain, this.ring ? 2 : DEFAULT_BUDGET);
    this.loop.start();
  }

  send(buf: Buffer, off: number, len: number): void {
    if (!this.fdOpen) {
      this.localTxDropped++;
      return;
    }
    this.tx.send(buf, off, len);
  }

  flush(): void {
    if (!this.fdOpen) return;
    if (this.tx.pending > 0) this.loop?.sent();
    this.tx.flush();
  }

  override getStats() {
    const s = super.getStats();
    // Frames ofdp could not deliver (truncated by the ring, unsegmentable GSO) or transmit.
    // Plus what the kernel dropped at our socket (ring or receive buffer full), which the
    // interface counted as received. PACKET_STATISTICS resets on read, so it is accumulated.
    if (this.fdOpen) this.socketDropped += socketDrops(this.fd);
    const rxLost =
      (this.ring?.truncated ?? 0) +
      (this.mmsg?.truncated ?? 0) +
      (this.sink?.dropped ?? 0) +
      this.socketDropped;
    s.rx_dropped += BigInt(rxLost);
    s.tx_dropped += BigInt(this.tx.dropped);
    return s;
  }

  /** How many received frames needed offload fix-ups (see offload.ts). */
  offloadCounts(): { segmented: number; checksummed: number; dropped: number } {
    const k = this.sink;
    return { segmented: k?.segmented ?? 0, checksummed: k?.checksummed ?? 0, dropped: k?.dropped ?? 0 };
  }

  protected closeIo(): void {
    this.loop?.close();
    this.ring?.close();
    this.mmsg?.close();
    this.tx?.close();
    if (this.fdOpen) {
      this.fdOpen = false;
      ffi.close(this.fd);
    }
  }
}

export class SystemProvider implements NetdevProvider {
  readonly type = 'system';
  async open(name: string, options: SystemOptions = {}): Promise<SystemDevice> {
    const ifindex = ffi.ifNameToIndex(name);
    if (!ifindex) throw new NetdevError('ENODEV', `system:${name}: no such interface`);
    return new SystemDevice(name, ifindex, options);
  }
}
