/*
 * The dummy provider: an in-memory device for tests and demos, needing no privileges.
 *
 * Like Open vSwitch's netdev-dummy it is a test tool: a test injects received frames (receive()),
 * reads what the switch sent (takeSent()), and sets carrier, MAC, MTU, counters and features, each
 * change moving changeSeq() as a real device's would. Received frames are delivered asynchronously
 * (on a microtask) in batches, as real providers deliver them from the event loop.
 */
import {
  NetdevError,
  newRxBatch,
  type NetdevDevice,
  type NetdevFeatures,
  type NetdevFlags,
  type NetdevOpenOptions,
  type NetdevProvider,
  type NetdevStats,
  type RxBatch,
  RX_BATCH_MAX,
} from './provider.js';

let nextMac = 0xaa5500000001;

export interface DummyOptions extends NetdevOpenOptions {
  mac?: number;
  mtu?: number;
  features?: Partial<NetdevFeatures>;
  carrier?: boolean;
}

export class DummyDevice implements NetdevDevice {
  readonly type = 'dummy';
  private mac: number;
  private mtu: number;
  private carrier: boolean;
  private flags: NetdevFlags = { up: true, promisc: false };
  private features: NetdevFeatures;
  private seq = 1;
  private readonly listeners = new Set<() => void>();
  private onBatch: ((b: RxBatch) => void) | undefined;
  private readonly rxQueue: Buffer[] = [];
  private rxScheduled = false;
  private readonly batch = newRxBatch();
  private txQueue: Buffer[] = [];
  /** Frames transmitted (flushed), oldest first, until takeSent(). */
  private readonly sent: Buffer[] = [];
  private readonly sentWaiters: (() => void)[] = [];
  private closed = false;
  private gone = false;
  /** Where transmitted frames go instead of the sent list (the pstream feature, dummy-pstream.ts). */
  private transmitHook: ((frame: Buffer) => void) | undefined;
  readonly stats: NetdevStats = {
    rx_packets: 0n,
    tx_packets: 0n,
    rx_bytes: 0n,
    tx_bytes: 0n,
    rx_dropped: 0n,
    tx_dropped: 0n,
    rx_errors: 0n,
    tx_errors: 0n,
    rx_frame_err: 0n,
    rx_over_err: 0n,
    rx_crc_err: 0n,
    collisions: 0n,
  };

  constructor(
    readonly name: string,
    opts: DummyOptions = {},
  ) {
    this.mac = opts.mac ?? nextMac++;
    this.mtu = opts.mtu ?? 1500;
    this.carrier = opts.carrier ?? true;
    this.features = { curr: 0, advertised: 0, supported: 0, peer: 0, ...opts.features };
  }

  // ---- the provider interface ----

  startReceive(onBatch: (batch: RxBatch) => void): void {
    this.onBatch = onBatch;
    this.scheduleRx();
  }

  send(buf: Buffer, off: number, len: number): void {
    if (this.closed) return;
    if (!this.flags.up || !this.carrier) {
      this.stats.tx_dropped++;
      return;
    }
    this.txQueue.push(Buffer.from(buf.subarray(off, off + len)));
  }

  flush(): void {
    if (this.txQueue.length === 0) return;
    for (const f of this.txQueue) {
      this.stats.tx_packets++;
      this.stats.tx_bytes += BigInt(f.length);
      if (this.transmitHook) this.transmitHook(f);
      else this.sent.push(f);
    }
    this.txQueue = [];
    for (const w of this.sentWaiters.splice(0)) w();
  }

  getEtherAddr(): number {
    return this.mac;
  }
  async setEtherAddr(mac: number): Promise<void> {
    this.mac = mac;
    this.changed();
  }
  getMtu(): number {
    return this.mtu;
  }
  async setMtu(mtu: number): Promise<void> {
    if (mtu < 68 || mtu > 65535) throw new NetdevError('EINVAL', `dummy:${this.name}: MTU ${mtu}`);
    this.mtu = mtu;
    this.changed();
  }
  getFlags(): NetdevFlags {
    return { ...this.flags };
  }
  async setFlags(flags: Partial<NetdevFlags>): Promise<void> {
    this.flags = { ...this.flags, ...flags };
    this.changed();
  }
  getCarrier(): boolean {
    return this.carrier && this.flags.up;
  }
  exists(): boolean {
    return !this.gone;
  }
  getStats(): NetdevStats {
    return { ...this.stats };
  }
  getFeatures(): NetdevFeatures {
    return { ...this.features };
  }
  async setAdvertisements(advertise: number): Promise<void> {
    this.features.advertised = advertise;
    this.changed();
  }
  changeSeq(): number {
    return this.seq;
  }
  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  async close(): Promise<void> {
    this.closed = true;
    this.onBatch = undefined;
    this.listeners.clear();
  }

  // ---- the test tool ----

  /** Injects frames as if the wire had delivered them. */
  receive(...frames: Buffer[]): void {
    if (this.closed) return;
    for (const f of frames) {
      if (!this.flags.up || !this.carrier) {
        this.stats.rx_dropped++;
        continue;
      }
      this.stats.rx_packets++;
      this.stats.rx_bytes += BigInt(f.length);
      this.rxQueue.push(f);
    }
    this.scheduleRx();
  }

  /** Delivers every queued received frame now, synchronously (for benchmarks and deterministic tests). */
  drainReceived(): void {
    this.rxScheduled = false;
    const cb = this.onBatch;
    if (!cb) return;
    while (this.rxQueue.length > 0) {
      const b = this.batch;
      const n = Math.min(this.rxQueue.length, RX_BATCH_MAX);
      for (let i = 0; i < n; i++) {
        const f = this.rxQueue[i]!;
        b.bufs[i] = f;
        b.offs[i] = 0;
        b.lens[i] = f.length;
      }
      b.count = n;
      this.rxQueue.splice(0, n);
      cb(b);
    }
  }

  /** Returns and forgets the frames transmitted so far. */
  takeSent(): Buffer[] {
    return this.sent.splice(0);
  }

  /** Resolves once at least `n` frames have been transmitted and not yet taken. */
  async waitSent(n = 1): Promise<void> {
    while (this.sent.length < n) await new Promise<void>((r) => this.sentWaiters.push(r));
  }

  /**
   * Sends every transmitted frame to `hook` instead of keeping it for takeSent() (undefined restores
   * the default). Used to expose the port as a stream (dummy-pstream.ts).
   */
  setTransmitHook(hook: ((frame: Buffer) => void) | undefined): void {
    this.transmitHook = hook;
  }

  /** Makes the device disappear, as a deleted interface does (exists() turns false). */
  vanish(): void {
    this.gone = true;
    this.changed();
  }

  setCarrier(carrier: boolean): void {
    this.carrier = carrier;
    this.changed();
  }

  setFeatures(f: Partial<NetdevFeatures>): void {
    this.features = { ...this.features, ...f };
    this.changed();
  }

  private changed(): void {
    this.seq++;
    for (const cb of this.listeners) cb();
  }

  private scheduleRx(): void {
    if (this.rxScheduled || !this.onBatch || this.rxQueue.length === 0) return;
    this.rxScheduled = true;
    queueMicrotask(() => this.drainReceived());
  }
}

/** Opens dummy devices; each name opens the same device until it is closed. */
export class DummyProvider implements NetdevProvider {
  readonly type = 'dummy';
  readonly devices = new Map<string, DummyDevice>();

  async open(name: string, options: DummyOptions = {}): Promise<DummyDevice> {
    let d = this.devices.get(name);
    if (!d) {
      d = new DummyDevice(name, options);
      this.devices.set(name, d);
      const close = d.close.bind(d);
      d.close = async () => {
        this.devices.delete(name);
        await close();
      };
    }
    return d;
  }
}
