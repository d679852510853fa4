/*
 * A minimal plain-OpenFlow-1.0 switch for tests: it accepts TCP connections on 127.0.0.1, answers
 * what ovs-ofctl needs to finish its commands, and records every message it receives, so a test
 * can run `ovs-ofctl … tcp:127.0.0.1:PORT …` and compare the bytes ovs-ofctl sent.
 *
 * Behaviour (see docs clients.md §0–§3): it sends HELLO (v1, 8 bytes) as soon as a connection is
 * accepted; answers ECHO_REQUEST, FEATURES_REQUEST (with the configured ports, so ovs-ofctl can
 * resolve port names), GET_CONFIG_REQUEST, BARRIER_REQUEST and the DESC/TABLE/FLOW/AGGREGATE/PORT
 * stats requests; answers every VENDOR message and vendor-stats request with
 * OFPET_BAD_REQUEST/OFPBRC_BAD_VENDOR carrying the whole request, so ovs-ofctl falls back to
 * standard OpenFlow 1.0 instead of waiting forever. Flow mods and other requests without a reply
 * are only recorded. Replies are sent in order on the connection, so by the time ovs-ofctl has its
 * barrier reply every earlier message of that connection has been recorded.
 *
 * Framing is its own (test support must not depend on the code under test beyond the codec).
 */
import net from 'node:net';
import { OFPBRC, OFPET, OFPST, OFPT, OFP_VERSION } from '../../src/openflow/constants.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import type { OfpPhyPort } from '../../src/openflow/structs.js';

export interface ReceivedMessage {
  /** Connection number, from 1 in accept order. */
  conn: number;
  /** The bytes as received. */
  raw: Buffer;
  /** The decoded message, or undefined when the codec rejected it (`error` says why). */
  msg: OfpMessage | undefined;
  error?: string;
}

export interface TestListenerOptions {
  /** Ports reported in the features reply (default: none). */
  ports?: OfpPhyPort[];
  datapathId?: bigint;
}

export interface TestListener {
  /** The TCP port it listens on. */
  readonly port: number;
  /** `tcp:127.0.0.1:PORT`, the target to give ovs-ofctl. */
  readonly target: string;
  /** Everything received so far, in arrival order. */
  readonly received: ReceivedMessage[];
  /** Received messages of one type (decoded ones only). */
  messagesOfType<T extends OfpMessage['type']>(type: T): Extract<OfpMessage, { type: T }>[];
  /** Resolves with the first message (already received or arriving later) that `pred` accepts. */
  waitFor(pred: (r: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  /** Forgets what was received. */
  clear(): void;
  close(): Promise<void>;
}

/** A port description with plausible defaults. */
export function testPort(port_no: number, name: string): OfpPhyPort {
  return {
    port_no,
    hw_addr: 0x020000000000 + port_no,
    name,
    config: 0,
    state: 0,
    curr: 0xc0,
    advertised: 0,
    supported: 0,
    peer: 0,
  };
}

function replyTo(m: OfpMessage, raw: Buffer, opts: TestListenerOptions): OfpMessage | undefined {
  const xid = m.xid;
  const badVendor = (): OfpMessage => ({
    type: OFPT.ERROR,
    xid,
    version: OFP_VERSION,
    err_type: OFPET.BAD_REQUEST,
    code: OFPBRC.BAD_VENDOR,
    data: Buffer.from(raw),
  });
  switch (m.type) {
    case OFPT.ECHO_REQUEST:
      return { type: OFPT.ECHO_REPLY, xid, data: m.data };
    case OFPT.FEATURES_REQUEST:
      return {
        type: OFPT.FEATURES_REPLY,
        xid,
        datapath_id: opts.datapathId ?? 0x1234n,
        n_buffers: 0,
        n_tables: 1,
        capabilities: 0xc7,
        actions: 0xfff,
        ports: opts.ports ?? [],
      };
    case OFPT.GET_CONFIG_REQUEST:
      return { type: OFPT.GET_CONFIG_REPLY, xid, flags: 0, miss_send_len: 0 };
    case OFPT.BARRIER_REQUEST:
      return { type: OFPT.BARRIER_REPLY, xid };
    case OFPT.VENDOR:
      return badVendor();
    case OFPT.STATS_REQUEST:
      switch (m.stats_type) {
        case OFPST.DESC:
          return {
            type: OFPT.STATS_REPLY,
            xid,
            stats_type: OFPST.DESC,
            flags: 0,
            body: {
              mfr_desc: 'ofdp tests',
              hw_desc: 'listener',
              sw_desc: '0',
              serial_num: 'None',
              dp_desc: 'None',
            },
          };
        case OFPST.TABLE:
          return {
            type: OFPT.STATS_REPLY,
            xid,
            stats_type: OFPST.TABLE,
            flags: 0,
            body: [
              {
                table_id: 0,
                name: '',
                wildcards: 0x3fffff,
                max_entries: 1000000,
                active_count: 0,
                lookup_count: 0n,
                matched_count: 0n,
              },
            ],
          };
        case OFPST.FLOW:
          return { type: OFPT.STATS_REPLY, xid, stats_type: OFPST.FLOW, flags: 0, body: [] };
        case OFPST.AGGREGATE:
          return {
            type: OFPT.STATS_REPLY,
            xid,
            stats_type: OFPST.AGGREGATE,
            flags: 0,
            body: { packet_count: 0n, byte_count: 0n, flow_count: 0 },
          };
        case OFPST.PORT:
          return { type: OFPT.STATS_REPLY, xid, stats_type: OFPST.PORT, flags: 0, body: [] };
        case OFPST.VENDOR:
          return badVendor();
        default:
          return {
            type: OFPT.ERROR,
            xid,
            version: OFP_VERSION,
            err_type: OFPET.BAD_REQUEST,
            code: OFPBRC.BAD_STAT,
            data: Buffer.from(raw),
          };
      }
    default:
      return undefined;
  }
}

/** Starts a listener on an ephemeral port. */
export async function startTestListener(opts: TestListenerOptions = {}): Promise<TestListener> {
  const received: ReceivedMessage[] = [];
  const waiters = new Set<(r: ReceivedMessage) => void>();
  const sockets = new Set<net.Socket>();
  let conns = 0;
  let helloXid = 1000;
  const server = net.createServer((sock) => {
    const conn = ++conns;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.write(
      encodeMessage({ type: OFPT.HELLO, xid: helloXid++, version: OFP_VERSION, body: Buffer.alloc(0) }),
    );
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 8) {
        const len = buf.readUInt16BE(2);
        if (len < 8) {
          sock.destroy();
          return;
        }
        if (buf.length < len) break;
        const raw = Buffer.from(buf.subarray(0, len));
        buf = buf.subarray(len);
        let msg: OfpMessage | undefined;
        let error: string | undefined;
        try {
          msg = decodeMessage(raw);
        } catch (e) {
          error = (e as Error).message;
        }
        const rec: ReceivedMessage = error === undefined ? { conn, raw, msg } : { conn, raw, msg, error };
        received.push(rec);
        for (const w of [...waiters]) w(rec);
        const reply = msg && replyTo(msg, raw, opts);
        if (reply) sock.write(encodeMessage(reply));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    target: `tcp:127.0.0.1:${port}`,
    received,
    messagesOfType<T extends OfpMessage['type']>(type: T) {
      return received.filter((r) => r.msg?.type === type).map((r) => r.msg) as Extract<
        OfpMessage,
        { type: T }
      >[];
    },
    waitFor(pred, timeoutMs = 10_000) {
      const done = received.find(pred);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching OpenFlow message within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (r: ReceivedMessage) => {
          if (!pred(r)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(r);
        };
        waiters.add(check);
      });
    },
    clear() {
      received.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
