import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ParsedFrame, keyToMatch, parseFrame } from '../../src/datapath/frame-key.js';
import { arpFrame, buildFrame, ip, mac } from './frames.js';

function parse(frame: Buffer, inPort = 1) {
  const p = new ParsedFrame();
  parseFrame(frame, 0, frame.length, inPort, p);
  return { p, m: keyToMatch(p.key) };
}

const A = mac('00:11:22:33:44:55');
const B = mac('66:77:88:99:aa:bb');

describe('frame → 12-tuple', () => {
  it('TCP over IPv4, untagged', () => {
    const f = buildFrame({
      src: A,
      dst: B,
      ip: { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), proto: 6, tos: 0xb9 },
      tcp: { src: 1234, dst: 80 },
    });
    expect(parse(f, 7).m).toEqual({
      wildcards: 0,
      in_port: 7,
      dl_src: A,
      dl_dst: B,
      dl_vlan: 0xffff,
      dl_vlan_pcp: 0,
      dl_type: 0x0800,
      nw_tos: 0xb8, // ECN bits cleared, DSCP in place
      nw_proto: 6,
      nw_src: ip('10.0.0.1'),
      nw_dst: ip('10.0.0.2'),
      tp_src: 1234,
      tp_dst: 80,
    });
  });

  it('802.1Q tag: VID, PCP and the inner type', () => {
    const f = buildFrame({
      vlan: { vid: 42, pcp: 5 },
      ip: { src: 1, dst: 2, proto: 17 },
      udp: { src: 53, dst: 5353 },
    });
    const { m, p } = parse(f);
    expect([m.dl_vlan, m.dl_vlan_pcp, m.dl_type, m.nw_proto, m.tp_src, m.tp_dst]).toEqual([
      42, 5, 0x0800, 17, 53, 5353,
    ]);
    expect(p.vlanOff).toBe(12);
    expect(p.ipOff).toBe(18);
  });

  it('ICMP: type and code as tp_src/tp_dst', () => {
    const { m } = parse(buildFrame({ ip: { src: 1, dst: 2, proto: 1 }, icmp: { type: 8, code: 3 } }));
    expect([m.tp_src, m.tp_dst]).toEqual([8, 3]);
  });

  it('ARP: opcode as nw_proto, sender/target IP as nw_src/nw_dst', () => {
    const { m } = parse(arpFrame(2, A, ip('192.168.0.1'), B, ip('192.168.0.2'), B));
    expect([m.dl_type, m.nw_proto, m.nw_src, m.nw_dst, m.tp_src, m.tp_dst]).toEqual([
      0x0806,
      2,
      ip('192.168.0.1'),
      ip('192.168.0.2'),
      0,
      0,
    ]);
  });

  it('802.3 without SNAP is dl_type 0x05ff; SNAP with a zero OUI gives its type', () => {
    const llc = Buffer.from([0x42, 0x42, 0x03, 0, 0, 0, 0, 0]);
    const f1 = buildFrame({ type: llc.length, raw: llc });
    expect(parse(f1).m.dl_type).toBe(0x05ff);
    const snap = Buffer.concat([
      Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]),
      buildFrame({ ip: { src: 9, dst: 10, proto: 17 }, udp: { src: 1, dst: 2 } }).subarray(14),
    ]);
    const { m } = parse(buildFrame({ type: snap.length, raw: snap }));
    expect([m.dl_type, m.nw_src, m.nw_dst, m.tp_src, m.tp_dst]).toEqual([0x0800, 9, 10, 1, 2]);
    const otherOui = Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0x00]);
    expect(parse(buildFrame({ type: 8, raw: otherOui })).m.dl_type).toBe(0x05ff);
  });

  it('fragments: the first keeps its ports, later ones have none', () => {
    const first = buildFrame({
      ip: { src: 1, dst: 2, proto: 6, moreFragments: true },
      tcp: { src: 10, dst: 20 },
    });
    const r1 = parse(first);
    expect([r1.m.tp_src, r1.m.tp_dst, r1.p.isFragment, r1.p.isLaterFragment]).toEqual([10, 20, true, false]);
    const later = buildFrame({
      ip: { src: 1, dst: 2, proto: 6, fragOffset: 185 },
      payload: Buffer.alloc(40, 0x55),
    });
    const r2 = parse(later);
    expect([r2.m.tp_src, r2.m.tp_dst, r2.m.nw_proto, r2.p.isLaterFragment, r2.p.l4Off]).toEqual([
      0,
      0,
      6,
      true,
      -1,
    ]);
  });

  it('truncated headers leave their fields zero', () => {
    const f = buildFrame({
      ip: { src: ip('1.2.3.4'), dst: ip('5.6.7.8'), proto: 6 },
      tcp: { src: 10, dst: 20 },
    });
    // IPv4 present, TCP cut short: nw fields set, ports zero.
    const cut = parse(f.subarray(0, 14 + 20 + 10)).m;
    expect([cut.nw_src, cut.nw_proto, cut.tp_src, cut.tp_dst]).toEqual([ip('1.2.3.4'), 6, 0, 0]);
    // IPv4 header cut short: only L2.
    const cut2 = parse(f.subarray(0, 14 + 19)).m;
    expect([cut2.dl_type, cut2.nw_src, cut2.nw_proto]).toEqual([0x0800, 0, 0]);
    // Less than an Ethernet header: only in_port.
    expect(parse(f.subarray(0, 13), 3).m).toMatchObject({
      in_port: 3,
      dl_src: 0,
      dl_dst: 0,
      dl_type: 0,
      dl_vlan: 0xffff,
    });
    // A VLAN TPID without its TCI.
    const v = buildFrame({ vlan: { vid: 5 }, ip: { src: 1, dst: 2, proto: 6 }, tcp: { src: 1, dst: 2 } });
    expect(parse(v.subarray(0, 16)).m).toMatchObject({ dl_type: 0x8100, dl_vlan: 0xffff });
  });

  it('Ethernet padding after the IP datagram is not taken for L4 header bytes', () => {
    // A 14-byte TCP "header" inside tot_len, padded to 60 bytes: too short to be TCP.
    const f = buildFrame({ ip: { src: 1, dst: 2, proto: 6 }, payload: Buffer.alloc(14, 1) });
    const padded = Buffer.concat([f, Buffer.alloc(60 - f.length)]);
    expect(parse(padded).m.tp_src).toBe(0);
  });

  it('never throws and never reads outside the frame, whatever the bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.nat(8),
        fc.integer({ min: 1, max: 0xfffe }),
        (bytes, pad, port) => {
          // Put the frame in the middle of a larger buffer filled with a marker, to catch overreads.
          const buf = Buffer.alloc(bytes.length + 2 * pad + 64, 0xee);
          buf.set(bytes, pad);
          const p = new ParsedFrame();
          parseFrame(buf, pad, bytes.length, port, p);
          const alone = new ParsedFrame();
          parseFrame(Buffer.from(bytes), 0, bytes.length, port, alone);
          expect(Array.from(p.key)).toEqual(Array.from(alone.key));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('every prefix of valid frames parses without throwing', () => {
    const frames = [
      buildFrame({ vlan: { vid: 1 }, ip: { src: 1, dst: 2, proto: 6 }, tcp: { src: 1, dst: 2 } }),
      buildFrame({ ip: { src: 1, dst: 2, proto: 17 }, udp: { src: 1, dst: 2 } }),
      arpFrame(1, A, 1, 0, 2),
    ];
    const p = new ParsedFrame();
    for (const f of frames) for (let n = 0; n <= f.length; n++) parseFrame(f, 0, n, 1, p);
  });
});
