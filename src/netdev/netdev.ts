/*
 * The generic netdev layer: wraps a provider's device so callers never test for a capability.
 *
 * A missing optional member answers as Open vSwitch's lib/netdev.c does: getters that describe the
 * link return a neutral value (no features, no addresses, unknown counters), and setters throw
 * NetdevError('EOPNOTSUPP').
 */
import {
  NetdevError,
  type NetdevAddresses,
  type NetdevDevice,
  type NetdevFeatures,
  type NetdevFlags,
  type NetdevStats,
  type RxBatch,
} from './provider.js';

const NO_FEATURES: NetdevFeatures = Object.freeze({ curr: 0, advertised: 0, supported: 0, peer: 0 });

function unsupported(dev: NetdevDevice, what: string): never {
  throw new NetdevError('EOPNOTSUPP', `${dev.type}:${dev.name} cannot ${what}`);
}

export class Netdev {
  constructor(readonly dev: NetdevDevice) {}

  get name(): string {
    return this.dev.name;
  }
  get type(): string {
    return this.dev.type;
  }
  startReceive(onBatch: (batch: RxBatch) => void): void {
    this.dev.startReceive(onBatch);
  }
  send(buf: Buffer, off: number, len: number): void {
    this.dev.send(buf, off, len);
  }
  flush(): void {
    this.dev.flush();
  }
  getEtherAddr(): number {
    return this.dev.getEtherAddr();
  }
  changeSeq(): number {
    return this.dev.changeSeq();
  }
  onChange(cb: () => void): () => void {
    return this.dev.onChange(cb);
  }
  getCarrier(): boolean {
    return this.dev.getCarrier();
  }
  exists(): boolean {
    return this.dev.exists?.() ?? true;
  }
  async setEtherAddr(mac: number): Promise<void> {
    if (!this.dev.setEtherAddr) unsupported(this.dev, 'set its MAC address');
    await this.dev.setEtherAddr(mac);
  }
  /** The MTU, or undefined when the device has none to report. */
  getMtu(): number | undefined {
    return this.dev.getMtu?.();
  }
  async setMtu(mtu: number): Promise<void> {
    if (!this.dev.setMtu) unsupported(this.dev, 'set its MTU');
    await this.dev.setMtu(mtu);
  }
  getIfindex(): number | undefined {
    return this.dev.getIfindex?.();
  }
  getFlags(): NetdevFlags {
    return this.dev.getFlags?.() ?? { up: true, promisc: false };
  }
  async setFlags(flags: Partial<NetdevFlags>): Promise<void> {
    if (!this.dev.setFlags) unsupported(this.dev, 'change its flags');
    await this.dev.setFlags(flags);
  }
  /** Counters, or undefined when the device keeps none (OpenFlow then reports all-ones). */
  getStats(): NetdevStats | undefined {
    try {
      return this.dev.getStats?.();
    } catch (e) {
      // A device that vanished has no counters any more; the bridge is told through onChange.
      if (e instanceof NetdevError && e.errno === 'ENODEV') return undefined;
      throw e;
    }
  }
  getFeatures(): NetdevFeatures {
    return this.dev.getFeatures?.() ?? NO_FEATURES;
  }
  async setAdvertisements(advertise: number): Promise<void> {
    if (!this.dev.setAdvertisements) unsupported(this.dev, 'set advertised features');
    await this.dev.setAdvertisements(advertise);
  }
  getAddresses(): NetdevAddresses {
    return this.dev.getAddresses?.() ?? { in4: [], in6: [] };
  }
  close(): Promise<void> {
    return this.dev.close();
  }
}
