/*
 * The one door to fd-stream.ts for the listener and the dialer: on Linux, adoptSocket moves a plain
 * socket onto an FdStream; elsewhere it declines and node:net keeps the socket. fd-stream.ts loads
 * libc through koffi as it is imported, so it is imported only on Linux — the connection manager
 * must load on any platform (the BSD provider's, for one).
 */
import type { Socket } from 'node:net';
import type { FdStream } from './fd-stream.js';

const fdStream = process.platform === 'linux' ? await import('./fd-stream.js') : undefined;

/** The socket's FdStream, or undefined when the socket stays as it is (see fd-stream.ts). */
export function adoptSocket(socket: Socket): FdStream | undefined {
  return fdStream?.adoptSocket(socket);
}

/** Whether `s` is an FdStream (without loading fd-stream.ts where it is not used). */
export function isFdStream(s: object): s is FdStream {
  return fdStream !== undefined && s instanceof fdStream.FdStream;
}
