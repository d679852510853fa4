/*
 * One passive target (`--listen ptcp:...`, `punix:...`, `pssl:...`, and the bridge's .mgmt socket):
 * accepts connections, each of which becomes a *service* OfConnection once HELLO is negotiated.
 *
 * punix: a stale socket file left by a previous run is removed before binding (Open vSwitch does the
 * same) — stale meaning nobody accepts on it: a socket a running process still serves is left alone
 * and listen() fails, so a second `ofdp run` of the same bridge cannot steal the first one's .mgmt
 * socket. Anything at the path that is not a socket is left alone and the bind fails. The file is
 * removed again on close() if this listener bound it. With port 0 the system picks the port;
 * `address` and `name` report it.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import {
  connect as netConnect,
  createServer as netCreateServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { createServer as tlsCreateServer } from 'node:tls';
import type { Clock, OfpChannel } from '../openflow/channel/index.js';
import { adoptSocket, isFdStream } from './adopt.js';
import type { FdStream } from './fd-stream.js';
import { startSession, type SessionHooks } from './session.js';
import { loadSslMaterial, serverTlsOptions, type SslOptions } from './ssl.js';
import { formatTarget, type PassiveTarget } from './target.js';

export interface ListenerDeps {
  clock: Clock;
  probeIntervalMs: number;
  ssl: SslOptions | undefined;
  hooks: SessionHooks;
  /** An error of the listening socket after listen() succeeded. */
  onError?: (err: Error) => void;
}

export type ListenAddress = { host: string; port: number } | { path: string };

export class Listener {
  private readonly server: Server;
  private readonly channels = new Set<OfpChannel>();
  private readonly sockets = new Set<Socket | FdStream>();
  private bound: PassiveTarget;
  private closing: Promise<void> | undefined;
  /** This listener bound the unix socket file (and so may remove it). */
  private ownsPath = false;

  constructor(
    readonly target: PassiveTarget,
    private readonly deps: ListenerDeps,
  ) {
    this.bound = target;
    const accept = (socket: Socket): void => this.accept(socket);
    if (target.transport === 'ssl') {
      const m = loadSslMaterial(deps.ssl, formatTarget(target));
      this.server = tlsCreateServer(serverTlsOptions(m), accept);
      // A peer that fails the TLS handshake never becomes a connection; nothing to report.
      this.server.on('tlsClientError', () => {});
    } else {
      // Not reading until accept() has moved the descriptor onto an FdStream (see fd-stream.ts).
      this.server = netCreateServer({ pauseOnConnect: true }, accept);
    }
  }

  /** The target with its actual port (after listen()). */
  get name(): string {
    return formatTarget(this.bound);
  }

  get address(): ListenAddress {
    const t = this.bound;
    return t.transport === 'unix' ? { path: t.path } : { host: t.host, port: t.port };
  }

  /** Binds and listens; rejects with the bind error (EADDRINUSE, EACCES, ...). */
  async listen(): Promise<void> {
    const t = this.target;
    if (t.transport === 'unix') {
      const state = await probeUnixSocket(t.path);
      if (state === 'live')
        throw new Error(`${formatTarget(t)}: another process is serving this socket (already running?)`);
      if (state === 'stale') removeStaleSocket(t.path);
    }
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`${formatTarget(t)}: ${err.message}`));
      this.server.once('error', onError);
      const ready = (): void => {
        this.server.off('error', onError);
        // Later server errors (accept failing with EMFILE, ...) are reported, never thrown.
        this.server.on('error', (err) => this.deps.onError?.(err));
        if (t.transport !== 'unix') {
          const a = this.server.address() as AddressInfo;
          this.bound = { ...t, port: a.port };
        } else {
          this.ownsPath = true;
        }
        resolve();
      };
      if (t.transport === 'unix') this.server.listen(t.path, ready);
      else this.server.listen(t.port, t.host, ready);
    });
  }

  /** Stops accepting, closes every connection accepted here, removes a unix socket file. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      const t = this.target;
      const done = (): void => {
        if (t.transport === 'unix' && this.ownsPath) removeStaleSocket(t.path);
        resolve();
      };
      for (const c of [...this.channels]) c.close();
      // close() flushes and half-closes; don't wait for peers to close their side.
      for (const s of this.sockets) {
        if (isFdStream(s)) s.destroyAfterFinish();
        else if (s.writableFinished) s.destroy();
        else s.once('finish', () => s.destroy());
      }
      if (this.server.listening) this.server.close(done);
      else done();
    });
    return this.closing;
  }

  private accept(socket: Socket): void {
    if (this.closing) return void socket.destroy();
    socket.setNoDelay(true);
    const peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : '';
    const stream = this.target.transport === 'ssl' ? undefined : adoptSocket(socket);
    if (!stream && this.target.transport !== 'ssl') socket.resume();
    const s = stream ?? socket;
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    let channel: OfpChannel | undefined = undefined;
    const forget = (): void => {
      if (channel) this.channels.delete(channel);
    };
    const hooks = this.deps.hooks;
    channel = startSession(
      s,
      {
        role: 'service',
        target: this.name,
        peer,
        clock: this.deps.clock,
        probeIntervalMs: this.deps.probeIntervalMs,
      },
      {
        up: hooks.up,
        message: hooks.message,
        drain: hooks.drain,
        down: (c, reason, err) => {
          forget();
          hooks.down(c, reason, err);
        },
        aborted: (reason, err) => {
          forget();
          hooks.aborted(reason, err);
        },
      },
    );
    this.channels.add(channel);
  }
}

/**
 * What is at a punix: path: nothing (or not a socket: bind will say so), a socket somebody accepts
 * on, or a stale one nobody does (ECONNREFUSED). Any other failure to connect (EACCES, EAGAIN from a
 * full backlog) counts as live: never remove what might be in use.
 */
function probeUnixSocket(path: string): Promise<'absent' | 'live' | 'stale'> {
  try {
    if (!lstatSync(path).isSocket()) return Promise.resolve('absent');
  } catch {
    return Promise.resolve('absent');
  }
  return new Promise((resolve) => {
    const s = netConnect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve('live');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.destroy();
      resolve(err.code === 'ECONNREFUSED' ? 'stale' : err.code === 'ENOENT' ? 'absent' : 'live');
    });
  });
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there (or not ours to remove): listen() reports any real problem.
  }
}
