/*
 * FLOW_MOD semantics, timeouts and FLOW_REMOVED contents (fake clock, no sleeps), emergency flows,
 * table limits, counters and stats.
 */
import { describe, expect, it } from 'vitest';
import {
  OFPAT,
  OFPET,
  OFPFC,
  OFPFF,
  OFPFMFC,
  OFPFW,
  OFPP,
  OFPPC,
  OFPR,
  OFPRR,
} from '../../src/openflow/constants.js';
import { action } from '../../src/openflow/actions.js';
import { DatapathError } from '../../src/datapath/errors.js';
import { canon, makeBridge, match, fm } from './bridge.js';
import { buildFrame, ip } from './frames.js';

const out = (port: number) => action(OFPAT.OUTPUT, { port, max_len: 0 });
const udpTo = (dport: number, src = ip('10.0.0.1')) =>
  buildFrame({ ip: { src, dst: ip('10.0.0.2'), proto: 17 }, udp: { src: 1000, dst: dport } });

function code(f: () => void): [number, number] | 'ok' {
  try {
    f();
  } catch (e) {
    if (e instanceof DatapathError) return [e.errorType, e.errorCode];
    throw e;
  }
  return 'ok';
}

describe('flow-mod', () => {
  it('ADD of an identical match and priority replaces the flow and resets its counters, silently', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match({ tp_dst: 53 }), [out(2)], { flags: OFPFF.SEND_FLOW_REM, cookie: 1n }));
    br.rx(1, udpTo(53), udpTo(53));
    expect(br.dp.flowStats(match())[0]!.packet_count).toBe(2n);
    br.dp.flowMod(fm(match({ tp_dst: 53 }), [out(3)], { cookie: 2n }));
    const fs = br.dp.flowStats(match());
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ packet_count: 0n, cookie: 2n, actions: [out(3)] });
    expect(br.removed).toHaveLength(0);
    br.sent();
    br.rx(1, udpTo(53));
    expect([...br.sent().keys()]).toEqual([3]);
  });

  it('ADD with a different priority adds a second flow; the higher priority wins', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match({ tp_dst: 53 }), [out(2)], { priority: 10 }));
    br.dp.flowMod(fm(match({ dl_type: 0x800 }), [out(3)], { priority: 20 }));
    expect(br.dp.tableStats()[0]!.active_count).toBe(2);
    br.rx(1, udpTo(53));
    expect([...br.sent().keys()]).toEqual([3]);
  });

  it('CHECK_OVERLAP refuses an overlapping flow of the same priority only', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match({ nw_src: ip('10.0.0.0'), nw_src_bits: 8 }), [out(2)], { priority: 5 }));
    const overlapping = fm(match({ tp_dst: 80 }), [out(3)], { priority: 5, flags: OFPFF.CHECK_OVERLAP });
    expect(code(() => br.dp.flowMod(overlapping))).toEqual([OFPET.FLOW_MOD_FAILED, OFPFMFC.OVERLAP]);
    expect(code(() => br.dp.flowMod({ ...overlapping, priority: 6 }))).toBe('ok');
    // Disjoint: a different /8 at the same priority.
    const disjoint = fm(match({ nw_src: ip('11.0.0.0'), nw_src_bits: 8 }), [out(3)], {
      priority: 5,
      flags: OFPFF.CHECK_OVERLAP,
    });
    expect(code(() => br.dp.flowMod(disjoint))).toBe('ok');
    // An identical flow overlaps too.
    const same = fm(match({ nw_src: ip('10.0.0.0'), nw_src_bits: 8 }), [out(4)], {
      priority: 5,
      flags: OFPFF.CHECK_OVERLAP,
    });
    expect(code(() => br.dp.flowMod(same))).toEqual([OFPET.FLOW_MOD_FAILED, OFPFMFC.OVERLAP]);
    expect(br.dp.tableStats()[0]!.active_count).toBe(3);
  });

  it('MODIFY changes actions and cookie of every covered flow, keeps counters; adds when none', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match({ dl_type: 0x800, tp_dst: 53 }), [out(2)], { priority: 1 }));
    br.dp.flowMod(fm(match({ dl_type: 0x800, tp_dst: 54 }), [out(2)], { priority: 2 }));
    br.dp.flowMod(fm(match({ dl_type: 0x806 }), [out(2)], { priority: 3 }));
    br.rx(1, udpTo(53));
    br.dp.flowMod(fm(match({ dl_type: 0x800 }), [out(4)], { command: OFPFC.MODIFY, cookie: 9n }));
    const fs = br.dp.flowStats(match());
    expect(fs.map((f) => [f.priority, f.cookie, f.actions[0]])).toEqual([
      [1, 9n, out(4)],
      [2, 9n, out(4)],
      [3, 0n, out(2)],
    ]);
    expect(fs[0]!.packet_count).toBe(1n);
    // Nothing covered: an ADD.
    br.dp.flowMod(fm(match({ tp_src: 7 }), [out(3)], { command: OFPFC.MODIFY, priority: 77 }));
    expect(br.dp.tableStats()[0]!.active_count).toBe(4);
    expect(br.dp.flowStats(match({ tp_src: 7 }))[0]!.priority).toBe(77);
  });

  it('MODIFY_STRICT touches only the flow of that exact match and priority', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match({ tp_dst: 53 }), [out(2)], { priority: 1 }));
    br.dp.flowMod(fm(match({ tp_dst: 53 }), [out(2)], { priority: 2 }));
    br.dp.flowMod(fm(match({ tp_dst: 53 }), [out(3)], { command: OFPFC.MODIFY_STRICT, priority: 2 }));
    expect(br.dp.flowStats(match()).map((f) => [f.priority, f.actions[0]])).toEqual([
      [1, out(2)],
      [2, out(3)],
    ]);
    br.dp.flowMod(fm(match({ tp_dst: 53 }), [out(4)], { command: OFPFC.MODIFY_STRICT, priority: 3 }));
    expect(br.dp.tableStats()[0]!.active_count).toBe(3);
  });

  it('DELETE honours out_port and sends flow-removed (reason DELETE) only when asked', () => {
    const br = makeBridge();
    br.dp.flowMod(
      fm(match({ tp_dst: 1 }), [out(2)], {
        flags: OFPFF.SEND_FLOW_REM,
        cookie: 11n,
        priority: 100,
        idle_timeout: 60,
      }),
    );
    br.dp.flowMod(fm(match({ tp_dst: 2 }), [out(3)], { flags: OFPFF.SEND_FLOW_REM }));
    br.dp.flowMod(fm(match({ tp_dst: 3 }), [out(2)]));
    br.rx(1, udpTo(1), udpTo(1), udpTo(1));
    br.clock.t += 2500;
    br.dp.flowMod(fm(match(), [], { command: OFPFC.DELETE, out_port: 2 }));
    expect(br.dp.flowStats(match()).map((f) => f.match.tp_dst)).toEqual([2]);
    expect(br.removed).toEqual([
      {
        match: canon(match({ tp_dst: 1 })),
        cookie: 11n,
        priority: 100,
        reason: OFPRR.DELETE,
        duration_sec: 2,
        duration_nsec: 500_000_000,
        idle_timeout: 60,
        packet_count: 3n,
        byte_count: BigInt(3 * udpTo(1).length),
      },
    ]);
  });

  it('DELETE_STRICT needs the exact match and priority', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match({ tp_dst: 1 }), [out(2)], { priority: 5 }));
    br.dp.flowMod(fm(match({ tp_dst: 1 }), [], { command: OFPFC.DELETE_STRICT, priority: 6 }));
    br.dp.flowMod(fm(match(), [], { command: OFPFC.DELETE_STRICT, priority: 5 }));
    expect(br.dp.tableStats()[0]!.active_count).toBe(1);
    br.dp.flowMod(fm(match({ tp_dst: 1 }), [], { command: OFPFC.DELETE_STRICT, priority: 5 }));
    expect(br.dp.tableStats()[0]!.active_count).toBe(0);
  });

  it('an unknown command is BAD_COMMAND; a full table is ALL_TABLES_FULL (replacing still works)', () => {
    const br = makeBridge([1, 2], { maxFlows: 2 });
    expect(code(() => br.dp.flowMod(fm(match(), [], { command: 9 })))).toEqual([
      OFPET.FLOW_MOD_FAILED,
      OFPFMFC.BAD_COMMAND,
    ]);
    br.dp.flowMod(fm(match({ tp_dst: 1 }), [out(2)]));
    br.dp.flowMod(fm(match({ tp_dst: 2 }), [out(2)]));
    expect(code(() => br.dp.flowMod(fm(match({ tp_dst: 3 }), [out(2)])))).toEqual([
      OFPET.FLOW_MOD_FAILED,
      OFPFMFC.ALL_TABLES_FULL,
    ]);
    expect(code(() => br.dp.flowMod(fm(match({ tp_dst: 2 }), [out(1)])))).toBe('ok');
    expect(br.dp.tableStats()[0]).toMatchObject({ active_count: 2, max_entries: 2 });
  });

  it('bad actions are refused with the table unchanged', () => {
    const br = makeBridge();
    expect(code(() => br.dp.flowMod(fm(match(), [out(OFPP.NONE)])))).toEqual([OFPET.BAD_ACTION, 4]);
    expect(br.dp.tableStats()[0]!.active_count).toBe(0);
  });

  it("checks a direct caller's flow-mod once, in order: command, actions, emergency timeouts, table", () => {
    const br = makeBridge([1, 2], { maxFlows: 1 });
    const pcp9 = action(OFPAT.SET_VLAN_PCP, { vlan_pcp: 9 }); // only a hand-built list can hold this
    const emergTimeout = { flags: OFPFF.EMERG, idle_timeout: 5 };
    expect(code(() => br.dp.flowMod(fm(match(), [pcp9], { command: 9, ...emergTimeout })))).toEqual([
      OFPET.FLOW_MOD_FAILED,
      OFPFMFC.BAD_COMMAND,
    ]);
    expect(code(() => br.dp.flowMod(fm(match(), [pcp9], emergTimeout)))).toEqual([OFPET.BAD_ACTION, 5]);
    for (const command of [OFPFC.MODIFY_STRICT, OFPFC.DELETE, OFPFC.DELETE_STRICT])
      expect(code(() => br.dp.flowMod(fm(match(), [out(OFPP.NONE)], { command })))).toEqual([
        OFPET.BAD_ACTION,
        4,
      ]);
    for (const command of [OFPFC.ADD, OFPFC.MODIFY, OFPFC.DELETE])
      expect(code(() => br.dp.flowMod(fm(match(), [], { command, ...emergTimeout })))).toEqual([
        OFPET.FLOW_MOD_FAILED,
        OFPFMFC.BAD_EMERG_TIMEOUT,
      ]);
    br.dp.flowMod(fm(match({ tp_dst: 1 }), [out(2)]));
    expect(code(() => br.dp.flowMod(fm(match({ tp_dst: 2 }), [out(OFPP.NONE)])))).toEqual([
      OFPET.BAD_ACTION,
      4,
    ]);
    expect(code(() => br.dp.flowMod(fm(match({ tp_dst: 2 }), [out(2)])))).toEqual([
      OFPET.FLOW_MOD_FAILED,
      OFPFMFC.ALL_TABLES_FULL,
    ]);
    expect(br.dp.flowStats(match()).map((f) => f.match.tp_dst)).toEqual([1]);
    expect(br.dp.flowStats(match(), OFPP.NONE, { emergency: true })).toEqual([]);
  });

  it('flowMod returns the program it installed, which execute() runs as is; a raw list is checked', () => {
    const br = makeBridge([1, 2]);
    const program = br.dp.flowMod(fm(match({ tp_dst: 7 }), [out(2)]));
    expect(program?.singleOutput).toBe(2);
    expect(br.dp.flowMod(fm(match(), [], { command: OFPFC.DELETE_STRICT }))).toBeUndefined();
    br.dp.execute(udpTo(7), 1, program!);
    expect(br.sent().get(2)).toHaveLength(1);
    expect(code(() => br.dp.execute(udpTo(7), 1, [out(OFPP.NONE)]))).toEqual([OFPET.BAD_ACTION, 4]);
    expect(br.sent().size).toBe(0);
  });

  it('matches are stored canonically; priority is reported as sent, also for exact-match flows', () => {
    const br = makeBridge();
    const exact = { ...match(), wildcards: 0, in_port: 1, dl_vlan: 0x1005, nw_tos: 0xff, dl_vlan_pcp: 9 };
    br.dp.flowMod(fm(exact, [out(2)], { priority: 7 }));
    br.dp.flowMod(
      fm(
        { ...match({ tp_dst: 5 }), nw_src: 123, dl_src: 42, wildcards: OFPFW.ALL & ~OFPFW.TP_DST },
        [out(2)],
        { priority: 8 },
      ),
    );
    const fs = br.dp.flowStats(match());
    expect(fs[0]).toMatchObject({
      priority: 7,
      match: { wildcards: 0, dl_vlan: 5, nw_tos: 0xfc, dl_vlan_pcp: 1 },
    });
    expect(fs[1]!.match).toEqual({
      ...match({ tp_dst: 5 }),
      wildcards:
        (OFPFW.ALL & ~OFPFW.TP_DST & ~OFPFW.NW_SRC_MASK & ~OFPFW.NW_DST_MASK) |
        OFPFW.NW_SRC_ALL |
        OFPFW.NW_DST_ALL,
    });
  });

  it('a flow-mod is in effect for the very next frame, even a cached one', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match(), [out(2)], { priority: 1 }));
    br.rx(1, udpTo(9), udpTo(9));
    expect(br.sent().get(2)).toHaveLength(2);
    expect([br.dp.lookupCount, br.dp.cacheMisses]).toEqual([2, 1]); // the second came from the cache
    br.dp.flowMod(fm(match({ tp_dst: 9 }), [out(3)], { priority: 2 }));
    br.rx(1, udpTo(9));
    expect([...br.sent().keys()]).toEqual([3]);
    br.dp.flowMod(fm(match({ tp_dst: 9 }), [out(4)], { command: OFPFC.MODIFY_STRICT, priority: 2 }));
    br.rx(1, udpTo(9));
    expect([...br.sent().keys()]).toEqual([4]);
    br.dp.flowMod(fm(match(), [], { command: OFPFC.DELETE }));
    br.rx(1, udpTo(9));
    expect(br.sent().size).toBe(0);
    expect(br.upcalls.map((u) => u.reason)).toEqual([OFPR.NO_MATCH]);
  });
});

describe('timeouts', () => {
  it('idle timeout counts from the last matching frame; hard from creation; FLOW_REMOVED carries it all', () => {
    const br = makeBridge();
    const t0 = br.clock.t;
    br.dp.flowMod(
      fm(match({ tp_dst: 1 }), [out(2)], {
        idle_timeout: 10,
        flags: OFPFF.SEND_FLOW_REM,
        cookie: 5n,
        priority: 3,
      }),
    );
    br.dp.flowMod(
      fm(match({ tp_dst: 2 }), [out(2)], { hard_timeout: 15, idle_timeout: 100, flags: OFPFF.SEND_FLOW_REM }),
    );
    br.dp.flowMod(fm(match({ tp_dst: 3 }), [out(2)], { idle_timeout: 1 })); // no SEND_FLOW_REM
    expect(br.dp.nextExpiry()).toBe(t0 + 1000);
    br.clock.t = t0 + 999;
    expect(br.dp.expire()).toBe(0);
    br.clock.t = t0 + 1000;
    expect(br.dp.expire()).toBe(1);
    expect(br.removed).toHaveLength(0);
    br.clock.t = t0 + 8000;
    br.rx(1, udpTo(1), udpTo(2));
    br.clock.t = t0 + 14_999;
    expect(br.dp.expire()).toBe(0);
    br.clock.t = t0 + 15_000;
    expect(br.dp.expire()).toBe(1);
    expect(br.removed[0]).toMatchObject({
      reason: OFPRR.HARD_TIMEOUT,
      duration_sec: 15,
      duration_nsec: 0,
      idle_timeout: 100,
      packet_count: 1n,
    });
    br.clock.t = t0 + 17_999;
    expect(br.dp.expire()).toBe(0);
    br.clock.t = t0 + 18_250;
    expect(br.dp.expire()).toBe(1);
    expect(br.removed[1]).toEqual({
      match: canon(match({ tp_dst: 1 })),
      cookie: 5n,
      priority: 3,
      reason: OFPRR.IDLE_TIMEOUT,
      duration_sec: 18,
      duration_nsec: 250_000_000,
      idle_timeout: 10,
      packet_count: 1n,
      byte_count: BigInt(udpTo(1).length),
    });
    expect(br.dp.tableStats()[0]!.active_count).toBe(0);
    expect(br.dp.nextExpiry()).toBe(Infinity);
    // Expired flows no longer forward, even for a microflow that was cached.
    br.sent();
    br.rx(1, udpTo(1));
    expect(br.sent().size).toBe(0);
  });

  it('a cached microflow keeps refreshing the idle timer', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match(), [out(2)], { idle_timeout: 5 }));
    for (let i = 0; i < 10; i++) {
      br.clock.t += 4000;
      br.rx(1, udpTo(1));
      expect(br.dp.expire()).toBe(0);
    }
    br.clock.t += 5000;
    expect(br.dp.expire()).toBe(1);
  });
});

describe('emergency flows', () => {
  it('live in their own table, refuse timeouts, and serve lookups only in emergency mode', () => {
    const br = makeBridge();
    const emerg = fm(match(), [out(3)], { flags: OFPFF.EMERG });
    expect(code(() => br.dp.flowMod({ ...emerg, idle_timeout: 5 }))).toEqual([
      OFPET.FLOW_MOD_FAILED,
      OFPFMFC.BAD_EMERG_TIMEOUT,
    ]);
    expect(code(() => br.dp.flowMod({ ...emerg, hard_timeout: 5 }))).toEqual([
      OFPET.FLOW_MOD_FAILED,
      OFPFMFC.BAD_EMERG_TIMEOUT,
    ]);
    br.dp.flowMod(emerg);
    br.dp.flowMod(fm(match(), [out(2)]));
    expect(br.dp.flowStats(match())).toHaveLength(1);
    expect(br.dp.flowStats(match(), OFPP.NONE, { emergency: true })[0]!.actions).toEqual([out(3)]);
    br.rx(1, udpTo(1));
    expect([...br.sent().keys()]).toEqual([2]);
    br.dp.setEmergencyMode(true);
    br.dp.deleteAllNormalFlows();
    expect(br.dp.tableStats()[0]!.active_count).toBe(0);
    br.rx(1, udpTo(1));
    expect([...br.sent().keys()]).toEqual([3]);
    br.dp.setEmergencyMode(false);
    br.rx(1, udpTo(1));
    expect(br.sent().size).toBe(0);
    // DELETE with EMERG reaches the emergency table.
    br.dp.flowMod(fm(match(), [], { command: OFPFC.DELETE, flags: OFPFF.EMERG }));
    expect(br.dp.flowStats(match(), OFPP.NONE, { emergency: true })).toHaveLength(0);
  });
});

describe('stats', () => {
  it('flow stats select non-strictly with out_port; aggregate sums them; table stats count lookups', () => {
    const br = makeBridge();
    br.dp.flowMod(fm(match({ dl_type: 0x800, nw_dst: ip('10.0.0.2') }), [out(2)], { priority: 1 }));
    br.dp.flowMod(
      fm(match({ dl_type: 0x800, nw_dst: ip('10.0.0.0'), nw_dst_bits: 24 }), [out(3)], { priority: 0 }),
    );
    br.dp.flowMod(fm(match({ dl_type: 0x806 }), [out(2)], { priority: 2 }));
    br.rx(
      1,
      udpTo(1),
      udpTo(2),
      buildFrame({ ip: { src: 1, dst: ip('10.0.0.9'), proto: 17 }, udp: { src: 1, dst: 2 } }),
    );
    br.rx(1, buildFrame({ ip: { src: 1, dst: ip('99.0.0.9'), proto: 17 }, udp: { src: 1, dst: 2 } }));
    expect(br.dp.flowStats(match({ dl_type: 0x800 })).map((f) => f.priority)).toEqual([1, 0]);
    expect(
      br.dp
        .flowStats(match({ dl_type: 0x800, nw_dst: ip('10.0.0.0'), nw_dst_bits: 16 }))
        .map((f) => f.priority),
    ).toEqual([1, 0]);
    expect(
      br.dp
        .flowStats(match({ dl_type: 0x800, nw_dst: ip('10.0.0.0'), nw_dst_bits: 28 }))
        .map((f) => f.priority),
    ).toEqual([1]);
    expect(br.dp.flowStats(match(), 2).map((f) => f.priority)).toEqual([1, 2]);
    const agg = br.dp.aggregateStats(match({ dl_type: 0x800 }));
    expect(agg).toEqual({
      packet_count: 3n,
      byte_count: BigInt(2 * udpTo(1).length + udpTo(1).length),
      flow_count: 2,
    });
    expect(br.dp.tableStats()[0]).toMatchObject({
      table_id: 0,
      active_count: 3,
      lookup_count: 4n,
      matched_count: 3n,
      wildcards: OFPFW.ALL,
    });
  });

  it('port stats count what the datapath received, sent and dropped', () => {
    const br = makeBridge([1, 2]);
    br.dp.flowMod(fm(match(), [out(2)]));
    const f = udpTo(1);
    br.rx(1, f, f);
    br.dp.setPortConfig(1, OFPPC.NO_RECV);
    br.rx(1, f);
    const [p1] = br.dp.portStats(1);
    const [p2] = br.dp.portStats(2);
    expect(p1).toMatchObject({
      port_no: 1,
      rx_packets: 3n,
      rx_bytes: BigInt(3 * f.length),
      rx_dropped: 1n,
      tx_packets: 0n,
    });
    expect(p2).toMatchObject({
      port_no: 2,
      tx_packets: 2n,
      tx_bytes: BigInt(2 * f.length),
      rx_packets: 0n,
      rx_errors: 0n,
    });
    expect(br.dp.portStats(OFPP.NONE)).toHaveLength(2);
    expect(br.dp.portStats(77)).toEqual([]);
  });
});
