/*
 * A scripted OpenFlow 1.0 controller for fault tests: a TCP listener on 127.0.0.1 that the switch
 * dials (`--controller tcp:127.0.0.1:PORT`), which a test can kill and restart on the same port and
 * drive message by message — install flows (emergency ones included, which no stock controller
 * sends), watch packet-ins and port-status, or send garbage.
 *
 * Each accepted connection becomes a session: we send HELLO (v1) at once, answer the switch's HELLO
 * with FEATURES_REQUEST, and the session counts as established when the FEATURES_REPLY arrives (the
 * point at which the switch resets its reconnect backoff). Echo requests are always answered, so the
 * switch's inactivity probe never fires; everything else the switch sends is recorded.
 *
 * kill() is what a crashed controller process looks like to the switch: every socket is closed by
 * the kernel (FIN) and nothing listens on the port until restart().
 *
 * Framing uses the project's OfpFramer and codec: those are tested on their own, and a framing bug
 * would show up here as a decode failure, recorded rather than thrown.
 */
import net from 'node:net';
import { OFPT, OFP_VERSION } from '../../../src/openflow/constants.js';
import { decodeMessage, encodeMessage } from '../../../src/openflow/codec.js';
import { OfpFramer } from '../../../src/openflow/framer.js';
import type { MessageOf, OfpMessage } from '../../../src/openflow/messages.js';
import { Waiters } from '../waiters.js';

export type FeaturesReply = MessageOf<typeof OFPT.FEATURES_REPLY>;

export class ControllerSession {
  /** Everything the switch sent after HELLO, in order (undecodable messages are in `bad`). */
  readonly received: OfpMessage[] = [];
  readonly bad: Buffer[] = [];
  features: FeaturesReply | undefined;
  /** A hung controller: still connected (the kernel ACKs), but it answers nothing, not even echo. */
  hung = false;
  private readonly waiters = new Waiters();
  private nextXid = 0x1000;
  private open = true;
  readonly closed: Promise<void>;

  constructor(
    /** 0 for the first session this controller accepted, then 1, 2, … */
    readonly index: number,
    private readonly sock: net.Socket,
    private readonly onEstablished: (s: ControllerSession) => void,
  ) {
    this.closed = new Promise((resolve) =>
      sock.once('close', () => {
        this.open = false;
        this.waiters.notify();
        resolve();
      }),
    );
    sock.on('error', () => undefined);
    const framer = new OfpFramer();
    sock.on('data', (chunk: Buffer) => {
      try {
        framer.push(chunk, (raw) => this.onRaw(Buffer.from(raw)));
      } catch {
        sock.destroy();
      }
    });
    this.send({ type: OFPT.HELLO, xid: this.xid(), version: OFP_VERSION, body: Buffer.alloc(0) });
  }

  get isOpen(): boolean {
    return this.open;
  }

  xid(): number {
    return this.nextXid++;
  }

  send(msg: OfpMessage): void {
    if (this.open) this.sock.write(encodeMessage(msg));
  }

  /** Bytes as they are, e.g. a header whose length field is below 8. */
  sendRaw(bytes: Buffer): void {
    if (this.open) this.sock.write(bytes);
  }

  /** Closes the connection from our side. */
  close(): void {
    this.sock.destroy();
  }

  /**
   * Resolves with the first received message (already here or arriving later, from index `from`)
   * that `pred` accepts; rejects after `timeoutMs` or when the session closes first.
   */
  waitFor<T extends OfpMessage>(
    what: string,
    pred: (m: OfpMessage) => m is T,
    timeoutMs?: number,
    from?: number,
  ): Promise<T>;
  waitFor(
    what: string,
    pred: (m: OfpMessage) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<OfpMessage>;
  waitFor(what: string, pred: (m: OfpMessage) => boolean, timeoutMs = 10_000, from = 0): Promise<OfpMessage> {
    let seen = from;
    return this.waiters.until(
      () => {
        for (; seen < this.received.length; seen++)
          if (pred(this.received[seen]!)) return this.received[seen];
        if (!this.open) throw new Error(`session ${this.index} closed before ${what}`);
        return undefined;
      },
      timeoutMs,
      () => `no ${what} within ${timeoutMs} ms on session ${this.index}`,
    );
  }

  /**
   * Sends `msgs` then a BARRIER_REQUEST and resolves, once the barrier reply is in, with the
   * OFPT_ERRORs the switch sent for them (in OpenFlow errors come before the barrier reply).
   */
  async request(msgs: OfpMessage[], timeoutMs = 10_000): Promise<MessageOf<typeof OFPT.ERROR>[]> {
    const from = this.received.length;
    for (const m of msgs) this.send(m);
    const xid = this.xid();
    this.send({ type: OFPT.BARRIER_REQUEST, xid });
    await this.waitFor(
      'BARRIER_REPLY',
      (m) => m.type === OFPT.BARRIER_REPLY && m.xid === xid,
      timeoutMs,
      from,
    );
    return this.received.slice(from).filter((m): m is MessageOf<typeof OFPT.ERROR> => m.type === OFPT.ERROR);
  }

  private onRaw(raw: Buffer): void {
    let msg: OfpMessage;
    try {
      msg = decodeMessage(raw);
    } catch {
      this.bad.push(raw);
      return;
    }
    switch (msg.type) {
      case OFPT.HELLO:
        this.send({ type: OFPT.FEATURES_REQUEST, xid: this.xid() });
        return;
      case OFPT.ECHO_REQUEST:
        if (!this.hung) this.send({ type: OFPT.ECHO_REPLY, xid: msg.xid, data: msg.data });
        break;
      case OFPT.FEATURES_REPLY:
        if (!this.features) {
          this.features = msg;
          this.onEstablished(this);
        }
        break;
    }
    this.received.push(msg);
    this.waiters.notify();
  }
}

export class ScriptedController {
  /** Established sessions, in the order they got their FEATURES_REPLY. */
  readonly sessions: ControllerSession[] = [];
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly waiters = new Waiters();
  private accepted = 0;

  private constructor(public port: number) {}

  /** Listens on `port` (0: any free port) of 127.0.0.1. */
  static async start(port = 0): Promise<ScriptedController> {
    const c = new ScriptedController(port);
    await c.restart();
    return c;
  }

  get target(): string {
    return `tcp:127.0.0.1:${this.port}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens again on the same port after kill(). */
  async restart(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((sock) => {
      this.sockets.add(sock);
      sock.once('close', () => this.sockets.delete(sock));
      new ControllerSession(this.accepted++, sock, (s) => {
        this.sessions.push(s);
        this.waiters.notify();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Like a crash: every connection closes and nothing listens until restart(). */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves with established session number `index` (0-based) once it exists. */
  session(index: number, timeoutMs = 10_000): Promise<ControllerSession> {
    return this.waiters.until(
      () => this.sessions[index],
      timeoutMs,
      () => `controller :${this.port}: no session #${index} within ${timeoutMs} ms`,
    );
  }

  close(): Promise<void> {
    return this.kill();
  }
}
