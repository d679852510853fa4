/*
 * Reserved-port outputs, port config bits, misses and NORMAL on a multi-port dummy bridge.
 */
import { describe, expect, it } from 'vitest';
import { OFPAT, OFPP, OFPPC, OFPPS, OFPR } from '../../src/openflow/constants.js';
import { action } from '../../src/openflow/actions.js';
import { MacLearningTable } from '../../src/datapath/mac-learning.js';
import { makeBridge, match, fm } from './bridge.js';
import { buildFrame, ip, mac } from './frames.js';

const out = (port: number, max_len = 0) => action(OFPAT.OUTPUT, { port, max_len });
const ports = (m: Map<number, Buffer[]>) => [...m.keys()].sort((a, b) => a - b);
const BCAST = 0xffffffffffff;
const H = (n: number) => mac(`00:00:00:00:00:${n.toString(16).padStart(2, '0')}`);
const eth = (src: number, dst: number, vid?: number) =>
  buildFrame({
    src,
    dst,
    vlan: vid === undefined ? undefined : { vid },
    ip: { src: 1, dst: 2, proto: 17 },
    udp: { src: 1, dst: 2 },
  });

describe('reserved ports', () => {
  it('FLOOD skips the in_port and NO_FLOOD ports; ALL skips only the in_port', () => {
    const br = makeBridge([1, 2, 3, 4, OFPP.LOCAL]);
    br.dp.setPortConfig(3, OFPPC.NO_FLOOD);
    br.dp.flowMod(fm(match({ tp_dst: 1 }), [out(OFPP.FLOOD)]));
    br.dp.flowMod(fm(match({ tp_dst: 2 }), [out(OFPP.ALL)]));
    const f1 = buildFrame({ ip: { src: 1, dst: 2, proto: 17 }, udp: { src: 0, dst: 1 } });
    const f2 = buildFrame({ ip: { src: 1, dst: 2, proto: 17 }, udp: { src: 0, dst: 2 } });
    br.rx(2, f1);
    expect(ports(br.sent())).toEqual([1, 4, OFPP.LOCAL]);
    br.rx(2, f2);
    const s = br.sent();
    expect(ports(s)).toEqual([1, 3, 4, OFPP.LOCAL]);
    expect(s.get(1)![0]!.equals(f2)).toBe(true);
  });

  it('IN_PORT sends back; output to the in_port by number is dropped; LOCAL reaches the local port', () => {
    const br = makeBridge([1, 2, OFPP.LOCAL]);
    br.dp.flowMod(fm(match({ in_port: 1 }), [out(OFPP.IN_PORT)]));
    br.dp.flowMod(fm(match({ in_port: 2 }), [out(2), out(OFPP.LOCAL)]));
    br.dp.flowMod(fm(match({ in_port: OFPP.LOCAL }), [out(OFPP.LOCAL), out(1)]));
    br.rx(1, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([1]);
    br.rx(2, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([OFPP.LOCAL]);
    br.rx(OFPP.LOCAL, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([1]);
  });

  it('output to a port that does not exist drops; PORT_DOWN, NO_FWD and link down stop output', () => {
    const br = makeBridge([1, 2, 3, 4]);
    br.dp.flowMod(fm(match(), [out(99), out(2), out(3), out(4)]));
    br.dp.setPortConfig(2, OFPPC.PORT_DOWN);
    br.dp.setPortConfig(3, OFPPC.NO_FWD);
    br.dp.setPortState(4, OFPPS.LINK_DOWN);
    br.rx(1, eth(H(1), H(2)));
    expect(br.sent().size).toBe(0);
    expect(br.dp.portStats(4)[0]!.tx_dropped).toBe(1n);
    br.dp.setPortState(4, 0);
    br.dp.setPortConfig(3, 0);
    br.rx(1, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([3, 4]);
  });

  it('NO_RECV drops everything received; NO_RECV_STP drops only BPDUs', () => {
    const br = makeBridge([1, 2]);
    br.dp.flowMod(fm(match(), [out(2)]));
    br.dp.setPortConfig(1, OFPPC.NO_RECV_STP);
    const bpdu = buildFrame({ dst: mac('01:80:c2:00:00:00'), type: 0x26, raw: Buffer.alloc(38) });
    br.rx(1, bpdu, eth(H(1), H(2)));
    expect(br.sent().get(2)).toHaveLength(1);
    br.dp.setPortConfig(1, OFPPC.NO_RECV);
    br.rx(1, eth(H(1), H(2)));
    expect(br.sent().size).toBe(0);
    expect(br.dp.portStats(1)[0]!.rx_dropped).toBe(2n);
  });
});

describe('table misses', () => {
  it('go to the controller as NO_MATCH upcalls with the whole frame, unless NO_PACKET_IN', () => {
    const br = makeBridge([1, 2]);
    const f = eth(H(1), H(2));
    br.rx(1, f);
    expect(br.upcalls).toHaveLength(1);
    expect(br.upcalls[0]).toEqual({ reason: OFPR.NO_MATCH, inPort: 1, frame: f });
    br.dp.setPortConfig(1, OFPPC.NO_PACKET_IN);
    br.rx(1, f);
    expect(br.upcalls).toHaveLength(1);
    // NO_PACKET_IN does not silence an explicit CONTROLLER output.
    br.dp.flowMod(fm(match(), [out(OFPP.CONTROLLER, 128)]));
    br.rx(1, f);
    expect(br.upcalls.map((u) => [u.reason, u.maxLen])).toEqual([
      [OFPR.NO_MATCH, undefined],
      [OFPR.ACTION, 128],
    ]);
    expect(br.dp.tableStats()[0]).toMatchObject({ lookup_count: 3n, matched_count: 1n });
  });

  it('the upcall frame is a copy: reusing the batch buffer does not change it', () => {
    const br = makeBridge([1, 2]);
    const f = eth(H(1), H(2));
    br.dp.receiveFrame(1, f);
    const copy = Buffer.from(f);
    f.fill(0);
    expect(br.upcalls[0]!.frame.equals(copy)).toBe(true);
  });

  it('miss policy drop and normal', () => {
    const br = makeBridge([1, 2, 3]);
    br.dp.setMissPolicy('drop');
    br.rx(1, eth(H(1), BCAST));
    expect(br.sent().size + br.upcalls.length).toBe(0);
    br.dp.setMissPolicy('normal');
    br.rx(1, eth(H(1), BCAST));
    expect(ports(br.sent())).toEqual([2, 3]);
    br.rx(2, eth(H(2), H(1)));
    expect(ports(br.sent())).toEqual([1]);
  });

  it('an upcall handler may call back into the datapath', () => {
    const br = makeBridge([1, 2]);
    br.dp.onUpcall = (u) => br.dp.execute(u.frame, u.inPort, [out(2)]);
    br.rx(1, eth(H(1), H(2)), eth(H(1), H(3)));
    expect(br.sent().get(2)).toHaveLength(2);
  });
});

describe('fragments', () => {
  it('frag mode drop discards every IPv4 fragment; normal classifies them (later ones without ports)', () => {
    const br = makeBridge([1, 2, 3]);
    br.dp.flowMod(fm(match({ dl_type: 0x800, nw_proto: 17, tp_dst: 0 }), [out(3)], { priority: 2 }));
    br.dp.flowMod(fm(match(), [out(2)], { priority: 1 }));
    const first = buildFrame({
      ip: { src: 1, dst: 2, proto: 17, moreFragments: true },
      udp: { src: 5, dst: 6 },
    });
    const later = buildFrame({
      ip: { src: 1, dst: 2, proto: 17, fragOffset: 100 },
      payload: Buffer.alloc(20),
    });
    br.rx(1, first, later);
    expect([...br.sent()].map(([p, f]) => [p, f.length])).toEqual([
      [2, 1],
      [3, 1],
    ]);
    br.dp.setFragMode('drop');
    br.rx(1, first, later, eth(H(1), H(2)));
    expect([...br.sent()].map(([p, f]) => [p, f.length])).toEqual([[2, 1]]);
  });
});

describe('NORMAL', () => {
  function normalBridge(n = 4, opts = {}) {
    const br = makeBridge(
      Array.from({ length: n }, (_, i) => i + 1),
      opts,
    );
    br.dp.flowMod(fm(match(), [out(OFPP.NORMAL)]));
    return br;
  }

  it('floods unknown and broadcast destinations, then forwards to the learnt port only', () => {
    const br = normalBridge();
    br.rx(1, eth(H(1), BCAST));
    expect(ports(br.sent())).toEqual([2, 3, 4]);
    br.rx(2, eth(H(2), H(1)));
    expect(ports(br.sent())).toEqual([1]);
    br.rx(1, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([2]);
    br.rx(3, eth(H(3), H(9)));
    expect(ports(br.sent())).toEqual([1, 2, 4]);
    // Multicast floods even once the group address was seen as a source (it is never learnt).
    br.rx(2, eth(mac('01:00:5e:00:00:01'), H(1)));
    br.sent();
    br.rx(1, eth(H(1), mac('01:00:5e:00:00:01')));
    expect(ports(br.sent())).toEqual([2, 3, 4]);
  });

  it('never sends back out the in_port; drops frames for a host on the same port', () => {
    const br = normalBridge();
    br.rx(1, eth(H(1), BCAST), eth(H(5), BCAST));
    br.sent();
    br.rx(1, eth(H(5), H(1)));
    expect(br.sent().size).toBe(0);
  });

  it('learns per VLAN', () => {
    const br = normalBridge();
    br.rx(2, eth(H(2), BCAST, 10));
    br.sent();
    br.rx(1, eth(H(1), H(2), 10));
    expect(ports(br.sent())).toEqual([2]);
    br.rx(1, eth(H(1), H(2), 20));
    expect(ports(br.sent())).toEqual([2, 3, 4]);
    br.rx(1, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([2, 3, 4]);
    const sent = (br.rx(1, eth(H(1), H(2), 10)), br.sent().get(2)![0]!);
    expect(sent.readUInt16BE(12)).toBe(0x8100);
    expect(sent.readUInt16BE(14) & 0xfff).toBe(10);
  });

  it('follows a host that moves', () => {
    const br = normalBridge();
    br.rx(2, eth(H(2), BCAST));
    br.rx(2, eth(H(2), BCAST));
    br.sent();
    br.rx(3, eth(H(2), BCAST));
    br.sent();
    br.rx(1, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([3]);
  });

  it('ages entries out', () => {
    const br = normalBridge(4, { macAgingMs: 10_000 });
    br.rx(2, eth(H(2), BCAST));
    br.sent();
    br.clock.t += 4_000;
    expect(br.dp.macEntries()).toEqual([{ vlan: 0, mac: H(2), port: 2, ageMs: 4_000 }]);
    br.clock.t += 5_999;
    br.rx(1, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([2]);
    br.clock.t += 10_000;
    br.rx(1, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([2, 3, 4]);
    // expire() also clears aged entries nobody looked up.
    expect(br.dp.macTable.size).toBe(1);
    br.clock.t += 10_000;
    br.dp.expire();
    expect(br.dp.macTable.size).toBe(0);
  });

  it('honours NO_FLOOD, NO_FWD, PORT_DOWN and link down', () => {
    const br = normalBridge(5);
    br.dp.setPortConfig(2, OFPPC.NO_FLOOD);
    br.dp.setPortConfig(3, OFPPC.NO_FWD);
    br.dp.setPortConfig(4, OFPPC.PORT_DOWN);
    br.dp.setPortState(5, OFPPS.LINK_DOWN);
    br.rx(1, eth(H(1), BCAST));
    expect(br.sent().size).toBe(0);
    // A learnt destination behind a NO_FLOOD port is still reachable; behind NO_FWD it is not.
    br.rx(2, eth(H(2), BCAST));
    br.rx(3, eth(H(3), BCAST));
    br.sent();
    br.rx(1, eth(H(1), H(2)), eth(H(1), H(3)));
    expect(ports(br.sent())).toEqual([2]);
  });

  it('does not forward IEEE reserved multicast (BPDUs)', () => {
    const br = normalBridge();
    br.rx(1, eth(H(1), mac('01:80:c2:00:00:00')), eth(H(1), mac('01:80:c2:00:00:0e')));
    expect(br.sent().size).toBe(0);
  });

  it('forgets hosts behind a port whose link goes down', () => {
    const br = normalBridge();
    br.rx(2, eth(H(2), BCAST));
    br.dp.setPortState(2, OFPPS.LINK_DOWN);
    br.dp.setPortState(2, 0);
    br.sent();
    br.rx(1, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([2, 3, 4]);
  });

  it('forgets hosts on a removed port', () => {
    const br = normalBridge();
    br.rx(2, eth(H(2), BCAST));
    br.dp.removePort(2);
    br.sent();
    br.rx(1, eth(H(1), H(2)));
    expect(ports(br.sent())).toEqual([3, 4]);
  });
});

describe('MAC-learning table', () => {
  it('evicts the least recently seen entry when full', () => {
    const t = new MacLearningTable(3, 1e9);
    t.learn(0, 1, 1, 0);
    t.learn(0, 2, 2, 1);
    t.learn(0, 3, 3, 2);
    t.learn(0, 1, 1, 3); // refresh 1: now 2 is oldest
    t.learn(0, 4, 4, 4);
    expect(t.size).toBe(3);
    expect([t.lookup(0, 1, 5), t.lookup(0, 2, 5), t.lookup(0, 3, 5), t.lookup(0, 4, 5)]).toEqual([
      1, -1, 3, 4,
    ]);
  });

  it('stays consistent through many inserts, moves, expiries and evictions', () => {
    const t = new MacLearningTable(64, 1000);
    const model = new Map<string, { port: number; seen: number }>();
    let now = 0;
    let seed = 1;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    for (let i = 0; i < 20_000; i++) {
      now += rnd(20);
      const vlan = rnd(3);
      const lo = rnd(100);
      const port = 1 + rnd(4);
      const key = `${vlan}/${lo}`;
      if (rnd(3) === 0) {
        const want = model.get(key);
        const got = t.lookup(vlan, 0x0102_0000_0000 + lo * 0x01000001, now);
        if (want && now - want.seen < 1000) expect(got).toBe(want.port);
        if (got >= 0) expect(want?.port).toBe(got);
        if (got < 0) model.delete(key);
      } else {
        t.learn(vlan, 0x0102_0000_0000 + lo * 0x01000001, port, now);
        model.set(key, { port, seen: now });
        if (model.size > 64) {
          // The table evicted its least recently seen entry: drop the same from the model.
          let oldest: string | undefined;
          for (const [k, v] of model) if (!oldest || v.seen < model.get(oldest)!.seen) oldest = k;
          model.delete(oldest!);
        }
      }
      expect(t.size).toBeLessThanOrEqual(64);
    }
    expect(t.entries(now).length).toBe(t.size);
    t.expire(now + 1000);
    expect(t.size).toBe(0);
  });
});

describe('batches', () => {
  it('a batch of frames through the dummy device flushes each output port once', () => {
    const br = makeBridge([1, 2]);
    br.dp.flowMod(fm(match(), [out(2)]));
    const frames = Array.from({ length: 100 }, (_, i) =>
      buildFrame({ ip: { src: ip('10.0.0.1'), dst: i, proto: 17 }, udp: { src: 1, dst: i } }),
    );
    const d2 = br.dev.get(2)!;
    let flushes = 0;
    const flush = d2.flush.bind(d2);
    d2.flush = () => {
      flushes++;
      flush();
    };
    br.rx(1, ...frames);
    expect(
      br
        .sent()
        .get(2)!
        .map((f) => f.toString('hex')),
    ).toEqual(frames.map((f) => f.toString('hex')));
    expect(flushes).toBe(2); // 100 frames arrive as batches of 64 and 36
  });
});
