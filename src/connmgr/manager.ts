/*
 * The connection manager of one bridge: its active controllers and passive listeners, and the set of
 * negotiated connections the bridge talks to. Like Open vSwitch's connmgr, minus the OpenFlow
 * semantics, which stay in the bridge.
 *
 * Events (all synchronous, in order per connection):
 *   'up'      (conn)              HELLO negotiated; attach nothing: messages arrive via 'message'.
 *   'message' (conn, msg, raw)    every message after HELLO except ECHO (answered by the channel);
 *                                 `raw` is the message's bytes, for errors that echo it. The
 *                                 bridge takes them through `receiver` instead (called first).
 *   (no event)                    ECHO_REQUEST and messages that failed to decode go to
 *                                 `localReceiver` when the bridge set one (so that their answers
 *                                 keep their place behind its slow requests); otherwise the
 *                                 channel answers them at once.
 *   'drain'   (conn)              the connection's send queue emptied (resume packet-ins).
 *   'down'    (conn, reason, err) a connection that was 'up' closed.
 *   'primaries' (count)           the number of up primary connections changed; 0 means every
 *                                 controller is gone (fail mode: standalone/secure/emergency).
 *   'dial-failed' (target, err), 'backoff' (target, delayMs), 'aborted' (target, reason, err),
 *   'listener-error' (target, err): for logs only.
 *
 * Connections pipelined behind their HELLO: 'up' is emitted before their first 'message', in the
 * same tick, so state the bridge sets up in its 'up' handler is there for the first request.
 *
 * Options are shared by every target: SSL files, the clock (tests inject a fake one), the dialer
 * (tests may inject one), the backoff bounds and the default inactivity probe interval (5 s; each
 * target may override it, e.g. a longer one for the .mgmt socket, 0 to disable).
 */
import { EventEmitter } from 'node:events';
import {
  DEFAULT_PROBE_INTERVAL_MS,
  realClock,
  type ChannelCloseReason,
  type Clock,
} from '../openflow/channel/index.js';
import type { OfpMessage } from '../openflow/messages.js';
import type { OfConnection } from './connection.js';
import { ActiveController, DEFAULT_BACKOFF, type BackoffSettings } from './controller.js';
import { socketDialer, type Dialer } from './dialer.js';
import { Listener } from './listener.js';
import type { SessionHooks } from './session.js';
import { loadSslMaterial, type SslOptions } from './ssl.js';
import {
  formatTarget,
  parseActiveTarget,
  parsePassiveTarget,
  type ActiveTarget,
  type PassiveTarget,
} from './target.js';

export interface ConnectionManagerOptions {
  ssl?: SslOptions;
  clock?: Clock;
  dialer?: Dialer;
  backoff?: Partial<BackoffSettings>;
  /** Default inactivity probe interval, ms (5000); 0 disables. */
  probeIntervalMs?: number;
}

export interface TargetOptions {
  /** Inactivity probe interval for connections of this target, ms; 0 disables. */
  probeIntervalMs?: number;
}

export interface ConnectionManagerEvents {
  up: [conn: OfConnection];
  message: [conn: OfConnection, msg: OfpMessage, raw: Buffer];
  drain: [conn: OfConnection];
  down: [conn: OfConnection, reason: ChannelCloseReason, error: Error | undefined];
  primaries: [count: number];
  'dial-failed': [target: string, error: Error];
  backoff: [target: string, delayMs: number];
  aborted: [target: string, reason: ChannelCloseReason, error: Error | undefined];
  'listener-error': [target: string, error: Error];
}

export class ConnectionManager extends EventEmitter<ConnectionManagerEvents> {
  private readonly clock: Clock;
  private readonly dialer: Dialer;
  private readonly backoffSettings: BackoffSettings;
  private readonly probeIntervalMs: number;
  private readonly ssl: SslOptions | undefined;
  private readonly controllersList: ActiveController[] = [];
  private readonly listenersList: Listener[] = [];
  private readonly conns = new Set<OfConnection>();
  private primaries = 0;
  private closed = false;
  /**
   * The bridge's direct receiver of every message, called before any 'message' listener (same
   * events, minus the argument array EventEmitter.emit allocates per call on this hot path).
   */
  receiver: ((conn: OfConnection, msg: OfpMessage, raw: Buffer) => void) | undefined;
  /**
   * The bridge's receiver of what the channel would answer itself (OfpChannel.localRequest): it
   * calls `conn.channel.answerLocally(raw, errType, errCode)` when the message's turn comes. Unset,
   * the channel answers at once.
   */
  localReceiver: ((conn: OfConnection, raw: Buffer, errType: number, errCode: number) => void) | undefined;

  constructor(options: ConnectionManagerOptions = {}) {
    super();
    this.clock = options.clock ?? realClock;
    this.ssl = options.ssl;
    this.dialer = options.dialer ?? socketDialer(options.ssl);
    this.backoffSettings = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  }

  /** Every negotiated connection, primary and service. */
  get connections(): ReadonlySet<OfConnection> {
    return this.conns;
  }

  /** Negotiated primary (controller) connections right now. */
  get primaryCount(): number {
    return this.primaries;
  }

  get controllers(): readonly ActiveController[] {
    return this.controllersList;
  }

  /** The passive listeners (named so as not to clash with EventEmitter.listeners). */
  get listening(): readonly Listener[] {
    return this.listenersList;
  }

  /**
   * Adds a controller (`tcp:IP[:PORT]`, `ssl:IP[:PORT]`, `unix:PATH`) and dials it at once.
   * Throws TargetError for a bad target or unreadable SSL files.
   */
  addController(target: string | ActiveTarget, options: TargetOptions = {}): ActiveController {
    if (this.closed) throw new Error('connection manager is closed');
    const t = typeof target === 'string' ? parseActiveTarget(target) : target;
    if (t.transport === 'ssl') loadSslMaterial(this.ssl, formatTarget(t));
    const hooks = this.hooks();
    const c = new ActiveController(t, {
      clock: this.clock,
      dialer: this.dialer,
      probeIntervalMs: options.probeIntervalMs ?? this.probeIntervalMs,
      backoff: this.backoffSettings,
      hooks: {
        ...hooks,
        dialFailed: (name, err) => this.emit('dial-failed', name, err),
        backoff: (name, delay) => this.emit('backoff', name, delay),
        aborted: (reason, err) => this.emit('aborted', c.name, reason, err),
      },
    });
    this.controllersList.push(c);
    c.start();
    return c;
  }

  /**
   * Adds a listener (`ptcp:[PORT][:IP]`, `pssl:[PORT][:IP]`, `punix:PATH`) and resolves once it is
   * listening. Throws TargetError for a bad target; rejects with the bind error.
   */
  async listen(target: string | PassiveTarget, options: TargetOptions = {}): Promise<Listener> {
    if (this.closed) throw new Error('connection manager is closed');
    const t = typeof target === 'string' ? parsePassiveTarget(target) : target;
    const hooks = this.hooks();
    const l: Listener = new Listener(t, {
      clock: this.clock,
      probeIntervalMs: options.probeIntervalMs ?? this.probeIntervalMs,
      ssl: this.ssl,
      hooks: { ...hooks, aborted: (reason, err) => this.emit('aborted', l.name, reason, err) },
      onError: (err) => this.emit('listener-error', l.name, err),
    });
    await l.listen();
    if (this.closed) {
      await l.close();
      throw new Error('connection manager is closed');
    }
    this.listenersList.push(l);
    return l;
  }

  /** Removes one controller or listener, closing its connections. */
  async remove(item: ActiveController | Listener): Promise<void> {
    if (item instanceof ActiveController) {
      const i = this.controllersList.indexOf(item);
      if (i >= 0) this.controllersList.splice(i, 1);
      item.stop();
    } else {
      const i = this.listenersList.indexOf(item);
      if (i >= 0) this.listenersList.splice(i, 1);
      await item.close();
    }
  }

  /** Sends `msg` to every open connection that receives asynchronous messages. */
  broadcastAsync(msg: OfpMessage): void {
    for (const c of this.conns) if (c.receivesAsync) c.send(msg);
  }

  /** Stops every controller and listener and closes every connection ('down' is emitted for each). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.controllersList) c.stop();
    await Promise.all(this.listenersList.map((l) => l.close()));
    for (const c of [...this.conns]) c.close();
  }

  private hooks(): Omit<SessionHooks, 'aborted'> {
    return {
      up: (conn) => {
        // Set before 'up' returns, so it covers messages pipelined behind the HELLO.
        conn.channel.localRequest = (raw, errType, errCode) => {
          const local = this.localReceiver;
          if (local) local(conn, raw, errType, errCode);
          else conn.channel.answerLocally(raw, errType, errCode);
        };
        this.conns.add(conn);
        this.emit('up', conn);
        if (conn.role === 'primary') this.setPrimaries(this.primaries + 1);
      },
      message: (conn, msg, raw) => {
        const receiver = this.receiver;
        if (receiver) receiver(conn, msg, raw);
        if (this.listenerCount('message') !== 0) this.emit('message', conn, msg, raw);
      },
      drain: (conn) => this.emit('drain', conn),
      down: (conn, reason, err) => {
        this.conns.delete(conn);
        this.emit('down', conn, reason, err);
        if (conn.role === 'primary') this.setPrimaries(this.primaries - 1);
      },
    };
  }

  private setPrimaries(n: number): void {
    this.primaries = n;
    this.emit('primaries', n);
  }
}
