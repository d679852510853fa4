/*
 * Joins a bridge to its connection manager: negotiated connections become bridge connections, their
 * messages are handled strictly in order (a message that needs asynchronous work holds back the ones
 * behind it, so BARRIER_REPLY always follows the completion of everything before it), and the count
 * of connected controllers drives the fail mode. Messages still waiting when their connection goes
 * down are discarded.
 */
import type { ConnectionManager, OfConnection } from '../connmgr/index.js';
import type { OfpMessage } from '../openflow/messages.js';
import type { Bridge } from './bridge.js';
import { handleRequest } from './handle-message.js';

export function attachConnections(bridge: Bridge, mgr: ConnectionManager, onBug: (e: unknown) => void): void {
  /** Connections with a message in progress: later messages wait behind it. */
  const pending = new Map<OfConnection, Promise<void>>();
  // A message still queued when its connection went down is dropped, as Open vSwitch drops what
  // a disconnected rconn had received: its buffers are gone, and in emergency mode flows added
  // after the last controller left would outlive the table flush.
  const run = (conn: OfConnection, msg: OfpMessage, raw: Buffer): Promise<void> | void => {
    if (bridge.conns.has(conn)) return handleRequest(bridge, conn, msg, raw);
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
    if (!p) return;
    const tracked = p.catch((e: unknown) => {
      onBug(e);
      conn.close();
    });
    pending.set(conn, tracked);
    void tracked.then(() => {
      if (pending.get(conn) === tracked) pending.delete(conn);
    });
  };
  mgr.on('primaries', () => bridge.updateMissPolicy());
}
