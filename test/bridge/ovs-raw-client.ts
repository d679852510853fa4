/*
 * A raw OpenFlow 1.0 connection to an Open vSwitch bridge's management socket, for tests that send
 * OVS the very bytes they feed ofdp and compare the answers. It says HELLO (1.0 only), answers
 * echoes, frames what arrives, and keeps each message with its bytes: exchange() sends a message and
 * a barrier and resolves with what came back before the barrier reply; drain() takes whatever
 * arrived unasked (async messages such as PORT_STATUS) up to a barrier of its own; next() waits for
 * one message that may come after any barrier (OVS sends FLOW_REMOVED once the rule is destroyed,
 * which can be after the barrier reply).
 */
import net from 'node:net';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import { OFPT } from '../../src/openflow/constants.js';
import type { OfpMessage } from '../../src/openflow/messages.js';

export interface Received {
  m: OfpMessage;
  raw: Buffer;
}

export class OvsRawClient {
  private pending = Buffer.alloc(0);
  private inbox: Received[] = [];
  /** The barrier being waited for; resolved with what came before its reply, taken from the inbox. */
  private waiter: { xid: number; resolve: (before: Received[]) => void } | undefined;
  private nextXid = 0x1000;
  /** Called after each message lands in the inbox (next()'s waiters). */
  private arrived: (() => void)[] = [];

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => this.receive(d));
  }

  /** Connects to `target` (`unix:PATH`, as OvsBridge.mgmtTarget). */
  static async connect(target: string): Promise<OvsRawClient> {
    const sock = net.createConnection(target.replace(/^unix:/, ''));
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    sock.write(Buffer.from([1, OFPT.HELLO, 0, 8, 0, 0, 0, 1]));
    return new OvsRawClient(sock);
  }

  private receive(d: Buffer): void {
    this.pending = Buffer.concat([this.pending, d]);
    while (this.pending.length >= 8 && this.pending.length >= this.pending.readUInt16BE(2)) {
      const raw = Buffer.from(this.pending.subarray(0, this.pending.readUInt16BE(2)));
      this.pending = this.pending.subarray(raw.length);
      const m = decodeMessage(raw);
      if (m.type === OFPT.HELLO) continue;
      if (m.type === OFPT.ECHO_REQUEST) {
        this.sock.write(encodeMessage({ type: OFPT.ECHO_REPLY, xid: m.xid, data: m.data }));
        continue;
      }
      if (m.type === OFPT.BARRIER_REPLY && m.xid === this.waiter?.xid) {
        // Cut here, now: messages later in the same chunk belong after the barrier.
        this.waiter.resolve(this.inbox.splice(0));
        this.waiter = undefined;
        continue;
      }
      this.inbox.push({ m, raw });
      for (const wake of this.arrived.splice(0)) wake();
    }
  }

  /** Sends `raw` (bytes or a message) and a barrier; resolves with what arrived before the barrier reply. */
  async exchange(msg: Buffer | OfpMessage): Promise<Received[]> {
    const xid = this.nextXid++;
    this.inbox = [];
    const done = new Promise<Received[]>((resolve) => (this.waiter = { xid, resolve }));
    this.sock.write(Buffer.isBuffer(msg) ? msg : encodeMessage(msg));
    this.sock.write(encodeMessage({ type: OFPT.BARRIER_REQUEST, xid }));
    return done;
  }

  /** What arrived since the last exchange()/drain(), up to a barrier (async messages). */
  async drain(): Promise<Received[]> {
    const xid = this.nextXid++;
    const done = new Promise<Received[]>((resolve) => (this.waiter = { xid, resolve }));
    this.sock.write(encodeMessage({ type: OFPT.BARRIER_REQUEST, xid }));
    return done;
  }

  /**
   * Takes the first message since the last exchange()/drain() that `pred` accepts out of the
   * inbox, waiting for it if none has come yet; rejects after `timeoutMs` (a bound on failure,
   * not a wait that success needs).
   */
  async next(pred: (m: OfpMessage) => boolean, timeoutMs = 10_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((r) => pred(r.m));
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`OvsRawClient.next: no such message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.arrived.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
