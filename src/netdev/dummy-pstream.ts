/*
 * The dummy device as a stream, as Open vSwitch's netdev-dummy `pstream`/`stream` options: a Unix
 * stream socket carries Ethernet frames, each preceded by its length as a 2-byte big-endian
 * integer. Frames arriving on any connection are received by the device (DummyDevice.receive);
 * frames the device transmits go to every connection. External tools (a test harness, another
 * switch's dummy port) can so drive a switch port without privileges.
 *
 * Invariants: the reader reassembles frames across arbitrary chunk boundaries; a zero length or a
 * frame longer than MAX_FRAME is a framing error and closes that connection only. While a stream is
 * attached the device's transmitted frames go to the stream, not to takeSent().
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { unlinkSync } from 'node:fs';
import { DummyProvider, type DummyDevice, type DummyOptions } from './dummy.js';
import type { NetdevProvider } from './provider.js';

/** Largest frame the 2-byte length can carry. */
export const MAX_FRAME = 0xffff;

export function encodeFrame(frame: Buffer): Buffer {
  if (frame.length === 0 || frame.length > MAX_FRAME) throw new RangeError(`frame of ${frame.length} bytes`);
  const out = Buffer.allocUnsafe(2 + frame.length);
  out.writeUInt16BE(frame.length, 0);
  frame.copy(out, 2);
  return out;
}

/** Reassembles length-prefixed frames from stream chunks. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Returns the complete frames in `chunk` (plus what was pending); throws RangeError on a zero length. */
  push(chunk: Buffer): Buffer[] {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len === 0) throw new RangeError('zero-length frame');
      if (buf.length < 2 + len) break;
      out.push(Buffer.from(buf.subarray(2, 2 + len)));
      buf = buf.subarray(2 + len);
    }
    this.pending = Buffer.from(buf);
    return out;
  }
}

export interface DummyStream {
  /** Open connections. */
  readonly connections: number;
  close(): Promise<void>;
}

function attach(dev: DummyDevice, conns: Set<Socket>, s: Socket): void {
  conns.add(s);
  const reader = new FrameReader();
  s.on('data', (chunk: Buffer) => {
    try {
      const frames = reader.push(chunk);
      if (frames.length) dev.receive(...frames);
    } catch {
      s.destroy();
    }
  });
  s.on('close', () => conns.delete(s));
  s.on('error', () => s.destroy());
}

/**
 * Sends what `dev` transmits to every connection in `conns`; the handle's close() stops that, then
 * runs `closeSockets`.
 */
function hook(dev: DummyDevice, conns: Set<Socket>, closeSockets: () => Promise<void> | void): DummyStream {
  dev.setTransmitHook((f) => {
    if (f.length === 0 || f.length > MAX_FRAME) return;
    const enc = encodeFrame(f);
    for (const s of conns) s.write(enc);
  });
  return {
    get connections() {
      return conns.size;
    },
    async close() {
      dev.setTransmitHook(undefined);
      await closeSockets();
    },
  };
}

/** Listens on the Unix socket `path` (`punix:PATH`) for connections carrying `dev`'s frames. */
export async function listenDummyStream(dev: DummyDevice, path: string): Promise<DummyStream> {
  const conns = new Set<Socket>();
  const server: Server = createServer((s) => attach(dev, conns, s));
  try {
    unlinkSync(path);
  } catch {
    // nothing stale to remove
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return hook(dev, conns, async () => {
    for (const s of conns) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
}

/** Connects `dev` to the Unix socket `path` (`unix:PATH`), e.g. another dummy port's pstream. */
export async function connectDummyStream(dev: DummyDevice, path: string): Promise<DummyStream> {
  const conns = new Set<Socket>();
  const s = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  attach(dev, conns, s);
  return hook(dev, conns, () => void s.destroy());
}

export interface DummyStreamOptions extends DummyOptions {
  /** Listen for stream connections: "punix:PATH" (or a bare path). */
  pstream?: string;
  /** Connect to a listening stream: "unix:PATH" (or a bare path). */
  stream?: string;
}

/**
 * The dummy provider with Open vSwitch's `pstream`/`stream` options: a device opened with one of
 * them is attached to the stream until it is closed.
 */
export class DummyStreamProvider implements NetdevProvider {
  readonly type = 'dummy';
  constructor(readonly inner: DummyProvider = new DummyProvider()) {}

  async open(name: string, options: DummyStreamOptions = {}): Promise<DummyDevice> {
    const fresh = !this.inner.devices.has(name);
    const dev = await this.inner.open(name, options);
    if (!fresh || (!options.pstream && !options.stream)) return dev;
    const stream = options.pstream
      ? await listenDummyStream(dev, options.pstream.replace(/^punix:/, ''))
      : await connectDummyStream(dev, options.stream!.replace(/^unix:/, ''));
    const close = dev.close.bind(dev);
    dev.close = async () => {
      await stream.close();
      await close();
    };
    return dev;
  }
}
