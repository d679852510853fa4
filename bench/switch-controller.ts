/*
 * A counting OpenFlow 1.0 controller for the switch benchmarks: listens on a Unix socket, greets
 * each switch that connects (HELLO, FEATURES_REQUEST), answers ECHO_REQUESTs so inactivity probes
 * never drop it, and counts PACKET_INs. Nothing else is decoded.
 *
 * Why raw framing instead of the codec: the controller must never be the bottleneck of the
 * packet-in measurement, and both switches must see the same cheap peer. Reading only the 8-byte
 * header of each message costs a few hundred nanoseconds per message.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { OFP_HEADER_LEN, OFP_VERSION, OFPT } from '../src/openflow/constants.js';

export interface CountingController {
  /** `unix:PATH`, the target to give the switch. */
  readonly target: string;
  /** PACKET_INs received so far, over all connections. */
  readonly packetIns: number;
  /** Resolves when a switch has answered FEATURES_REQUEST. */
  readonly connected: Promise<void>;
  close(): Promise<void>;
}

function header(type: number, len: number, xid: number): Buffer {
  const b = Buffer.alloc(len);
  b.writeUInt8(OFP_VERSION, 0);
  b.writeUInt8(type, 1);
  b.writeUInt16BE(len, 2);
  b.writeUInt32BE(xid, 4);
  return b;
}

export async function startCountingController(path: string): Promise<CountingController> {
  rmSync(path, { force: true });
  let packetIns = 0;
  let onConnected: () => void = () => {};
  const connected = new Promise<void>((r) => (onConnected = r));
  const sockets = new Set<Socket>();

  const serve = (sock: Socket): void => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.write(Buffer.concat([header(OFPT.HELLO, 8, 1), header(OFPT.FEATURES_REQUEST, 8, 2)]));
    let pending: Buffer | undefined;
    sock.on('data', (chunk: Buffer) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      while (buf.length - off >= OFP_HEADER_LEN) {
        const len = buf.readUInt16BE(off + 2);
        if (len < OFP_HEADER_LEN) return void sock.destroy();
        if (buf.length - off < len) break;
        const type = buf[off + 1];
        if (type === OFPT.PACKET_IN) packetIns++;
        else if (type === OFPT.ECHO_REQUEST) {
          const reply = Buffer.from(buf.subarray(off, off + len));
          reply[1] = OFPT.ECHO_REPLY;
          sock.write(reply);
        } else if (type === OFPT.FEATURES_REPLY) onConnected();
        off += len;
      }
      pending = off < buf.length ? Buffer.from(buf.subarray(off)) : undefined;
    });
  };

  const server: Server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return {
    target: `unix:${path}`,
    get packetIns() {
      return packetIns;
    },
    connected,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      rmSync(path, { force: true });
    },
  };
}
