/*
 * Offload undoing (offload.ts), checked against independent reference computations: VLAN
 * re-insertion, partial-checksum completion, and TCP segmentation of GSO super-frames (payload
 * preserved, lengths, IDs, sequence numbers, flags and every checksum right).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completeChecksum, insertVlan, segmentTcp, segmentUdp } from '../../src/netdev/linux/offload.js';

/** Reference Internet checksum over the given byte arrays concatenated (RFC 1071). */
function refSum(...parts: Uint8Array[]): number {
  const all = Buffer.concat(parts);
  let s = 0;
  for (let i = 0; i < all.length; i += 2) s += (all[i]! << 8) + (i + 1 < all.length ? all[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

interface Built {
  frame: Buffer;
  l3: number;
  l4: number;
  payload: Buffer;
  v6: boolean;
}

function buildTcp(
  v6: boolean,
  vlan: boolean,
  payload: Buffer,
  flags: number,
  seq: number,
  optLen = 0,
): Built {
  const eth = Buffer.alloc(vlan ? 18 : 14);
  eth.writeUIntBE(0x020000000001, 0, 6);
  eth.writeUIntBE(0x020000000002, 6, 6);
  if (vlan) {
    eth.writeUInt16BE(0x8100, 12);
    eth.writeUInt16BE(0x0064, 14);
  }
  eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, vlan ? 16 : 12);
  const tcp = Buffer.alloc(20 + optLen);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(80, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(12345, 8);
  tcp[12] = ((20 + optLen) / 4) << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(65535, 14);
  for (let i = 20; i < 20 + optLen; i++) tcp[i] = 1; // NOPs
  let ip: Buffer;
  if (v6) {
    ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(tcp.length + payload.length, 4);
    ip[6] = 6;
    ip[7] = 64;
    Buffer.from('20010db8000000000000000000000001', 'hex').copy(ip, 8);
    Buffer.from('20010db8000000000000000000000002', 'hex').copy(ip, 24);
  } else {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + tcp.length + payload.length, 2);
    ip.writeUInt16BE(0xfff0, 4); // ID near wrap-around
    ip[8] = 64;
    ip[9] = 6;
    ip.writeUInt32BE(0xc0000201, 12);
    ip.writeUInt32BE(0xc0000202, 16);
  }
  const frame = Buffer.concat([eth, ip, tcp, payload]);
  return { frame, l3: eth.length, l4: eth.length + ip.length, payload, v6 };
}

function pseudo(f: Buffer, l3: number, v6: boolean, l4len: number, proto: number): Buffer {
  const p = Buffer.alloc(v6 ? 40 : 12);
  if (v6) {
    f.copy(p, 0, l3 + 8, l3 + 40);
    p.writeUInt32BE(l4len, 32);
    p[39] = proto;
  } else {
    f.copy(p, 0, l3 + 12, l3 + 20);
    p[9] = proto;
    p.writeUInt16BE(l4len, 10);
  }
  return p;
}

describe('offload undoing', () => {
  it('re-inserts a VLAN tag in front of the EtherType using the headroom', () => {
    const buf = Buffer.alloc(4 + 20);
    const frame = Buffer.from('ffffffffffff0200000000010800aabbccddeeff', 'hex');
    frame.copy(buf, 4);
    const off = insertVlan(buf, 4, 0x8100, 0xe064);
    expect(off).toBe(0);
    expect(buf.toString('hex')).toBe('ffffffffffff020000000001' + '8100e064' + '0800aabbccddeeff');
  });

  it('completes partial TCP and UDP checksums (pseudo-header sum in the field)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 1500 }),
        fc.boolean(),
        fc.boolean(),
        (data, v6, udp) => {
          const b = buildTcp(v6, false, Buffer.from(data), 0x18, 1);
          const f = b.frame;
          const proto = udp ? 17 : 6;
          if (udp) {
            // Turn the L4 header into a UDP header (8 bytes) followed by the rest as payload.
            f[v6 ? b.l3 + 6 : b.l3 + 9] = 17;
            f.writeUInt16BE(f.length - b.l4, b.l4 + 4);
          }
          const l4len = f.length - b.l4;
          const csumOff = udp ? 6 : 16;
          // What a stack with checksum offload leaves: the folded pseudo-header sum, not complemented.
          f.writeUInt16BE(0, b.l4 + csumOff);
          f.writeUInt16BE(refSum(pseudo(f, b.l3, v6, l4len, proto)), b.l4 + csumOff);
          completeChecksum(f, 0, f.length, b.l4, csumOff);
          expect(refSum(pseudo(f, b.l3, v6, l4len, proto), f.subarray(b.l4))).toBe(0xffff);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('segments TCP super-frames exactly as GSO would', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20000 }),
        fc.integer({ min: 88, max: 1460 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(0x10, 0x18, 0x19, 0x98, 0xd9),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.constantFrom(0, 12),
        (plen, mss, v6, vlan, flags, seq, opt) => {
          const payload = Buffer.alloc(plen);
          for (let i = 0; i < plen; i++) payload[i] = (i * 31 + 7) & 0xff;
          const b = buildTcp(v6, vlan, payload, flags, seq, opt);
          const arena = Buffer.alloc(1 << 20);
          let used = 0;
          const segs: Buffer[] = [];
          const n = segmentTcp(
            b.frame,
            0,
            b.frame.length,
            mss,
            (len) => {
              const o = used;
              used += len;
              return { buf: arena, off: o };
            },
            (buf, off, len) => segs.push(Buffer.from(buf.subarray(off, off + len))),
          );
          expect(n).toBe(Math.ceil(plen / mss));
          expect(segs.length).toBe(n);
          const hdr = b.l4 + 20 + opt;
          const joined = Buffer.concat(segs.map((s) => s.subarray(hdr)));
          expect(joined.equals(payload)).toBe(true);
          segs.forEach((s, i) => {
            expect(s.length - hdr).toBeLessThanOrEqual(mss);
            expect(s.subarray(0, b.l3).equals(b.frame.subarray(0, b.l3))).toBe(true);
            const l4len = s.length - b.l4;
            if (v6) expect(s.readUInt16BE(b.l3 + 4)).toBe(l4len);
            else {
              expect(s.readUInt16BE(b.l3 + 2)).toBe(s.length - b.l3);
              expect(s.readUInt16BE(b.l3 + 4)).toBe((0xfff0 + i) & 0xffff);
              expect(refSum(s.subarray(b.l3, b.l3 + 20))).toBe(0xffff);
            }
            expect(s.readUInt32BE(b.l4 + 4)).toBe((seq + i * mss) >>> 0);
            const fl = s[b.l4 + 13]!;
            const last = i === n - 1;
            expect(fl & 0x09).toBe(last ? flags & 0x09 : 0);
            expect(fl & 0x80).toBe(i === 0 ? flags & 0x80 : 0);
            expect(fl & 0x52).toBe(flags & 0x52); // other flags untouched
            expect(refSum(pseudo(s, b.l3, v6, l4len, 6), s.subarray(b.l4))).toBe(0xffff);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('segments UDP_SEGMENT super-datagrams into datagrams with their own lengths and checksums', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20000 }),
        fc.integer({ min: 64, max: 1472 }),
        fc.boolean(),
        fc.boolean(),
        (plen, size, v6, vlan) => {
          const payload = Buffer.alloc(plen);
          for (let i = 0; i < plen; i++) payload[i] = (i * 13 + 1) & 0xff;
          // Reuse the TCP builder, then turn its L4 header into UDP (8 bytes) + payload.
          const t = buildTcp(v6, vlan, Buffer.alloc(0), 0, 0);
          const hdr = Buffer.from(t.frame.subarray(0, t.l4 + 8));
          hdr[v6 ? t.l3 + 6 : t.l3 + 9] = 17;
          hdr.writeUInt16BE(8 + plen, t.l4 + 4);
          const f = Buffer.concat([hdr, payload]);
          const segs: Buffer[] = [];
          const n = segmentUdp(
            f,
            0,
            f.length,
            size,
            (len) => ({ buf: Buffer.alloc(len), off: 0 }),
            (buf, off, len) => segs.push(Buffer.from(buf.subarray(off, off + len))),
          );
          expect(n).toBe(Math.ceil(plen / size));
          expect(Buffer.concat(segs.map((s) => s.subarray(t.l4 + 8))).equals(payload)).toBe(true);
          segs.forEach((s, i) => {
            const l4len = s.length - t.l4;
            expect(s.readUInt16BE(t.l4 + 4)).toBe(l4len);
            if (!v6) {
              expect(s.readUInt16BE(t.l3 + 2)).toBe(s.length - t.l3);
              expect(s.readUInt16BE(t.l3 + 4)).toBe((0xfff0 + i) & 0xffff);
              expect(refSum(s.subarray(t.l3, t.l3 + 20))).toBe(0xffff);
            } else expect(s.readUInt16BE(t.l3 + 4)).toBe(l4len);
            expect(s.readUInt16BE(t.l4 + 6)).not.toBe(0);
            expect(refSum(pseudo(s, t.l3, v6, l4len, 17), s.subarray(t.l4))).toBe(0xffff);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses to segment what is not TCP', () => {
    const b = buildTcp(false, false, Buffer.alloc(3000), 0x10, 0);
    b.frame[b.l3 + 9] = 17;
    expect(
      segmentTcp(
        b.frame,
        0,
        b.frame.length,
        1000,
        () => ({ buf: Buffer.alloc(4000), off: 0 }),
        () => {},
      ),
    ).toBe(0);
  });
});
