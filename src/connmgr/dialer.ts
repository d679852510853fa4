/*
 * Opening an active connection: the one place that turns an ActiveTarget into a connected stream.
 *
 * A dial either succeeds once (`connected`, with a stream that is ready: TCP connected, TLS
 * handshake done) or fails once (`failed`); cancel() silences both and tears the attempt down. The
 * controller logic (controller.ts) only sees this interface, so tests can swap in a fake.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ByteStream } from '../openflow/channel/index.js';
import { adoptSocket } from './adopt.js';
import { clientTlsOptions, loadSslMaterial, type SslOptions } from './ssl.js';
import { formatTarget, type ActiveTarget } from './target.js';

export interface DialCallbacks {
  connected(stream: ByteStream): void;
  failed(err: Error): void;
}

export interface DialAttempt {
  cancel(): void;
}

export type Dialer = (target: ActiveTarget, cb: DialCallbacks) => DialAttempt;

/** Dials with node:net / node:tls. TLS material is read once, when the dialer is made. */
export function socketDialer(ssl?: SslOptions): Dialer {
  let material: ReturnType<typeof loadSslMaterial> | undefined;
  return (target, cb) => {
    let socket: Socket;
    let readyEvent: string;
    if (target.transport === 'unix') {
      socket = netConnect({ path: target.path });
      readyEvent = 'connect';
    } else if (target.transport === 'tcp') {
      socket = netConnect({ host: target.host, port: target.port });
      readyEvent = 'connect';
    } else {
      try {
        material ??= loadSslMaterial(ssl, formatTarget(target));
      } catch (err) {
        // Report like any failed dial (asynchronously, as the callbacks expect), never throw.
        let cancelled = false;
        queueMicrotask(() => cancelled || cb.failed(err as Error));
        return { cancel: () => void (cancelled = true) };
      }
      socket = tlsConnect({ host: target.host, port: target.port, ...clientTlsOptions(material) });
      readyEvent = 'secureConnect';
    }
    let done = false;
    const onError = (err: Error): void => {
      if (done) return;
      done = true;
      socket.destroy();
      cb.failed(err);
    };
    socket.once('error', onError);
    socket.once(readyEvent, () => {
      if (done) return;
      done = true;
      socket.off('error', onError);
      socket.setNoDelay?.(true);
      // Plain sockets move onto an FdStream before Node's first read (see fd-stream.ts).
      cb.connected((target.transport === 'ssl' ? undefined : adoptSocket(socket)) ?? socket);
    });
    return {
      cancel() {
        if (done) return;
        done = true;
        socket.destroy();
      },
    };
  };
}
