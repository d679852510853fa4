/*
 * What the bridge needs of one OpenFlow connection, whatever carries it: a connection of the
 * connection manager (src/connmgr OfConnection satisfies this), or an in-process one (LocalConn:
 * tests, an embedded controller).
 *
 * Per-connection state follows Open vSwitch's ofconn: miss_send_len belongs to the connection,
 * fragment handling to the switch (the bridge). A *primary* connection (a controller the switch
 * dialled) starts with miss_send_len 128 and always receives asynchronous messages; a *service*
 * connection (accepted on ptcp:/punix:) starts with 0 and receives none until it sets miss_send_len
 * above 0 — `ovs-ofctl probe` relies on that silence (clients.md §2). Packet buffers are per
 * connection too; the bridge keeps them.
 */
import { OFP_DEFAULT_MISS_SEND_LEN } from '../openflow/constants.js';
import type { OfpMessage } from '../openflow/messages.js';

export interface BridgeConn {
  readonly role: 'primary' | 'service';
  missSendLen: number;
  /** Whether PACKET_IN, FLOW_REMOVED and PORT_STATUS go to this connection. */
  readonly receivesAsync: boolean;
  /** Bytes written but not yet taken by the kernel: packet-ins are dropped above a limit. */
  readonly queuedBytes: number;
  send(msg: OfpMessage): void;
  /** The session got as far as FEATURES (resets a controller's reconnect backoff). */
  markEstablished?(): void;
}

/** An in-process connection: every message it is sent goes to `deliver`. */
export class LocalConn implements BridgeConn {
  missSendLen: number;
  queuedBytes = 0;

  constructor(
    private readonly deliver: (msg: OfpMessage) => void,
    readonly role: 'primary' | 'service' = 'primary',
  ) {
    this.missSendLen = role === 'primary' ? OFP_DEFAULT_MISS_SEND_LEN : 0;
  }

  get receivesAsync(): boolean {
    return this.role === 'primary' || this.missSendLen > 0;
  }

  send(msg: OfpMessage): void {
    this.deliver(msg);
  }
}
