/*
 * The test listener itself: what it sends on accept, how it answers, what it records (one message
 * split across writes, several in one write).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFPBRC, OFPET, OFPST, OFPT } from '../../src/openflow/constants.js';
import { decodeMessage, encodeMessage } from '../../src/openflow/codec.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import { startTestListener, testPort, type TestListener } from './ofp-test-listener.js';

/** A client connection that decodes what the listener sends. */
async function client(port: number): Promise<{ sock: net.Socket; next(): Promise<OfpMessage> }> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  let buf = Buffer.alloc(0);
  const queue: OfpMessage[] = [];
  let wake: (() => void) | undefined;
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8 && buf.length >= buf.readUInt16BE(2)) {
      const len = buf.readUInt16BE(2);
      queue.push(decodeMessage(buf.subarray(0, len)));
      buf = buf.subarray(len);
    }
    wake?.();
  });
  return {
    sock,
    async next() {
      while (!queue.length) await new Promise<void>((r) => (wake = r));
      return queue.shift()!;
    },
  };
}

describe('ofp test listener', () => {
  let l: TestListener;
  beforeAll(async () => {
    l = await startTestListener({ ports: [testPort(1, 'p1')], datapathId: 0x42n });
  });
  afterAll(() => l.close());

  it('says hello, answers requests and records them', async () => {
    const c = await client(l.port);
    try {
      expect((await c.next()).type).toBe(OFPT.HELLO);
      const features = encodeMessage({ type: OFPT.FEATURES_REQUEST, xid: 7 });
      const vendor = encodeMessage({ type: OFPT.VENDOR, xid: 8, vendor: 0x2320, data: Buffer.alloc(8) });
      const stats = encodeMessage({
        type: OFPT.STATS_REQUEST,
        xid: 9,
        stats_type: OFPST.TABLE,
        flags: 0,
        body: null,
      });
      const barrier = encodeMessage({ type: OFPT.BARRIER_REQUEST, xid: 10 });
      const all = Buffer.concat([features, vendor, stats, barrier]);
      // One message split across writes, the rest pipelined in one write.
      c.sock.write(all.subarray(0, 3));
      c.sock.write(all.subarray(3));
      const reply = await c.next();
      expect(reply).toMatchObject({ type: OFPT.FEATURES_REPLY, xid: 7, datapath_id: 0x42n });
      expect((reply as Extract<OfpMessage, { type: 6 }>).ports.map((p) => p.name)).toEqual(['p1']);
      expect(await c.next()).toMatchObject({
        type: OFPT.ERROR,
        xid: 8,
        err_type: OFPET.BAD_REQUEST,
        code: OFPBRC.BAD_VENDOR,
        data: vendor,
      });
      expect(await c.next()).toMatchObject({ type: OFPT.STATS_REPLY, xid: 9, stats_type: OFPST.TABLE });
      expect(await c.next()).toMatchObject({ type: OFPT.BARRIER_REPLY, xid: 10 });
      const rec = await l.waitFor((r) => r.msg?.type === OFPT.BARRIER_REQUEST);
      expect(rec.raw.equals(barrier)).toBe(true);
      expect(l.received.map((r) => r.msg?.type)).toEqual([
        OFPT.FEATURES_REQUEST,
        OFPT.VENDOR,
        OFPT.STATS_REQUEST,
        OFPT.BARRIER_REQUEST,
      ]);
    } finally {
      c.sock.destroy();
    }
  });
});
