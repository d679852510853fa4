/*
 * The netdev provider interface: what a switch port needs from the device behind it.
 *
 * Modelled on Open vSwitch's `struct netdev_class` (lib/netdev-provider.h): one interface for every
 * kind of device, where each optional member is a capability a provider may leave out rather than
 * stub. Callers never test for a member themselves: netdev.ts wraps a provider's device and turns a
 * missing member into an "unsupported" answer in one place.
 *
 * Conventions:
 * - MAC addresses are 48-bit integers in a Number (as in src/openflow).
 * - Frames are Ethernet frames without FCS.
 * - Received frames arrive in batches (RxBatch) owned by the device: they are valid only during the
 *   callback, and the receiver may modify them in place but must copy what it keeps.
 * - send() copies the frame (into a ring, a queue or straight to the kernel) before it returns, so the
 *   caller may reuse its buffer at once; flush() pushes out whatever send() queued, and the datapath
 *   calls it once per batch.
 * - Errors are thrown as NetdevError carrying a positive errno name (EOPNOTSUPP for a missing capability).
 */

/** A batch of received frames: frame i is bufs[i][offs[i] .. offs[i] + lens[i]). Reused by the device. */
export interface RxBatch {
  count: number;
  readonly bufs: Buffer[];
  readonly offs: Int32Array;
  readonly lens: Int32Array;
}

/** The most frames a device hands over in one batch. */
export const RX_BATCH_MAX = 64;

export function newRxBatch(max = RX_BATCH_MAX): RxBatch {
  return { count: 0, bufs: new Array<Buffer>(max), offs: new Int32Array(max), lens: new Int32Array(max) };
}

/** Interface counters, as OpenFlow port stats wants them. A counter the device lacks is undefined. */
export interface NetdevStats {
  rx_packets: bigint;
  tx_packets: bigint;
  rx_bytes: bigint;
  tx_bytes: bigint;
  rx_dropped: bigint;
  tx_dropped: bigint;
  rx_errors: bigint;
  tx_errors: bigint;
  rx_frame_err?: bigint;
  rx_over_err?: bigint;
  rx_crc_err?: bigint;
  collisions?: bigint;
}

/** Link features as OFPPF_* bit sets (0 when the device reports nothing). */
export interface NetdevFeatures {
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
}

/** Administrative and link flags. */
export interface NetdevFlags {
  /** Administratively up (IFF_UP). */
  up: boolean;
  promisc: boolean;
}

export interface NetdevAddresses {
  in4: { address: string; prefixLength: number }[];
  in6: { address: string; prefixLength: number }[];
}

export class NetdevError extends Error {
  constructor(
    readonly errno: string,
    message: string,
  ) {
    super(`${message} (${errno})`);
    this.name = 'NetdevError';
  }
}

/** One open device. Members marked optional are capabilities; see netdev.ts for the wrapper. */
export interface NetdevDevice {
  readonly name: string;
  /** Provider type: "dummy", "tap", "system", "internal", "bsd-tap", … */
  readonly type: string;

  /**
   * Starts delivering received frames to `onBatch`. Called once. Delivery is asynchronous (from the
   * event loop or the device's own I/O context), never re-entrant.
   */
  startReceive(onBatch: (batch: RxBatch) => void): void;
  /** Queues one frame for transmission; see the conventions above. Drops (and counts) on overload. */
  send(buf: Buffer, off: number, len: number): void;
  /** Transmits what send() queued. */
  flush(): void;

  getEtherAddr(): number;
  /** Increments whenever anything the device reports (flags, carrier, MAC, MTU, speed) may have changed. */
  changeSeq(): number;
  /** Calls `cb` after changeSeq() moves. Returns a function that unsubscribes. */
  onChange(cb: () => void): () => void;
  /** Whether the link has carrier. */
  getCarrier(): boolean;
  /**
   * False once the device has disappeared from the system (an interface deleted under the switch);
   * the change is announced through onChange. May be left out by devices that cannot vanish.
   */
  exists?(): boolean;

  setEtherAddr?(mac: number): Promise<void>;
  getMtu?(): number;
  setMtu?(mtu: number): Promise<void>;
  getIfindex?(): number;
  getFlags?(): NetdevFlags;
  setFlags?(flags: Partial<NetdevFlags>): Promise<void>;
  getStats?(): NetdevStats;
  getFeatures?(): NetdevFeatures;
  /** Sets the advertised OFPPF_* features (where the device supports autonegotiation). */
  setAdvertisements?(advertise: number): Promise<void>;
  getAddresses?(): NetdevAddresses;

  /** Stops I/O and releases the device (a tap ofdp created is deleted unless it was told to keep it). */
  close(): Promise<void>;
}

/** Options common to every provider's open(). Providers may accept more. */
export interface NetdevOpenOptions {
  /** Keep a device ofdp created (tap) after close. */
  keep?: boolean;
  [key: string]: unknown;
}

/** A kind of device: opens devices of its type by name. */
export interface NetdevProvider {
  readonly type: string;
  open(name: string, options?: NetdevOpenOptions): Promise<NetdevDevice>;
}
