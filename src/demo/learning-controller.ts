/*
 * The embedded controller of `ofdp demo`: an OpenFlow 1.0 MAC-learning controller that behaves like
 * ovs-testcontroller (Open vSwitch's lswitch; clients.md §4).
 *
 * It speaks bytes, not objects: `receive()` takes a byte stream from the switch (any chunking) and
 * every message it sends goes through the codec to `out` as one encoded message. The same class
 * therefore drives ofdp's bridge in-process (local-link.ts) and any switch over TCP
 * (controller-tcp.ts), Open vSwitch included.
 *
 * Behaviour, message by message:
 * - on start: HELLO (v1, 8 bytes), then FEATURES_REQUEST and SET_CONFIG flags=0 miss_send_len=128,
 *   back to back and without waiting (as ovs-testcontroller does);
 * - PACKET_IN with reason NO_MATCH: learn the source MAC on in_port (not for multicast sources);
 *   if the destination is multicast or unknown, PACKET_OUT FLOOD (buffer_id when buffered, else the
 *   data); if it is known, FLOW_MOD ADD matching the packet's 12-tuple exactly (fields its protocol
 *   lacks wildcarded, as ovs-testcontroller does for ARP), idle_timeout 60,
 *   buffer_id copied from the packet-in and actions=output:P, followed by a PACKET_OUT with the data
 *   only when the packet-in was unbuffered (a buffered packet is released by the flow-mod itself);
 *   a destination learnt on the packet's own input port is dropped, as lswitch does;
 * - other packet-in reasons and FLOW_REMOVED are ignored; ECHO_REQUEST is answered.
 * One difference on purpose: flows are added with the default priority (0x8000) where
 * ovs-testcontroller sends 1 (Open vSwitch raises exact-match flows to 65535 anyway, and in ofdp
 * an exact-match flow beats every wildcarded one whatever its priority).
 */
import { decodeMessage, encodeMessage } from '../openflow/codec.js';
import {
  OFPAT,
  OFPET,
  OFPFC,
  OFPFW,
  OFPHFC,
  OFPP,
  OFPPR,
  OFPR,
  OFPT,
  OFP_DEFAULT_PRIORITY,
  OFP_NO_BUFFER,
} from '../openflow/constants.js';
import { OfpDecodeError } from '../openflow/decode-error.js';
import { OfpFramer } from '../openflow/framer.js';
import type { MessageOf, OfpMessage } from '../openflow/messages.js';
import type { OfpMatch, OfpPhyPort } from '../openflow/structs.js';
import { keyToMatch, parseFrame, ParsedFrame } from '../datapath/frame-key.js';
import { readMac } from './packets.js';

/** What the controller did, for the demo's story and for tests. */
export type ControllerEvent =
  | { kind: 'features'; datapathId: bigint; nBuffers: number; ports: OfpPhyPort[] }
  | { kind: 'learned'; mac: number; port: number; movedFrom?: number }
  | { kind: 'flood'; inPort: number; src: number; dst: number; bufferId: number }
  | { kind: 'flow'; match: OfpMatch; outPort: number; bufferId: number }
  | { kind: 'drop'; inPort: number; src: number; dst: number }
  | { kind: 'error'; errType: number; code: number; xid: number }
  | { kind: 'closed'; reason: string };

export interface LearningControllerOptions {
  idleTimeout?: number;
  missSendLen?: number;
  priority?: number;
  onEvent?: (ev: ControllerEvent) => void;
}

export interface ControllerCounters {
  packetIns: number;
  floods: number;
  flowMods: number;
  packetOuts: number;
}

export class LearningController {
  /** MAC → port where it was last seen. */
  readonly macs = new Map<number, number>();
  readonly counters: ControllerCounters = { packetIns: 0, floods: 0, flowMods: 0, packetOuts: 0 };
  datapathId: bigint | undefined;
  ports: OfpPhyPort[] = [];
  private readonly framer = new OfpFramer();
  private readonly parsed = new ParsedFrame();
  private xid = 1;
  private closed = false;
  private readonly idleTimeout: number;
  private readonly missSendLen: number;
  private readonly priority: number;
  private readonly emit: (ev: ControllerEvent) => void;
  private featuresWaiters: (() => void)[] = [];

  /**
   * `out` receives each encoded message; `close` is called when the controller gives up on the
   * connection (failed negotiation, unframeable stream).
   */
  constructor(
    private readonly out: (bytes: Buffer) => void,
    opts: LearningControllerOptions = {},
    private readonly close: (reason: string) => void = () => undefined,
  ) {
    this.idleTimeout = opts.idleTimeout ?? 60;
    this.missSendLen = opts.missSendLen ?? 128;
    this.priority = opts.priority ?? OFP_DEFAULT_PRIORITY;
    this.emit = opts.onEvent ?? (() => undefined);
  }

  /** Sends the opening messages. */
  start(): void {
    this.send({ type: OFPT.HELLO, xid: this.nextXid(), version: 1, body: Buffer.alloc(0) });
    this.send({ type: OFPT.FEATURES_REQUEST, xid: this.nextXid() });
    this.send({ type: OFPT.SET_CONFIG, xid: this.nextXid(), flags: 0, miss_send_len: this.missSendLen });
  }

  /** Resolves once the switch answered FEATURES_REQUEST. */
  features(): Promise<void> {
    if (this.datapathId !== undefined) return Promise.resolve();
    return new Promise((r) => this.featuresWaiters.push(r));
  }

  /** Feeds bytes from the switch (any chunking). */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.framer.push(chunk, (raw) => this.handleRaw(raw));
    } catch (e) {
      this.shutdown(`unframeable stream: ${(e as Error).message}`);
    }
  }

  /** Marks the connection gone (the transport closed). */
  shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.emit({ kind: 'closed', reason });
    this.close(reason);
  }

  private handleRaw(raw: Buffer): void {
    if (this.closed) return;
    const version = raw[0]!;
    const type = raw[1]!;
    if (type === OFPT.HELLO) {
      // Without a bitmap a peer offering version ≥ 1 can speak 1.0; with one, bit 1 must be set.
      if (version < 1 || !helloAllows10(raw)) {
        this.send({
          type: OFPT.ERROR,
          xid: raw.readUInt32BE(4),
          version: 1,
          err_type: OFPET.HELLO_FAILED,
          code: OFPHFC.INCOMPATIBLE,
          data: Buffer.from('We support version 0x01 only'),
        });
        this.shutdown('no common OpenFlow version');
      }
      return;
    }
    if (version !== 1) return;
    let msg: OfpMessage;
    try {
      msg = decodeMessage(raw);
    } catch (e) {
      if (e instanceof OfpDecodeError) return; // a switch's bad message is not the controller's problem
      throw e;
    }
    this.handle(msg);
  }

  private handle(m: OfpMessage): void {
    switch (m.type) {
      case OFPT.ECHO_REQUEST:
        return this.send({ type: OFPT.ECHO_REPLY, xid: m.xid, data: m.data });
      case OFPT.FEATURES_REPLY:
        this.datapathId = m.datapath_id;
        this.ports = m.ports;
        this.emit({ kind: 'features', datapathId: m.datapath_id, nBuffers: m.n_buffers, ports: m.ports });
        for (const w of this.featuresWaiters.splice(0)) w();
        return;
      case OFPT.PORT_STATUS:
        this.ports = [
          ...this.ports.filter((p) => p.port_no !== m.desc.port_no),
          ...(m.reason === OFPPR.DELETE ? [] : [m.desc]),
        ];
        return;
      case OFPT.ERROR:
        return this.emit({ kind: 'error', errType: m.err_type, code: m.code, xid: m.xid });
      case OFPT.PACKET_IN:
        return this.packetIn(m);
      default:
        return;
    }
  }

  private packetIn(m: MessageOf<typeof OFPT.PACKET_IN>): void {
    if (m.reason !== OFPR.NO_MATCH) return;
    this.counters.packetIns++;
    const data = m.data;
    if (data.length < 14) return;
    const dst = readMac(data, 0);
    const src = readMac(data, 6);
    const inPort = m.in_port;
    if (!isMulticast(src)) {
      const was = this.macs.get(src);
      if (was !== inPort) {
        this.macs.set(src, inPort);
        this.emit({
          kind: 'learned',
          mac: src,
          port: inPort,
          ...(was === undefined ? {} : { movedFrom: was }),
        });
      }
    }
    const outPort = isMulticast(dst) ? undefined : this.macs.get(dst);
    if (outPort === undefined) {
      this.counters.floods++;
      this.emit({ kind: 'flood', inPort, src, dst, bufferId: m.buffer_id });
      return this.packetOut(m, OFPP.FLOOD);
    }
    if (outPort === inPort) {
      this.emit({ kind: 'drop', inPort, src, dst });
      return;
    }
    const match = this.matchOf(data, inPort);
    this.counters.flowMods++;
    this.send({
      type: OFPT.FLOW_MOD,
      xid: this.nextXid(),
      match,
      cookie: 0n,
      command: OFPFC.ADD,
      idle_timeout: this.idleTimeout,
      hard_timeout: 0,
      priority: this.priority,
      buffer_id: m.buffer_id,
      out_port: OFPP.NONE,
      flags: 0,
      actions: [{ type: OFPAT.OUTPUT, port: outPort, max_len: 0 }],
    });
    this.emit({ kind: 'flow', match, outPort, bufferId: m.buffer_id });
    if (m.buffer_id === OFP_NO_BUFFER) this.packetOut(m, outPort);
  }

  /**
   * The packet's 12-tuple as an exact match, except for fields its protocol does not have: like
   * Open vSwitch's flow_wildcards_init_for_packet(), an ARP flow leaves nw_tos and the transport
   * ports wildcarded, a non-IP flow every network field, and IP other than TCP/UDP/ICMP the ports.
   */
  private matchOf(data: Buffer, inPort: number): OfpMatch {
    parseFrame(data, 0, data.length, inPort, this.parsed);
    const match = keyToMatch(this.parsed.key);
    const tp = OFPFW.TP_SRC | OFPFW.TP_DST;
    if (match.dl_type === ETH_TYPE_ARP) match.wildcards = OFPFW.NW_TOS | tp;
    else if (match.dl_type !== ETH_TYPE_IP)
      match.wildcards = OFPFW.NW_TOS | OFPFW.NW_PROTO | OFPFW.NW_SRC_ALL | OFPFW.NW_DST_ALL | tp;
    else if (!L4_WITH_PORTS.has(match.nw_proto)) match.wildcards = tp;
    return match;
  }

  private packetOut(m: MessageOf<typeof OFPT.PACKET_IN>, port: number): void {
    this.counters.packetOuts++;
    const buffered = m.buffer_id !== OFP_NO_BUFFER;
    this.send({
      type: OFPT.PACKET_OUT,
      xid: this.nextXid(),
      buffer_id: m.buffer_id,
      in_port: m.in_port,
      actions: [{ type: OFPAT.OUTPUT, port, max_len: 0 }],
      data: buffered ? Buffer.alloc(0) : m.data,
    });
  }

  private send(m: OfpMessage): void {
    if (this.closed) return;
    this.out(encodeMessage(m));
  }

  private nextXid(): number {
    const x = this.xid;
    this.xid = (this.xid + 1) >>> 0 || 1;
    return x;
  }
}

const ETH_TYPE_IP = 0x0800;
const ETH_TYPE_ARP = 0x0806;
/** ICMP, TCP, UDP: the IP protocols whose tp_src/tp_dst OpenFlow 1.0 matches. */
const L4_WITH_PORTS = new Set([1, 6, 17]);

/** A HELLO's version bitmap (element type 1), if it has one, must include OpenFlow 1.0 (bit 1). */
function helloAllows10(raw: Buffer): boolean {
  let o = 8;
  const end = Math.min(raw.length, raw.readUInt16BE(2));
  while (o + 4 <= end) {
    const type = raw.readUInt16BE(o);
    const len = raw.readUInt16BE(o + 2);
    if (len < 4 || o + len > end) break;
    if (type === 1 && len >= 8) return (raw.readUInt32BE(o + 4) & 2) !== 0;
    o += (len + 7) & ~7;
  }
  return true;
}

function isMulticast(mac: number): boolean {
  return Math.floor(mac / 0x10000000000) % 2 === 1;
}
