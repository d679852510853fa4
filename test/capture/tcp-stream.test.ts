/*
 * The pcap reader and both TCP reassembly policies, on synthetic captures: in-order, split,
 * retransmitted and reordered segments, FIN/RST, and the exact ovs-ofctl behaviour ('ovs').
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readPcap, PcapFormatError } from '../../src/capture/pcap.js';
import {
  TcpReassembler,
  parseTcpSegment,
  TCP_FIN,
  TCP_SYN,
  type TcpSegment,
} from '../../src/capture/tcp-stream.js';
import { capturedMessages } from '../../src/capture/parse-pcap.js';

const A = 0x7f000001;
const B = 0x7f000002;

function frame(seg: Omit<TcpSegment, 'payload'> & { payload?: Buffer }): Buffer {
  const payload = seg.payload ?? Buffer.alloc(0);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  ip.writeUInt32BE(seg.srcIp, 12);
  ip.writeUInt32BE(seg.dstIp, 16);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(seg.srcPort, 0);
  tcp.writeUInt16BE(seg.dstPort, 2);
  tcp.writeUInt32BE(seg.seq >>> 0, 4);
  tcp[12] = 5 << 4;
  tcp[13] = seg.flags | 0x10;
  return Buffer.concat([eth, ip, tcp, payload]);
}

function pcap(frames: Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const recs = frames.map((f, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1000 + i, 0);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    return Buffer.concat([h, f]);
  });
  return Buffer.concat([head, ...recs]);
}

const hello = (xid: number): Buffer => Buffer.from([1, 0, 0, 8, 0, 0, 0, xid]);
const echo = (xid: number, n: number): Buffer => {
  const b = Buffer.alloc(8 + n, 0xab);
  b.writeUInt32BE(0x01020000 | (8 + n), 0);
  b.writeUInt32BE(xid, 4);
  return b;
};

const seg = (seq: number, payload: Buffer, flags = 0): Omit<TcpSegment, 'payload'> & { payload: Buffer } => ({
  srcIp: A,
  dstIp: B,
  srcPort: 40000,
  dstPort: 6653,
  seq,
  flags,
  payload,
});

describe('pcap reader', () => {
  it('reads records in both byte orders and rejects pcapng', () => {
    const le = pcap([frame(seg(1, hello(1)))]);
    expect(readPcap(le).records[0]!.data.length).toBe(62);
    const be = Buffer.from(le);
    be.writeUInt32BE(0xa1b2c3d4, 0);
    be.writeUInt32BE(1, 20);
    be.writeUInt32BE(le.readUInt32LE(24), 24);
    be.writeUInt32BE(le.readUInt32LE(28), 28);
    be.writeUInt32BE(le.readUInt32LE(32), 32);
    be.writeUInt32BE(le.readUInt32LE(36), 36);
    expect(readPcap(be).records[0]!.data.equals(readPcap(le).records[0]!.data)).toBe(true);
    expect(() =>
      readPcap(Buffer.from('0a0d0d0a00000000000000000000000000000000000000000000', 'hex')),
    ).toThrow(PcapFormatError);
  });

  it('stops at a record cut short by the end of the file', () => {
    const p = pcap([frame(seg(1, hello(1))), frame(seg(9, hello(2)))]);
    expect(readPcap(p.subarray(0, p.length - 3)).records.length).toBe(1);
  });
});

describe('TCP reassembly', () => {
  const stream = Buffer.concat([hello(1), echo(2, 30), hello(3), echo(4, 5)]);
  const isn = 1000;

  function run(frames: Buffer[], policy: 'ovs' | 'reassemble'): number[] {
    return [...capturedMessages(pcap(frames), [6653], policy)].map((m) => m.bytes.readUInt32BE(4));
  }

  it('frames messages split across segments and several per segment', () => {
    const cuts = [0, 3, 8, 20, 46, 50, stream.length];
    const frames = [frame(seg(isn - 1, Buffer.alloc(0), TCP_SYN))];
    for (let i = 0; i + 1 < cuts.length; i++)
      frames.push(frame(seg(isn + cuts[i]!, stream.subarray(cuts[i], cuts[i + 1]))));
    expect(run(frames, 'ovs')).toEqual([1, 2, 3, 4]);
    expect(run(frames, 'reassemble')).toEqual([1, 2, 3, 4]);
  });

  it("'reassemble' survives any order of segments, duplicates and overlaps", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (cutList, order) => {
          const cuts = [0, ...cutList.sort((a, b) => a - b), stream.length];
          const segs = [];
          for (let i = 0; i + 1 < cuts.length; i++)
            segs.push(seg(isn + cuts[i]!, stream.subarray(cuts[i], cuts[i + 1])));
          // Reorder, then add duplicates and an overlapping retransmission.
          for (const k of order) {
            const i = k % segs.length;
            const j = (k >> 3) % segs.length;
            [segs[i], segs[j]] = [segs[j]!, segs[i]!];
          }
          const extra = segs.slice(0, 2).concat(seg(isn + 2, stream.subarray(2, 30)));
          const frames = [frame(seg(isn - 1, Buffer.alloc(0), TCP_SYN)), ...[...segs, ...extra].map(frame)];
          expect(run(frames, 'reassemble')).toEqual([1, 2, 3, 4]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("'ovs' drops out-of-order data and data riding on FIN, as ovs-ofctl does", () => {
    const syn = frame(seg(isn - 1, Buffer.alloc(0), TCP_SYN));
    const first = frame(seg(isn, hello(1)));
    const third = frame(seg(isn + 8 + 38, hello(3)));
    const second = frame(seg(isn + 8, echo(2, 30)));
    expect(run([syn, first, third, second], 'ovs')).toEqual([1, 2]);
    expect(run([syn, first, third, second], 'reassemble')).toEqual([1, 2, 3]);
    const finData = frame(seg(isn, hello(1), TCP_FIN));
    expect(run([syn, finData], 'ovs')).toEqual([]);
    expect(run([syn, finData], 'reassemble')).toEqual([1]);
  });

  it('keys streams by 4-tuple and direction', () => {
    const r = new TcpReassembler('reassemble');
    const a = seg(10, hello(1));
    const b = { ...seg(500, hello(2)), srcIp: B, dstIp: A, srcPort: 6653, dstPort: 40000 };
    expect(r.push(a)?.readUInt32BE(4)).toBe(1);
    expect(r.push(b)?.readUInt32BE(4)).toBe(2);
    expect(parseTcpSegment(frame(a), 1)?.payload.equals(hello(1))).toBe(true);
    expect(parseTcpSegment(frame(a), 228)).toBeUndefined();
  });
});
