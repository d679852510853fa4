/*
 * One OpenFlow 1.0 connection on top of a byte stream: framing, HELLO negotiation, echo, the
 * inactivity probe, decode errors, and coalesced sending. It knows nothing of sockets (see
 * byte-stream.ts) and nothing of what messages mean; the bridge receives decoded messages.
 *
 * Life cycle: 'hello' → 'open' → 'closed'.
 *  - Our HELLO is written the moment the channel is built (Open vSwitch does not wait for the peer).
 *  - The peer's first message must be a HELLO (any version; see hello.ts for the rule). A failed
 *    negotiation is answered with HELLO_FAILED in the peer's version and closes; anything else first
 *    closes too ("received message while expecting hello", as OVS).
 *  - Once open, 'open' is emitted, then every later message in arrival order as ('message', msg, raw),
 *    synchronously from the stream's 'data' event (to `receiver` first, when the owner set one).
 *    Messages pipelined in the HELLO's segment follow 'open' in the same tick, so a listener
 *    attached during 'open' sees all of them.
 *  - 'close' is emitted exactly once, with the reason.
 *
 * Handled here and never emitted: ECHO_REQUEST (answered with the same version, xid and payload,
 * whatever the version, as OVS), ECHO_REPLY (only feeds the probe), a repeated HELLO (ignored).
 * OFPT_ERROR from the peer is emitted like any message.
 *
 * Malformed input: a message that fails to decode (OfpDecodeError, which includes BAD_VERSION for a
 * non-1.0 message after negotiation) is answered with OFPT_ERROR carrying the error's type/code, the
 * message's xid and the whole message (capped to fit 65535 bytes); the connection lives on. A header
 * length below 8 makes the stream unsplittable: the channel closes ('framing').
 *
 * Ordering with an owner that answers asynchronously: the channel's own answers (ECHO_REPLY and
 * decode errors) would overtake replies the owner still owes for earlier messages (a BARRIER_REPLY
 * held back behind a slow PORT_MOD). An owner that keeps its requests in order therefore sets
 * `localRequest`: the channel then hands it those messages in sequence with the others instead of
 * answering, and the owner calls answerLocally() when their turn comes (at once when nothing is in
 * progress). Without it the channel answers at once, as it always did. Either way the probe counts
 * them as activity (it is fed per received segment).
 *
 * `raw` is a view of the received bytes, valid for as long as the receiver keeps it (Node does not
 * reuse socket chunks); it is what the bridge echoes in its own errors (see replyError).
 *
 * Sending: what is sent while a received segment is being handled is written in one write before
 * the 'data' handler returns; anything sent at other times is coalesced until the next microtask.
 *
 * Backpressure: `queuedBytes` counts bytes accepted by send() but not yet taken by the kernel. The
 * bridge should stop sending packet-ins to a connection whose queue is large (and wait for 'drain')
 * rather than buffer without bound; replies to requests are always sent.
 *
 * An exception thrown by a 'message' listener is a bridge bug: the channel closes with reason
 * 'internal' (carrying the error) rather than leaving the framer half-way through a segment.
 */
import { EventEmitter } from 'node:events';
import { decodeMessage } from '../codec.js';
import { OFPT } from '../constants.js';
import { OfpDecodeError } from '../decode-error.js';
import { OfpFramer, OfpFramingError } from '../framer.js';
import type { OfpMessage } from '../messages.js';
import type { ByteStream } from './byte-stream.js';
import { realClock, type Clock } from './clock.js';
import { encodeErrorReply } from './error-reply.js';
import {
  encodeHelloFailed,
  encodeOurHello,
  parsePeerHello,
  peerAccepts10,
  type PeerVersions,
} from './hello.js';
import { InactivityProbe } from './inactivity-probe.js';
import { OutputQueue } from './output-queue.js';

export const DEFAULT_PROBE_INTERVAL_MS = 5000;

/** The `errType` localRequest gets for an ECHO_REQUEST (no OFPET value is negative). */
export const LOCAL_ECHO = -1;

export type ChannelState = 'hello' | 'open' | 'closed';

/** Why a channel closed. */
export type ChannelCloseReason =
  | 'eof' // the peer closed the stream
  | 'error' // the stream reported an error
  | 'hello-failed' // no common version (we sent HELLO_FAILED)
  | 'no-hello' // the peer's first message was not a HELLO
  | 'framing' // a header length below 8
  | 'inactivity' // the probe went unanswered
  | 'local' // close() was called
  | 'internal'; // a bug: a listener or the decoder threw something unexpected

export interface ChannelEvents {
  open: [];
  message: [msg: OfpMessage, raw: Buffer];
  close: [reason: ChannelCloseReason, error?: Error];
  drain: [];
}

export interface ChannelOptions {
  clock?: Clock;
  /** Inactivity probe interval in ms (default 5000); 0 disables the probe. */
  probeIntervalMs?: number;
  /** Called after each received chunk has been handled and its replies written (busy polling). */
  afterReceive?: () => void;
}

export class OfpChannel extends EventEmitter<ChannelEvents> {
  private stateValue: ChannelState = 'hello';
  private readonly framer = new OfpFramer();
  private readonly out: OutputQueue;
  private readonly probe: InactivityProbe;
  private peerValue: PeerVersions | undefined;
  private readonly onMessage = (raw: Buffer): void => this.handle(raw);
  private readonly afterReceive: (() => void) | undefined;
  /**
   * The owner's direct receiver of every message, called before any 'message' listener. It exists
   * for the hot path: EventEmitter.emit allocates an argument array per call.
   */
  receiver: ((msg: OfpMessage, raw: Buffer) => void) | undefined;
  /**
   * When set, the owner answers what the channel would otherwise answer itself, in its own order:
   * called with an ECHO_REQUEST (`errType` LOCAL_ECHO) or a message that failed to decode (its
   * OfpDecodeError's type and code), instead of replying. The owner passes the same arguments to
   * answerLocally() when the message's turn comes; `raw` stays valid as for `receiver`.
   */
  localRequest: ((raw: Buffer, errType: number, errCode: number) => void) | undefined;

  constructor(
    private readonly stream: ByteStream,
    options: ChannelOptions = {},
  ) {
    super();
    this.out = new OutputQueue(stream);
    this.afterReceive = options.afterReceive;
    const clock = options.clock ?? realClock;
    this.probe = new InactivityProbe(clock, options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS, {
      probe: () => {
        // Before negotiation there is nothing to probe with; the deadline still applies.
        if (this.stateValue === 'open') this.send({ type: OFPT.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) });
      },
      expire: () => this.shutdown('inactivity', undefined, true),
    });
    stream.on('data', (chunk) => this.receive(chunk));
    stream.on('close', () => this.shutdown('eof'));
    stream.on('error', (err) => this.shutdown('error', err, true));
    stream.on('drain', () => {
      if (this.stateValue !== 'closed') this.emit('drain');
    });
    this.out.pushRaw(encodeOurHello());
  }

  get state(): ChannelState {
    return this.stateValue;
  }

  /** What the peer's HELLO offered (undefined until it arrived). */
  get peerVersions(): PeerVersions | undefined {
    return this.peerValue;
  }

  /** Bytes accepted for sending but not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.out.pending + (this.stream.writableLength ?? 0);
  }

  /**
   * Sends a message (coalesced with others sent in the same tick). Ignored once closed. Throws
   * RangeError if the message would exceed 65535 bytes (nothing is sent then).
   */
  send(msg: OfpMessage): void {
    this.out.pushMessage(msg);
  }

  /** Sends already-encoded bytes (one or more whole messages). `buf` must not be reused. */
  sendRaw(buf: Buffer): void {
    this.out.pushRaw(buf);
  }

  /**
   * Answers the request `raw` with OFPT_ERROR (type, code): the request's xid, and the whole request
   * as data (capped so the error fits in 65535 bytes).
   */
  replyError(errType: number, code: number, raw: Buffer): void {
    this.out.pushRaw(encodeErrorReply(errType, code, raw.readUInt32BE(4), raw));
  }

  /**
   * The channel's own answer to a message given to `localRequest`: ECHO_REPLY for an ECHO_REQUEST,
   * otherwise OFPT_ERROR (errType, errCode) echoing it. Ignored once closed.
   */
  answerLocally(raw: Buffer, errType: number, errCode: number): void {
    if (errType !== LOCAL_ECHO) return this.replyError(errType, errCode, raw);
    const reply = Buffer.from(raw);
    reply[1] = OFPT.ECHO_REPLY;
    this.out.pushRaw(reply);
  }

  /** Flushes what is queued and closes the stream. */
  close(): void {
    this.shutdown('local');
  }

  private receive(chunk: Buffer): void {
    if (this.stateValue === 'closed') return;
    this.probe.received();
    // Replies produced while handling this segment go out in one write when it is done.
    this.out.hold();
    try {
      this.framer.push(chunk, this.onMessage);
    } catch (err) {
      if (err instanceof OfpFramingError) this.shutdown('framing', err);
      else if (err instanceof ChannelInternalError) this.shutdown('internal', err.cause as Error);
      else this.shutdown('internal', err as Error);
    } finally {
      this.out.release();
    }
    this.afterReceive?.();
  }

  private handle(raw: Buffer): void {
    if (this.stateValue === 'closed') return;
    if (this.stateValue === 'hello') return this.negotiate(raw);
    const type = raw[1]!;
    if (type === OFPT.ECHO_REQUEST) return this.local(raw, LOCAL_ECHO, 0);
    if (type === OFPT.ECHO_REPLY || type === OFPT.HELLO) return;
    let msg: OfpMessage;
    try {
      msg = decodeMessage(raw);
    } catch (err) {
      if (err instanceof OfpDecodeError) return this.local(raw, err.errorType, err.errorCode);
      throw new ChannelInternalError(err);
    }
    try {
      const receiver = this.receiver;
      if (receiver) receiver(msg, raw);
      if (this.listenerCount('message') !== 0) this.emit('message', msg, raw);
    } catch (err) {
      throw new ChannelInternalError(err);
    }
  }

  /** A message the channel answers itself: now, or by the owner's leave (see localRequest). */
  private local(raw: Buffer, errType: number, errCode: number): void {
    const hook = this.localRequest;
    if (!hook) return this.answerLocally(raw, errType, errCode);
    try {
      hook(raw, errType, errCode);
    } catch (err) {
      throw new ChannelInternalError(err);
    }
  }

  private negotiate(raw: Buffer): void {
    if (raw[1] !== OFPT.HELLO) return this.shutdown('no-hello');
    const peer = parsePeerHello(raw);
    this.peerValue = peer;
    if (!peerAccepts10(peer)) {
      this.out.pushRaw(encodeHelloFailed(peer));
      return this.shutdown('hello-failed');
    }
    this.stateValue = 'open';
    try {
      this.emit('open');
    } catch (err) {
      throw new ChannelInternalError(err);
    }
  }

  private shutdown(reason: ChannelCloseReason, error?: Error, abrupt = false): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.probe.stop();
    if (abrupt) {
      this.out.close();
      if (this.stream.destroy) this.stream.destroy();
      else this.stream.end();
    } else {
      this.out.flush();
      this.out.close();
      this.stream.end();
    }
    this.emit('close', reason, error);
  }
}

/** Carries an unexpected exception out of the framer's callback. */
class ChannelInternalError extends Error {
  constructor(cause: unknown) {
    super('internal error', { cause });
  }
}
