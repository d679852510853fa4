/*
 * The dummy port as a Unix stream with 2-byte big-endian length framing (Open vSwitch's
 * netdev-dummy pstream): reassembly at every split point, an external client driving a port,
 * two dummy ports joined through a stream, and a framing error closing only its connection.
 */
import fc from 'fast-check';
import { createConnection, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { DummyProvider } from '../../src/netdev/dummy.js';
import {
  FrameReader,
  connectDummyStream,
  encodeFrame,
  listenDummyStream,
} from '../../src/netdev/dummy-pstream.js';
import type { RxBatch } from '../../src/netdev/provider.js';

const dir = mkdtempSync(join(tmpdir(), 'ofdp-pstream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function frames(n: number, seed: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.alloc(14 + ((i * 37 + seed) % 200), (i + seed) & 0xff));
}

function copyBatch(b: RxBatch, into: Buffer[]): void {
  for (let i = 0; i < b.count; i++)
    into.push(Buffer.from(b.bufs[i]!.subarray(b.offs[i]!, b.offs[i]! + b.lens[i]!)));
}

function connect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path, () => resolve(s));
    s.once('error', reject);
  });
}

describe('dummy pstream', () => {
  it('reassembles frames split at every offset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 50 }),
        (fs, step) => {
          const stream = Buffer.concat(fs.map((f) => encodeFrame(Buffer.from(f))));
          for (let cut = 0; cut <= stream.length; cut++) {
            const r = new FrameReader();
            const got = [...r.push(stream.subarray(0, cut))];
            for (let o = cut; o < stream.length; o += step)
              got.push(...r.push(stream.subarray(o, Math.min(o + step, stream.length))));
            expect(got.map((g) => g.toString('hex'))).toEqual(fs.map((f) => Buffer.from(f).toString('hex')));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('lets an external client inject frames and read what the port sends', async () => {
    const dev = await new DummyProvider().open('ps1');
    const got: Buffer[] = [];
    let gotAll: () => void = () => {};
    const arrived = new Promise<void>((r) => (gotAll = r));
    dev.startReceive((b) => {
      copyBatch(b, got);
      if (got.length === 10) gotAll();
    });
    const path = join(dir, 'ps1.sock');
    const ps = await listenDummyStream(dev, path);
    const client = await connect(path);
    const sent = frames(10, 1);
    const bytes = Buffer.concat(sent.map(encodeFrame));
    client.write(bytes.subarray(0, 7));
    client.write(bytes.subarray(7));
    await arrived;
    expect(got.map((g) => g.toString('hex'))).toEqual(sent.map((f) => f.toString('hex')));
    // Port → client.
    const reader = new FrameReader();
    const back: Buffer[] = [];
    const out = frames(5, 9);
    const received = new Promise<void>((resolve) =>
      client.on('data', (d: Buffer) => {
        back.push(...reader.push(d));
        if (back.length === 5) resolve();
      }),
    );
    for (const f of out) dev.send(f, 0, f.length);
    dev.flush();
    await received;
    expect(back.map((g) => g.toString('hex'))).toEqual(out.map((f) => f.toString('hex')));
    expect(dev.takeSent()).toEqual([]); // went to the stream
    client.destroy();
    await ps.close();
    await dev.close();
  });

  it('joins two dummy ports through a stream', async () => {
    const p = new DummyProvider();
    const a = await p.open('pa');
    const b = await p.open('pb');
    const path = join(dir, 'pa.sock');
    const la = await listenDummyStream(a, path);
    const lb = await connectDummyStream(b, path);
    const atB: Buffer[] = [];
    const arrived = new Promise<void>((r) =>
      b.startReceive((batch) => {
        copyBatch(batch, atB);
        if (atB.length === 3) r();
      }),
    );
    const fs = frames(3, 4);
    for (const f of fs) a.send(f, 0, f.length);
    a.flush();
    await arrived;
    expect(atB.map((g) => g.toString('hex'))).toEqual(fs.map((f) => f.toString('hex')));
    await lb.close();
    await la.close();
  });

  it('opens dummy ports with pstream/stream options through the registry', async () => {
    const { defaultRegistry } = await import('../../src/netdev/registry.js');
    const r = defaultRegistry();
    const path = join(dir, 'reg.sock');
    const a = await r.open('dummy:ra', { pstream: `punix:${path}` });
    const b = await r.open('dummy:rb', { stream: `unix:${path}` });
    const got: Buffer[] = [];
    const arrived = new Promise<void>((res) =>
      a.startReceive((batch) => {
        copyBatch(batch, got);
        res();
      }),
    );
    const f = Buffer.alloc(60, 0x5a);
    b.send(f, 0, f.length);
    b.flush();
    await arrived;
    expect(got[0]!.equals(f)).toBe(true);
    await b.close();
    await a.close();
  });

  it('closes only the connection that breaks the framing', async () => {
    const dev = await new DummyProvider().open('ps2');
    const path = join(dir, 'ps2.sock');
    const ps = await listenDummyStream(dev, path);
    const bad = await connect(path);
    const good = await connect(path);
    const closed = new Promise<void>((r) => bad.on('close', () => r()));
    bad.write(Buffer.from([0, 0, 1, 2]));
    await closed;
    const got: Buffer[] = [];
    const arrived = new Promise<void>((r) =>
      dev.startReceive((b) => {
        copyBatch(b, got);
        r();
      }),
    );
    good.write(encodeFrame(Buffer.alloc(20, 7)));
    await arrived;
    expect(got[0]!.equals(Buffer.alloc(20, 7))).toBe(true);
    expect(ps.connections).toBe(1);
    good.destroy();
    await ps.close();
    await dev.close();
  });
});
