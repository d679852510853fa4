/*
 * FdStream (src/connmgr/fd-stream.ts) on real TCP and Unix sockets against node:net peers: data both
 * ways, kept chunks staying intact, backpressure and 'drain', half-close, end(), reset, destroy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adoptSocket, FdStream } from '../../src/connmgr/fd-stream.js';
import { Waiters } from '../support/waiters.js';

const dir = mkdtempSync(join(tmpdir(), 'ofdp-fdstream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let serial = 0;

interface Pair {
  ours: FdStream;
  peer: Socket;
  server: Server;
}

/** A connection accepted the way the listener does (pauseOnConnect, then adopted). */
async function pair(kind: 'tcp' | 'unix'): Promise<Pair> {
  let resolveOurs: (s: FdStream) => void = () => {};
  const oursP = new Promise<FdStream>((r) => (resolveOurs = r));
  const server = createServer({ pauseOnConnect: true }, (s) => {
    const a = adoptSocket(s);
    if (!a) throw new Error('adoptSocket refused an accepted socket');
    resolveOurs(a);
  });
  const path = join(dir, `s${process.pid}-${serial++}.sock`);
  if (kind === 'unix') server.listen(path);
  else server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const peer =
    kind === 'unix'
      ? connect({ path })
      : connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' });
  await once(peer, 'connect');
  return { ours: await oursP, peer, server };
}

function collect(s: FdStream): {
  bytes: () => Buffer;
  chunks: Buffer[];
  atLeast: (n: number) => Promise<true>;
} {
  const chunks: Buffer[] = [];
  const waiters = new Waiters();
  const bytes = (): Buffer => Buffer.concat(chunks);
  s.on('data', (c) => {
    chunks.push(c);
    waiters.notify();
  });
  /** Resolves once `n` bytes have arrived in all. */
  const atLeast = (n: number): Promise<true> =>
    waiters.until(
      () => bytes().length >= n || undefined,
      10_000,
      () => `only ${bytes().length} of ${n} bytes arrived`,
    );
  return { bytes, chunks, atLeast };
}

const closed = (s: FdStream): Promise<void> => new Promise((r) => s.on('close', r));

describe.each(['tcp', 'unix'] as const)('FdStream over %s', (kind) => {
  it('carries bytes both ways, and chunks it handed out stay intact', async () => {
    const { ours, peer, server } = await pair(kind);
    try {
      const got = collect(ours);
      const sent: Buffer[] = [];
      for (let i = 0; i < 200; i++) {
        const b = randomBytes(1 + (i % 97));
        sent.push(b);
        peer.write(b);
        // Interleave so that reads land in many separate chunks of the same slab.
        if (i % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      const all = Buffer.concat(sent);
      await got.atLeast(all.length);
      expect(got.chunks.length).toBeGreaterThan(1);
      expect(got.bytes().equals(all)).toBe(true); // the first chunks were not overwritten

      const back: Buffer[] = [];
      peer.on('data', (d: Buffer) => back.push(d));
      expect(ours.write(Buffer.from('hello, peer'))).toBe(true);
      while (Buffer.concat(back).length < 11) await once(peer, 'data');
      expect(Buffer.concat(back).toString()).toBe('hello, peer');
    } finally {
      peer.destroy();
      server.close();
    }
  });

  it('queues what the kernel will not take, says so, and drains it in order', async () => {
    const { ours, peer, server } = await pair(kind);
    try {
      peer.pause();
      const big = randomBytes(256 * 1024);
      let accepted = true;
      let writes = 0;
      const hash = createHash('sha256');
      // Write until the socket buffers are full and FdStream starts queueing.
      while (accepted && writes < 200) {
        accepted = ours.write(big);
        hash.update(big);
        writes++;
      }
      expect(accepted).toBe(false);
      expect(ours.writableLength).toBeGreaterThan(0);
      const drained = new Promise<void>((r) => ours.on('drain', r));
      const recv = createHash('sha256');
      let n = 0;
      peer.on('data', (d: Buffer) => {
        recv.update(d);
        n += d.length;
      });
      peer.resume();
      await drained;
      expect(ours.writableLength).toBe(0);
      while (n < writes * big.length) await once(peer, 'data');
      expect(n).toBe(writes * big.length);
      expect(recv.digest('hex')).toBe(hash.digest('hex'));
    } finally {
      peer.destroy();
      server.close();
    }
  });

  it('answers a peer that half-closes after its request, then closes', async () => {
    const { ours, peer, server } = await pair(kind);
    try {
      ours.on('data', (c) => ours.write(Buffer.from(`echo:${c.toString()}`)));
      const done = closed(ours);
      const back: Buffer[] = [];
      peer.on('data', (d: Buffer) => back.push(d));
      const peerEnded = once(peer, 'end');
      peer.end('request');
      await done;
      await peerEnded;
      expect(Buffer.concat(back).toString()).toBe('echo:request');
    } finally {
      peer.destroy();
      server.close();
    }
  });

  it('end() sends what is queued, then EOF, and closes when the peer does', async () => {
    const { ours, peer, server } = await pair(kind);
    try {
      let closes = 0;
      ours.on('close', () => closes++);
      const done = closed(ours);
      const back: Buffer[] = [];
      peer.on('data', (d: Buffer) => back.push(d));
      const peerEnded = once(peer, 'end');
      ours.write(Buffer.from('last words'));
      ours.end();
      expect(ours.write(Buffer.from('too late'))).toBe(false);
      await peerEnded;
      expect(Buffer.concat(back).toString()).toBe('last words');
      expect(ours.writableFinished).toBe(true);
      peer.end();
      await done;
      await new Promise((r) => setImmediate(r));
      expect(closes).toBe(1);
    } finally {
      peer.destroy();
      server.close();
    }
  });

  it('destroy() closes once, after the call returns, and ignores later writes', async () => {
    const { ours, peer, server } = await pair(kind);
    try {
      let closes = 0;
      ours.on('close', () => closes++);
      const peerClosed = once(peer, 'close');
      ours.destroy();
      expect(closes).toBe(0);
      ours.destroy();
      expect(ours.write(Buffer.from('x'))).toBe(false);
      await peerClosed;
      expect(closes).toBe(1);
    } finally {
      peer.destroy();
      server.close();
    }
  });
});

describe('FdStream errors and adoption', () => {
  it('reports a reset connection as an error, then closes', async () => {
    const { ours, peer, server } = await pair('tcp');
    try {
      const errors: Error[] = [];
      ours.on('error', (e) => errors.push(e));
      const done = closed(ours);
      peer.resetAndDestroy();
      await done;
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/ECONNRESET/);
    } finally {
      server.close();
    }
  });

  it.each(['tcp', 'unix'] as const)(
    'over %s, delivers what the peer sent before it reset, then the error',
    async (kind) => {
      const { ours, peer, server } = await pair(kind);
      try {
        const got = collect(ours);
        const errors: Error[] = [];
        ours.on('error', (e) => errors.push(e));
        const done = closed(ours);
        // Data the peer never reads makes its close a reset (TCP RST; ECONNRESET on Unix too).
        ours.write(Buffer.from('hello, never read'));
        await new Promise((r) => setImmediate(r));
        const sent = randomBytes(1000);
        peer.write(sent, () => peer.destroy());
        await done;
        expect(got.bytes().equals(sent)).toBe(true);
        expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/ECONNRESET|EPIPE/)]);
      } finally {
        server.close();
      }
    },
  );

  it('keeps its descriptor from children spawned later (close-on-exec)', async () => {
    const { ours, peer, server } = await pair('tcp');
    try {
      const fd = (ours as unknown as { fd: number }).fd;
      const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
      expect(parseInt(flags, 8) & 0o2000000).toBe(0o2000000);
    } finally {
      peer.destroy();
      server.close();
    }
  });

  it('leaves a socket without a descriptor of its own alone', () => {
    const s = new Socket();
    expect(adoptSocket(s)).toBeUndefined();
    expect(s.destroyed).toBe(false);
    s.destroy();
  });
});
