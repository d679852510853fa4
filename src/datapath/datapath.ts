/*
 * The datapath: frames in, frames out, counters kept. One instance per bridge.
 *
 * It knows OpenFlow 1.0 semantics (matches, actions, flow-mods, stats) as objects from src/openflow,
 * never wire bytes, and knows ports only as devices with send()/flush(). The bridge (issue #5) owns
 * the OpenFlow channel, packet buffers, fail modes and port-status, and drives the datapath through
 * this API:
 *
 *   const dp = new Datapath({ maxFlows, macTableSize, macAgingMs, now });
 *   dp.onUpcall = (u) => …          // table miss (OFPR_NO_MATCH) or CONTROLLER output (OFPR_ACTION):
 *                                   // u.frame is a copy of the frame as modified so far, full length;
 *                                   // u.maxLen is the action's max_len (undefined for a miss: use
 *                                   // miss_send_len). Delivered after the batch, so the handler may
 *                                   // call back into the datapath.
 *   dp.onFlowRemoved = (ev) => …    // FLOW_REMOVED bodies for flows with OFPFF_SEND_FLOW_REM,
 *                                   // from expire() and DELETE / DELETE_STRICT.
 *   dp.addPort(n, dev, { config, state, queues });  dp.removePort(n);
 *   dp.setPortConfig(n, config); dp.setPortState(n, state); dp.setQueues(n, ids);
 *   dev.startReceive((batch) => dp.receiveBatch(n, batch));   // the fast path
 *   dp.flowMod(params)              // throws DatapathError {errorType, errorCode}; in effect for the
 *                                   // very next frame once it returns (barriers may rely on this).
 *                                   // OFPFF_EMERG selects the emergency table for every command.
 *                                   // The datapath keeps params.actions (don't mutate it after).
 *                                   // It is the one place a flow-mod is checked (command, actions,
 *                                   // emergency timeouts, table; flow-table.ts gives the order, which
 *                                   // is Open vSwitch's): callers pass it unchecked. Returns the
 *                                   // CheckedProgram an ADD/MODIFY installed, undefined for a DELETE.
 *   dp.checkActions(actions)        // validate + compile once: a CheckedProgram, or throws
 *                                   // DatapathError(OFPET_BAD_ACTION, …); packet-out checks its
 *                                   // actions before taking a buffered packet
 *   dp.execute(frame, inPort, actions | program)  // packet-out; OFPP_TABLE runs the frame through
 *                                   // the table. An action list is checked here; a CheckedProgram
 *                                   // (from checkActions() or flowMod()) was checked already. A
 *                                   // flow-mod naming a buffer_id: flowMod(), then execute() the
 *                                   // buffered frame with the program flowMod() returned.
 *   dp.expire()                     // call periodically (nextExpiry() says when it next matters)
 *   dp.setMissPolicy('controller' | 'drop' | 'normal')   // what a table miss does
 *   dp.setFragMode('normal' | 'drop'); dp.setEmergencyMode(on); dp.deleteAllNormalFlows()
 *   dp.flowStats(match, outPort) / aggregateStats / tableStats / portStats(port) / queueStats(port, q)
 *                                   // bodies shaped as the OFPST_* reply structs in src/openflow
 *   dp.macEntries()                 // the NORMAL learning table, for tools
 *
 * Fast path (design.md, "Performance shape"): receiveBatch() reads the clock once, then for each
 * frame parses into a preallocated key, probes the exact-match cache, falls back to the tuple-space
 * classifier, runs the rule's compiled actions editing the frame in place (a VLAN push moves it to
 * headroom in a scratch buffer first), and flushes each port it sent to once at the end of the batch.
 * Nothing on that path allocates except upcalls.
 * A long-running switch calls warmUpFastPath() (warm-up.ts) once at start-up, so V8 has optimised
 * this path before real frames arrive.
 *
 * Port rules: output never goes back out the in_port unless asked with OFPP_IN_PORT; a port with
 * OFPPC_PORT_DOWN or OFPPC_NO_FWD, or whose link is down, sends nothing; FLOOD skips OFPPC_NO_FLOOD
 * ports; frames arriving on a port with OFPPC_NO_RECV or OFPPC_PORT_DOWN are dropped, and with
 * OFPPC_NO_RECV_STP so are STP BPDUs; OFPPC_NO_PACKET_IN suppresses table-miss upcalls from that port
 * (not explicit CONTROLLER outputs), as in Open vSwitch.
 *
 * Other choices, each Open vSwitch's unless said: ENQUEUE to a queue the port lacks is a plain
 * output; output to OFPP_TABLE from a flow is dropped (it only means something in a packet-out);
 * frag mode "normal" keeps the L4 ports of first fragments (the rule; OVS zeroes them for
 * every fragment) and zeroes them for later ones; entering emergency mode (deleteAllNormalFlows)
 * sends no flow-removed messages.
 */
import {
  OFPAT,
  OFPC,
  OFPET,
  OFPFF,
  OFPFW,
  OFPP,
  OFPPC,
  OFPPS,
  OFPQ_ALL,
  OFPQOFC,
  OFPR,
} from '../openflow/constants.js';
import type { OfpAction } from '../openflow/actions.js';
import type {
  OfpAggregateStats,
  OfpMatch,
  OfpPortStats,
  OfpQueueStats,
  OfpTableStats,
} from '../openflow/structs.js';
import type { OfpFlowStats } from '../openflow/stats.js';
import type { RxBatch } from '../netdev/provider.js';
import { DatapathError } from './errors.js';
import { FlowCache } from './flow-cache.js';
import { FlowTable, type FlowModParams, type FlowRemovedEvent, type FlowRule } from './flow-table.js';
import { KEY_WORDS, ParsedFrame, parseFrame } from './frame-key.js';
import { hashWords } from './hash.js';
import { MacLearningTable, type MacEntry } from './mac-learning.js';
import { Port, QueueCounters, type PortDevice, type PortOptions } from './port.js';
import { aggregateOf, flowStatsOf, portStatsOf, queueStatsOf } from './stats.js';
import { checkActions, type CheckedProgram } from './program.js';
import { Executor, type ExecHost } from './execute.js';

export type { FlowModParams, FlowRemovedEvent } from './flow-table.js';
export type { PortDevice, PortOptions } from './port.js';

/** OFPC_* bits for FEATURES_REPLY: what this datapath's stats and matching support. */
export const DATAPATH_CAPABILITIES =
  OFPC.FLOW_STATS | OFPC.TABLE_STATS | OFPC.PORT_STATS | OFPC.QUEUE_STATS | OFPC.ARP_MATCH_IP;

/** The FEATURES_REPLY actions bitmap: all twelve OpenFlow 1.0 actions (bit n = OFPAT type n). */
export const DATAPATH_ACTIONS = (1 << (OFPAT.ENQUEUE + 1)) - 1;

export type MissPolicy = 'controller' | 'drop' | 'normal';
export type FragMode = 'normal' | 'drop';

export interface Upcall {
  /** OFPR_NO_MATCH or OFPR_ACTION. */
  reason: number;
  inPort: number;
  /** The whole frame as modified so far; the datapath keeps no reference to it. */
  frame: Buffer;
  /** max_len of the CONTROLLER output; undefined for a table miss. */
  maxLen?: number;
}

export interface DatapathOptions {
  /** Flow table size limit (each of the normal and emergency tables). Default 1,000,000. */
  maxFlows?: number;
  /** MAC-learning table size. Default 2048 (Open vSwitch's default). */
  macTableSize?: number;
  /** MAC-learning aging time in ms. Default 300,000. */
  macAgingMs?: number;
  /** The clock, in milliseconds. Default Date.now. */
  now?: () => number;
}

export class Datapath implements ExecHost {
  readonly table: FlowTable;
  readonly emergencyTable: FlowTable;
  readonly macTable: MacLearningTable;
  onUpcall: (u: Upcall) => void = () => undefined;
  onFlowRemoved: (ev: FlowRemovedEvent) => void = () => undefined;

  /** Ports by number (0..0xffff); sparse. */
  readonly portByNo: (Port | undefined)[] = new Array<Port | undefined>(0x10000).fill(undefined);
  /** Ports in ascending number order (flood order). */
  portList: Port[] = [];
  missPolicy: MissPolicy = 'controller';
  fragDrop = false;
  private emergency = false;
  private active: FlowTable;
  private readonly cache = new FlowCache<FlowRule>();
  private readonly parsed = new ParsedFrame();
  private readonly exec: Executor;
  private readonly clockFn: () => number;
  /**
   * Times kept internally are milliseconds since this epoch, not since 1970: small integers that V8
   * stores unboxed in every flow, where a Date.now()-sized double would cost an allocation each.
   */
  private readonly epoch: number;
  /** Time of the batch being processed (ms since the epoch). */
  now = 0;
  lookupCount = 0;
  matchedCount = 0;
  /** Frames whose lookup the exact-match cache could not answer (lookupCount minus these hit it). */
  cacheMisses = 0;
  /** Ports sent to in this batch: dirty[0 .. dirtyCount). Never shrunk, so never reallocated. */
  private readonly dirty: Port[] = [];
  private dirtyCount = 0;
  private pendingUpcalls: Upcall[] = [];
  private busy = false;

  constructor(opts: DatapathOptions = {}) {
    const removed = (ev: FlowRemovedEvent): void => this.onFlowRemoved(ev);
    const max = opts.maxFlows ?? 1_000_000;
    this.table = new FlowTable(max, false, removed);
    this.emergencyTable = new FlowTable(max, true, removed);
    this.active = this.table;
    this.macTable = new MacLearningTable(opts.macTableSize ?? 2048, opts.macAgingMs ?? 300_000);
    this.clockFn = opts.now ?? Date.now;
    this.epoch = this.clockFn();
    this.exec = new Executor(this, this.parsed);
  }

  // ---- ports ---------------------------------------------------------------------------------------

  addPort(portNo: number, dev: PortDevice, opts: PortOptions = {}): void {
    if (!Number.isInteger(portNo) || portNo <= 0 || (portNo >= OFPP.MAX && portNo !== OFPP.LOCAL))
      throw new RangeError(`port number ${portNo} is not a valid switch port`);
    if (this.portByNo[portNo]) throw new RangeError(`port ${portNo} already exists`);
    const p = new Port(portNo, dev, opts);
    this.portByNo[portNo] = p;
    this.portList = [...this.portList, p].sort((a, b) => a.portNo - b.portNo);
    this.cache.invalidate();
  }

  removePort(portNo: number): void {
    const p = this.portByNo[portNo];
    if (!p) return;
    this.portByNo[portNo] = undefined;
    this.portList = this.portList.filter((q) => q !== p);
    this.macTable.flushPort(portNo);
    this.cache.invalidate();
  }

  hasPort(portNo: number): boolean {
    return this.portByNo[portNo] !== undefined;
  }

  /** Sets a port's OFPPC_* bits. */
  setPortConfig(portNo: number, config: number): void {
    const p = this.mustPort(portNo);
    p.config = config;
    p.update();
    if (config & OFPPC.PORT_DOWN) this.macTable.flushPort(portNo);
  }

  /** Sets a port's OFPPS_* bits (the bridge follows the device's carrier into OFPPS_LINK_DOWN). */
  setPortState(portNo: number, state: number): void {
    const p = this.mustPort(portNo);
    p.state = state;
    p.update();
    if (state & OFPPS.LINK_DOWN) this.macTable.flushPort(portNo);
  }

  getPortConfig(portNo: number): number | undefined {
    return this.portByNo[portNo]?.config;
  }

  /** The queues ENQUEUE may use on a port; counters of queues that stay are kept. */
  setQueues(portNo: number, queueIds: readonly number[]): void {
    this.mustPort(portNo).setQueues(queueIds);
  }

  private mustPort(portNo: number): Port {
    const p = this.portByNo[portNo];
    if (!p) throw new RangeError(`no port ${portNo}`);
    return p;
  }

  // ---- modes ---------------------------------------------------------------------------------------

  setMissPolicy(policy: MissPolicy): void {
    this.missPolicy = policy;
  }

  setFragMode(mode: FragMode): void {
    this.fragDrop = mode === 'drop';
    this.cache.invalidate();
  }

  /** While on, lookups use the emergency table only. */
  setEmergencyMode(on: boolean): void {
    this.emergency = on;
    this.active = on ? this.emergencyTable : this.table;
    this.cache.invalidate();
  }

  get emergencyMode(): boolean {
    return this.emergency;
  }

  /** Deletes every flow of the normal table, without flow-removed messages (entering emergency mode). */
  deleteAllNormalFlows(): void {
    this.table.clear();
    this.cache.invalidate();
  }

  // ---- flow table ----------------------------------------------------------------------------------

  /**
   * Checks and applies a flow-mod (the only check it gets; order in flow-table.ts); throws
   * DatapathError when refused. OFPFF_EMERG selects the emergency table. Returns the program an
   * ADD or MODIFY installed, undefined for a DELETE.
   */
  flowMod(fm: FlowModParams): CheckedProgram | undefined {
    const t = fm.flags & OFPFF.EMERG ? this.emergencyTable : this.table;
    try {
      return t.apply(fm, this.clock());
    } finally {
      this.cache.invalidate();
    }
  }

  /** Validates and compiles `actions` once, for execute(); throws DatapathError(OFPET_BAD_ACTION, …). */
  checkActions(actions: readonly OfpAction[]): CheckedProgram {
    return checkActions(actions);
  }

  /**
   * Applies idle and hard timeouts as of now, and ages the MAC-learning table; returns how many
   * flows were removed. Call it periodically (every second or so, or at nextExpiry()).
   */
  expire(): number {
    const now = this.clock();
    const n = this.table.expire(now);
    if (n > 0) this.cache.invalidate();
    this.macTable.expire(now);
    return n;
  }

  /** The earliest time (clock ms) at which expire() could remove a flow, or Infinity. */
  nextExpiry(): number {
    return this.table.nextExpiry() + this.epoch;
  }

  /** The clock, relative to the epoch. */
  private clock(): number {
    return this.clockFn() - this.epoch;
  }

  // ---- the fast path -------------------------------------------------------------------------------

  /** Processes one received batch from port `portNo` (frames may be edited in place). */
  receiveBatch(portNo: number, batch: RxBatch): void {
    const port = this.portByNo[portNo];
    if (!port) return;
    this.busy = true;
    try {
      this.now = this.clock();
      this.macTable.now = this.now;
      const n = batch.count;
      for (let i = 0; i < n; i++) this.processFrame(port, batch.bufs[i]!, batch.offs[i]!, batch.lens[i]!);
      this.flushAll();
    } finally {
      this.busy = false;
    }
    if (this.pendingUpcalls.length > 0) this.deliverUpcalls();
  }

  /** Processes one frame (a batch of one); convenient for tests and the slow path. */
  receiveFrame(portNo: number, frame: Buffer): void {
    this.oneBatch.bufs[0] = frame;
    this.oneBatch.offs[0] = 0;
    this.oneBatch.lens[0] = frame.length;
    this.oneBatch.count = 1;
    this.receiveBatch(portNo, this.oneBatch);
  }
  private readonly oneBatch: RxBatch = {
    count: 0,
    bufs: [],
    offs: new Int32Array(1),
    lens: new Int32Array(1),
  };

  private processFrame(port: Port, buf: Buffer, off: number, len: number): void {
    port.rxPackets++;
    port.rxBytes += len;
    if (port.config & (OFPPC.NO_RECV | OFPPC.PORT_DOWN)) {
      port.rxDropped++;
      return;
    }
    if (port.config & OFPPC.NO_RECV_STP && isStpDestination(buf, off, len)) {
      port.rxDropped++;
      return;
    }
    const p = this.parsed;
    const inPort = port.portNo;
    parseFrame(buf, off, len, inPort, p);
    if (p.isFragment && this.fragDrop) return;
    const key = p.key;
    const h = hashWords(key, KEY_WORDS);
    let rule = this.cache.lookup(key, h);
    if (rule === undefined) {
      rule = this.active.cls.lookup(key);
      this.cache.insert(key, h, rule);
      this.cacheMisses++;
    }
    this.lookupCount++;
    if (rule === null) {
      this.exec.begin(buf, off, len, inPort);
      this.miss(port);
      return;
    }
    this.matchedCount++;
    rule.packets++;
    rule.bytes += len;
    rule.lastUsedMs = this.now;
    const single = rule.singleOutput;
    if (single >= 0) {
      const out = this.portByNo[single];
      if (out !== undefined && single !== inPort) this.sendTo(out, buf, off, len);
      return;
    }
    this.exec.begin(buf, off, len, inPort);
    this.exec.run(rule.program.ops, false);
  }

  /** A table miss for the frame loaded in the executor. */
  miss(inPort: Port | undefined): void {
    switch (this.missPolicy) {
      case 'controller':
        if (inPort === undefined || (inPort.config & OFPPC.NO_PACKET_IN) === 0)
          this.exec.upcall(OFPR.NO_MATCH, undefined);
        break;
      case 'normal':
        this.exec.normal();
        break;
      case 'drop':
        break;
    }
  }

  /** Sends one frame out of `port` if its config and link allow. */
  sendTo(port: Port, buf: Buffer, off: number, len: number): void {
    if (!port.canSend) {
      if ((port.config & (OFPPC.PORT_DOWN | OFPPC.NO_FWD)) === 0) port.txDropped++;
      return;
    }
    port.dev.send(buf, off, len);
    port.txPackets++;
    port.txBytes += len;
    if (!port.dirty) {
      port.dirty = true;
      this.dirty[this.dirtyCount++] = port;
    }
  }

  /** ENQUEUE: output through a configured queue (counted), or a plain output when the queue is unknown. */
  enqueueTo(port: Port, queueId: number, buf: Buffer, off: number, len: number): void {
    const q: QueueCounters | undefined = port.queues.get(queueId);
    if (q === undefined) {
      this.sendTo(port, buf, off, len);
      return;
    }
    if (!port.canSend) {
      q.txErrors++;
      return;
    }
    this.sendTo(port, buf, off, len);
    q.txPackets++;
    q.txBytes += len;
  }

  /** OFPP_TABLE inside a packet-out: the loaded frame goes through the active table. */
  lookupForTable(key: Int32Array): FlowRule | null {
    this.lookupCount++;
    const r = this.active.cls.lookup(key);
    if (r !== null) {
      this.matchedCount++;
      r.lastUsedMs = this.now;
    }
    return r;
  }

  queueUpcall(u: Upcall): void {
    this.pendingUpcalls.push(u);
  }

  private flushAll(): void {
    const d = this.dirty;
    const n = this.dirtyCount;
    this.dirtyCount = 0;
    for (let i = 0; i < n; i++) {
      d[i]!.dirty = false;
      d[i]!.dev.flush();
    }
  }

  private deliverUpcalls(): void {
    const ups = this.pendingUpcalls;
    this.pendingUpcalls = [];
    for (const u of ups) this.onUpcall(u);
  }

  // ---- packet-out ----------------------------------------------------------------------------------

  /**
   * Runs `actions` on `frame` as a packet-out from `inPort` (a port number, OFPP_NONE or
   * OFPP_CONTROLLER). The frame is copied first, never modified. An action list is checked here
   * (throws DatapathError for one validateActions() refuses); a CheckedProgram was checked already.
   */
  execute(frame: Buffer, inPort: number, actions: readonly OfpAction[] | CheckedProgram): void {
    if (this.busy) throw new Error('Datapath.execute called re-entrantly from within a batch');
    const prog = 'ops' in actions ? actions : checkActions(actions);
    this.busy = true;
    try {
      this.now = this.clock();
      this.macTable.now = this.now;
      this.exec.beginCopy(frame, inPort);
      this.exec.run(prog.ops, true);
      this.flushAll();
    } finally {
      this.busy = false;
    }
    if (this.pendingUpcalls.length > 0) this.deliverUpcalls();
  }

  /** The MAC-learning table's entries, least recently seen first. */
  macEntries(): MacEntry[] {
    return this.macTable.entries(this.clock());
  }

  // ---- stats ---------------------------------------------------------------------------------------

  /** OFPST_FLOW: flows `match` covers (non-strict) that output to `outPort` (OFPP_NONE: any). */
  flowStats(
    match: OfpMatch,
    outPort: number = OFPP.NONE,
    opts: { emergency?: boolean } = {},
  ): OfpFlowStats[] {
    const t = opts.emergency ? this.emergencyTable : this.table;
    return flowStatsOf(t.select(match, -1, outPort), this.clock());
  }

  /** OFPST_AGGREGATE over the same selection as flowStats(). */
  aggregateStats(match: OfpMatch, outPort: number = OFPP.NONE): OfpAggregateStats {
    return aggregateOf(this.table.select(match, -1, outPort));
  }

  tableStats(): OfpTableStats[] {
    return [
      {
        table_id: 0,
        name: 'classifier',
        wildcards: OFPFW.ALL,
        max_entries: Math.min(this.table.maxEntries, 0xffffffff),
        active_count: this.table.size,
        lookup_count: BigInt(this.lookupCount),
        matched_count: BigInt(this.matchedCount),
      },
    ];
  }

  /** OFPST_PORT for one port, or every port for OFPP_NONE. Unknown ports give an empty list. */
  portStats(portNo: number = OFPP.NONE): OfpPortStats[] {
    const p = this.portByNo[portNo];
    return portStatsOf(portNo === OFPP.NONE ? this.portList : p ? [p] : []);
  }

  /**
   * OFPST_QUEUE: `portNo` may be OFPP_ALL, `queueId` OFPQ_ALL. Throws DatapathError
   * (OFPET_QUEUE_OP_FAILED, BAD_PORT / BAD_QUEUE) for a port or queue that does not exist.
   */
  queueStats(portNo: number, queueId: number): OfpQueueStats[] {
    const p = this.portByNo[portNo];
    if (portNo !== OFPP.ALL && !p)
      throw new DatapathError(OFPET.QUEUE_OP_FAILED, OFPQOFC.BAD_PORT, `no port ${portNo}`);
    const out = queueStatsOf(portNo === OFPP.ALL ? this.portList : [p!], queueId);
    if (queueId !== OFPQ_ALL && portNo !== OFPP.ALL && out.length === 0)
      throw new DatapathError(
        OFPET.QUEUE_OP_FAILED,
        OFPQOFC.BAD_QUEUE,
        `no queue ${queueId} on port ${portNo}`,
      );
    return out;
  }
}

/** Whether the frame is addressed to the STP bridge group address 01:80:c2:00:00:00. */
function isStpDestination(b: Buffer, off: number, len: number): boolean {
  return (
    len >= 6 &&
    b[off] === 0x01 &&
    b[off + 1] === 0x80 &&
    b[off + 2] === 0xc2 &&
    b[off + 3] === 0 &&
    b[off + 4] === 0 &&
    b[off + 5] === 0
  );
}
