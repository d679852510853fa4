/*
 * Turning a connected stream into an OfConnection: builds the channel, and once HELLO negotiation
 * succeeds wraps it in an OfConnection and reports it; shared by dialled and accepted streams.
 *
 * Hooks are called synchronously from the channel's events, so the bridge's 'up' handler runs
 * before any message pipelined behind the HELLO is delivered.
 */
import {
  OfpChannel,
  type ByteStream,
  type ChannelCloseReason,
  type Clock,
} from '../openflow/channel/index.js';
import type { OfpMessage } from '../openflow/messages.js';
import { kickBusyPoll } from '../runtime/busy-poll.js';
import { OfConnection, type ConnectionRole } from './connection.js';

export interface SessionHooks {
  up(conn: OfConnection): void;
  message(conn: OfConnection, msg: OfpMessage, raw: Buffer): void;
  drain(conn: OfConnection): void;
  /** A connection that had been up went down. */
  down(conn: OfConnection, reason: ChannelCloseReason, error?: Error): void;
  /** The stream closed before negotiation completed (no connection was reported). */
  aborted(reason: ChannelCloseReason, error?: Error): void;
}

export interface SessionParams {
  role: ConnectionRole;
  target: string;
  peer: string;
  clock: Clock;
  probeIntervalMs: number;
  onEstablished?: () => void;
}

export function startSession(stream: ByteStream, p: SessionParams, hooks: SessionHooks): OfpChannel {
  const channel = new OfpChannel(stream, {
    clock: p.clock,
    probeIntervalMs: p.probeIntervalMs,
    afterReceive: kickBusyPoll,
  });
  let conn: OfConnection | undefined;
  channel.on('open', () => {
    conn = new OfConnection(p.role, p.target, p.peer, channel, p.onEstablished);
    const c = conn;
    channel.receiver = (msg, raw) => hooks.message(c, msg, raw);
    channel.on('drain', () => hooks.drain(c));
    hooks.up(c);
  });
  channel.on('close', (reason, error) => {
    if (conn) hooks.down(conn, reason, error);
    else hooks.aborted(reason, error);
  });
  return channel;
}
