/*
 * An in-process OpenFlow connection between a bridge and a controller that speaks bytes (the
 * embedded learning controller): every message either side sends is encoded, carried as bytes and
 * decoded on the other side, exactly as over a socket, only without the socket.
 *
 * Invariants: delivery in both directions is asynchronous (a microtask), so a controller's answer
 * never re-enters the datapath while it is still handling the packet that caused it; and the
 * bridge handles the controller's messages strictly one after another, as attach.ts does for
 * socket connections, so a flow-mod is in effect before anything sent after it is handled.
 */
import type { Bridge } from '../bridge/bridge.js';
import { handleRaw } from '../bridge/handle-message.js';
import { LocalConn } from '../bridge/ofconn.js';
import { encodeMessage } from '../openflow/codec.js';
import { OFPT } from '../openflow/constants.js';
import { OfpFramer } from '../openflow/framer.js';

export interface LocalLink {
  readonly conn: LocalConn;
  /** Bytes from the controller to the bridge. */
  write(bytes: Buffer): void;
  /** Resolves once everything written so far has been handled by the bridge. */
  settled(): Promise<void>;
  close(): void;
}

/**
 * Connects a controller to `bridge` as a primary connection. `toController` receives the bridge's
 * messages as bytes, starting with the switch's HELLO.
 */
export function linkLocal(
  bridge: Bridge,
  toController: (bytes: Buffer) => void,
  onBug: (e: unknown) => void = (e) => {
    throw e;
  },
): LocalLink {
  let open = true;
  const conn = new LocalConn((m) => {
    if (!open) return;
    const bytes = encodeMessage(m);
    queueMicrotask(() => {
      if (open) toController(bytes);
    });
  }, 'primary');
  const framer = new OfpFramer();
  let chain: Promise<void> = Promise.resolve();
  conn.send({ type: OFPT.HELLO, xid: 0, version: 1, body: Buffer.alloc(0) });
  bridge.connect(conn);
  return {
    conn,
    write(bytes: Buffer) {
      if (!open) return;
      const copy = Buffer.from(bytes);
      framer.push(copy, (raw) => {
        chain = chain.then(() => (open ? handleRaw(bridge, conn, raw) : undefined)).catch(onBug);
      });
    },
    settled: () => chain,
    close() {
      if (!open) return;
      open = false;
      bridge.disconnect(conn);
    },
  };
}
