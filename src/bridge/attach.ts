/*
 * Joins a bridge to its connection manager: negotiated connections become bridge connections, their
 * messages are handled strictly in order (a message that needs asynchronous work holds back the ones
 * behind it, so BARRIER_REPLY always follows the completion of everything before it), and the count
 * of connected controllers drives the fail mode. Messages still waiting when their connection goes
 * down are discarded.
 *
 * The order covers what the channel answers on its own (ECHO_REQUEST, messages that fail to decode):
 * the manager hands them here (localReceiver) and their answers wait in the same line, so an
 * OFPT_ERROR or ECHO_REPLY never overtakes the BARRIER_REPLY of a barrier sent before it.
 */
import type { ConnectionManager, OfConnection } from '../connmgr/index.js';
import { LOCAL_ECHO } from '../openflow/channel/channel.js';
import type { OfpMessage } from '../openflow/messages.js';
import type { Bridge } from './bridge.js';
import { decodeRefusal, handleRequest } from './handle-message.js';

export function attachConnections(bridge: Bridge, mgr: ConnectionManager, onBug: (e: unknown) => void): void {
  /** Connections with a message in progress: later messages wait behind it. */
  const pending = new Map<OfConnection, Promise<void>>();
  // A message still queued when its connection went down is dropped, as Open vSwitch drops what
  // a disconnected rconn had received: its buffers are gone, and in emergency mode flows added
  // after the last controller left would outlive the table flush.
  const run = (conn: OfConnection, msg: OfpMessage, raw: Buffer): Promise<void> | void => {
    if (bridge.conns.has(conn)) return handleRequest(bridge, conn, msg, raw);
  };
  /** Makes `p` the work later messages of `conn` wait for. */
  const track = (conn: OfConnection, p: Promise<void>): void => {
    const tracked = p.catch((e: unknown) => {
      onBug(e);
      conn.close();
    });
    pending.set(conn, tracked);
    void tracked.then(() => {
      if (pending.get(conn) === tracked) pending.delete(conn);
    });
  };
  mgr.on('up', (conn) => bridge.connect(conn));
  mgr.on('down', (conn) => {
    pending.delete(conn);
    bridge.disconnect(conn);
  });
  mgr.receiver = (conn, msg, raw) => {
    // The common case, nothing in progress, runs at once and allocates no closure or promise.
    const before = pending.get(conn);
    let p: Promise<void> | void;
    try {
      p = before ? before.then(() => run(conn, msg, raw)) : run(conn, msg, raw);
    } catch (e) {
      onBug(e);
      conn.close();
      return;
    }
    if (p) track(conn, p);
  };
  mgr.localReceiver = (conn, raw, decodeType, decodeCode) => {
    // The same refusal handleRaw gives (unknown FLOW_MOD command before its actions); echoes pass.
    const [errType, errCode] =
      decodeType === LOCAL_ECHO ? [decodeType, decodeCode] : decodeRefusal(raw, decodeType, decodeCode);
    const before = pending.get(conn);
    // Nothing in progress: answered at once, in the same write as the segment's other replies.
    if (!before) return conn.channel.answerLocally(raw, errType, errCode);
    track(
      conn,
      before.then(() => {
        if (bridge.conns.has(conn)) conn.channel.answerLocally(raw, errType, errCode);
      }),
    );
  };
  mgr.on('primaries', () => bridge.updateMissPolicy());
}
