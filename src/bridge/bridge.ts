/*
 * A bridge: one OpenFlow 1.0 switch, joining netdevs (ports), the datapath (flows and actions) and
 * OpenFlow connections. It owns what OpenFlow adds around the datapath: port numbering and
 * descriptions, port-status on device changes, packet-in construction and buffering per connection,
 * flow expiry timing, fail modes, and the answer to every controller message (handle-message.ts).
 *
 * Ports: numbers are stable — as requested, else the lowest free number from 1. LOCAL (0xfffe) is the
 * bridge's internal port when it has one.
 *
 * Fail modes (with no primary controller connected):
 * - standalone: table misses go to NORMAL (a MAC-learning switch), as Open vSwitch does;
 * - secure: flows stay, misses go nowhere (only to service connections that asked for packet-ins);
 * - emergency (OpenFlow 1.0.0 §4.3, "Connection Interruption"): the bridge starts in emergency mode
 *   ("The first time a switch starts up, it is considered to be in emergency mode"), so until a
 *   controller first connects only the emergency table is looked up. A controller connecting switches
 *   to the normal table; losing the last one clears the normal table and the emergency table takes
 *   over again until a controller connects.
 */
import { OFPP, OFPPC, OFPPR, OFPPS, OFPT, OFP_NO_BUFFER } from '../openflow/constants.js';
import type { OfpMessage } from '../openflow/messages.js';
import type { OfpPhyPort } from '../openflow/structs.js';
import { Datapath, type DatapathOptions, type FlowRemovedEvent, type Upcall } from '../datapath/datapath.js';
import type { Netdev } from '../netdev/netdev.js';
import type { BridgeConn } from './ofconn.js';
import { PacketBuffers } from './packet-buffers.js';

export type FailMode = 'standalone' | 'secure' | 'emergency';

export interface QueueConfig {
  queueId: number;
  /** OFPQT_MIN_RATE in 1/10 of a percent, if configured. */
  minRate?: number;
}

export interface BridgeOptions extends DatapathOptions {
  name: string;
  datapathId?: bigint;
  failMode?: FailMode;
  /** Queues per port number, reported by QUEUE_GET_CONFIG and usable by ENQUEUE. */
  queues?: Map<number, QueueConfig[]>;
  /** Manufacturer and software descriptions for OFPST_DESC. */
  swDesc?: string;
}

export interface BridgePort {
  readonly portNo: number;
  readonly netdev: Netdev;
  /** OFPPC_* bits other than PORT_DOWN, which follows the device's admin state. */
  config: number;
  /** The description last reported to controllers, to detect changes. */
  last: OfpPhyPort;
  unsubscribe: () => void;
}

/** Packet-in data beyond this many queued bytes on a connection is dropped rather than buffered. */
const MAX_QUEUED_BYTES = 4 << 20;

export class Bridge {
  readonly name: string;
  readonly dp: Datapath;
  readonly ports = new Map<number, BridgePort>();
  /**
   * Ports whose device vanished (an interface deleted under the bridge), by device name: the number
   * stays reserved so the device gets it back when it returns, as Open vSwitch keeps ofport numbers.
   */
  readonly vanished = new Map<string, number>();
  /** Called after a port's device vanished and the port was removed. */
  onPortVanished: (name: string, portNo: number) => void = () => undefined;
  /** Negotiated connections, with their packet buffers. */
  readonly conns = new Map<BridgeConn, PacketBuffers>();
  readonly failMode: FailMode;
  readonly queues: Map<number, QueueConfig[]>;
  readonly swDesc: string;
  datapathId: bigint;
  /** OFPC_FRAG_* (switch-wide). */
  fragFlags = 0;
  private readonly now: () => number;
  private primaryCount = 0;
  private expiryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: BridgeOptions) {
    this.name = opts.name;
    this.now = opts.now ?? Date.now;
    this.dp = new Datapath(opts);
    this.failMode = opts.failMode ?? 'standalone';
    this.queues = opts.queues ?? new Map();
    this.swDesc = opts.swDesc ?? 'ofdp';
    this.datapathId = opts.datapathId ?? 0n;
    this.dp.onUpcall = (u) => this.upcall(u);
    this.dp.onFlowRemoved = (ev) => this.flowRemoved(ev);
    if (this.failMode === 'emergency') this.dp.setEmergencyMode(true);
    this.updateMissPolicy();
  }

  // ---- ports ---------------------------------------------------------------------------------------

  /** Adds a port; `portNo` as requested or the lowest free number. Returns the number. */
  addPort(netdev: Netdev, portNo?: number): number {
    const reserved = this.vanished.get(netdev.name);
    const no = portNo ?? reserved ?? this.freePortNo();
    if (this.ports.has(no)) throw new RangeError(`port number ${no} is already in use on ${this.name}`);
    const port: BridgePort = {
      portNo: no,
      netdev,
      config: 0,
      last: undefined as unknown as OfpPhyPort,
      unsubscribe: () => undefined,
    };
    port.last = this.describe(port);
    this.ports.set(no, port);
    this.dp.addPort(no, netdev, {
      config: port.last.config,
      state: port.last.state,
      queues: (this.queues.get(no) ?? []).map((q) => q.queueId),
    });
    port.unsubscribe = netdev.onChange(() => this.portChanged(no));
    try {
      netdev.startReceive((batch) => this.dp.receiveBatch(no, batch));
    } catch (e) {
      // Not a port after all (the device failed as it was opened): undo, keep any reservation.
      port.unsubscribe();
      this.ports.delete(no);
      this.dp.removePort(no);
      throw e;
    }
    this.vanished.delete(netdev.name);
    this.sendAsync({ type: OFPT.PORT_STATUS, xid: 0, reason: OFPPR.ADD, desc: port.last });
    return no;
  }

  /** Removes a port (its device vanished or was detached) and tells controllers. */
  removePort(portNo: number): BridgePort | undefined {
    const port = this.ports.get(portNo);
    if (!port) return undefined;
    port.unsubscribe();
    this.ports.delete(portNo);
    this.dp.removePort(portNo);
    this.sendAsync({ type: OFPT.PORT_STATUS, xid: 0, reason: OFPPR.DELETE, desc: port.last });
    return port;
  }

  private freePortNo(): number {
    const reserved = new Set(this.vanished.values());
    for (let n = 1; n < OFPP.MAX; n++) if (!this.ports.has(n) && !reserved.has(n)) return n;
    throw new RangeError(`${this.name} has no free port numbers`);
  }

  /** The ofp_phy_port for a port, from its device as it is now. */
  describe(port: BridgePort): OfpPhyPort {
    const dev = port.netdev;
    const f = dev.getFeatures();
    const up = dev.getFlags().up;
    return {
      port_no: port.portNo,
      hw_addr: dev.getEtherAddr(),
      name: dev.name,
      config: (port.config & ~OFPPC.PORT_DOWN) | (up ? 0 : OFPPC.PORT_DOWN),
      state: dev.getCarrier() && up ? 0 : OFPPS.LINK_DOWN,
      curr: f.curr,
      advertised: f.advertised,
      supported: f.supported,
      peer: f.peer,
    };
  }

  /** Re-reads a port's device and sends PORT_STATUS MODIFY if its description changed. */
  portChanged(portNo: number): void {
    const port = this.ports.get(portNo);
    if (!port) return;
    if (!port.netdev.exists()) {
      this.removePort(portNo);
      this.vanished.set(port.netdev.name, portNo);
      port.netdev.close().catch(() => undefined);
      this.onPortVanished(port.netdev.name, portNo);
      return;
    }
    const now = this.describe(port);
    const was = port.last;
    if (samePort(was, now)) return;
    port.last = now;
    this.dp.setPortConfig(portNo, now.config);
    this.dp.setPortState(portNo, now.state);
    this.sendAsync({ type: OFPT.PORT_STATUS, xid: 0, reason: OFPPR.MODIFY, desc: now });
  }

  phyPorts(): OfpPhyPort[] {
    return [...this.ports.values()].sort((a, b) => a.portNo - b.portNo).map((p) => p.last);
  }

  // ---- connections ---------------------------------------------------------------------------------

  /** Registers a connection that has negotiated OpenFlow 1.0. */
  connect(conn: BridgeConn): void {
    if (this.conns.has(conn)) return;
    this.conns.set(conn, new PacketBuffers(this.now));
    if (conn.role === 'primary') {
      this.primaryCount++;
      if (this.failMode === 'emergency' && this.dp.emergencyMode) this.dp.setEmergencyMode(false);
    }
    this.updateMissPolicy();
  }

  disconnect(conn: BridgeConn): void {
    const buffers = this.conns.get(conn);
    if (!buffers) return;
    buffers.clear();
    this.conns.delete(conn);
    if (conn.role === 'primary') {
      this.primaryCount--;
      if (this.primaryCount === 0 && this.failMode === 'emergency') {
        this.dp.deleteAllNormalFlows();
        this.dp.setEmergencyMode(true);
      }
    }
    this.updateMissPolicy();
  }

  /** Call when a connection's miss_send_len changed (SET_CONFIG). */
  updateMissPolicy(): void {
    let wanted = false;
    for (const c of this.conns.keys()) if (c.receivesAsync) wanted = true;
    if (wanted && (this.primaryCount > 0 || this.failMode !== 'standalone'))
      this.dp.setMissPolicy('controller');
    else if (this.primaryCount === 0 && this.failMode === 'standalone') this.dp.setMissPolicy('normal');
    else this.dp.setMissPolicy('drop');
  }

  get controllersConnected(): number {
    return this.primaryCount;
  }

  /**
   * Sends an asynchronous message to every connection that wants them, except `source`: the
   * connection whose own request caused it. Only a PORT_MOD's PORT_STATUS names one — OpenFlow before
   * 1.5 sends a controller none for its own PORT_MOD, and Open vSwitch keeps to that
   * (test/bridge/port-mod.test.ts measures it). Messages a device or the datapath causes (link state,
   * vanished interfaces, FLOW_REMOVED, even for a controller's own DELETE) go to all.
   */
  sendAsync(msg: OfpMessage, source?: BridgeConn): void {
    for (const c of this.conns.keys()) if (c.receivesAsync && c !== source) c.send(msg);
  }

  // ---- datapath events -----------------------------------------------------------------------------

  private upcall(u: Upcall): void {
    for (const [c, buffers] of this.conns) {
      if (!c.receivesAsync) continue;
      if (c.queuedBytes > MAX_QUEUED_BYTES) continue;
      const maxLen = u.maxLen ?? c.missSendLen;
      let bufferId = OFP_NO_BUFFER;
      let data = u.frame;
      if (maxLen !== 0xffff) {
        bufferId = buffers.save(u.frame, u.inPort);
        if (bufferId !== OFP_NO_BUFFER && u.frame.length > maxLen) data = u.frame.subarray(0, maxLen);
      }
      c.send({
        type: OFPT.PACKET_IN,
        xid: 0,
        buffer_id: bufferId,
        total_len: u.frame.length,
        in_port: u.inPort,
        reason: u.reason,
        data,
      });
    }
  }

  private flowRemoved(ev: FlowRemovedEvent): void {
    this.sendAsync({ type: OFPT.FLOW_REMOVED, xid: 0, ...ev });
  }

  // ---- timers --------------------------------------------------------------------------------------

  /** Runs flow expiry every `intervalMs` until close(). */
  startTimers(intervalMs = 250): void {
    if (this.expiryTimer || this.closed) return;
    this.expiryTimer = setInterval(() => this.dp.expire(), intervalMs);
    this.expiryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    for (const c of [...this.conns.keys()]) this.disconnect(c);
    for (const p of [...this.ports.values()]) {
      p.unsubscribe();
      this.ports.delete(p.portNo);
      this.dp.removePort(p.portNo);
      await p.netdev.close();
    }
  }

  /** Current time in ms (the bridge's clock). */
  clock(): number {
    return this.now();
  }

  /** The packet buffers of a connection (throws for one that is not connected). */
  buffersOf(conn: BridgeConn): PacketBuffers {
    const b = this.conns.get(conn);
    if (!b) throw new Error(`${this.name}: connection is not registered`);
    return b;
  }
}

function samePort(a: OfpPhyPort, b: OfpPhyPort): boolean {
  return (
    a.hw_addr === b.hw_addr &&
    a.name === b.name &&
    a.config === b.config &&
    a.state === b.state &&
    a.curr === b.curr &&
    a.advertised === b.advertised &&
    a.supported === b.supported &&
    a.peer === b.peer
  );
}
