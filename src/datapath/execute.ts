/*
 * The action executor: runs a compiled program (program.ts) on one frame.
 *
 * Actions apply in order and every output sends the frame as modified so far. The frame is edited
 * where it lies (the receive batch's buffer, which the netdev convention lets the receiver modify);
 * a VLAN push, which needs four more bytes in front of the Ethernet type, first copies the frame into
 * this executor's own scratch buffer with headroom. Packet-outs are always copied first, so the
 * caller's buffer is never touched.
 *
 * The executor owns no policy about ports or tables: it asks its host (the Datapath) to send, to
 * enqueue, to handle a miss and to look a frame up for OFPP_TABLE. OFPP_TABLE works only in a
 * packet-out and only one level deep (a flow's own output to TABLE is dropped), so a packet can never
 * loop through the table.
 */
import { OFPP, OFPPC, OFPR } from '../openflow/constants.js';
import { ETH_TYPE_VLAN, W_PORT_VLAN, W_TYPE, parseFrame, type ParsedFrame } from './frame-key.js';
import type { FlowRule } from './flow-table.js';
import type { MacLearningTable } from './mac-learning.js';
import type { Port } from './port.js';
import {
  OP_ENQUEUE,
  OP_OUTPUT,
  OP_SET_DL_DST,
  OP_SET_DL_SRC,
  OP_SET_NW_DST,
  OP_SET_NW_SRC,
  OP_SET_NW_TOS,
  OP_SET_TP_DST,
  OP_SET_TP_SRC,
  OP_SET_VLAN_PCP,
  OP_SET_VLAN_VID,
  OP_STRIP_VLAN,
} from './program.js';
import { setDlDst, setDlSrc, setNwAddr, setNwTos, setTpPort } from './rewrite.js';
import type { Upcall } from './datapath.js';

/** What the executor needs from the datapath. */
export interface ExecHost {
  readonly portByNo: readonly (Port | undefined)[];
  readonly portList: readonly Port[];
  /** Its clock is set by the host once per batch. */
  readonly macTable: MacLearningTable;
  sendTo(port: Port, buf: Buffer, off: number, len: number): void;
  enqueueTo(port: Port, queueId: number, buf: Buffer, off: number, len: number): void;
  miss(inPort: Port | undefined): void;
  lookupForTable(key: Int32Array): FlowRule | null;
  queueUpcall(u: Upcall): void;
}

const HEADROOM = 64;
const MAX_FRAME = 65535 + 8;

export class Executor {
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  private len = 0;
  private inPort = 0;
  private depth = 0;
  private readonly scratch = [Buffer.alloc(HEADROOM + MAX_FRAME), Buffer.alloc(HEADROOM + MAX_FRAME)];

  constructor(
    private readonly host: ExecHost,
    private readonly p: ParsedFrame,
  ) {}

  /** Loads a frame that parseFrame() has already parsed into the shared ParsedFrame. */
  begin(buf: Buffer, off: number, len: number, inPort: number): void {
    this.buf = buf;
    this.off = off;
    this.len = len;
    this.inPort = inPort;
    this.depth = 0;
  }

  /** Loads a copy of `frame` (a packet-out) and parses it. */
  beginCopy(frame: Buffer, inPort: number): void {
    const s = this.scratch[0]!;
    const len = Math.min(frame.length, MAX_FRAME);
    frame.copy(s, HEADROOM, 0, len);
    this.begin(s, HEADROOM, len, inPort);
    parseFrame(s, HEADROOM, len, inPort, this.p);
  }

  run(ops: Int32Array, inPacketOut: boolean): void {
    const p = this.p;
    for (let i = 0; i < ops.length; i += 3) {
      const a = ops[i + 1]!;
      const b = ops[i + 2]!;
      switch (ops[i]) {
        case OP_OUTPUT:
          this.output(a, b, inPacketOut);
          break;
        case OP_ENQUEUE: {
          const port = this.host.portByNo[a === OFPP.IN_PORT ? this.inPort : a];
          if (port !== undefined && (a === OFPP.IN_PORT || a !== this.inPort))
            this.host.enqueueTo(port, b >>> 0, this.buf, this.off, this.len);
          break;
        }
        case OP_SET_VLAN_VID:
          this.setVlan(a, -1);
          break;
        case OP_SET_VLAN_PCP:
          this.setVlan(-1, a);
          break;
        case OP_STRIP_VLAN:
          this.stripVlan();
          break;
        case OP_SET_DL_SRC:
          setDlSrc(this.buf, this.off, this.len, p, a, b);
          break;
        case OP_SET_DL_DST:
          setDlDst(this.buf, this.off, this.len, p, a, b);
          break;
        case OP_SET_NW_SRC:
          setNwAddr(this.buf, this.off, p, true, a, b);
          break;
        case OP_SET_NW_DST:
          setNwAddr(this.buf, this.off, p, false, a, b);
          break;
        case OP_SET_NW_TOS:
          setNwTos(this.buf, this.off, p, a);
          break;
        case OP_SET_TP_SRC:
          setTpPort(this.buf, this.off, p, true, a);
          break;
        case OP_SET_TP_DST:
          setTpPort(this.buf, this.off, p, false, a);
          break;
      }
    }
  }

  private output(port: number, maxLen: number, inPacketOut: boolean): void {
    const h = this.host;
    switch (port) {
      case OFPP.IN_PORT: {
        const q = h.portByNo[this.inPort];
        if (q !== undefined) h.sendTo(q, this.buf, this.off, this.len);
        return;
      }
      case OFPP.TABLE:
        if (inPacketOut && this.depth === 0) this.throughTable();
        return;
      case OFPP.NORMAL:
        this.normal();
        return;
      case OFPP.FLOOD:
        this.flood(true);
        return;
      case OFPP.ALL:
        this.flood(false);
        return;
      case OFPP.CONTROLLER:
        this.upcall(OFPR.ACTION, maxLen);
        return;
      case OFPP.NONE:
        return;
      default: {
        // Output to the in_port by number is dropped: OpenFlow wants OFPP_IN_PORT for that.
        if (port === this.inPort) return;
        const q = h.portByNo[port];
        if (q !== undefined) h.sendTo(q, this.buf, this.off, this.len);
      }
    }
  }

  private flood(honourNoFlood: boolean): void {
    const h = this.host;
    const ports = h.portList;
    for (let i = 0; i < ports.length; i++) {
      const q = ports[i]!;
      if (q.portNo === this.inPort) continue;
      if (honourNoFlood && (q.config & OFPPC.NO_FLOOD) !== 0) continue;
      h.sendTo(q, this.buf, this.off, this.len);
    }
  }

  /** A copy of the frame as it is now, to the bridge. */
  upcall(reason: number, maxLen: number | undefined): void {
    const frame = Buffer.allocUnsafe(this.len);
    copyBytes(this.buf, this.off, this.len, frame, 0);
    const u: Upcall = { reason, inPort: this.inPort, frame };
    if (maxLen !== undefined) u.maxLen = maxLen;
    this.host.queueUpcall(u);
  }

  /**
   * NORMAL: learn the source on the in_port, then forward to the learnt port of the destination, or
   * flood (unknown, broadcast or multicast destination). Frames to the IEEE reserved range
   * 01:80:c2:00:00:0x (STP, LACP, …) are dropped, as Open vSwitch does by default.
   */
  normal(): void {
    const b = this.buf;
    const o = this.off;
    if (this.len < 14) return;
    if (
      b[o] === 0x01 &&
      b[o + 1] === 0x80 &&
      b[o + 2] === 0xc2 &&
      b[o + 3] === 0 &&
      b[o + 4] === 0 &&
      (b[o + 5]! & 0xf0) === 0
    )
      return;
    const h = this.host;
    const vlan = this.p.vlanOff >= 0 ? ((b[o + 14]! << 8) | b[o + 15]!) & 0xfff : 0;
    const mt = h.macTable;
    if ((b[o + 6]! & 1) === 0 && h.portByNo[this.inPort] !== undefined)
      mt.learnFrom(b, o + 6, vlan, this.inPort);
    if ((b[o]! & 1) !== 0) {
      this.flood(true);
      return;
    }
    const out = mt.lookupFrom(b, o, vlan);
    if (out < 0) {
      this.flood(true);
      return;
    }
    if (out === this.inPort) return;
    const q = h.portByNo[out];
    if (q !== undefined) h.sendTo(q, b, o, this.len);
  }

  /** Packet-out to OFPP_TABLE: a copy of the frame goes through the table; this one is unchanged. */
  private throughTable(): void {
    const saveBuf = this.buf;
    const saveOff = this.off;
    const saveLen = this.len;
    const s = this.scratch[1]!;
    copyBytes(saveBuf, saveOff, saveLen, s, HEADROOM);
    this.buf = s;
    this.off = HEADROOM;
    this.depth = 1;
    parseFrame(s, HEADROOM, saveLen, this.inPort, this.p);
    const rule = this.host.lookupForTable(this.p.key);
    if (rule === null) {
      this.host.miss(this.host.portByNo[this.inPort]);
    } else {
      rule.packets++;
      rule.bytes += saveLen;
      this.run(rule.program.ops, false);
    }
    this.buf = saveBuf;
    this.off = saveOff;
    this.len = saveLen;
    this.depth = 0;
    parseFrame(saveBuf, saveOff, saveLen, this.inPort, this.p);
  }

  /** set_vlan_vid (vid ≥ 0) or set_vlan_pcp (pcp ≥ 0): rewrite the tag, or push one onto an untagged frame. */
  private setVlan(vid: number, pcp: number): void {
    const p = this.p;
    if (this.len < 14) return;
    if (p.vlanOff >= 0) {
      const t = this.off + 14;
      let tci = (this.buf[t]! << 8) | this.buf[t + 1]!;
      tci = vid >= 0 ? (tci & 0xf000) | vid : (tci & 0x1fff) | (pcp << 13);
      this.buf[t] = tci >>> 8;
      this.buf[t + 1] = tci;
      this.keyVlan(tci);
      return;
    }
    this.makeHeadroom();
    const b = this.buf;
    const o = this.off - 4;
    b.copyWithin(o, this.off, this.off + 12);
    const tci = vid >= 0 ? vid : pcp << 13;
    b[o + 12] = ETH_TYPE_VLAN >>> 8;
    b[o + 13] = ETH_TYPE_VLAN & 0xff;
    b[o + 14] = tci >>> 8;
    b[o + 15] = tci;
    this.off = o;
    this.len += 4;
    p.vlanOff = 12;
    if (p.ipOff >= 0) p.ipOff += 4;
    if (p.l4Off >= 0) p.l4Off += 4;
    this.keyVlan(tci);
  }

  private keyVlan(tci: number): void {
    const k = this.p.key;
    k[W_PORT_VLAN] = (k[W_PORT_VLAN]! & 0xffff0000) | (tci & 0xfff);
    k[W_TYPE] = (k[W_TYPE]! & ~0xff00) | ((tci >>> 13) << 8);
  }

  private stripVlan(): void {
    const p = this.p;
    if (p.vlanOff < 0) return;
    this.buf.copyWithin(this.off + 4, this.off, this.off + 12);
    this.off += 4;
    this.len -= 4;
    p.vlanOff = -1;
    if (p.ipOff >= 0) p.ipOff -= 4;
    if (p.l4Off >= 0) p.l4Off -= 4;
    const k = p.key;
    k[W_PORT_VLAN] = (k[W_PORT_VLAN]! & 0xffff0000) | 0xffff;
    k[W_TYPE] = k[W_TYPE]! & ~0xff00;
  }

  /** Ensures four writable bytes in front of the frame, moving it into our scratch buffer if needed. */
  private makeHeadroom(): void {
    const s = this.scratch[this.depth]!;
    if (this.buf === s && this.off >= 4) return;
    if (this.buf === s) {
      s.copyWithin(HEADROOM, this.off, this.off + this.len);
    } else {
      copyBytes(this.buf, this.off, this.len, s, HEADROOM);
      this.buf = s;
    }
    this.off = HEADROOM;
  }
}

/**
 * Copies src[off, off + len) to dst at `at`. Buffer#copy and subarray() allocate a view per call,
 * which would be the only allocation on the fast path, so short frames are copied by hand.
 */
function copyBytes(src: Buffer, off: number, len: number, dst: Buffer, at: number): void {
  if (len > 256) {
    src.copy(dst, at, off, off + len);
    return;
  }
  for (let i = 0; i < len; i++) dst[at + i] = src[off + i]!;
}
