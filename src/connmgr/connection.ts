/*
 * One negotiated OpenFlow connection as the bridge sees it: the channel plus the per-connection
 * state OpenFlow 1.0 (as Open vSwitch implements it) keeps for each controller.
 *
 * Roles, after Open vSwitch's connmgr (clients.md §2):
 *  - 'primary': a controller we dialled (--controller). miss_send_len starts at 128
 *    (OFP_DEFAULT_MISS_SEND_LEN) and it receives asynchronous messages (PACKET_IN, FLOW_REMOVED,
 *    PORT_STATUS) from the start. Primaries count towards `ConnectionManager.primaryCount`, which
 *    drives the fail mode.
 *  - 'service': a connection accepted on a listener (--listen, the .mgmt socket), e.g. ovs-ofctl.
 *    miss_send_len starts at 0 and it gets no asynchronous messages at all until a SET_CONFIG sets
 *    miss_send_len > 0. `ovs-ofctl probe` depends on this: an unsolicited xid-0 message before
 *    its echo reply makes it fail.
 *
 * SET_CONFIG state split (Open vSwitch's choice, which we follow): miss_send_len is per connection
 * (stored here; GET_CONFIG_REPLY reports the asking connection's value), while the fragment
 * handling flags are per switch (kept by the bridge; a SET_CONFIG from any connection changes them
 * for all).
 *
 * `markEstablished()` is the bridge's signal that the session got as far as FEATURES (it answered a
 * FEATURES_REQUEST); for a primary this resets the reconnect backoff.
 */
import type { OfpChannel } from '../openflow/channel/index.js';
import { OFP_DEFAULT_MISS_SEND_LEN } from '../openflow/constants.js';
import type { OfpMessage } from '../openflow/messages.js';

export type ConnectionRole = 'primary' | 'service';

/**
 * Queued bytes beyond which a connection counts as congested: the bridge should drop (and count)
 * packet-ins for it until 'drain', as Open vSwitch drops packet-ins beyond 100 queued on a
 * connection, instead of buffering without bound. Replies to requests are always sent.
 */
export const ASYNC_BACKLOG_LIMIT = 256 * 1024;

let nextId = 1;

export class OfConnection {
  /** Unique within the process, for logs and maps. */
  readonly id = nextId++;
  /** Bytes of each table-miss packet sent in PACKET_IN (per connection, from SET_CONFIG). */
  missSendLen: number;
  private establishedValue = false;

  constructor(
    readonly role: ConnectionRole,
    /** The target this connection belongs to: `tcp:1.2.3.4:6653`, `ptcp:6653:127.0.0.1`, ... */
    readonly target: string,
    /** The remote end, for logs: `127.0.0.1:51234`, or the unix path. */
    readonly peer: string,
    readonly channel: OfpChannel,
    private readonly onEstablished: () => void = () => {},
  ) {
    this.missSendLen = role === 'primary' ? OFP_DEFAULT_MISS_SEND_LEN : 0;
  }

  /** `target (peer)`, for log lines. */
  get name(): string {
    return this.peer ? `${this.target} (${this.peer})` : this.target;
  }

  /** Whether PACKET_IN, FLOW_REMOVED and PORT_STATUS go to this connection. */
  get receivesAsync(): boolean {
    return this.role === 'primary' || this.missSendLen > 0;
  }

  /** True once the bridge reported FEATURES (see markEstablished). */
  get established(): boolean {
    return this.establishedValue;
  }

  markEstablished(): void {
    if (this.establishedValue) return;
    this.establishedValue = true;
    this.onEstablished();
  }

  get isOpen(): boolean {
    return this.channel.state === 'open';
  }

  /** Bytes queued towards the peer; stop optional traffic (packet-ins) when this grows large. */
  get queuedBytes(): number {
    return this.channel.queuedBytes;
  }

  /** True while more than ASYNC_BACKLOG_LIMIT bytes wait to be sent (skip optional traffic). */
  get congested(): boolean {
    return this.channel.queuedBytes > ASYNC_BACKLOG_LIMIT;
  }

  send(msg: OfpMessage): void {
    this.channel.send(msg);
  }

  sendRaw(buf: Buffer): void {
    this.channel.sendRaw(buf);
  }

  close(): void {
    this.channel.close();
  }
}
