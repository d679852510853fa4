/*
 * What every Linux device (tap, system, internal) reports and sets, shared as one base class, as
 * Open vSwitch's netdev-linux shares its members between its classes.
 *
 * Link state (MAC, MTU, flags, carrier, addresses, change sequence) comes from the process-wide
 * LinkMonitor, kept fresh by rtnetlink notifications; setters go through rtnetlink and re-read the
 * link before resolving, so a getter after `await set…()` sees the new value. Counters are read
 * fresh from IFLA_STATS64 on every getStats(). Features come from ethtool.
 *
 * Subclasses provide I/O (startReceive/send/flush) and their part of close().
 */
import * as ethtool from './ethtool.js';
import { IFF } from './rtnetlink.js';
import { LinkMonitor } from './link-monitor.js';
import { AF_INET } from './ffi.js';
import {
  NetdevError,
  type NetdevAddresses,
  type NetdevDevice,
  type NetdevFeatures,
  type NetdevFlags,
  type NetdevStats,
  type RxBatch,
} from '../provider.js';

export abstract class LinuxDevice implements NetdevDevice {
  protected readonly monitor: LinkMonitor;
  private released = false;
  private readonly unsubscribers = new Set<() => void>();
  /** Drops counted by ofdp itself (not the kernel), added to the kernel's counters. */
  protected localRxDropped = 0;
  protected localTxDropped = 0;

  constructor(
    readonly name: string,
    readonly type: string,
    protected readonly ifindex: number,
    /** Report counters from the switch's side (a tap's kernel "rx" is what the switch sent). */
    private readonly swapStats: boolean,
  ) {
    this.monitor = LinkMonitor.acquire();
    try {
      this.monitor.watch(ifindex);
    } catch (e) {
      this.monitor.release();
      throw e;
    }
  }

  abstract startReceive(onBatch: (batch: RxBatch) => void): void;
  abstract send(buf: Buffer, off: number, len: number): void;
  abstract flush(): void;
  protected abstract closeIo(): void;

  private link() {
    const l = this.monitor.link(this.ifindex);
    if (!l) throw new NetdevError('ENODEV', `${this.type}:${this.name} has disappeared`);
    return l;
  }

  /**
   * A device moved to another network namespace still exists for us only if its I/O survives
   * the move: a tap's fd does; an AF_PACKET socket bound to the ifindex does not.
   */
  protected followsNetnsMoves(): boolean {
    return false;
  }

  exists(): boolean {
    return (
      this.monitor.link(this.ifindex) !== undefined &&
      (this.followsNetnsMoves() || !this.monitor.isRemote(this.ifindex))
    );
  }

  getIfindex(): number {
    return this.ifindex;
  }
  getEtherAddr(): number {
    return this.monitor.link(this.ifindex)?.mac ?? 0;
  }
  async setEtherAddr(mac: number): Promise<void> {
    this.monitor.setLink(this.ifindex, { mac });
  }
  getMtu(): number {
    return this.link().mtu ?? 1500;
  }
  async setMtu(mtu: number): Promise<void> {
    this.monitor.setLink(this.ifindex, { mtu });
  }
  getFlags(): NetdevFlags {
    const f = this.monitor.link(this.ifindex)?.flags ?? 0;
    return { up: (f & IFF.UP) !== 0, promisc: (f & IFF.PROMISC) !== 0 };
  }
  async setFlags(flags: Partial<NetdevFlags>): Promise<void> {
    const c: { up?: boolean; promisc?: boolean } = {};
    if (flags.up !== undefined) c.up = flags.up;
    if (flags.promisc !== undefined) c.promisc = flags.promisc;
    this.monitor.setLink(this.ifindex, c);
  }
  /** Carrier as Open vSwitch reads it: IFF_RUNNING (administratively up and operationally up). */
  getCarrier(): boolean {
    const l = this.monitor.link(this.ifindex);
    return l !== undefined && (l.flags & IFF.RUNNING) !== 0;
  }
  getStats(): NetdevStats {
    const s = this.monitor.getLinkNow(this.ifindex).stats;
    if (!s) throw new NetdevError('EOPNOTSUPP', `${this.type}:${this.name} reports no IFLA_STATS64`);
    const out: NetdevStats = this.swapStats
      ? {
          ...s,
          rx_packets: s.tx_packets,
          tx_packets: s.rx_packets,
          rx_bytes: s.tx_bytes,
          tx_bytes: s.rx_bytes,
          rx_dropped: s.tx_dropped,
          tx_dropped: s.rx_dropped,
          rx_errors: s.tx_errors,
          tx_errors: s.rx_errors,
        }
      : s;
    out.rx_dropped += BigInt(this.localRxDropped);
    out.tx_dropped += BigInt(this.localTxDropped);
    return out;
  }
  getFeatures(): NetdevFeatures {
    // ethtool works by name in our namespace only; a moved device's name may be reused here.
    if (this.monitor.isRemote(this.ifindex)) return { curr: 0, advertised: 0, supported: 0, peer: 0 };
    return ethtool.getFeatures(this.monitor.link(this.ifindex)?.name ?? this.name);
  }
  async setAdvertisements(advertise: number): Promise<void> {
    if (this.monitor.isRemote(this.ifindex))
      throw new NetdevError('EOPNOTSUPP', `${this.type}:${this.name} is in another network namespace`);
    ethtool.setAdvertised(this.monitor.link(this.ifindex)?.name ?? this.name, advertise);
    this.monitor.refresh(this.ifindex);
  }
  getAddresses(): NetdevAddresses {
    const out: NetdevAddresses = { in4: [], in6: [] };
    for (const a of this.monitor.addrs(this.ifindex))
      (a.family === AF_INET ? out.in4 : out.in6).push({ address: a.address, prefixLength: a.prefixLength });
    return out;
  }
  changeSeq(): number {
    return this.monitor.seq(this.ifindex);
  }
  onChange(cb: () => void): () => void {
    const off = this.monitor.onChange(this.ifindex, cb);
    const unsubscribe = (): void => {
      off();
      this.unsubscribers.delete(unsubscribe);
    };
    this.unsubscribers.add(unsubscribe);
    return unsubscribe;
  }

  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      this.closeIo();
    } finally {
      for (const u of [...this.unsubscribers]) u();
      this.monitor.unwatch(this.ifindex);
      this.monitor.release();
    }
  }
}
