/*
 * The one thing the channel needs from a transport: a duplex byte stream.
 *
 * Node's net.Socket and tls.TLSSocket satisfy it as they are; tests can hand in a PassThrough pair or
 * a hand-written fake. The channel never asks what is underneath (TCP, TLS, Unix), so src/openflow
 * stays free of socket code.
 */

export interface ByteStream {
  /** Queues bytes for sending. The stream may keep a reference to `buf`: never reuse it afterwards. */
  write(buf: Buffer): unknown;
  /** Half-closes after queued bytes are flushed. */
  end(): unknown;
  /** Closes at once, dropping queued bytes (optional; `end()` is used when absent). */
  destroy?(): unknown;
  /** Bytes queued by write() but not yet handed to the kernel (net.Socket has it). */
  readonly writableLength?: number;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'drain', listener: () => void): unknown;
}
