/*
 * Faults the bridge must survive without losing a controller connection or crashing: devices that
 * vanish while a request about them is in progress, buffers whose input port has gone, controllers
 * that come and go, and any sequence of messages a controller may send. In-process (dummy ports,
 * LocalConn), so every case is deterministic.
 *
 * A throw out of handleRaw/handleRequest is what attach.ts treats as an internal error: it logs it
 * and closes the connection. So "never throws" here means "the controller stays connected".
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Bridge } from '../../src/bridge/bridge.js';
import { attachConnections } from '../../src/bridge/attach.js';
import { watchVanishedPorts } from '../../src/bridge/switch.js';
import { NetdevRegistry } from '../../src/netdev/registry.js';
import { DummyProvider } from '../../src/netdev/dummy.js';
import { waitFor } from '../support/ovs/tools.js';
import { ConnectionManager, type OfConnection } from '../../src/connmgr/index.js';
import { DummyDevice } from '../../src/netdev/dummy.js';
import { NetdevError } from '../../src/netdev/provider.js';
import { Netdev } from '../../src/netdev/netdev.js';
import type { NetdevFlags } from '../../src/netdev/provider.js';
import { encodeMessage } from '../../src/openflow/codec.js';
import { OFPFF, OFPP, OFPPC, OFPPR, OFPT, OFP_NO_BUFFER } from '../../src/openflow/constants.js';
import type { OfpMessage } from '../../src/openflow/messages.js';
import * as arb from '../support/arbitraries.js';
import { conn, connected, dummyBridge, flowMod, out, send } from './helpers.js';

const clock = { now: 5_000_000 };

function frame(dst: number, src: number, len = 60): Buffer {
  const b = Buffer.alloc(len);
  b.writeUIntBE(dst, 0, 6);
  b.writeUIntBE(src, 6, 6);
  b.writeUInt16BE(0x88b5, 12);
  return b;
}

/** A dummy device that vanishes (as `ip link del` does) while a flag change is in progress. */
class VanishingOnSetFlags extends DummyDevice {
  override async setFlags(flags: Partial<NetdevFlags>): Promise<void> {
    await super.setFlags(flags);
    this.vanish();
  }
}

describe('bridge faults: devices vanishing under requests', () => {
  it('a port-mod whose device vanishes meanwhile ends in PORT_STATUS DELETE, and the connection lives on', async () => {
    const bridge = new Bridge({ name: 'bf1', failMode: 'secure', now: () => clock.now });
    const a = new DummyDevice('a', { mac: 0x02000000000a });
    const v = new VanishingOnSetFlags('v', { mac: 0x02000000000b });
    bridge.addPort(new Netdev(a));
    bridge.addPort(new Netdev(v));
    const { c, got } = connected(bridge);
    await send(bridge, c, {
      type: OFPT.PORT_MOD,
      xid: 7,
      port_no: 2,
      hw_addr: 0x02000000000b,
      config: OFPPC.PORT_DOWN,
      mask: OFPPC.PORT_DOWN,
      advertise: 0,
    });
    expect(bridge.ports.has(2)).toBe(false);
    expect(
      got.filter((m) => m.type === OFPT.PORT_STATUS).map((m) => m.type === OFPT.PORT_STATUS && m.reason),
    ).toContain(OFPPR.DELETE);
    expect(got.some((m) => m.type === OFPT.ERROR)).toBe(false);
    // The same connection still gets answers.
    await send(bridge, c, { type: OFPT.BARRIER_REQUEST, xid: 8 });
    expect(got.at(-1)).toMatchObject({ type: OFPT.BARRIER_REPLY, xid: 8 });
  });

  it('a buffered packet whose input port vanished can still be sent out (IN_PORT, FLOOD, TABLE, a port)', async () => {
    const { bridge, a, b, x } = dummyBridge(
      { name: 'bf2', failMode: 'secure', now: () => clock.now },
      'a',
      'b',
      'x',
    );
    const { c, got } = connected(bridge);
    x.receive(frame(0x02000000000a, 0x02000000000c), frame(0x02000000000a, 0x02000000000c));
    x.drainReceived();
    const ids = got.flatMap((m) => (m.type === OFPT.PACKET_IN ? [m.buffer_id] : []));
    expect(ids).toHaveLength(2);
    x.vanish();
    expect(bridge.ports.has(3)).toBe(false);
    await send(bridge, c, flowMod([out(1)]));
    for (const [i, actions] of [
      [ids[0]!, [out(OFPP.IN_PORT), out(OFPP.FLOOD), out(OFPP.ALL), out(3)]],
      [ids[1]!, [out(OFPP.TABLE)]],
    ] as const) {
      await send(bridge, c, {
        type: OFPT.PACKET_OUT,
        xid: 20 + i,
        buffer_id: i,
        in_port: OFPP.NONE,
        actions: [...actions],
        data: Buffer.alloc(0),
      });
    }
    a.drainReceived();
    // FLOOD and ALL reach a and b once each; TABLE's flow sends the second one to a.
    expect(a.takeSent()).toHaveLength(3);
    expect(b.takeSent()).toHaveLength(2);
    await send(bridge, c, { type: OFPT.BARRIER_REQUEST, xid: 30 });
    expect(got.at(-1)).toMatchObject({ type: OFPT.BARRIER_REPLY, xid: 30 });
  });
});

describe('bridge faults: a device that vanishes and returns', () => {
  it('keeps the flows naming its port (as Open vSwitch does), which forward to it again once it is back', async () => {
    const { bridge, a, b } = dummyBridge({ name: 'bf5', failMode: 'secure', now: () => clock.now }, 'a', 'b');
    const { c, got } = connected(bridge);
    await send(bridge, c, flowMod([out(2)], { priority: 10 }));
    b.vanish();
    expect(bridge.dp.table.size).toBe(1);
    a.receive(frame(0x02000000000b, 0x02000000000a));
    a.drainReceived();
    // The flow matched (no packet-in) and its output went nowhere.
    expect(got.filter((m) => m.type === OFPT.PACKET_IN)).toHaveLength(0);
    const back = new DummyDevice('b');
    expect(bridge.addPort(new Netdev(back))).toBe(2);
    a.receive(frame(0x02000000000b, 0x02000000000a));
    a.drainReceived();
    expect(back.takeSent()).toHaveLength(1);
    expect(
      got.flatMap((m) => (m.type === OFPT.PORT_STATUS ? [[m.reason, m.desc.port_no, m.desc.name]] : [])),
    ).toEqual([
      [OFPPR.DELETE, 2, 'b'],
      [OFPPR.ADD, 2, 'b'],
    ]);
  });
});

describe('bridge faults: the re-attach loop of ofdp run', () => {
  function setup() {
    const provider = new DummyProvider();
    const registry = new NetdevRegistry();
    registry.register('dummy', provider);
    const bridge = new Bridge({ name: 'bf7', failMode: 'secure', now: () => clock.now });
    const { got } = connected(bridge);
    const statuses = () =>
      got.flatMap((m) => (m.type === OFPT.PORT_STATUS ? [[m.reason, m.desc.port_no, m.desc.name]] : []));
    return { provider, registry, bridge, statuses };
  }

  it('removes a port whose device stopped existing without telling anyone, and takes it back when it returns', async () => {
    const { provider, registry, bridge, statuses } = setup();
    bridge.addPort(new Netdev(await provider.open('a')));
    const quiet = await provider.open('q');
    bridge.addPort(new Netdev(quiet), 5);
    const w = watchVanishedPorts(bridge, registry, { ports: [{ type: 'dummy', name: 'q', ofport: 5 }] }, 10);
    try {
      // Gone, but no change notification (as a system port's interface moved to another namespace
      // in the state it already had).
      quiet.exists = () => false;
      // Removed; and since the provider opens a fresh device under that name, back under number 5.
      await waitFor('the port to be removed and return', () => statuses().length === 4, 2000);
      expect(bridge.ports.get(5)!.netdev.dev).not.toBe(quiet);
      expect(statuses()).toEqual([
        [OFPPR.ADD, 1, 'a'],
        [OFPPR.ADD, 5, 'q'],
        [OFPPR.DELETE, 5, 'q'],
        [OFPPR.ADD, 5, 'q'],
      ]);
    } finally {
      w.stop();
      await bridge.close();
    }
  });

  it('a returning device that fails as it starts is closed and tried again, keeping its number reserved', async () => {
    const { provider, registry, bridge, statuses } = setup();
    bridge.addPort(new Netdev(await provider.open('a')));
    bridge.addPort(new Netdev(await provider.open('f')), 3);
    let failures = 2;
    const realOpen = provider.open.bind(provider);
    provider.open = async (name, opts) => {
      const d = await realOpen(name, opts);
      if (name === 'f' && failures > 0) {
        failures--;
        d.startReceive = () => {
          throw new NetdevError('EBUSY', 'not yet');
        };
      }
      return d;
    };
    provider.devices.get('f')!.vanish();
    expect(bridge.vanished.get('f')).toBe(3);
    const w = watchVanishedPorts(bridge, registry, { ports: [{ type: 'dummy', name: 'f' }] }, 10);
    try {
      // Meanwhile nobody else gets number 3.
      expect(bridge.addPort(new Netdev(await realOpen('z')))).toBe(2);
      await waitFor('the port to return', () => bridge.ports.has(3), 2000);
      expect(failures).toBe(0);
      expect(statuses()).toEqual([
        [OFPPR.ADD, 1, 'a'],
        [OFPPR.ADD, 3, 'f'],
        [OFPPR.DELETE, 3, 'f'],
        [OFPPR.ADD, 2, 'z'],
        [OFPPR.ADD, 3, 'f'],
      ]);
    } finally {
      w.stop();
      await bridge.close();
    }
  });
});

describe('bridge faults: controllers coming and going', () => {
  it('messages still queued behind a slow one when the controller drops are discarded, not run against a gone connection', async () => {
    const bridge = new Bridge({ name: 'bf6', failMode: 'secure', now: () => clock.now });
    const a = new DummyDevice('a', { mac: 0x02000000000a });
    bridge.addPort(new Netdev(a));
    const mgr = new ConnectionManager({});
    const bugs: unknown[] = [];
    attachConnections(bridge, mgr, (e) => bugs.push(e));
    const { c, got } = conn();
    const oc = c as unknown as OfConnection;
    mgr.emit('up', oc);
    a.receive(frame(0x02000000000b, 0x02000000000a));
    a.drainReceived();
    const pin = got.find((m) => m.type === OFPT.PACKET_IN);
    expect(pin).toBeDefined();
    const bufferId = pin!.type === OFPT.PACKET_IN ? pin!.buffer_id : -1;
    // A port-mod (which waits on the device), then a packet-out of a buffer, then the connection drops.
    const portMod: OfpMessage = {
      type: OFPT.PORT_MOD,
      xid: 1,
      port_no: 1,
      hw_addr: 0x02000000000a,
      config: OFPPC.NO_FLOOD,
      mask: OFPPC.NO_FLOOD,
      advertise: 0,
    };
    const packetOut: OfpMessage = {
      type: OFPT.PACKET_OUT,
      xid: 2,
      buffer_id: bufferId,
      in_port: OFPP.NONE,
      actions: [out(OFPP.FLOOD)],
      data: Buffer.alloc(0),
    };
    const flowModBuffered = flowMod([out(1)], { xid: 3, buffer_id: bufferId });
    for (const m of [portMod, packetOut, flowModBuffered]) mgr.emit('message', oc, m, encodeMessage(m));
    mgr.emit('down', oc, 'eof', undefined);
    // Let everything queued settle.
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(bugs).toEqual([]);
    expect(bridge.dp.table.size).toBe(0);
  });

  it('emergency: flows kept in the emergency table across reconnects; the normal table is in use while connected', async () => {
    const { bridge, a, x } = dummyBridge(
      { name: 'bf3', failMode: 'emergency', now: () => clock.now },
      'a',
      'b',
      'x',
    );
    const first = connected(bridge);
    await send(bridge, first.c, flowMod([out(2)]));
    await send(bridge, first.c, flowMod([out(3)], { flags: OFPFF.EMERG }));
    bridge.disconnect(first.c);
    expect(bridge.dp.emergencyMode).toBe(true);
    const second = connected(bridge);
    expect(bridge.dp.emergencyMode).toBe(false);
    expect(bridge.dp.emergencyTable.size).toBe(1);
    // Connected with an empty normal table: a miss goes to the controller, not to the emergency flow.
    a.receive(frame(0x02000000000b, 0x02000000000a));
    a.drainReceived();
    expect(x.takeSent()).toHaveLength(0);
    expect(second.got.map((m) => m.type)).toEqual([OFPT.PACKET_IN]);
    // A second controller leaving does not enter emergency mode while one remains.
    const third = connected(bridge);
    bridge.disconnect(third.c);
    expect(bridge.dp.emergencyMode).toBe(false);
    bridge.disconnect(second.c);
    expect(bridge.dp.emergencyMode).toBe(true);
    a.receive(frame(0x02000000000b, 0x02000000000a));
    a.drainReceived();
    expect(x.takeSent()).toHaveLength(1);
  });

  it('standalone: NORMAL only while no controller is connected, with every controller getting packet-ins', () => {
    const { bridge, a, b } = dummyBridge(
      { name: 'bf4', failMode: 'standalone', now: () => clock.now },
      'a',
      'b',
    );
    const one = conn();
    const two = conn();
    bridge.connect(one.c);
    bridge.connect(two.c);
    a.receive(frame(0xffffffffffff, 0x02000000000a));
    a.drainReceived();
    expect(b.takeSent()).toHaveLength(0);
    expect([one.got.length, two.got.length]).toEqual([1, 1]);
    bridge.disconnect(one.c);
    a.receive(frame(0xffffffffffff, 0x02000000000a));
    a.drainReceived();
    expect(b.takeSent()).toHaveLength(0);
    expect(two.got.length).toBe(2);
    bridge.disconnect(two.c);
    a.receive(frame(0xffffffffffff, 0x02000000000a));
    a.drainReceived();
    expect(b.takeSent()).toHaveLength(1);
  });
});

describe('bridge faults: whatever a controller sends', () => {
  /** Messages aimed at the bridge's real state: its port numbers, its buffer ids, emergency flows. */
  const portNo = fc.constantFrom(
    1,
    2,
    3,
    4,
    9,
    OFPP.IN_PORT,
    OFPP.TABLE,
    OFPP.NORMAL,
    OFPP.FLOOD,
    OFPP.ALL,
    OFPP.CONTROLLER,
    OFPP.LOCAL,
    OFPP.NONE,
  );
  const targeted: fc.Arbitrary<OfpMessage> = fc.oneof(
    fc.record({
      type: fc.constant(OFPT.PACKET_OUT),
      xid: arb.u32,
      buffer_id: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constant(OFP_NO_BUFFER)),
      in_port: portNo,
      actions: fc.array(fc.oneof(portNo.map(out), arb.action), { maxLength: 3 }),
      data: arb.bytes(80),
    }),
    fc
      .record({
        xid: arb.u32,
        match: arb.match,
        command: fc.integer({ min: 0, max: 5 }),
        flags: fc.integer({ min: 0, max: 7 }),
        buffer_id: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constant(OFP_NO_BUFFER)),
        out_port: portNo,
        actions: fc.array(fc.oneof(portNo.map(out), arb.action), { maxLength: 3 }),
        idle: fc.constantFrom(0, 1, 60),
      })
      .map((r) =>
        flowMod(r.actions, {
          xid: r.xid,
          match: r.match,
          command: r.command,
          flags: r.flags,
          buffer_id: r.buffer_id,
          out_port: r.out_port,
          idle_timeout: r.idle,
        }),
      ),
    fc.record({
      type: fc.constant(OFPT.PORT_MOD),
      xid: arb.u32,
      port_no: portNo,
      hw_addr: fc.constantFrom(0x020000000001, 0x020000000002, 0x020000000003, 0x020000000004, 0),
      config: arb.u32,
      mask: arb.u32,
      advertise: fc.constantFrom(0, 0x20),
    }),
    arb.message,
  );
  type Step =
    | { kind: 'msg'; msg: OfpMessage }
    | { kind: 'frame'; port: number }
    | { kind: 'vanish'; port: number }
    | { kind: 'return' }
    | { kind: 'reconnect' }
    | { kind: 'tick' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: targeted.map((msg) => ({ kind: 'msg' as const, msg })) },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 1, max: 4 }).map((port) => ({ kind: 'frame' as const, port })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 4 }).map((port) => ({ kind: 'vanish' as const, port })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'return' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reconnect' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
  );

  it('never throws (which would close the connection) and answers every request in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('standalone', 'secure', 'emergency'),
        fc.array(step, { maxLength: 40 }),
        async (failMode, steps) => {
          let now = 1_000_000;
          const bridge = new Bridge({ name: 'bfz', failMode, now: () => now });
          const devs = new Map<number, DummyDevice>();
          const open = (n: number) => {
            const d = new DummyDevice(`d${n}`, { mac: 0x020000000000 + n });
            devs.set(bridge.addPort(new Netdev(d), n), d);
          };
          for (const n of [1, 2, 3, 4]) open(n);
          let cur = connected(bridge);
          connected(bridge, 'service');
          for (const s of steps) {
            switch (s.kind) {
              case 'msg':
                await send(bridge, cur.c, s.msg);
                break;
              case 'frame': {
                const d = bridge.ports.has(s.port) ? devs.get(s.port) : undefined;
                d?.receive(frame(0x020000000000 + ((s.port % 4) + 1), 0x020000000010 + s.port));
                d?.drainReceived();
                break;
              }
              case 'vanish':
                if (bridge.ports.has(s.port)) devs.get(s.port)!.vanish();
                break;
              case 'return':
                for (const [name] of [...bridge.vanished]) open(Number(name.slice(1)));
                break;
              case 'reconnect':
                bridge.disconnect(cur.c);
                cur = connected(bridge);
                break;
              case 'tick':
                now += 61_000;
                bridge.dp.expire();
                break;
            }
          }
          // Ports, the datapath and the reservations agree.
          for (const n of [1, 2, 3, 4]) {
            expect(bridge.dp.hasPort(n)).toBe(bridge.ports.has(n));
            expect(bridge.ports.has(n) && [...bridge.vanished.values()].includes(n)).toBe(false);
          }
          // Still answering, in order.
          await send(bridge, cur.c, { type: OFPT.BARRIER_REQUEST, xid: 0xabcdef });
          expect(cur.got.at(-1)).toMatchObject({ type: OFPT.BARRIER_REPLY, xid: 0xabcdef });
          await bridge.close();
        },
      ),
      { numRuns: 300 },
    );
  });
});
