/*
 * Golden frames for every action: a frame goes in on port 1 through one flow, and what comes out is
 * compared byte for byte with a frame built from scratch with the expected fields (every checksum
 * computed in full by test/datapath/frames.ts), then re-verified by full recomputation.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OFPAT, OFPBAC, OFPET, OFPP, OFPQ_ALL, OFPR } from '../../src/openflow/constants.js';
import { action, type OfpAction } from '../../src/openflow/actions.js';
import { DatapathError } from '../../src/datapath/errors.js';
import { makeBridge, match, fm } from './bridge.js';
import { arpFrame, buildFrame, checksumProblems, ip, mac, type FrameSpec } from './frames.js';

const out = (port: number, max_len = 0) => action(OFPAT.OUTPUT, { port, max_len });
const setVid = (vlan_vid: number) => action(OFPAT.SET_VLAN_VID, { vlan_vid });
const setPcp = (vlan_pcp: number) => action(OFPAT.SET_VLAN_PCP, { vlan_pcp });
const strip = () => action(OFPAT.STRIP_VLAN, {});
const setDlSrc = (dl_addr: number) => action(OFPAT.SET_DL_SRC, { dl_addr });
const setDlDst = (dl_addr: number) => action(OFPAT.SET_DL_DST, { dl_addr });
const setNwSrc = (nw_addr: number) => action(OFPAT.SET_NW_SRC, { nw_addr });
const setNwDst = (nw_addr: number) => action(OFPAT.SET_NW_DST, { nw_addr });
const setTos = (nw_tos: number) => action(OFPAT.SET_NW_TOS, { nw_tos });
const setTpSrc = (tp_port: number) => action(OFPAT.SET_TP_SRC, { tp_port });
const setTpDst = (tp_port: number) => action(OFPAT.SET_TP_DST, { tp_port });
const enqueue = (port: number, queue_id: number) => action(OFPAT.ENQUEUE, { port, queue_id });

const A = mac('00:00:00:00:00:0a');
const B = mac('00:00:00:00:00:0b');
const tcp: FrameSpec = {
  src: A,
  dst: B,
  ip: { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), proto: 6, tos: 0x11 },
  tcp: { src: 1234, dst: 80 },
  payload: Buffer.from('hello, world'),
};
const udp: FrameSpec = {
  src: A,
  dst: B,
  ip: { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), proto: 17 },
  udp: { src: 5000, dst: 53 },
  payload: Buffer.from('q?'),
};
const icmp: FrameSpec = {
  src: A,
  dst: B,
  ip: { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), proto: 1 },
  icmp: { type: 8, code: 0 },
  payload: Buffer.alloc(16, 7),
};

/** Sends `frame` in port 1 through one catch-all flow with `actions`; returns what each port sent. */
function through(actions: OfpAction[], frame: Buffer): Map<number, Buffer[]> {
  const br = makeBridge();
  br.dp.flowMod(fm(match(), actions));
  br.rx(1, Buffer.from(frame));
  return br.sent();
}

function expectOut(actions: OfpAction[], input: FrameSpec | Buffer, expected: FrameSpec | Buffer): void {
  const inFrame = Buffer.isBuffer(input) ? input : buildFrame(input);
  const want = Buffer.isBuffer(expected) ? expected : buildFrame(expected);
  const sent = through([...actions, out(2)], inFrame);
  expect([...sent.keys()]).toEqual([2]);
  const got = sent.get(2)!;
  expect(got).toHaveLength(1);
  expect(got[0]!.toString('hex')).toBe(want.toString('hex'));
  expect(checksumProblems(got[0]!)).toEqual([]);
}

describe('L2 actions', () => {
  it('set_dl_src and set_dl_dst', () => {
    const X = mac('02:aa:bb:cc:dd:ee');
    const Y = mac('fe:01:02:03:04:05');
    expectOut([setDlSrc(X), setDlDst(Y)], tcp, { ...tcp, src: X, dst: Y });
  });

  it('set_vlan_vid pushes a tag onto an untagged frame (PCP 0)', () => {
    expectOut([setVid(100)], tcp, { ...tcp, vlan: { vid: 100, pcp: 0 } });
  });

  it('set_vlan_vid rewrites the VID of a tagged frame and keeps its PCP', () => {
    expectOut([setVid(7)], { ...tcp, vlan: { vid: 100, pcp: 6 } }, { ...tcp, vlan: { vid: 7, pcp: 6 } });
  });

  it('set_vlan_pcp pushes a VID-0 tag onto an untagged frame, rewrites the PCP of a tagged one', () => {
    expectOut([setPcp(5)], udp, { ...udp, vlan: { vid: 0, pcp: 5 } });
    expectOut([setPcp(1)], { ...udp, vlan: { vid: 33, pcp: 4 } }, { ...udp, vlan: { vid: 33, pcp: 1 } });
  });

  it('strip_vlan pops a tag and leaves an untagged frame alone', () => {
    expectOut([strip()], { ...tcp, vlan: { vid: 9, pcp: 3 } }, tcp);
    expectOut([strip()], tcp, tcp);
  });

  it('push, rewrite, pop, push again', () => {
    expectOut([setVid(10), setPcp(2), strip(), setVid(20)], icmp, { ...icmp, vlan: { vid: 20, pcp: 0 } });
  });

  it('VLAN push on a frame too short for an Ethernet header is a no-op', () => {
    const tiny = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expectOut([setVid(5)], tiny, tiny);
  });
});

describe('L3/L4 rewrites with checksums', () => {
  const N1 = ip('192.168.100.200');
  const N2 = ip('172.16.0.99');
  it('set_nw_src / set_nw_dst on TCP fix the IPv4 and TCP checksums', () => {
    expectOut([setNwSrc(N1), setNwDst(N2)], tcp, { ...tcp, ip: { ...tcp.ip!, src: N1, dst: N2 } });
  });

  it('set_nw_src / set_nw_dst on UDP fix the UDP checksum', () => {
    expectOut([setNwSrc(N1), setNwDst(N2)], udp, { ...udp, ip: { ...udp.ip!, src: N1, dst: N2 } });
  });

  it('a zero UDP checksum stays zero', () => {
    const u0: FrameSpec = { ...udp, udp: { ...udp.udp!, noChecksum: true } };
    const sent = through([setNwDst(N2), setTpDst(9999), out(2)], buildFrame(u0));
    const f = sent.get(2)![0]!;
    expect(f.readUInt16BE(14 + 20 + 6)).toBe(0);
    expect(f.toString('hex')).toBe(
      buildFrame({ ...u0, ip: { ...u0.ip!, dst: N2 }, udp: { ...u0.udp!, dst: 9999 } }).toString('hex'),
    );
  });

  it('ICMP: address changes touch only the IPv4 checksum', () => {
    expectOut([setNwSrc(N1)], icmp, { ...icmp, ip: { ...icmp.ip!, src: N1 } });
  });

  it('set_tp_src / set_tp_dst on TCP and UDP', () => {
    expectOut([setTpSrc(40000), setTpDst(8080)], tcp, { ...tcp, tcp: { src: 40000, dst: 8080 } });
    expectOut([setTpSrc(1), setTpDst(65535)], udp, { ...udp, udp: { src: 1, dst: 65535 } });
  });

  it('set_tp_* leave ICMP alone', () => {
    expectOut([setTpSrc(1), setTpDst(2)], icmp, icmp);
  });

  it('set_nw_tos keeps the ECN bits', () => {
    expectOut([setTos(0xb8)], tcp, { ...tcp, ip: { ...tcp.ip!, tos: 0xb8 | (0x11 & 3) } });
  });

  it('NAT on a first fragment fixes its L4 checksum; on a later fragment only the IPv4 header', () => {
    const first: FrameSpec = { ...tcp, ip: { ...tcp.ip!, moreFragments: true } };
    expectOut([setNwDst(N2), setTpDst(81)], first, {
      ...first,
      ip: { ...first.ip!, dst: N2 },
      tcp: { src: 1234, dst: 81 },
    });
    const later: FrameSpec = {
      src: A,
      dst: B,
      ip: { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), proto: 6, fragOffset: 3 },
      payload: Buffer.alloc(24, 0xab),
    };
    // set_tp_dst must not scribble on fragment payload.
    expectOut([setNwSrc(N1), setTpDst(81)], later, { ...later, ip: { ...later.ip!, src: N1 } });
  });

  it('NAT behind a VLAN tag, and after a push', () => {
    const tagged: FrameSpec = { ...udp, vlan: { vid: 3, pcp: 1 } };
    expectOut([setNwDst(N2)], tagged, { ...tagged, ip: { ...tagged.ip!, dst: N2 } });
    expectOut([setVid(44), setNwSrc(N1), setTpSrc(7)], tcp, {
      ...tcp,
      vlan: { vid: 44 },
      ip: { ...tcp.ip!, src: N1 },
      tcp: { src: 7, dst: 80 },
    });
  });

  it('IP rewrites leave ARP untouched', () => {
    const arp = arpFrame(1, A, ip('10.0.0.1'), 0, ip('10.0.0.2'));
    expectOut([setNwSrc(N1), setNwDst(N2), setTos(0x20), setTpSrc(5)], arp, arp);
  });

  it('any sequence of rewrites on any TCP/UDP frame leaves valid checksums', () => {
    const rewrite = fc.oneof(
      fc.integer({ min: 0, max: 0xffffffff }).map(setNwSrc),
      fc.integer({ min: 0, max: 0xffffffff }).map(setNwDst),
      fc.integer({ min: 0, max: 0xffff }).map(setTpSrc),
      fc.integer({ min: 0, max: 0xffff }).map(setTpDst),
      fc.integer({ min: 0, max: 63 }).map((t) => setTos(t << 2)),
      fc.integer({ min: 0, max: 0xfff }).map(setVid),
      fc.constant(strip()),
    );
    const frame = fc.record({
      proto: fc.constantFrom(6, 17),
      src: fc.integer({ min: 0, max: 0xffffffff }),
      dst: fc.integer({ min: 0, max: 0xffffffff }),
      sport: fc.integer({ min: 0, max: 0xffff }),
      dport: fc.integer({ min: 0, max: 0xffff }),
      payload: fc.uint8Array({ maxLength: 40 }),
      tagged: fc.boolean(),
    });
    const br = makeBridge([1, 2]);
    fc.assert(
      fc.property(frame, fc.array(rewrite, { maxLength: 8 }), (f, acts) => {
        br.dp.flowMod(fm(match(), [...acts, out(2)]));
        const spec: FrameSpec = {
          vlan: f.tagged ? { vid: 1 } : undefined,
          ip: { src: f.src, dst: f.dst, proto: f.proto },
          ...(f.proto === 6
            ? { tcp: { src: f.sport, dst: f.dport } }
            : { udp: { src: f.sport, dst: f.dport } }),
          payload: Buffer.from(f.payload),
        };
        br.rx(1, buildFrame(spec));
        const sent = br.sent().get(2)!;
        expect(sent).toHaveLength(1);
        expect(checksumProblems(sent[0]!)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });
});

describe('outputs see the frame as modified so far', () => {
  it('output, rewrite, output, push, output', () => {
    const N = ip('1.1.1.1');
    const sent = through([out(2), setNwDst(N), out(3), setVid(5), out(4)], buildFrame(tcp));
    expect(sent.get(2)![0]!.toString('hex')).toBe(buildFrame(tcp).toString('hex'));
    const nat: FrameSpec = { ...tcp, ip: { ...tcp.ip!, dst: N } };
    expect(sent.get(3)![0]!.toString('hex')).toBe(buildFrame(nat).toString('hex'));
    expect(sent.get(4)![0]!.toString('hex')).toBe(buildFrame({ ...nat, vlan: { vid: 5 } }).toString('hex'));
  });

  it('no actions: dropped', () => {
    expect(through([], buildFrame(tcp)).size).toBe(0);
  });

  it('CONTROLLER gets a copy of the frame as modified, with max_len', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match(), [setVid(9), out(OFPP.CONTROLLER, 77), strip(), out(2)]));
    br.rx(1, buildFrame(udp));
    expect(br.upcalls).toHaveLength(1);
    const u = br.upcalls[0]!;
    expect([u.reason, u.inPort, u.maxLen]).toEqual([OFPR.ACTION, 1, 77]);
    expect(u.frame.toString('hex')).toBe(buildFrame({ ...udp, vlan: { vid: 9 } }).toString('hex'));
    expect(br.sent().get(2)![0]!.toString('hex')).toBe(buildFrame(udp).toString('hex'));
  });
});

describe('enqueue', () => {
  it('outputs through a configured queue and counts it; an unknown queue is a plain output', () => {
    const br = makeBridge();
    br.dp.setQueues(2, [1, 7]);
    br.dp.flowMod(fm(match({ tp_dst: 80 }), [enqueue(2, 7)]));
    br.dp.flowMod(fm(match({ tp_dst: 81 }), [enqueue(2, 99)]));
    const f = buildFrame(tcp);
    br.rx(1, f, f);
    br.rx(1, buildFrame({ ...tcp, tcp: { src: 1, dst: 81 } }));
    expect(br.sent().get(2)).toHaveLength(3);
    const qs = br.dp.queueStats(2, OFPQ_ALL);
    expect(qs.map((q) => [q.queue_id, q.tx_packets, q.tx_bytes])).toEqual([
      [1, 0n, 0n],
      [7, 2n, BigInt(2 * f.length)],
    ]);
    expect(br.dp.queueStats(OFPP.ALL, 7)).toHaveLength(1);
    expect(() => br.dp.queueStats(2, 99)).toThrow(DatapathError);
    expect(() => br.dp.queueStats(42, OFPQ_ALL)).toThrow(DatapathError);
  });
});

describe('packet-out', () => {
  it('runs actions on a copy: the caller’s buffer is unchanged', () => {
    const br = makeBridge();
    const f = buildFrame(tcp);
    const before = Buffer.from(f);
    br.dp.execute(f, OFPP.CONTROLLER, [setVid(3), setNwSrc(ip('9.9.9.9')), out(2)]);
    expect(f.equals(before)).toBe(true);
    expect(br.sent().get(2)![0]!.toString('hex')).toBe(
      buildFrame({ ...tcp, vlan: { vid: 3 }, ip: { ...tcp.ip!, src: ip('9.9.9.9') } }).toString('hex'),
    );
  });

  it('OFPP_TABLE runs the frame through the table and counts the lookup', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match({ in_port: 3 }), [out(4)]));
    const f = buildFrame(udp);
    br.dp.execute(f, 3, [out(OFPP.TABLE)]);
    expect([...br.sent().keys()]).toEqual([4]);
    expect(br.dp.tableStats()[0]).toMatchObject({ lookup_count: 1n, matched_count: 1n });
    expect(br.dp.flowStats(match())[0]).toMatchObject({ packet_count: 1n, byte_count: BigInt(f.length) });
    // A miss through TABLE is a NO_MATCH upcall.
    br.dp.execute(f, 2, [out(OFPP.TABLE)]);
    expect(br.upcalls.map((u) => [u.reason, u.inPort])).toEqual([[OFPR.NO_MATCH, 2]]);
  });

  it('output to TABLE from a flow is dropped (no loops)', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match(), [out(OFPP.TABLE), out(2)]));
    br.rx(1, buildFrame(udp));
    expect([...br.sent().keys()]).toEqual([2]);
    expect(br.dp.tableStats()[0]!.lookup_count).toBe(1n);
  });

  it('refuses actions the datapath cannot run', () => {
    const br = makeBridge();
    const err = (acts: OfpAction[]) => {
      try {
        br.dp.execute(buildFrame(udp), 1, acts);
      } catch (e) {
        return e instanceof DatapathError ? [e.errorType, e.errorCode] : e;
      }
      return 'accepted';
    };
    expect(err([out(OFPP.NONE)])).toEqual([OFPET.BAD_ACTION, OFPBAC.BAD_OUT_PORT]);
    expect(err([out(0xff00)])).toEqual([OFPET.BAD_ACTION, OFPBAC.BAD_OUT_PORT]);
    expect(err([enqueue(OFPP.FLOOD, 1)])).toEqual([OFPET.BAD_ACTION, OFPBAC.BAD_OUT_PORT]);
    expect(err([action(OFPAT.VENDOR, { vendor: 0x2320, body: Buffer.alloc(8) })])).toEqual([
      OFPET.BAD_ACTION,
      OFPBAC.BAD_VENDOR,
    ]);
    expect(err([setVid(0x1000)])).toEqual([OFPET.BAD_ACTION, OFPBAC.BAD_ARGUMENT]);
    // Open vSwitch accepts ports below OFPP_MAX that do not exist (output to them drops), and port 0.
    expect(err([out(999), out(0), out(OFPP.LOCAL)])).toBe('accepted');
  });
});

describe('malformed and truncated frames', () => {
  it('pass through every action without throwing or writing outside the frame', () => {
    const br = makeBridge([1, 2, 3]);
    const everything: OfpAction[] = [
      out(2),
      setDlSrc(0x020000000001),
      setDlDst(0x020000000002),
      setNwSrc(ip('1.2.3.4')),
      setNwDst(ip('5.6.7.8')),
      setTos(0x28),
      setTpSrc(11),
      setTpDst(12),
      setPcp(3),
      setVid(99),
      out(OFPP.CONTROLLER, 64),
      strip(),
      setVid(7),
      out(OFPP.NORMAL),
      out(OFPP.FLOOD),
      strip(),
      out(OFPP.IN_PORT),
    ];
    br.dp.flowMod(fm(match(), everything));
    const valid = [
      buildFrame(tcp),
      buildFrame({ ...udp, vlan: { vid: 5 } }),
      buildFrame(icmp),
      buildFrame({ ...tcp, ip: { ...tcp.ip!, fragOffset: 9 } }),
      arpFrame(1, A, 1, B, 2),
    ];
    const frameArb = fc.oneof(
      fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
      fc
        .tuple(
          fc.constantFrom(...valid),
          fc.nat(),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        )
        .map(([f, cut, flips]) => {
          const g = Buffer.from(f.subarray(0, cut % (f.length + 1)));
          for (const [at, v] of flips) if (g.length > 0) g[at % g.length] = v;
          return g;
        }),
    );
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), (frames) => {
        // Frames back to back in one buffer with guard bytes between them, as in a receive ring.
        const GUARD = 8;
        const total = frames.reduce((n, f) => n + f.length + GUARD, GUARD);
        const ring = Buffer.alloc(total, 0xa5);
        const batch = {
          count: frames.length,
          bufs: [] as Buffer[],
          offs: new Int32Array(frames.length),
          lens: new Int32Array(frames.length),
        };
        let o = GUARD;
        frames.forEach((f, i) => {
          f.copy(ring, o);
          batch.bufs[i] = ring;
          batch.offs[i] = o;
          batch.lens[i] = f.length;
          o += f.length + GUARD;
        });
        br.dp.receiveBatch(1, batch);
        o = 0;
        for (const f of frames) {
          expect(ring.subarray(o, o + GUARD).every((x) => x === 0xa5)).toBe(true);
          o += GUARD + f.length;
        }
        expect(ring.subarray(o).every((x) => x === 0xa5)).toBe(true);
        br.sent();
        br.upcalls.length = 0;
      }),
      { numRuns: 500 },
    );
  });
});
