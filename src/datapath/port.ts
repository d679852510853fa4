/*
 * A datapath port: the device frames leave through, the OpenFlow config and state bits that decide
 * whether they may, and the counters port and queue stats report.
 *
 * Counters are Numbers (exact to 2^53, far beyond any run) so the fast path never touches BigInt;
 * stats convert them when asked.
 */
import { OFPPC, OFPPS } from '../openflow/constants.js';
import type { NetdevStats } from '../netdev/provider.js';

/** What the datapath needs of a port's device: a Netdev, a NetdevDevice, a DummyDevice, a test sink. */
export interface PortDevice {
  /** Queues one frame; copies it before returning. Must not call back into the datapath. */
  send(buf: Buffer, off: number, len: number): void;
  /** Transmits what send() queued; called once per batch that sent something. */
  flush(): void;
  /** Device counters, when it keeps them (for the error counters of port stats). */
  getStats?(): NetdevStats | undefined;
}

export interface PortOptions {
  /** OFPPC_* bits. */
  config?: number;
  /** OFPPS_* bits (OFPPS_LINK_DOWN matters here). */
  state?: number;
  /** Queue ids ENQUEUE may name on this port. */
  queues?: readonly number[];
}

export class QueueCounters {
  txPackets = 0;
  txBytes = 0;
  txErrors = 0;
}

/** Config bits that stop output through a port. */
const NO_OUTPUT = OFPPC.PORT_DOWN | OFPPC.NO_FWD;

export class Port {
  config: number;
  state: number;
  /** Whether the port may transmit: recomputed whenever config or state changes. */
  canSend = true;
  rxPackets = 0;
  rxBytes = 0;
  rxDropped = 0;
  txPackets = 0;
  txBytes = 0;
  txDropped = 0;
  readonly queues = new Map<number, QueueCounters>();
  /** Whether send() was called since the last flush(). */
  dirty = false;

  constructor(
    readonly portNo: number,
    readonly dev: PortDevice,
    opts: PortOptions,
  ) {
    this.config = opts.config ?? 0;
    this.state = opts.state ?? 0;
    this.update();
    for (const q of opts.queues ?? []) this.queues.set(q, new QueueCounters());
  }

  update(): void {
    this.canSend = (this.config & NO_OUTPUT) === 0 && (this.state & OFPPS.LINK_DOWN) === 0;
  }

  setQueues(ids: readonly number[]): void {
    const keep = new Set(ids);
    for (const q of this.queues.keys()) if (!keep.has(q)) this.queues.delete(q);
    for (const q of ids) if (!this.queues.has(q)) this.queues.set(q, new QueueCounters());
  }
}
