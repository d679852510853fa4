/*
 * What the bridge needs of one OpenFlow connection, whatever carries it (a controller it dialled, a
 * service connection accepted on a listener, a test harness).
 *
 * Per-connection state follows Open vSwitch's ofconn: miss_send_len and packet buffers belong to the
 * connection; fragment handling belongs to the switch. A *primary* connection (to a controller the
 * switch dials) starts with miss_send_len 128 and always receives asynchronous messages; a *service*
 * connection (accepted on ptcp:/punix:) starts with miss_send_len 0 and receives none until it sets
 * miss_send_len above 0 — clients such as `ovs-ofctl probe` rely on that silence (clients.md §2).
 */
import { OFP_DEFAULT_MISS_SEND_LEN } from '../openflow/constants.js';
import type { OfpMessage } from '../openflow/messages.js';
import { PacketBuffers } from './packet-buffers.js';

export interface OfConnTransport {
  /** Encodes and sends one message. */
  send(msg: OfpMessage): void;
  /** Bytes written but not yet accepted by the kernel: packet-ins are dropped above a limit. */
  readonly queuedBytes?: number;
}

export class OfConn {
  missSendLen: number;
  readonly buffers: PacketBuffers;

  constructor(
    readonly transport: OfConnTransport,
    readonly primary: boolean,
    now: () => number = Date.now,
    readonly name = primary ? 'controller' : 'service',
  ) {
    this.missSendLen = primary ? OFP_DEFAULT_MISS_SEND_LEN : 0;
    this.buffers = new PacketBuffers(now);
  }

  /** Whether asynchronous messages (packet-in, flow-removed, port-status) go to this connection. */
  get wantsAsync(): boolean {
    return this.primary || this.missSendLen > 0;
  }

  send(msg: OfpMessage): void {
    this.transport.send(msg);
  }
}
